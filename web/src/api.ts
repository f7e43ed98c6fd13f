// The API client: fetch wrappers that turn the server's one error shape,
// {"error": {"code", "message", "details": {"field", "request_id"}}},
// into an ApiError with a message a person can read.

/** ApiError is a failed request: the server's error, or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const CODE_TEXT: Record<string, string> = {
  invalid: "请求有误",
  not_found: "未找到",
  conflict: "数据冲突",
  unauthorized: "未登录",
  forbidden: "无权限",
  too_large: "请求过大",
  unavailable: "服务暂不可用",
  method_not_allowed: "不支持的操作",
  internal: "服务器内部错误",
};

/** errorText is the Chinese headline of an error code. */
export function errorText(code: string): string {
  return CODE_TEXT[code] ?? "请求失败";
}

/** errorFromBody builds the ApiError of a failed response from its status and body text. */
export function errorFromBody(status: number, body: string, requestId?: string | null): ApiError {
  try {
    const j = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; field?: unknown; details?: { field?: unknown; request_id?: unknown } } };
    const e = j.error;
    if (e && typeof e.code === "string" && typeof e.message === "string") {
      const field = typeof e.details?.field === "string" ? e.details.field : typeof e.field === "string" ? e.field : undefined;
      const rid = typeof e.details?.request_id === "string" ? e.details.request_id : requestId ?? undefined;
      return new ApiError(`${errorText(e.code)}：${e.message}`, status, e.code, field, rid);
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(`请求失败（HTTP ${status}）`, status, status >= 500 ? "internal" : "invalid", undefined, requestId ?? undefined);
}

/** Query is a set of query parameters; undefined, null and "" are left out. */
export type Query = Record<string, string | number | boolean | undefined | null>;

/** withQuery appends the parameters that have values to a path. */
export function withQuery(path: string, q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === "") continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `${path}${path.includes("?") ? "&" : "?"}${s}` : path;
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Client calls the gridsentry API on one origin. */
export class Client {
  constructor(
    private readonly base = "",
    private readonly fetchFn: Fetch = (i, init) => fetch(i, init),
  ) {}

  /** get fetches JSON. */
  get<T>(path: string, q?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", withQuery(path, q), undefined, signal);
  }

  /** post sends JSON and reads JSON. */
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>("POST", path, body, signal);
  }

  private async request<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const init: RequestInit = { method, headers: { Accept: "application/json" } };
    if (signal) init.signal = signal;
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { Accept: "application/json", "Content-Type": "application/json" };
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, init);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw new ApiError("无法连接服务器，请检查网络", 0, "unavailable");
    }
    const text = await res.text();
    if (!res.ok) throw errorFromBody(res.status, text, res.headers.get("X-Request-Id"));
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError("服务器返回的不是 JSON", res.status, "internal");
    }
  }
}

// Shapes of the answers the console reads (see /openapi.json).

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Point {
  type: "Point";
  coordinates: [number, number];
}

export interface Link {
  status: string;
  address_code: string;
  level: string | null;
  score: number;
  issues: string[];
  building_id: number | null;
  grid_code: string | null;
  village_code: string | null;
  town_code: string | null;
  location: Point | null;
}

export interface Entity {
  uscc: string;
  name: string;
  kind: string;
  status: string;
  registered_at: string;
  address_text: string;
  industry: string | null;
  industry_name?: string | null;
  legal_rep?: string | null;
  last_inspected_at: string | null;
  link: Link | null;
}

export interface Flag {
  id: number;
  kind: string;
  status: string;
  score: number;
  title: string;
  uscc: string | null;
  grid_code: string | null;
  town_code: string | null;
  location: Point | null;
  raised_at: string;
  evidence?: { entity?: { name?: string; uscc?: string } };
}

export interface Division {
  id: string;
  geometry: { type: string; coordinates: unknown };
  properties: { code: string; name: string; kind: string; level: string };
}

export interface TileField {
  type: string;
  description?: string;
}

export interface TileLayer {
  name: string;
  description: string;
  kind: string;
  geometry: "point" | "line" | "polygon";
  minzoom: number;
  maxzoom: number;
  max_features: number;
  fields: Record<string, TileField>;
  tilejson: string;
}

export interface TileCatalogue {
  layers: TileLayer[];
  style: string;
}

export interface Address {
  code: string;
  full: string;
  level: string;
  location: Point | null;
  building_id: number | null;
  grid_code: string | null;
  village_code: string | null;
  town_code: string;
  score?: number;
}

export interface ValidateResult {
  status: "matched" | "ambiguous" | "not_found" | "invalid";
  level: string | null;
  score: number;
  address: Address | null;
  issues: { code: string; message: string }[];
  candidates: Address[];
}

// The API client: fetch wrappers that send the signed-in token and turn
// the server's one error shape,
// {"error": {"code", "message", "details": {"field", "request_id"}}},
// into an ApiError with a message a person can read.

import { bearerFor, retryAfter, sameOrigin } from "./session";

/** ApiError is a failed request: the server's error, or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
    readonly requestId?: string,
    /** retryAfter is the seconds to wait before asking again (429, 503). */
    readonly retryAfter?: number,
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
  rate_limited: "请求过于频繁",
};

/** errorText is the Chinese headline of an error code. */
export function errorText(code: string): string {
  return CODE_TEXT[code] ?? "请求失败";
}

/** tooManyText is the notice of a 429: "请求过于频繁，请 12 秒后重试。" */
export function tooManyText(seconds: number | null | undefined): string {
  return seconds ? `请求过于频繁，请 ${seconds} 秒后重试。` : "请求过于频繁，请稍后重试。";
}

/**
 * errorFromBody builds the ApiError of a failed response from its status,
 * body text, request id and Retry-After (seconds). A 403 keeps the
 * server's message (it names what the role may not do); a 429 says how
 * long to wait.
 */
export function errorFromBody(status: number, body: string, requestId?: string | null, retry?: number | null): ApiError {
  const wait = retry ?? undefined;
  try {
    const j = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; field?: unknown; details?: { field?: unknown; request_id?: unknown } } };
    const e = j.error;
    if (e && typeof e.code === "string" && typeof e.message === "string") {
      const field = typeof e.details?.field === "string" ? e.details.field : typeof e.field === "string" ? e.field : undefined;
      const rid = typeof e.details?.request_id === "string" ? e.details.request_id : requestId ?? undefined;
      const msg = status === 429 ? tooManyText(wait) : `${errorText(e.code)}：${e.message}`;
      return new ApiError(msg, status, e.code, field, rid, wait);
    }
  } catch {
    // not JSON: fall through
  }
  const code = status === 401 ? "unauthorized" : status === 403 ? "forbidden" : status === 429 ? "rate_limited" : status >= 500 ? "internal" : "invalid";
  const msg = status === 429 ? tooManyText(wait) : `请求失败（HTTP ${status}）`;
  return new ApiError(msg, status, code, undefined, requestId ?? undefined, wait);
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

/** Auth connects the client to the sign-in: the token it sends and what it is told. */
export interface Auth {
  /** origin is the page's origin: the token is sent to its URLs only. */
  readonly origin: string;
  /** token gives the current token, or null when signed out. */
  token(): string | null;
  /** unauthorized hears of a 401; sent is the token the request carried (null: none). */
  unauthorized(sent: string | null): void;
  /** rateLimited hears of a 429 and the seconds to wait (null: not said). */
  rateLimited(seconds: number | null): void;
}

/** Client calls the gridsentry API on one origin. */
export class Client {
  constructor(
    private readonly base = "",
    private readonly fetchFn: Fetch = (i, init) => fetch(i, init),
    private readonly auth?: Auth,
  ) {}

  /** get fetches JSON. */
  get<T>(path: string, q?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", withQuery(path, q), undefined, signal);
  }

  /** post sends JSON and reads JSON. */
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>("POST", path, body, signal);
  }

  /** put sends JSON and reads JSON; ifMatch, when given, is the version the change is based on. */
  put<T>(path: string, body: unknown, ifMatch?: string): Promise<T> {
    return this.request<T>("PUT", path, body, undefined, ifMatch ? { "If-Match": ifMatch } : undefined);
  }

  /** delete deletes; the answer (204) has no body. */
  delete(path: string): Promise<void> {
    return this.request<void>("DELETE", path, undefined);
  }

  /**
   * download fetches a file (a CSV, an export) with the token, which a
   * plain link cannot send: its bytes and the name the server gives it in
   * Content-Disposition (null without one).
   */
  async download(path: string, q?: Query, signal?: AbortSignal): Promise<{ blob: Blob; name: string | null }> {
    const res = await this.send("GET", withQuery(path, q), undefined, signal, "*/*");
    return { blob: await res.blob(), name: filenameOf(res.headers.get("Content-Disposition")) };
  }

  private async request<T>(method: string, path: string, body: unknown, signal?: AbortSignal, extra?: Record<string, string>): Promise<T> {
    const res = await this.send(method, path, body, signal, "application/json", extra);
    const text = await res.text();
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError("服务器返回的不是 JSON", res.status, "internal");
    }
  }

  /** send makes a request with the token and gives its response, or throws the ApiError of a refusal. */
  private async send(method: string, path: string, body: unknown, signal: AbortSignal | undefined, accept: string,
    extra?: Record<string, string>): Promise<Response> {
    const url = this.base + path;
    const headers: Record<string, string> = { Accept: accept, ...extra };
    const init: RequestInit = { method, headers };
    if (signal) init.signal = signal;
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    let sent: string | null = null;
    if (this.auth) {
      sent = this.auth.token();
      const authorization = bearerFor(url, this.auth.origin, sent);
      if (authorization) headers["Authorization"] = authorization;
      else if (sent === null && sameOrigin(url, this.auth.origin)) {
        // Signed out: every route of this origin the client calls needs a
        // token, so ask the person to sign in rather than the server.
        this.auth.unauthorized(null);
        throw new ApiError("未登录：请先登录", 401, "unauthorized");
      }
    }
    let res: Response;
    try {
      res = await this.fetchFn(url, init);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw new ApiError("无法连接服务器，请检查网络", 0, "unavailable");
    }
    if (!res.ok) {
      const text = await res.text();
      const err = errorFromBody(res.status, text, res.headers.get("X-Request-Id"), retryAfter(res.headers.get("Retry-After")));
      if (res.status === 401) this.auth?.unauthorized(sent);
      if (res.status === 429) this.auth?.rateLimited(err.retryAfter ?? null);
      throw err;
    }
    return res;
  }
}

/**
 * filenameOf reads the file name of a Content-Disposition header:
 * filename*=UTF-8''… (RFC 6266, how the server writes a non-ASCII name)
 * before filename="…"; null without either.
 */
export function filenameOf(disposition: string | null | undefined): string | null {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[2]!.trim());
    } catch {
      // fall back to the plain name
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(disposition);
  if (!plain) return null;
  return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, "$1") : plain[2]!;
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
  /** legal_rep, phone and id_number are masked unless asked for with ?unmask=true */
  legal_rep?: string | null;
  phone?: string | null;
  id_number?: string | null;
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

// 高级筛选 / 定向排查: the entity filter a screen combines, and how it
// travels: as the JSON body of POST /v1/entities:search and of a saved
// filter, as query parameters (count, map layer, export, the address
// bar), and as the values of the screen's form. The parameters have the
// same names everywhere; only the shapes of near and polygon differ
// (an object and a geometry in JSON, "lon,lat,radius_m" and URL-encoded
// GeoJSON in a query).

import type { Query } from "./api";
import { roundGeometry, type Geometry } from "./geojson";
import { industryName } from "./industries";
import { ENTITY_KIND, ENTITY_STATUS, FLAG_KINDS, FLAG_STATUS, INSPECTION_OUTCOME, TASK_STATUS, nameOf } from "./names";

/** Near is a buffer: the entities within radius_m metres of a point (WGS84). */
export interface Near {
  lon: number;
  lat: number;
  radius_m: number;
}

/** EntityFilter is the entity filter; a missing field does not filter. */
export interface EntityFilter {
  town?: string;
  village?: string;
  grid?: string;
  industry?: string;
  kind?: string;
  status?: string;
  registered_from?: string;
  registered_to?: string;
  never_inspected?: boolean;
  inspected_before?: string;
  inspected_after?: string;
  inspection_outcome?: string;
  task_status?: string;
  flag_kind?: string;
  flag_status?: string;
  has_open_flag?: boolean;
  same_building_as?: string;
  same_phone_as?: string;
  same_legal_rep_as?: string;
  shared_phone_min?: number;
  shared_legal_rep_min?: number;
  building_entities_min?: number;
  polygon?: Geometry;
  near?: Near;
}

type Kind = "code" | "enum" | "date" | "bool" | "uscc" | "min" | "polygon" | "near";

interface Field {
  key: keyof EntityFilter;
  kind: Kind;
  /** what a value must match (code) or be one of (enum) */
  pattern?: RegExp;
  values?: readonly string[];
  label: string;
}

export const KINDS = ["enterprise", "individual", "cooperative"] as const;
export const STATUSES = ["active", "cancelled", "revoked"] as const;
export const TASK_STATUSES = ["pushed", "received", "feedback", "done", "returned", "overdue", "open"] as const;
export const OUTCOMES = ["operating", "not_found", "moved", "closed"] as const;
export const FLAG_STATUSES = ["open", "confirmed", "dismissed", "resolved"] as const;
export const FLAG_KIND_CODES = [
  "address_unverified", "building_unfit", "cluster_registration", "restricted_trade", "linked_parties",
  "off_site", "not_found", "complaint_hotspot", "dormant", "blind_spot",
] as const;

/** The bounds of the link counts (shared_phone_min …) and of a buffer's radius. */
export const MIN_LINKS = 2;
export const MAX_LINKS = 1000;
export const MAX_RADIUS = 5000;

/** FIELDS are the filter's parameters, in the order the form and the address bar list them. */
export const FIELDS: readonly Field[] = [
  { key: "town", kind: "code", pattern: /^\d{9}$/, label: "镇街" },
  { key: "village", kind: "code", pattern: /^\d{12}$/, label: "村（社区）" },
  { key: "grid", kind: "code", pattern: /^\d{15}$/, label: "网格" },
  { key: "industry", kind: "code", pattern: /^[A-T]$/, label: "行业" },
  { key: "kind", kind: "enum", values: KINDS, label: "类型" },
  { key: "status", kind: "enum", values: STATUSES, label: "状态" },
  { key: "registered_from", kind: "date", label: "登记日期起" },
  { key: "registered_to", kind: "date", label: "登记日期止" },
  { key: "never_inspected", kind: "bool", label: "从未检查" },
  { key: "inspected_before", kind: "date", label: "最后检查早于" },
  { key: "inspected_after", kind: "date", label: "最后检查晚于" },
  { key: "inspection_outcome", kind: "enum", values: OUTCOMES, label: "最后检查结果" },
  { key: "task_status", kind: "enum", values: TASK_STATUSES, label: "任务状态" },
  { key: "flag_kind", kind: "enum", values: FLAG_KIND_CODES, label: "预警类型" },
  { key: "flag_status", kind: "enum", values: FLAG_STATUSES, label: "预警状态" },
  { key: "has_open_flag", kind: "bool", label: "有待处理预警" },
  { key: "same_building_as", kind: "uscc", label: "同楼栋" },
  { key: "same_phone_as", kind: "uscc", label: "同电话" },
  { key: "same_legal_rep_as", kind: "uscc", label: "同法定代表人" },
  { key: "shared_phone_min", kind: "min", label: "电话共用户数 ≥" },
  { key: "shared_legal_rep_min", kind: "min", label: "法定代表人名下户数 ≥" },
  { key: "building_entities_min", kind: "min", label: "楼栋内户数 ≥" },
  { key: "polygon", kind: "polygon", label: "多边形" },
  { key: "near", kind: "near", label: "缓冲区" },
];

/** USCC_RE matches an 18-character unified social credit code. */
const USCC_RE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;
const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** FilterError is a value of the form the server would refuse, named by its parameter. */
export interface FilterError {
  field: string;
  message: string;
}

function isGeometry(v: unknown): v is Geometry {
  if (typeof v !== "object" || v === null) return false;
  const g = v as { type?: unknown; coordinates?: unknown };
  return (g.type === "Polygon" || g.type === "MultiPolygon") && Array.isArray(g.coordinates) && g.coordinates.length > 0;
}

function isNear(v: unknown): v is Near {
  if (typeof v !== "object" || v === null) return false;
  const n = v as Record<string, unknown>;
  return [n["lon"], n["lat"], n["radius_m"]].every((x) => typeof x === "number" && Number.isFinite(x));
}

/** checkValue says what is wrong with one parameter's value, or null. */
function checkValue(f: Field, v: unknown): string | null {
  switch (f.kind) {
    case "code":
      return typeof v === "string" && f.pattern!.test(v) ? null : "格式不对";
    case "enum":
      return typeof v === "string" && f.values!.includes(v) ? null : "不是可选的值";
    case "date":
      return typeof v === "string" && DATE_RE.test(v) ? null : "应为日期（年-月-日）";
    case "bool":
      return typeof v === "boolean" ? null : "应为是或否";
    case "uscc":
      return typeof v === "string" && USCC_RE.test(v) ? null : "应为 18 位统一社会信用代码";
    case "min":
      return typeof v === "number" && Number.isInteger(v) && v >= MIN_LINKS && v <= MAX_LINKS ? null : `应为 ${MIN_LINKS} 到 ${MAX_LINKS} 的整数`;
    case "polygon":
      return isGeometry(v) ? null : "不是多边形";
    case "near": {
      if (!isNear(v)) return "应有中心点和半径";
      if (v.lon < -180 || v.lon > 180 || v.lat < -90 || v.lat > 90) return "中心点不在地图范围内";
      return Number.isInteger(v.radius_m) && v.radius_m >= 1 && v.radius_m <= MAX_RADIUS ? null : `半径应为 1 到 ${MAX_RADIUS} 米的整数`;
    }
  }
}

/**
 * checkFilter lists what the server would refuse in a filter: a malformed
 * value, or parameters that cannot go together.
 */
export function checkFilter(filter: EntityFilter): FilterError[] {
  const errors: FilterError[] = [];
  for (const f of FIELDS) {
    const v = filter[f.key];
    if (v === undefined) continue;
    const why = checkValue(f, v);
    if (why) errors.push({ field: f.key, message: `${f.label}：${why}` });
  }
  if (filter.never_inspected && (filter.inspected_before || filter.inspected_after)) {
    errors.push({ field: "never_inspected", message: "“从未检查”不能与最后检查日期同时使用" });
  }
  if (filter.registered_from && filter.registered_to && filter.registered_from > filter.registered_to) {
    errors.push({ field: "registered_to", message: "登记日期止应不早于登记日期起" });
  }
  return errors;
}

/** clean keeps the filter's set values, in FIELDS order, dropping empty strings and a false never_inspected. */
export function clean(filter: EntityFilter): EntityFilter {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = filter[f.key];
    if (v === undefined || v === null || v === "") continue;
    if (f.key === "never_inspected" && v === false) continue; // false filters nothing
    out[f.key] = f.kind === "polygon" ? roundGeometry(v as Geometry) : f.kind === "near" ? roundNear(v as Near) : v;
  }
  return out as EntityFilter;
}

function roundNear(n: Near): Near {
  return { lon: Math.round(n.lon * 1e6) / 1e6, lat: Math.round(n.lat * 1e6) / 1e6, radius_m: n.radius_m };
}

/** isEmpty reports whether a filter selects every entity the caller may see. */
export function isEmpty(filter: EntityFilter): boolean {
  return Object.keys(clean(filter)).length === 0;
}

/** toJSON is the filter as the JSON body of a search or a saved filter. */
export function toJSON(filter: EntityFilter): Record<string, unknown> {
  return { ...clean(filter) };
}

/** fromJSON reads a filter from JSON (a saved filter's), keeping the known parameters whose values are well formed. */
export function fromJSON(json: unknown): EntityFilter {
  if (typeof json !== "object" || json === null) return {};
  const j = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = j[f.key];
    if (v === undefined || v === null || v === "") continue;
    if (checkValue(f, v) === null) out[f.key] = v;
  }
  return clean(out as EntityFilter);
}

/** toQuery is the filter as query parameters: near as "lon,lat,radius_m", the polygon as GeoJSON text. */
export function toQuery(filter: EntityFilter): Query {
  const q: Query = {};
  for (const [k, v] of Object.entries(clean(filter))) {
    if (k === "polygon") q[k] = JSON.stringify(v);
    else if (k === "near") q[k] = `${(v as Near).lon},${(v as Near).lat},${(v as Near).radius_m}`;
    else q[k] = v as string | number | boolean;
  }
  return q;
}

/** parseQueryValue reads one parameter's text as its type, or undefined when it is malformed. */
function parseQueryValue(f: Field, s: string): unknown {
  let v: unknown = s;
  switch (f.kind) {
    case "bool":
      v = s === "true" ? true : s === "false" ? false : undefined;
      break;
    case "min":
      v = /^\d+$/.test(s) ? Number(s) : undefined;
      break;
    case "polygon":
      try {
        v = JSON.parse(s);
      } catch {
        v = undefined;
      }
      break;
    case "near": {
      const parts = s.split(",").map((p) => (p.trim() === "" ? NaN : Number(p)));
      v = parts.length === 3 && parts.every(Number.isFinite) ? { lon: parts[0], lat: parts[1], radius_m: parts[2] } : undefined;
      break;
    }
  }
  return v !== undefined && checkValue(f, v) === null ? v : undefined;
}

/** fromQuery reads a filter from query parameters (the address bar's), leaving out unknown or malformed ones. */
export function fromQuery(params: URLSearchParams): EntityFilter {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const s = params.get(f.key);
    if (s === null || s === "") continue;
    const v = parseQueryValue(f, s);
    if (v !== undefined) out[f.key] = v;
  }
  return clean(out as EntityFilter);
}

/** ScreenState is what the address bar keeps of a screen: the filter, or the saved filter it runs. */
export interface ScreenState {
  filter: EntityFilter;
  /** the id of the saved filter being run; its results come from /v1/filters/{id}/… */
  saved?: number;
}

/** stateQuery writes a screen's state as the query of its hash (#/screening?…). */
export function stateQuery(s: ScreenState): string {
  const p = new URLSearchParams();
  if (s.saved !== undefined) p.set("saved", String(s.saved));
  for (const [k, v] of Object.entries(toQuery(s.filter))) p.set(k, String(v));
  return p.toString();
}

/** readState reads a screen's state from the query of its hash. */
export function readState(query: string): ScreenState {
  const p = new URLSearchParams(query);
  const s: ScreenState = { filter: fromQuery(p) };
  const saved = p.get("saved");
  if (saved && /^[1-9]\d{0,17}$/.test(saved)) s.saved = Number(saved);
  return s;
}

// The form: every parameter is a control named after it; the drawn
// polygon and the buffer's centre are kept in hidden controls.

/** FormValues are the values of the form's controls by name, as text. */
export type FormValues = Record<string, string>;

/** formValues gives the controls' values for a filter. */
export function formValues(filter: EntityFilter): FormValues {
  const out: FormValues = {};
  const f = clean(filter);
  for (const field of FIELDS) {
    const v = f[field.key];
    switch (field.kind) {
      case "bool":
        out[field.key] = v === undefined ? "" : String(v);
        break;
      case "min":
        out[field.key] = v === undefined ? "" : String(v);
        break;
      case "polygon":
        out[field.key] = v === undefined ? "" : JSON.stringify(v);
        break;
      case "near": {
        const n = v as Near | undefined;
        out["near_lon"] = n ? String(n.lon) : "";
        out["near_lat"] = n ? String(n.lat) : "";
        out["near_radius"] = n ? String(n.radius_m) : "";
        break;
      }
      default:
        out[field.key] = (v as string | undefined) ?? "";
    }
  }
  return out;
}

/**
 * readForm reads a filter from the controls' values: blank controls do
 * not filter; what the server would refuse is listed in errors (and left
 * out of the filter). A radius without a centre is no buffer.
 */
export function readForm(values: FormValues): { filter: EntityFilter; errors: FilterError[] } {
  const errors: FilterError[] = [];
  const out: Record<string, unknown> = {};
  const text = (k: string): string => (values[k] ?? "").trim();
  for (const f of FIELDS) {
    if (f.kind === "near") {
      const [lon, lat, radius] = [text("near_lon"), text("near_lat"), text("near_radius")];
      if (lon === "" || lat === "") continue;
      const v = { lon: Number(lon), lat: Number(lat), radius_m: radius === "" ? NaN : Number(radius) };
      const why = checkValue(f, v);
      if (why) errors.push({ field: "near", message: `${f.label}：${why}` });
      else out["near"] = v;
      continue;
    }
    const s = f.kind === "uscc" ? text(f.key).toUpperCase() : text(f.key);
    if (s === "") continue;
    let v: unknown = s;
    if (f.kind === "bool") v = s === "true" ? true : s === "false" ? false : s;
    else if (f.kind === "min") v = /^\d+$/.test(s) ? Number(s) : s;
    else if (f.kind === "polygon") {
      try {
        v = JSON.parse(s);
      } catch {
        // checkValue names it
      }
    }
    const why = checkValue(f, v);
    if (why) errors.push({ field: f.key, message: `${f.label}：${why}` });
    else out[f.key] = v;
  }
  const filter = clean(out as EntityFilter);
  return { filter, errors: [...errors, ...checkFilter(filter)] };
}

/** polygonPoints counts the corners of a polygon (the closing point not counted twice). */
export function polygonPoints(g: Geometry): number {
  const rings = g.type === "Polygon" ? [(g.coordinates as number[][][])[0] ?? []] : (g.coordinates as number[][][][]).map((p) => p[0] ?? []);
  return rings.reduce((n, r) => n + Math.max(0, r.length - 1), 0);
}

/**
 * describe lists a filter's conditions for people: "状态 在营", "多边形（5 点）",
 * "缓冲区 500 米". areaName names a town, village or grid code when it can.
 */
export function describe(filter: EntityFilter, areaName: (code: string) => string | undefined = () => undefined): string[] {
  const out: string[] = [];
  const f = clean(filter);
  for (const field of FIELDS) {
    const v = f[field.key];
    if (v === undefined) continue;
    switch (field.kind) {
      case "code":
        out.push(`${field.label} ${field.key === "industry" ? industryName(v as string) : areaName(v as string) ?? v}`);
        break;
      case "enum":
        out.push(`${field.label} ${nameOf(ENUM_NAMES[field.key] ?? {}, v as string)}`);
        break;
      case "bool":
        out.push(field.key === "never_inspected" ? field.label : `${field.label}：${v ? "是" : "否"}`);
        break;
      case "polygon":
        out.push(`多边形（${polygonPoints(v as Geometry)} 点）`);
        break;
      case "near":
        out.push(`缓冲区 ${(v as Near).radius_m} 米`);
        break;
      default:
        out.push(`${field.label} ${v}`);
    }
  }
  return out;
}

const ENUM_NAMES: Partial<Record<keyof EntityFilter, Record<string, string>>> = {
  kind: ENTITY_KIND,
  status: ENTITY_STATUS,
  inspection_outcome: INSPECTION_OUTCOME,
  task_status: { ...TASK_STATUS, open: "未办结" },
  flag_kind: FLAG_KINDS,
  flag_status: FLAG_STATUS,
};

// Hash routes of the console: #/coverage (the default), #/address,
// #/entity/{uscc}, #/layers, #/stats (statistics, with the drill-down and
// period in the query) and #/screening (the screen's filter in the query).

export type Route =
  | { screen: "coverage" }
  | { screen: "address"; q?: string }
  | { screen: "entity"; uscc: string }
  | { screen: "layers"; layer?: string }
  | { screen: "stats"; town?: string; village?: string; from?: string; to?: string }
  | { screen: "screening"; q?: string };

export const DEFAULT_ROUTE: Route = { screen: "coverage" };

/** USCC_RE matches an 18-character unified social credit code. */
const USCC_RE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** parseRoute reads a location hash; anything unknown is the default route. */
export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, "");
  const [path, query = ""] = h.split("?", 2) as [string, string?];
  const parts = path.split("/").filter(Boolean).map(safeDecode);
  const q = new URLSearchParams(query);
  switch (parts[0]) {
    case "coverage":
      return { screen: "coverage" };
    case "address": {
      const v = q.get("q");
      return v ? { screen: "address", q: v } : { screen: "address" };
    }
    case "entity": {
      const uscc = (parts[1] ?? "").toUpperCase();
      return USCC_RE.test(uscc) ? { screen: "entity", uscc } : DEFAULT_ROUTE;
    }
    case "layers":
      return parts[1] ? { screen: "layers", layer: parts[1] } : { screen: "layers" };
    case "stats":
      return statsRoute(q);
    case "screening":
      return query ? { screen: "screening", q: query } : { screen: "screening" };
    default:
      return DEFAULT_ROUTE;
  }
}

/** routeHash writes a route as a hash; parseRoute(routeHash(r)) is r. */
export function routeHash(r: Route): string {
  switch (r.screen) {
    case "coverage":
      return "#/coverage";
    case "address":
      return r.q ? `#/address?${new URLSearchParams({ q: r.q })}` : "#/address";
    case "entity":
      return `#/entity/${encodeURIComponent(r.uscc)}`;
    case "layers":
      return r.layer ? `#/layers/${encodeURIComponent(r.layer)}` : "#/layers";
    case "stats": {
      const p = new URLSearchParams();
      for (const k of ["town", "village", "from", "to"] as const) if (r[k]) p.set(k, r[k]);
      const s = p.toString();
      return s ? `#/stats?${s}` : "#/stats";
    }
    case "screening":
      return r.q ? `#/screening?${r.q}` : "#/screening";
  }
}

/**
 * statsRoute reads the statistics' drill-down and period. A village's
 * code begins with its town's, so a village alone names its town too; a
 * malformed code or month is left out.
 */
function statsRoute(q: URLSearchParams): Route {
  const r: { screen: "stats"; town?: string; village?: string; from?: string; to?: string } = { screen: "stats" };
  const town = q.get("town") ?? "";
  const village = q.get("village") ?? "";
  if (/^\d{12}$/.test(village) && (town === "" || village.startsWith(town))) {
    r.town = village.slice(0, 9);
    r.village = village;
  } else if (/^\d{9}$/.test(town)) {
    r.town = town;
  }
  for (const k of ["from", "to"] as const) {
    const v = q.get(k) ?? "";
    if (/^\d{4}-(0[1-9]|1[0-2])$/.test(v)) r[k] = v;
  }
  return r;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

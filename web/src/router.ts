// Hash routes of the console: #/coverage (the default), #/address,
// #/entity/{uscc}, #/layers.

export type Route =
  | { screen: "coverage" }
  | { screen: "address"; q?: string }
  | { screen: "entity"; uscc: string }
  | { screen: "layers"; layer?: string };

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
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

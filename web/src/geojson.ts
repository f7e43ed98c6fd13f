// Small geometry helpers for what the API returns.

type Position = number[];
export interface Geometry {
  type: string;
  coordinates: unknown;
}

function rings(g: Geometry): Position[][] {
  if (g.type === "Polygon") return g.coordinates as Position[][];
  if (g.type === "MultiPolygon") return (g.coordinates as Position[][][]).flat();
  return [];
}

/** bbox gives [west, south, east, north] of a Polygon or MultiPolygon, or null. */
export function bbox(g: Geometry): [number, number, number, number] | null {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const ring of rings(g)) {
    for (const p of ring) {
      const x = p[0]!, y = p[1]!;
      if (x < w) w = x;
      if (x > e) e = x;
      if (y < s) s = y;
      if (y > n) n = y;
    }
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

/**
 * labelPoint gives a point to label a polygon at: the area-weighted
 * centroid of its largest outer ring (good enough for towns, which are
 * roughly convex), or null.
 */
export function labelPoint(g: Geometry): [number, number] | null {
  const outers: Position[][] =
    g.type === "Polygon" ? [(g.coordinates as Position[][])[0]!] :
    g.type === "MultiPolygon" ? (g.coordinates as Position[][][]).map((p) => p[0]!) : [];
  let best: [number, number] | null = null;
  let bestArea = 0;
  for (const ring of outers) {
    let a = 0, cx = 0, cy = 0;
    for (let i = 0; i + 1 < ring.length; i++) {
      const [x0, y0] = ring[i] as [number, number];
      const [x1, y1] = ring[i + 1] as [number, number];
      const f = x0 * y1 - x1 * y0;
      a += f;
      cx += (x0 + x1) * f;
      cy += (y0 + y1) * f;
    }
    if (Math.abs(a) > Math.abs(bestArea)) {
      bestArea = a;
      best = [cx / (3 * a), cy / (3 * a)];
    }
  }
  return best;
}

/** roundGeometry rounds coordinates to 6 decimals (about 0.1 m), to keep URLs short. */
export function roundGeometry<G extends Geometry>(g: G): G {
  const r = (v: unknown): unknown => (Array.isArray(v) ? v.map(r) : typeof v === "number" ? Math.round(v * 1e6) / 1e6 : v);
  return { ...g, coordinates: r(g.coordinates) };
}

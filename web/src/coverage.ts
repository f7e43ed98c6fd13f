// Coverage filters: what the coverage map's controls choose, and how they
// become query parameters on the coverage source's tile URL (docs/tiles.md).

/** WINDOWS are the inspection windows offered, in days. */
export const WINDOWS = [90, 180, 365] as const;
/** DEFAULT_WINDOW is the server's default window, in days. */
export const DEFAULT_WINDOW = 180;

/** CoverageFilter is the coverage map's choice; an empty town or industry means all. */
export interface CoverageFilter {
  window: number;
  town: string;
  industry: string;
}

export const NO_FILTER: CoverageFilter = { window: DEFAULT_WINDOW, town: "", industry: "" };

/** filterParams gives the query parameters of a filter, leaving out the defaults. */
export function filterParams(f: CoverageFilter): URLSearchParams {
  const q = new URLSearchParams();
  if (f.window !== DEFAULT_WINDOW) q.set("window", String(f.window));
  if (f.town) q.set("town", f.town);
  if (f.industry) q.set("industry", f.industry);
  return q;
}

/**
 * coverageTileURL puts a filter on a tile URL template from the style,
 * replacing any filter already there and keeping {z}/{x}/{y} unescaped.
 */
export function coverageTileURL(template: string, f: CoverageFilter): string {
  const i = template.indexOf("?");
  const base = i < 0 ? template : template.slice(0, i);
  const kept = new URLSearchParams(i < 0 ? "" : template.slice(i + 1));
  for (const k of ["window", "town", "industry"]) kept.delete(k);
  for (const [k, v] of filterParams(f)) kept.set(k, v);
  const qs = kept.toString();
  return qs ? `${base}?${qs}` : base;
}

/** validFilter reports whether a filter's values are ones the server accepts. */
export function validFilter(f: CoverageFilter): boolean {
  return (
    Number.isInteger(f.window) && f.window >= 1 && f.window <= 1095 &&
    (f.town === "" || /^\d{9}$/.test(f.town)) &&
    (f.industry === "" || /^[A-T]$/.test(f.industry))
  );
}

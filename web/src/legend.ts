// The coverage legend: the classes of the style's coverage colour ramp
// (an `interpolate` on `coverage`, red at 0 to green at 1).

export interface Stop {
  value: number;
  color: string;
}

export interface LegendClass {
  color: string;
  label: string;
}

/**
 * rampStops reads the stops of a paint expression of the form
 * ["interpolate", [...], ["get", field], v0, c0, v1, c1, ...]; it returns
 * [] for any other expression.
 */
export function rampStops(expr: unknown, field = "coverage"): Stop[] {
  if (!Array.isArray(expr) || expr[0] !== "interpolate") return [];
  const input = expr[2];
  if (!Array.isArray(input) || input[0] !== "get" || input[1] !== field) return [];
  const stops: Stop[] = [];
  for (let i = 3; i + 1 < expr.length; i += 2) {
    const v = expr[i];
    const c = expr[i + 1];
    if (typeof v !== "number" || typeof c !== "string") return [];
    stops.push({ value: v, color: c });
  }
  return stops;
}

/** DEFAULT_STOPS are the style's ramp, used when the style cannot be read. */
export const DEFAULT_STOPS: Stop[] = [
  { value: 0, color: "#d7191c" },
  { value: 0.25, color: "#fdae61" },
  { value: 0.5, color: "#ffffbf" },
  { value: 0.75, color: "#a6d96a" },
  { value: 1, color: "#1a9641" },
];

/** legendClasses labels each stop as a percentage ("0%", "25%", ..., "100%"). */
export function legendClasses(stops: Stop[]): LegendClass[] {
  return stops.map((s) => ({ color: s.color, label: `${Math.round(s.value * 100)}%` }));
}

/** gradientCSS gives a CSS linear-gradient of the ramp, left (0) to right (1). */
export function gradientCSS(stops: Stop[]): string {
  if (stops.length === 0) return "none";
  const lo = stops[0]!.value;
  const hi = stops[stops.length - 1]!.value;
  const span = hi - lo || 1;
  const parts = stops.map((s) => `${s.color} ${Math.round(((s.value - lo) / span) * 100)}%`);
  return `linear-gradient(to right, ${parts.join(", ")})`;
}

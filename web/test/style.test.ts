import { describe, expect, it } from "vitest";
import type { StyleSpecification } from "maplibre-gl";
import { GLYPHS_URL } from "../src/glyphs";
import { coverageRamp, prepareStyle, TOGGLES } from "../src/style";
import { rampStops } from "../src/legend";

// A trimmed copy of the server's /tiles/style.json.
const server = {
  version: 8,
  name: "gridsentry",
  sources: {
    coverage: { type: "vector", tiles: ["http://h/tiles/coverage_hex,coverage_grid,coverage_heat/{z}/{x}/{y}.mvt"] },
    gridsentry: { type: "vector", tiles: ["http://h/tiles/towns,roads/{z}/{x}/{y}.mvt"] },
  },
  layers: [
    { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } },
    {
      id: "coverage-hex-fill", type: "fill", source: "coverage", "source-layer": "coverage_hex",
      paint: { "fill-color": ["interpolate", ["linear"], ["get", "coverage"], 0, "#d7191c", 1, "#1a9641"] },
    },
    { id: "coverage-grid-line", type: "line", source: "coverage", "source-layer": "coverage_grid" },
    { id: "entities-circle", type: "circle", source: "gridsentry", "source-layer": "entities" },
  ],
} as unknown as StyleSpecification;

describe("prepareStyle", () => {
  const s = prepareStyle(server);
  it("sets glyphs to the browser's protocol", () => expect(s.glyphs).toBe(GLYPHS_URL));
  it("leaves the server's style alone", () => expect(server.glyphs).toBeUndefined());
  it("adds labels that use the glyphs", () => {
    const labels = s.layers.filter((l) => l.type === "symbol");
    expect(labels.length).toBeGreaterThan(0);
  });
  it("sets toggled layers' visibility", () => {
    const grid = s.layers.find((l) => l.id === "coverage-grid-line")!;
    const want = TOGGLES.find((t) => t.id === "coverage-grid-line")!.on ? "visible" : "none";
    expect((grid.layout as { visibility?: string }).visibility).toBe(want);
  });
  it("every added layer names a source the style has", () => {
    for (const l of s.layers) if ("source" in l && l.source) expect(Object.keys(s.sources)).toContain(l.source);
  });
  it("is idempotent", () => expect(prepareStyle(s).layers.length).toBe(s.layers.length));
  it("finds the coverage ramp", () => expect(rampStops(coverageRamp(s))).toHaveLength(2));
});

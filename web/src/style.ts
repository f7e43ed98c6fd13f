// The console's additions to the server's style (/tiles/style.json): glyphs
// from the browser, labels, a hit layer for grids, the selection outline and
// a source for the points a screen puts on the map.

import type { LayerSpecification, StyleSpecification } from "maplibre-gl";
import { GLYPHS_URL } from "./glyphs";

/** TOGGLES are the layers a person can switch on and off, in the order shown. */
export const TOGGLES: ReadonlyArray<{ id: string; label: string; on: boolean }> = [
  { id: "coverage-hex-fill", label: "覆盖六边形", on: true },
  { id: "coverage-grid-line", label: "网格覆盖", on: false },
  { id: "coverage-heat", label: "未检查热力图", on: false },
  { id: "buildings-fill", label: "建筑", on: true },
  { id: "entities-circle", label: "市场主体", on: true },
  { id: "flags-circle", label: "预警", on: true },
];

/** FONT is the fontstack labels ask for; any name works, glyphs.ts draws from local fonts. */
export const FONT = ["Noto Sans Regular"];

/** The ids the console adds. */
export const GRID_HIT = "coverage-grid-hit";
export const SELECTION = "selection-line";
export const FOCUS_SOURCE = "focus";
export const TOWN_LABELS_SOURCE = "town-labels";

const additions: LayerSpecification[] = [
  {
    // Grid outlines are thin lines; an invisible fill makes the whole grid clickable.
    id: GRID_HIT,
    type: "fill",
    source: "coverage",
    "source-layer": "coverage_grid",
    minzoom: 9,
    paint: { "fill-color": "#000000", "fill-opacity": 0 },
  },
  {
    id: SELECTION,
    type: "line",
    source: "coverage",
    "source-layer": "coverage_hex",
    filter: ["==", ["get", "h3"], ""],
    paint: { "line-color": "#1f3a93", "line-width": 3 },
  },
  {
    id: "selection-grid-line",
    type: "line",
    source: "coverage",
    "source-layer": "coverage_grid",
    filter: ["==", ["get", "code"], ""],
    paint: { "line-color": "#1f3a93", "line-width": 3 },
  },
  {
    id: "town-labels",
    type: "symbol",
    source: TOWN_LABELS_SOURCE,
    maxzoom: 14,
    layout: {
      "text-field": ["get", "name"],
      "text-font": FONT,
      "text-size": ["interpolate", ["linear"], ["zoom"], 8, 11, 13, 15],
      "text-allow-overlap": false,
    },
    paint: { "text-color": "#3d3325", "text-halo-color": "rgba(255,255,255,0.9)", "text-halo-width": 1.5 },
  },
  {
    id: "roads-label",
    type: "symbol",
    source: "gridsentry",
    "source-layer": "roads",
    minzoom: 15,
    layout: { "symbol-placement": "line", "text-field": ["get", "name"], "text-font": FONT, "text-size": 12 },
    paint: { "text-color": "#555555", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
  },
  {
    id: "focus-line",
    type: "line",
    source: FOCUS_SOURCE,
    filter: ["!=", ["geometry-type"], "Point"],
    paint: { "line-color": "#1f3a93", "line-width": 2.5 },
  },
  {
    id: "focus-circle",
    type: "circle",
    source: FOCUS_SOURCE,
    filter: ["==", ["geometry-type"], "Point"],
    paint: {
      "circle-radius": ["match", ["get", "role"], "main", 9, 6],
      "circle-color": ["match", ["get", "role"], "main", "#1f3a93", "candidate", "#f39c12", "#7f8c8d"],
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 2,
    },
  },
  {
    id: "focus-label",
    type: "symbol",
    source: FOCUS_SOURCE,
    filter: ["==", ["geometry-type"], "Point"],
    layout: {
      "text-field": ["get", "label"],
      "text-font": FONT,
      "text-size": 13,
      "text-offset": [0, 1.2],
      "text-anchor": "top",
      "text-optional": true,
      // The main point's label wins a collision with the others'.
      "symbol-sort-key": ["match", ["get", "role"], "main", 0, 1],
    },
    paint: { "text-color": "#1f3a93", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
  },
];

/**
 * prepareStyle returns the server's style with the console's glyphs,
 * sources and layers added, and the toggled layers set to their initial
 * visibility. It does not change its argument.
 */
export function prepareStyle(server: StyleSpecification): StyleSpecification {
  const style: StyleSpecification = structuredClone(server);
  style.glyphs = GLYPHS_URL;
  style.sources[FOCUS_SOURCE] = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
  style.sources[TOWN_LABELS_SOURCE] = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
  const have = new Set(style.layers.map((l) => l.id));
  for (const l of additions) if (!have.has(l.id)) style.layers.push(structuredClone(l));
  for (const t of TOGGLES) {
    const ids = t.id === "coverage-grid-line" ? [t.id, GRID_HIT, "selection-grid-line"] : [t.id];
    for (const l of style.layers) {
      if (ids.includes(l.id) && l.type !== "background") l.layout = { ...(l.layout ?? {}), visibility: t.on ? "visible" : "none" } as never;
    }
  }
  return style;
}

/** coverageRamp finds the coverage colour ramp in a style (the hexagons' fill-color). */
export function coverageRamp(style: StyleSpecification): unknown {
  const l = style.layers.find((x) => x.id === "coverage-hex-fill");
  return l && l.type === "fill" ? l.paint?.["fill-color"] : undefined;
}

// A screen's results on the map: the entities of GET /v1/entities/geojson
// in a clustered GeoJSON source, and the screen's area (the drawn polygon,
// the buffer's circle from @turf/circle) outlined.

import { circle } from "@turf/circle";
import type { GeoJSONSourceSpecification, LayerSpecification } from "maplibre-gl";
import { count } from "./format";
import { bbox, type Geometry } from "./geojson";
import type { EntityFilter, Near } from "./screening";
import { FONT } from "./style";

/** ResultProps are the properties of a result point. */
export interface ResultProps {
  uscc: string;
  name: string;
  kind: string;
  status: string;
  industry: string | null;
  town_code: string | null;
  open_flags?: number;
}

/** ResultCollection is the answer of /v1/entities/geojson: at most limit points, and how many the filter selects. */
export interface ResultCollection {
  type: "FeatureCollection";
  features: { type: "Feature"; geometry: { type: "Point"; coordinates: [number, number] } | null; properties: ResultProps }[];
  total: number;
  truncated: boolean;
}

export const RESULTS_SOURCE = "screen-results";
export const AREA_SOURCE = "screen-area";
/** The layers of the results: clusters, their counts, and single entities (clickable). */
export const CLUSTERS = "screen-clusters";
export const CLUSTER_COUNT = "screen-cluster-count";
export const POINTS = "screen-points";
export const AREA_FILL = "screen-area-fill";
export const AREA_LINE = "screen-area-line";

/** MAP_LIMIT is how many points the map layer asks for (the server's default). */
export const MAP_LIMIT = 5000;

/** FLAGGED is the colour of an entity with open flags; others are the console's blue. */
const FLAGGED = "#d7301f";
const PLAIN = "#1f3a93";

/**
 * resultsSource is the clustered source of a result collection. Points
 * without a location are left out; each cluster sums how many of its
 * entities have open flags (flagged), to colour it.
 */
export function resultsSource(fc: ResultCollection | null): GeoJSONSourceSpecification {
  return {
    type: "geojson",
    data: { type: "FeatureCollection", features: (fc?.features ?? []).filter((f) => f.geometry !== null) as never },
    cluster: true,
    clusterRadius: 40,
    clusterMaxZoom: 15,
    clusterProperties: { flagged: ["+", ["case", [">", ["coalesce", ["get", "open_flags"], 0], 0], 1, 0]] },
  };
}

/** resultLayers draws the results: clusters sized by their count, red when any entity in them is flagged. */
export function resultLayers(): LayerSpecification[] {
  return [
    {
      id: AREA_FILL,
      type: "fill",
      source: AREA_SOURCE,
      paint: { "fill-color": ["match", ["get", "role"], "buffer", "#f39c12", "#1f3a93"], "fill-opacity": 0.08 },
    },
    {
      id: AREA_LINE,
      type: "line",
      source: AREA_SOURCE,
      paint: { "line-color": ["match", ["get", "role"], "buffer", "#e67e22", "#1f3a93"], "line-width": 2, "line-dasharray": [3, 2] },
    },
    {
      id: CLUSTERS,
      type: "circle",
      source: RESULTS_SOURCE,
      filter: ["has", "point_count"],
      paint: {
        "circle-color": ["case", [">", ["get", "flagged"], 0], "#e6550d", PLAIN],
        "circle-opacity": 0.85,
        "circle-radius": ["step", ["get", "point_count"], 12, 10, 16, 100, 22, 1000, 28],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2,
      },
    },
    {
      id: CLUSTER_COUNT,
      type: "symbol",
      source: RESULTS_SOURCE,
      filter: ["has", "point_count"],
      layout: { "text-field": ["get", "point_count_abbreviated"], "text-font": FONT, "text-size": 12, "text-allow-overlap": true },
      paint: { "text-color": "#ffffff" },
    },
    {
      id: POINTS,
      type: "circle",
      source: RESULTS_SOURCE,
      filter: ["!", ["has", "point_count"]],
      paint: {
        "circle-color": ["case", [">", ["coalesce", ["get", "open_flags"], 0], 0], FLAGGED, PLAIN],
        "circle-radius": 6,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1.5,
      },
    },
  ];
}

/** shownText says how much of the selection the map shows: all of it, or "N of M" when the layer was cut at its limit. */
export function shownText(fc: ResultCollection): string {
  const located = fc.features.filter((f) => f.geometry !== null).length;
  const total = typeof fc.total === "number" ? fc.total : fc.features.length;
  if (fc.truncated) return `地图显示 ${count(located)} / 共 ${count(total)} 户（仅显示前 ${count(fc.features.length)} 户，缩小范围可全部显示）`;
  const missing = fc.features.length - located;
  return `地图显示全部 ${count(located)} 户${missing > 0 ? `（${count(missing)} 户无坐标）` : ""}`;
}

/** pointsBounds is [west, south, east, north] of the located results, or null when none is located. */
export function pointsBounds(fc: ResultCollection): [number, number, number, number] | null {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const f of fc.features) {
    if (!f.geometry) continue;
    const [x, y] = f.geometry.coordinates;
    w = Math.min(w, x);
    e = Math.max(e, x);
    s = Math.min(s, y);
    n = Math.max(n, y);
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

/** fitBounds is what the map fits to show a screen: its results and its area (polygon, buffer) together; null for neither. */
export function fitBounds(fc: ResultCollection | null, filter: EntityFilter): [number, number, number, number] | null {
  const boxes = [fc ? pointsBounds(fc) : null, ...areaFeatures(filter).map((f) => bbox(f.geometry))].filter((b) => b !== null);
  if (boxes.length === 0) return null;
  return [
    Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3])),
  ];
}

/** bufferCircle is the buffer's circle as a polygon of 64 sides (what the server's ST_DWithin selects, near enough). */
export function bufferCircle(near: Near): Geometry {
  return circle([near.lon, near.lat], near.radius_m, { units: "meters", steps: 64 }).geometry;
}

/** areaFeatures are the outlines of a filter's geography: its polygon and its buffer's circle. */
export function areaFeatures(filter: EntityFilter): { type: "Feature"; geometry: Geometry; properties: { role: string } }[] {
  const out: { type: "Feature"; geometry: Geometry; properties: { role: string } }[] = [];
  if (filter.polygon) out.push({ type: "Feature", geometry: filter.polygon, properties: { role: "polygon" } });
  if (filter.near) {
    out.push({ type: "Feature", geometry: bufferCircle(filter.near), properties: { role: "buffer" } });
  }
  return out;
}

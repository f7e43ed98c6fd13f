import { describe, expect, it } from "vitest";
import { CLUSTERS, CLUSTER_COUNT, POINTS, RESULTS_SOURCE, areaFeatures, bufferCircle, fitBounds, pointsBounds, resultLayers, resultsSource, shownText, type ResultCollection } from "../src/results";

function point(uscc: string, at: [number, number] | null, open_flags?: number): ResultCollection["features"][number] {
  return {
    type: "Feature",
    geometry: at ? { type: "Point", coordinates: at } : null,
    properties: { uscc, name: uscc, kind: "enterprise", status: "active", industry: "F", town_code: "441900003", ...(open_flags ? { open_flags } : {}) },
  };
}

const FC: ResultCollection = {
  type: "FeatureCollection",
  features: [point("A", [113.75, 23.04], 2), point("B", [113.77, 23.02]), point("C", null)],
  total: 3,
  truncated: false,
};

describe("resultsSource", () => {
  const src = resultsSource(FC) as { cluster: boolean; data: { features: unknown[] }; clusterProperties: Record<string, unknown> };
  it("is clustered", () => expect(src.cluster).toBe(true));
  it("leaves out the entities without a location", () => expect(src.data.features).toHaveLength(2));
  it("sums the flagged entities of a cluster", () => expect(Object.keys(src.clusterProperties)).toEqual(["flagged"]));
  it("empty before the first answer", () => expect((resultsSource(null) as { data: { features: unknown[] } }).data.features).toEqual([]));
});

describe("resultLayers", () => {
  const layers = resultLayers() as { id: string; source: string; filter?: unknown }[];
  it("clusters, their counts and single points draw from the results", () => {
    const byId = new Map(layers.map((l) => [l.id, l]));
    for (const id of [CLUSTERS, CLUSTER_COUNT, POINTS]) expect(byId.get(id)?.source).toBe(RESULTS_SOURCE);
    expect(byId.get(CLUSTERS)?.filter).toEqual(["has", "point_count"]);
    expect(byId.get(POINTS)?.filter).toEqual(["!", ["has", "point_count"]]);
  });
  it("the points draw above the area", () => expect(layers.map((l) => l.id).indexOf(POINTS)).toBe(layers.length - 1));
});

describe("shownText", () => {
  it("all of them, and how many have no location", () => expect(shownText(FC)).toBe("地图显示全部 2 户（1 户无坐标）"));
  it("N of M when the layer was cut at its limit", () =>
    expect(shownText({ ...FC, features: FC.features.slice(0, 2), total: 12345, truncated: true }))
      .toBe("地图显示 2 / 共 12,345 户（仅显示前 2 户，缩小范围可全部显示）"));
  it("none", () => expect(shownText({ ...FC, features: [], total: 0 })).toBe("地图显示全部 0 户"));
});

describe("pointsBounds", () => {
  it("spans the located points", () => expect(pointsBounds(FC)).toEqual([113.75, 23.02, 113.77, 23.04]));
  it("null without any", () => expect(pointsBounds({ ...FC, features: [point("C", null)] })).toBeNull());
});

describe("fitBounds", () => {
  const polygon = { type: "Polygon", coordinates: [[[113.74, 23.03], [113.76, 23.03], [113.76, 23.05], [113.74, 23.03]]] };
  it("spans the results and the drawn polygon", () => expect(fitBounds(FC, { polygon })).toEqual([113.74, 23.02, 113.77, 23.05]));
  it("the area alone before the results", () => expect(fitBounds(null, { polygon })).toEqual([113.74, 23.03, 113.76, 23.05]));
  it("nothing to fit", () => expect(fitBounds(null, { status: "active" })).toBeNull());
});

describe("the area", () => {
  it("a buffer's circle lies at its radius from the centre", () => {
    const g = bufferCircle({ lon: 113.75, lat: 23.04, radius_m: 500 });
    const ring = (g.coordinates as number[][][])[0]!;
    expect(ring).toHaveLength(65);
    // Metres per degree at 23°N: 111,320 × cos(lat) east-west, about 110,700 north-south.
    const metres = ring.map(([x, y]) => Math.hypot((x! - 113.75) * 111320 * Math.cos((23.04 * Math.PI) / 180), (y! - 23.04) * 110700));
    for (const m of metres) expect(Math.abs(m - 500)).toBeLessThan(5);
  });
  it("areaFeatures outlines the polygon and the buffer", () => {
    const polygon = { type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] };
    expect(areaFeatures({ polygon, near: { lon: 113.75, lat: 23.04, radius_m: 100 } }).map((f) => [f.properties.role, f.geometry.type]))
      .toEqual([["polygon", "Polygon"], ["buffer", "Polygon"]]);
    expect(areaFeatures({ kind: "enterprise" })).toEqual([]);
  });
});

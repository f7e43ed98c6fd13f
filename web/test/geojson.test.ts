import { describe, expect, it } from "vitest";
import { bbox, labelPoint, roundGeometry } from "../src/geojson";

const square = { type: "Polygon", coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] };

describe("geojson", () => {
  it("bbox", () => expect(bbox(square)).toEqual([0, 0, 2, 2]));
  it("bbox of a point is null", () => expect(bbox({ type: "Point", coordinates: [1, 2] })).toBeNull());
  it("labelPoint is the centroid of the largest part", () => {
    const multi = { type: "MultiPolygon", coordinates: [[[[10, 10], [10.1, 10], [10.1, 10.1], [10, 10]]], square.coordinates] };
    expect(labelPoint(multi)).toEqual([1, 1]);
  });
  it("rounds to 6 decimals", () => {
    expect(roundGeometry({ type: "Point", coordinates: [113.12345678, 22.987654321] }).coordinates).toEqual([113.123457, 22.987654]);
  });
});

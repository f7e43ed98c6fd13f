import { describe, expect, it } from "vitest";
import { DEFAULT_STOPS, gradientCSS, legendClasses, rampStops } from "../src/legend";

// The fill-color of coverage-hex-fill in /tiles/style.json.
const ramp = ["interpolate", ["linear"], ["get", "coverage"], 0, "#d7191c", 0.25, "#fdae61", 0.5, "#ffffbf", 0.75, "#a6d96a", 1, "#1a9641"];

describe("rampStops", () => {
  it("reads the style's ramp", () => expect(rampStops(ramp)).toEqual(DEFAULT_STOPS));
  it("refuses another field", () => expect(rampStops(ramp, "entities")).toEqual([]));
  it("refuses a non-ramp", () => expect(rampStops("#ff0000")).toEqual([]));
});

describe("legendClasses", () => {
  it("labels stops as percentages, red at 0%", () => {
    const c = legendClasses(DEFAULT_STOPS);
    expect(c[0]).toEqual({ color: "#d7191c", label: "0%" });
    expect(c[4]).toEqual({ color: "#1a9641", label: "100%" });
  });
});

describe("gradientCSS", () => {
  it("spreads the stops from 0% to 100%", () => {
    expect(gradientCSS(DEFAULT_STOPS)).toBe(
      "linear-gradient(to right, #d7191c 0%, #fdae61 25%, #ffffbf 50%, #a6d96a 75%, #1a9641 100%)",
    );
  });
});

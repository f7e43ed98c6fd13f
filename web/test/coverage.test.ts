import { describe, expect, it } from "vitest";
import { coverageTileURL, filterParams, validFilter, NO_FILTER } from "../src/coverage";

const T = "http://127.0.0.1:18092/tiles/coverage_hex,coverage_grid,coverage_heat/{z}/{x}/{y}.mvt";

describe("coverageTileURL", () => {
  it("leaves the defaults out", () => {
    expect(coverageTileURL(T, NO_FILTER)).toBe(T);
  });
  it("adds window, town and industry, keeping {z}/{x}/{y} as they are", () => {
    expect(coverageTileURL(T, { window: 90, town: "441900118", industry: "F" })).toBe(
      `${T}?window=90&town=441900118&industry=F`,
    );
  });
  it("replaces a filter already on the URL and keeps other parameters", () => {
    const before = `${T}?window=90&kind=individual&town=441900003`;
    expect(coverageTileURL(before, { window: 365, town: "", industry: "C" })).toBe(`${T}?kind=individual&window=365&industry=C`);
  });
});

describe("filterParams", () => {
  it("gives only what differs from the defaults", () => {
    expect(filterParams({ window: 180, town: "", industry: "A" }).toString()).toBe("industry=A");
  });
});

describe("validFilter", () => {
  const cases: [string, Parameters<typeof validFilter>[0], boolean][] = [
    ["default", NO_FILTER, true],
    ["window too long", { ...NO_FILTER, window: 2000 }, false],
    ["town of 6 digits", { ...NO_FILTER, town: "441900" }, false],
    ["industry U", { ...NO_FILTER, industry: "U" }, false],
    ["all set", { window: 90, town: "441900003", industry: "T" }, true],
  ];
  for (const [name, f, want] of cases) it(name, () => expect(validFilter(f)).toBe(want));
});

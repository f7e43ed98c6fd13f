import { describe, expect, it } from "vitest";
import { addMonths, beijingMonth, defaultPeriod, isDefault, monthLabel, monthsBetween, periodLabel, previousPeriod, readPeriod } from "../src/period";

describe("beijingMonth", () => {
  it("is the month in Beijing, not in UTC", () => {
    // 2026-02-28T17:00Z is 2026-03-01 01:00 in Beijing.
    expect(beijingMonth(new Date("2026-02-28T17:00:00Z"))).toBe("2026-03");
    expect(beijingMonth(new Date("2026-02-28T15:59:59Z"))).toBe("2026-02");
  });
});

describe("addMonths", () => {
  const cases: [string, number, string][] = [
    ["2026-03", -11, "2025-04"],
    ["2026-01", -1, "2025-12"],
    ["2025-12", 1, "2026-01"],
    ["2026-03", 0, "2026-03"],
    ["2026-03", -27, "2023-12"],
  ];
  for (const [m, n, want] of cases) it(`${m} ${n}`, () => expect(addMonths(m, n)).toBe(want));
  it("refuses a non-month", () => expect(() => addMonths("2026-13", 1)).toThrow());
});

describe("defaultPeriod", () => {
  it("is the 12 months ending with the current month in Beijing", () =>
    expect(defaultPeriod(new Date("2026-02-28T17:00:00Z"))).toEqual({ from: "2025-04", to: "2026-03" }));
  it("across a new year", () => expect(defaultPeriod(new Date("2026-01-15T00:00:00Z"))).toEqual({ from: "2025-02", to: "2026-01" }));
  it("holds 12 months", () => expect(monthsBetween(defaultPeriod(new Date("2026-07-01T00:00:00Z")))).toBe(12));
});

describe("readPeriod", () => {
  const now = new Date("2026-03-10T00:00:00Z");
  it("takes a good period", () => expect(readPeriod("2025-01", "2025-06", now)).toEqual({ from: "2025-01", to: "2025-06" }));
  it("defaults a missing end alone", () => expect(readPeriod("2025-09", null, now)).toEqual({ from: "2025-09", to: "2026-03" }));
  it("defaults malformed months", () => expect(readPeriod("2025-13", "march", now)).toEqual({ from: "2025-04", to: "2026-03" }));
  it("defaults a reversed range", () => expect(readPeriod("2026-02", "2025-02", now)).toEqual({ from: "2025-04", to: "2026-03" }));
  it("isDefault", () => {
    expect(isDefault({ from: "2025-04", to: "2026-03" }, now)).toBe(true);
    expect(isDefault({ from: "2025-05", to: "2026-03" }, now)).toBe(false);
  });
});

describe("previousPeriod", () => {
  it("is as long and just before", () => expect(previousPeriod({ from: "2025-04", to: "2026-03" })).toEqual({ from: "2024-04", to: "2025-03" }));
  it("one month", () => expect(previousPeriod({ from: "2026-01", to: "2026-01" })).toEqual({ from: "2025-12", to: "2025-12" }));
});

describe("labels", () => {
  it("monthLabel", () => expect(monthLabel("2026-03")).toBe("2026年3月"));
  it("periodLabel", () => expect(periodLabel({ from: "2025-04", to: "2026-03" })).toBe("2025年4月至2026年3月"));
  it("one month", () => expect(periodLabel({ from: "2026-03", to: "2026-03" })).toBe("2026年3月"));
});

import { describe, expect, it } from "vitest";
import { ago, count, date, dateTime, labelled, percent, rate, score, signed } from "../src/format";

describe("format", () => {
  it("percent", () => {
    expect(labelled("覆盖率", percent(0.734))).toBe("覆盖率 73%");
    expect(percent(1)).toBe("100%");
    expect(percent(null)).toBe("—");
  });
  it("count groups thousands", () => expect(count(68341)).toBe("68,341"));
  it("date is the day in Beijing", () => {
    // 2026-02-19T20:00Z is 2026-02-20 04:00 in Beijing
    expect(date("2026-02-19T20:00:00Z")).toBe("2026年2月20日");
    expect(date(1771531200)).toBe("2026年2月20日"); // Unix seconds, 2026-02-19T20:00Z
    expect(date("2011-03-18")).toBe("2011年3月18日");
    expect(date(null)).toBe("—");
  });
  it("dateTime in Beijing", () => expect(dateTime("2026-02-20T10:02:12+08:00")).toBe("2026-02-20 10:02"));
  it("ago", () => {
    const now = new Date("2026-03-01T00:00:00Z");
    expect(ago(null, now)).toBe("从未");
    expect(ago("2026-02-20T00:00:00Z", now)).toBe("9 天前");
    expect(ago("2026-03-01T00:00:00Z", now)).toBe("今天");
  });
  it("score", () => expect(score(0.7)).toBe("0.70"));
});

describe("rates and changes", () => {
  it("rate keeps one decimal", () => {
    expect(rate(0.7345)).toBe("73.5%");
    expect(rate(0)).toBe("0%");
    expect(rate(null)).toBe("—");
  });
  it("signed", () => {
    expect([signed(12), signed(-3), signed(0), signed(12345), signed(undefined)]).toEqual(["+12", "-3", "0", "+12,345", "—"]);
  });
});

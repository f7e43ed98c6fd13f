import { describe, expect, it } from "vitest";
import {
  COMPLAINT_COLUMNS, DEPARTMENT_COLUMNS, INDUSTRY_COLUMNS, areaColumns, areaQuery, areasPath, cellText, complaintRows, coverageColor, coverageOption,
  drillInto, entitiesOption, flagsOption, flowsByParty, industriesOption, levelOf, sankeyHeight, sankeyOption, taskRatesOption, trendOption,
  type AreaStats, type ComplaintArea, type DepartmentStats, type IndustryStats, type LeadFlow, type TaskStats,
} from "../src/stats";

function tasks(pushed: number, received: number, answered: number, closed: number, overdue: number): TaskStats {
  const share = (n: number): number | null => (pushed === 0 ? null : n / pushed);
  return {
    pushed, received, answered, closed, returned: 0, overdue, open: pushed - closed,
    received_rate: share(received), answer_rate: share(answered), close_rate: share(closed), overdue_rate: share(overdue),
  };
}

function area(code: string, name: string, over: Partial<AreaStats> = {}): AreaStats {
  return {
    code, name,
    entities: { total: 120, active: 100, cancelled: 15, revoked: 5, by_kind: { enterprise: 60, individual: 38, cooperative: 2 }, by_industry: { F: 40, H: 20 } },
    new_registrations: 12,
    tasks: tasks(40, 36, 30, 25, 4),
    inspections: { count: 80, active_entities: 100, covered: 64, coverage_rate: 0.64 },
    flags: { open: 7, confirmed: 2, dismissed: 1, resolved: 0, by_kind: { dormant: 3, off_site: 4, not_found: 0 } },
    complaints: { count: 9, complaints: 5, reports: 2, letters: 2 },
    ...over,
  };
}

const TOWNS: AreaStats[] = [
  area("441900003", "东城街道"),
  area("441900118", "厚街镇", {
    tasks: tasks(0, 0, 0, 0, 0),
    inspections: { count: 0, active_entities: 0, covered: 0, coverage_rate: null },
    entities: { total: 10, active: 8, cancelled: 2, revoked: 0, by_kind: { individual: 8 }, by_industry: {} },
  }),
  area("", "未关联", { entities: { total: 3, active: 3, cancelled: 0, revoked: 0, by_kind: { enterprise: 3 }, by_industry: {} } }),
];

describe("drill-down", () => {
  const cases: [string, { town?: string; village?: string }, string, string, { town?: string; village?: string } | null][] = [
    ["the city's towns", {}, "town", "/v1/stats/towns", { town: "441900003" }],
    ["a town's villages", { town: "441900003" }, "village", "/v1/stats/towns/441900003/villages", { town: "441900003", village: "441900003001" }],
    ["a village's grids", { town: "441900003", village: "441900003001" }, "grid", "/v1/stats/villages/441900003001/grids", null],
  ];
  const clicked: Record<string, string> = { town: "441900003", village: "441900003001", grid: "441900003001001" };
  for (const [name, d, level, path, into] of cases) {
    it(name, () => {
      expect(levelOf(d)).toBe(level);
      expect(areasPath(d)).toBe(path);
      expect(drillInto(d, clicked[level]!)).toEqual(into);
    });
  }
  it("the entities not linked to a town cannot be opened", () => expect(drillInto({}, "")).toBeNull());
  it("trend and hot spots ask for the same area", () => {
    expect(areaQuery({})).toEqual({});
    expect(areaQuery({ town: "441900003", village: "441900003001" })).toEqual({ town: "441900003", village: "441900003001" });
  });
});

describe("entitiesOption", () => {
  const o = entitiesOption(TOWNS) as { xAxis: { data: string[] }; series: { name: string; stack: string; data: number[] }[] };
  it("one bar per area, the unlinked ones named", () => expect(o.xAxis.data).toEqual(["东城街道", "厚街镇", "未关联"]));
  it("stacked by kind, in the areas' order, missing kinds as 0", () => {
    expect(o.series.map((s) => [s.name, s.stack, s.data])).toEqual([
      ["企业", "kind", [60, 0, 3]],
      ["个体工商户", "kind", [38, 8, 0]],
      ["农民专业合作社", "kind", [2, 0, 0]],
    ]);
  });
  it("leaves out a kind no area has", () => {
    const only = entitiesOption([TOWNS[1]!]) as { series: { name: string }[] };
    expect(only.series.map((s) => s.name)).toEqual(["个体工商户"]);
  });
});

describe("taskRatesOption", () => {
  const o = taskRatesOption(TOWNS) as { series: { name: string; data: (number | null)[] }[]; yAxis: { max: number } };
  it("the four rates", () => expect(o.series.map((s) => s.name)).toEqual(["接收率", "反馈率", "办结率", "逾期率"]));
  it("shares of the tasks pushed, none where nothing was pushed", () => {
    expect(o.series[0]!.data).toEqual([0.9, null, 0.9]);
    expect(o.series[3]!.data).toEqual([0.1, null, 0.1]);
  });
  it("on a 0..1 axis", () => expect(o.yAxis.max).toBe(1));
});

describe("coverage", () => {
  it("coverageColor takes the class at or below the rate", () => {
    expect([0, 0.1, 0.25, 0.64, 0.8, 1].map((v) => coverageColor(v))).toEqual(["#d7191c", "#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]);
    expect(coverageColor(null)).toBe("#bdbdbd");
  });
  it("coverageOption keeps an area with no active entities empty", () => {
    const o = coverageOption(TOWNS) as { series: { data: { value: number | null; itemStyle: { color: string } }[] }[] };
    // The pale middle of the ramp needs an outline on white.
    expect(o.series[0]!.data.map((d) => [d.value, d.itemStyle.color])).toEqual([[0.64, "#ffffbf"], [null, "#bdbdbd"], [0.64, "#ffffbf"]]);
  });
});

describe("flagsOption", () => {
  const o = flagsOption({ dormant: 3, off_site: 4, not_found: 0, cluster_registration: 9 }) as {
    yAxis: { data: string[] }; series: { data: number[] }[];
  };
  it("the most at the top (the last category), none of a kind left out", () => {
    expect(o.yAxis.data).toEqual(["长期未经营", "异地经营", "集群注册"]);
    expect(o.series[0]!.data).toEqual([3, 4, 9]);
  });
  it("no flags", () => expect((flagsOption(null) as { series: { data: number[] }[] }).series[0]!.data).toEqual([]));
});

function industry(code: string, name: string, complaints: number, letters: number, previous: number, extra: Partial<IndustryStats> = {}): IndustryStats {
  return {
    industry: code, name, entities: 1000, new_registrations: 50, complaints, letters, per_10k: complaints * 10,
    rank: 0, previous_complaints: previous, previous_rank: null, change: complaints - previous, ...extra,
  };
}

const INDUSTRIES = [
  industry("F", "批发和零售业", 120, 4, 100),
  industry("H", "住宿和餐饮业", 80, 9, 95),
  industry("C", "制造业", 30, 12, 30),
  industry("K", "房地产业", 0, 3, 2),
];

type Bars = { yAxis: { data: string[] }; legend: { show?: boolean }; series: { name: string; data: unknown[]; label?: { formatter: (p: unknown) => string } }[] };

describe("industriesOption", () => {
  it("complaints: the most at the top, with the previous period beside", () => {
    const o = industriesOption(INDUSTRIES, "complaints") as Bars;
    expect(o.yAxis.data).toEqual(["制造业", "住宿和餐饮业", "批发和零售业"]);
    expect(o.series.map((s) => s.name)).toEqual(["上期", "本期"]);
    expect(o.series[0]!.data).toEqual([30, 95, 100]);
  });
  it("labels each bar with its change", () => {
    const o = industriesOption(INDUSTRIES, "complaints") as Bars;
    const now = o.series[1]!;
    const labels = now.data.map((d) => now.label!.formatter({ value: (d as { value: number }).value, data: d }));
    expect(labels).toEqual(["30（0）", "80（-15）", "120（+20）"]);
  });
  it("letters: the previous period only when the server sends it", () => {
    const o = industriesOption(INDUSTRIES, "letters") as Bars;
    expect(o.yAxis.data).toEqual(["房地产业", "批发和零售业", "住宿和餐饮业", "制造业"]);
    expect(o.series.map((s) => s.name)).toEqual(["本期"]);
    expect(o.legend.show).toBe(false);
    const withPrevious = industriesOption(INDUSTRIES.map((i) => ({ ...i, previous_letters: 5 })), "letters") as Bars;
    const now = withPrevious.series[1]!;
    expect(now.label!.formatter({ value: 12, data: now.data[3] })).toBe("12（+7）");
  });
  it("the top ten", () => {
    const many = Array.from({ length: 15 }, (_, i) => industry(String.fromCharCode(65 + i), `行业${i}`, i + 1, 0, 0));
    expect((industriesOption(many, "complaints") as Bars).yAxis.data).toHaveLength(10);
  });
});

describe("complaint hot spots", () => {
  const areas: ComplaintArea[] = [
    { code: "441900003", name: "东城街道", complaints: 10, letters: 1, top_industries: [{ industry: "F", count: 6 }, { industry: "H", count: 3 }], previous_complaints: 12, change: -2 },
    { code: "441900118", name: "厚街镇", complaints: 30, letters: 5, top_industries: [], previous_complaints: 20, change: 10 },
  ];
  it("the most first", () => expect(complaintRows(areas).map((a) => a.code)).toEqual(["441900118", "441900003"]));
  it("the table names the top industries and signs the change", () => {
    const row = COMPLAINT_COLUMNS.map((c) => cellText(c.kind, c.value(areas[0]!)));
    expect(row).toEqual(["东城街道", "10", "1", "12", "-2", "批发和零售业 6、住宿和餐饮业 3"]);
  });
});

describe("trendOption", () => {
  it("registrations, cancellations, and the active on a second axis", () => {
    const o = trendOption([
      { month: "2026-01", registrations: 30, cancellations: 4, active_end: 1000, tasks_pushed: 0, tasks_closed: 0, inspections: 0, flags_raised: 0, complaints: 0 },
      { month: "2026-02", registrations: 12, cancellations: 9, active_end: 1003, tasks_pushed: 0, tasks_closed: 0, inspections: 0, flags_raised: 0, complaints: 0 },
    ]) as { xAxis: { data: string[] }; series: { name: string; data: number[]; yAxisIndex?: number }[] };
    expect(o.xAxis.data).toEqual(["2026-01", "2026-02"]);
    expect(o.series.map((s) => [s.name, s.data, s.yAxisIndex ?? 0])).toEqual([
      ["新登记", [30, 12], 0], ["注销", [4, 9], 0], ["月末在营", [1000, 1003], 1],
    ]);
  });
});

describe("nothing to show is not zero", () => {
  it("a month whose active entities the server cannot tell leaves a gap in the line", () => {
    const m = { month: "2026-01", registrations: 3, cancellations: 1, active_end: null, tasks_pushed: 0, tasks_closed: 0, inspections: 0, flags_raised: 0, complaints: 0 };
    const o = trendOption([m]) as { series: { data: (number | null)[] }[] };
    expect(o.series[2]!.data).toEqual([null]);
  });
  it("an industry without a previous rank", () => {
    const col = INDUSTRY_COLUMNS.find((c) => c.label === "上期排名")!;
    expect(cellText(col.kind, col.value(industry("K", "房地产业", 3, 0, 0, { previous_rank: 0 })))).toBe("—");
    expect(cellText(col.kind, col.value(industry("K", "房地产业", 3, 0, 0, { previous_rank: 4 })))).toBe("4");
  });
});

describe("lead flows", () => {
  const flows: LeadFlow[] = [
    { from: "amr_food", to: "health", count: 12, open: 2, closed: 10 },
    { from: "health", to: "amr_food", count: 5, open: 0, closed: 5 },
    { from: "12345", to: "coordination", count: 7, open: 7, closed: 0 },
    { from: "police", to: "health", count: 0, open: 0, closed: 0 },
    // A town's grids hand leads on: one party, the town's.
    { from: "441900003001001", to: "amr_food", count: 4, open: 1, closed: 3 },
    { from: "441900003002004", to: "amr_food", count: 6, open: 0, closed: 6 },
    { from: "441900118003001", to: "amr_food", count: 2, open: 0, closed: 2 },
    // Or the server counts each kind of area as one source.
    { from: "grid", to: "health", count: 1, open: 1, closed: 0 },
  ];
  const depts = { amr_food: "市场监管局（食品）", health: "卫生健康局", police: "公安局" };
  const towns: Record<string, string> = { "441900003": "东城街道" };
  const parties = flowsByParty(flows, depts, (c) => towns[c]);
  it("adds up a town's grids, names the parties, the most first, none of no leads", () => {
    expect(parties).toEqual([
      { from: "市场监管局（食品）", to: "卫生健康局", count: 12, open: 2, closed: 10 },
      { from: "东城街道网格", to: "市场监管局（食品）", count: 10, open: 1, closed: 9 },
      { from: "12345", to: "协调中心", count: 7, open: 7, closed: 0 },
      { from: "卫生健康局", to: "市场监管局（食品）", count: 5, open: 0, closed: 5 },
      { from: "441900118网格", to: "市场监管局（食品）", count: 2, open: 0, closed: 2 },
      { from: "网格", to: "卫生健康局", count: 1, open: 1, closed: 0 },
    ]);
  });
  const s = (sankeyOption(parties) as { series: { data: { name: string }[]; links: { source: string; target: string; value: number }[] }[] }).series[0]!;
  it("senders and receivers are separate nodes, so flows both ways make no cycle", () => {
    expect(s.links.slice(0, 1)).toEqual([{ source: "市场监管局（食品）（发）", target: "卫生健康局（收）", value: 12 }]);
    for (const l of s.links) {
      expect(l.source.endsWith("（发）")).toBe(true);
      expect(l.target.endsWith("（收）")).toBe(true);
    }
    expect(s.links).toContainEqual({ source: "卫生健康局（发）", target: "市场监管局（食品）（收）", value: 5 });
  });
  it("one node per name", () => {
    const names = s.data.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(9);
  });
  it("room for the busier side's labels", () => {
    expect(sankeyHeight(parties)).toBe(320);
    const many = Array.from({ length: 36 }, (_, i) => ({ from: `镇${i}网格`, to: "协调中心", count: 1, open: 0, closed: 1 }));
    expect(sankeyHeight(many)).toBe(720);
  });
});

describe("cellText", () => {
  const cases: [Parameters<typeof cellText>[0], unknown, string][] = [
    ["count", 1234567, "1,234,567"],
    ["count", null, "—"],
    ["rate", 0.7345, "73.5%"],
    ["rate", 1, "100%"],
    ["rate", null, "—"],
    ["days", 3.25, "3.3 天"],
    ["days", null, "—"],
    ["change", 12, "+12"],
    ["change", -1200, "-1,200"],
    ["change", 0, "0"],
    ["text", "", "—"],
    ["text", "东城街道", "东城街道"],
  ];
  for (const [kind, v, want] of cases) it(`${kind} ${String(v)}`, () => expect(cellText(kind, v as never)).toBe(want));
});

describe("tables", () => {
  it("an area's row", () => {
    const row = areaColumns("town").map((c) => cellText(c.kind, c.value(TOWNS[0]!)));
    expect(row).toEqual(["东城街道", "120", "100", "15", "5", "12", "40", "90%", "75%", "62.5%", "10%", "80", "64%", "7", "2", "1", "7", "2"]);
  });
  it("an area where nothing was pushed shows no rates", () => {
    const cols = areaColumns("village");
    expect(cols[0]!.label).toBe("村（社区）");
    const rates = cols.filter((c) => c.kind === "rate").map((c) => cellText(c.kind, c.value(TOWNS[1]!)));
    expect(rates).toEqual(["—", "—", "—", "—", "—"]);
  });
  it("a department's row", () => {
    const d: DepartmentStats = { code: "health", name: "卫生健康局", tasks: tasks(200, 190, 150, 120, 30), median_answer_days: 2.5, leads: { received: 17, sent: 5, open: 2, closed: 15 } };
    expect(DEPARTMENT_COLUMNS.map((c) => cellText(c.kind, c.value(d)))).toEqual(
      ["卫生健康局", "200", "190", "150", "120", "30", "95%", "75%", "60%", "15%", "2.5 天", "17", "5", "2"]);
  });
});

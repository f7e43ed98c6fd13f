// The statistics screen's logic, kept out of the DOM: the answers of
// /v1/stats/*, where a drill-down (city → town → village → grid) asks,
// the ECharts options of each chart and the columns of each table.
// ECharts is imported for its types only; views/stats.ts draws.

import type { BarSeriesOption, LineSeriesOption, SankeySeriesOption } from "echarts/charts";
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from "echarts/components";
import type { ComposeOption } from "echarts/core";
import { count, rate, signed } from "./format";
import { industryName } from "./industries";
import { DEFAULT_STOPS, type Stop } from "./legend";
import { ENTITY_KIND, FLAG_KINDS, nameOf } from "./names";
import type { Period } from "./period";

/** ChartOption is an ECharts option built of the charts and components the console registers (charts.ts). */
export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | SankeySeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>;

// The answers (see the statistics API). Counts the server leaves out read as 0,
// rates it leaves out as null.

export interface TaskStats {
  pushed: number;
  received: number;
  answered: number;
  closed: number;
  returned: number;
  overdue: number;
  open: number;
  /** shares of pushed, 0..1; null when nothing was pushed */
  received_rate: number | null;
  answer_rate: number | null;
  close_rate: number | null;
  overdue_rate: number | null;
}

export interface AreaStats {
  code: string;
  name: string;
  entities: {
    total: number;
    active: number;
    cancelled: number;
    revoked: number;
    by_kind: Record<string, number>;
    by_industry: Record<string, number>;
  };
  new_registrations: number;
  tasks: TaskStats;
  inspections: { count: number; active_entities: number; covered: number; coverage_rate: number | null };
  flags: { open: number; confirmed: number; dismissed: number; resolved: number; by_kind: Record<string, number> };
  complaints: { count: number; complaints: number; reports: number; letters: number };
}

interface Answer {
  /** when the rollups the answer read were last refreshed (RFC 3339) */
  as_of: string;
  period: Period;
}

export interface AreasAnswer extends Answer {
  total: AreaStats;
  items: AreaStats[];
}

export interface DepartmentStats {
  code: string;
  name: string;
  tasks: TaskStats;
  median_answer_days: number | null;
  leads: { received: number; sent: number; open: number; closed: number };
}

export interface DepartmentsAnswer extends Answer {
  items: DepartmentStats[];
}

export interface TrendMonth {
  month: string;
  registrations: number;
  cancellations: number;
  /** estimated; null where the server cannot tell */
  active_end: number | null;
  tasks_pushed: number;
  tasks_closed: number;
  inspections: number;
  flags_raised: number;
  complaints: number;
}

export interface TrendAnswer extends Answer {
  area: { code: string; name: string };
  months: TrendMonth[];
}

export interface IndustryStats {
  industry: string;
  name: string;
  entities: number;
  new_registrations: number;
  /** 投诉举报: complaints and reports (12345, 12315) */
  complaints: number;
  /** 信访: letters and visits */
  letters: number;
  per_10k: number | null;
  rank: number;
  previous_complaints: number;
  previous_rank: number | null;
  change: number;
  /** not in the contract; shown when the server sends it */
  previous_letters?: number;
}

export interface IndustriesAnswer extends Answer {
  previous: Period;
  items: IndustryStats[];
}

export interface ComplaintArea {
  code: string;
  name: string;
  complaints: number;
  letters: number;
  top_industries: { industry: string; count: number }[];
  previous_complaints: number;
  change: number;
}

export interface ComplaintsAnswer extends Answer {
  level: "town" | "village";
  items: ComplaintArea[];
}

export interface LeadFlow {
  /** a department's code, or the name of a source (12345, …) */
  from: string;
  /** a department's code, or "coordination" */
  to: string;
  count: number;
  open: number;
  closed: number;
}

export interface LeadsAnswer extends Answer {
  flows: LeadFlow[];
  departments: Record<string, string>;
}

// Where a drill-down asks.

/** Drill is where the screen stands: the city, a town, or a village of a town. */
export interface Drill {
  town?: string;
  village?: string;
}

/** Level is what the rows of the area table are. */
export type Level = "town" | "village" | "grid";

export const LEVEL_NAMES: Record<Level, string> = { town: "镇街", village: "村（社区）", grid: "网格" };

/** levelOf gives what a drill's rows are: the towns of the city, the villages of a town, the grids of a village. */
export function levelOf(d: Drill): Level {
  if (d.village) return "grid";
  if (d.town) return "village";
  return "town";
}

/** areasPath is the endpoint of a drill's area table. */
export function areasPath(d: Drill): string {
  if (d.village) return `/v1/stats/villages/${encodeURIComponent(d.village)}/grids`;
  if (d.town) return `/v1/stats/towns/${encodeURIComponent(d.town)}/villages`;
  return "/v1/stats/towns";
}

/** areaQuery is the town and village of the trend and industry endpoints for a drill. */
export function areaQuery(d: Drill): { town?: string; village?: string } {
  const q: { town?: string; village?: string } = {};
  if (d.town) q.town = d.town;
  if (d.village) q.village = d.village;
  return q;
}

/**
 * drillInto gives the drill of a clicked row: a town's villages, a
 * village's grids. Grids are the bottom, and the entities not linked to
 * an area (code "") cannot be opened: null for those.
 */
export function drillInto(d: Drill, code: string): Drill | null {
  if (!code) return null;
  switch (levelOf(d)) {
    case "town":
      return { town: code };
    case "village":
      return { town: d.town!, village: code };
    case "grid":
      return null;
  }
}

// Numbers as they come: a missing count is 0, a missing rate null.

function n(v: number | null | undefined): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

function r(v: number | null | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** areaName names an area for a chart's axis: the unlinked entities' item is "未关联". */
export function areaName(a: { code: string; name: string }): string {
  return a.name || (a.code ? a.code : "未关联");
}

const KIND_COLORS: Record<string, string> = { enterprise: "#1f3a93", individual: "#4f8fd9", cooperative: "#8cc084" };
const KINDS = ["enterprise", "individual", "cooperative"];

const countFormatter = (v: unknown): string => count(typeof v === "number" ? v : null);
const rateFormatter = (v: unknown): string => rate(typeof v === "number" ? v : null);
const percentAxis = (v: number): string => `${Math.round(v * 100)}%`;

/** categoryAxis is the x axis of bars by area: every name shown, slanted when there are many, upright when there are very many. */
function categoryAxis(names: string[]) {
  return {
    type: "category" as const,
    data: names,
    axisLabel: { interval: 0, rotate: names.length > 24 ? 90 : names.length > 12 ? 45 : 0, fontSize: names.length > 24 ? 10 : 11 },
    axisTick: { alignWithLabel: true },
  };
}

const GRID = { left: 56, right: 24, top: 40, bottom: 24, containLabel: true };

/** entitiesOption: the active entities of each area, stacked by kind. */
export function entitiesOption(items: AreaStats[]): ChartOption {
  const kinds = KINDS.filter((k) => items.some((a) => n(a.entities?.by_kind?.[k]) > 0));
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: countFormatter },
    legend: { top: 0 },
    grid: GRID,
    xAxis: categoryAxis(items.map(areaName)),
    yAxis: { type: "value", axisLabel: { formatter: countFormatter } },
    series: kinds.map((k) => ({
      type: "bar" as const,
      name: nameOf(ENTITY_KIND, k),
      stack: "kind",
      itemStyle: { color: KIND_COLORS[k] ?? "#999" },
      emphasis: { focus: "series" as const },
      data: items.map((a) => n(a.entities?.by_kind?.[k])),
    })),
  };
}

/** trendOption: registrations and cancellations by month, with the active entities at month end on a second axis. */
export function trendOption(months: TrendMonth[]): ChartOption {
  return {
    tooltip: { trigger: "axis", valueFormatter: countFormatter },
    legend: { top: 0 },
    grid: { ...GRID, right: 64 },
    xAxis: { type: "category", data: months.map((m) => m.month), boundaryGap: false },
    yAxis: [
      { type: "value", name: "户数", axisLabel: { formatter: countFormatter } },
      { type: "value", name: "在营", axisLabel: { formatter: countFormatter }, splitLine: { show: false }, scale: true },
    ],
    series: [
      { type: "line", name: "新登记", data: months.map((m) => n(m.registrations)), itemStyle: { color: "#1f3a93" }, symbolSize: 6 },
      { type: "line", name: "注销", data: months.map((m) => n(m.cancellations)), itemStyle: { color: "#b2182b" }, symbolSize: 6 },
      { type: "line", name: "月末在营", yAxisIndex: 1, data: months.map((m) => r(m.active_end)), itemStyle: { color: "#8c8c8c" },
        lineStyle: { type: "dashed" }, symbol: "none" },
    ],
  };
}

/** TASK_RATES are the task rates compared by area, as the table names them. */
export const TASK_RATES: ReadonlyArray<{ key: "received_rate" | "answer_rate" | "close_rate" | "overdue_rate"; label: string; color: string }> = [
  { key: "received_rate", label: "接收率", color: "#4f8fd9" },
  { key: "answer_rate", label: "反馈率", color: "#1f3a93" },
  { key: "close_rate", label: "办结率", color: "#1a9641" },
  { key: "overdue_rate", label: "逾期率", color: "#b2182b" },
];

/** taskRatesOption: received, answered, closed and overdue as shares of the tasks pushed, by area (no bar where none were pushed). */
export function taskRatesOption(items: { name: string; code: string; tasks: TaskStats }[]): ChartOption {
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: rateFormatter },
    legend: { top: 0 },
    grid: GRID,
    xAxis: categoryAxis(items.map(areaName)),
    yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: percentAxis } },
    series: TASK_RATES.map((t) => ({
      type: "bar" as const,
      name: t.label,
      itemStyle: { color: t.color },
      data: items.map((a) => r(a.tasks?.[t.key])),
    })),
  };
}

/** coverageColor is the colour of a coverage rate, from the coverage map's ramp (the class at or below it). */
export function coverageColor(v: number | null, stops: Stop[] = DEFAULT_STOPS): string {
  if (v == null || stops.length === 0) return "#bdbdbd";
  let c = stops[0]!.color;
  for (const s of stops) if (v >= s.value) c = s.color;
  return c;
}

/** coverageOption: the share of active entities inspected within the period, by area, coloured as on the coverage map. */
export function coverageOption(items: AreaStats[]): ChartOption {
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: rateFormatter },
    grid: { ...GRID, top: 16 },
    xAxis: categoryAxis(items.map(areaName)),
    yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: percentAxis } },
    series: [{
      type: "bar",
      name: "检查覆盖率",
      data: items.map((a) => {
        const v = r(a.inspections?.coverage_rate);
        return { value: v, itemStyle: { color: coverageColor(v), borderColor: "#8c8c8c", borderWidth: 0.5 } };
      }),
    }],
  };
}

/** flagsOption: the open flags of an area by kind, the most first. */
export function flagsOption(byKind: Record<string, number> | null | undefined): ChartOption {
  const rows = Object.entries(byKind ?? {}).filter(([, v]) => n(v) > 0).sort((a, b) => n(b[1]) - n(a[1]) || a[0].localeCompare(b[0]));
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: countFormatter },
    grid: { ...GRID, top: 8 },
    // The most at the top: a category y axis draws its first category at the bottom.
    yAxis: { type: "category", data: rows.map(([k]) => nameOf(FLAG_KINDS, k)).reverse() },
    xAxis: { type: "value", axisLabel: { formatter: countFormatter } },
    series: [{ type: "bar", name: "待处理预警", itemStyle: { color: "#d7301f" }, data: rows.map(([, v]) => n(v)).reverse(),
      label: { show: true, position: "right", formatter: (p: { value?: unknown }) => countFormatter(p.value) } }],
  };
}

/** HOT_SPOTS is how many industries the hot-spot charts show. */
export const HOT_SPOTS = 10;

/**
 * industriesOption: the industries with the most complaints and reports
 * (投诉举报热点行业) or letters (信访事件易发行业) in the period, with the
 * previous period beside them and the change at the end of each bar. The
 * previous period's letters are shown only if the server sends them.
 */
export function industriesOption(items: IndustryStats[], measure: "complaints" | "letters", top = HOT_SPOTS): ChartOption {
  const rows = [...items]
    .filter((i) => n(i[measure]) > 0)
    .sort((a, b) => n(b[measure]) - n(a[measure]) || a.industry.localeCompare(b.industry))
    .slice(0, top)
    .reverse();
  const previous = (i: IndustryStats): number | null =>
    measure === "complaints" ? n(i.previous_complaints) : typeof i.previous_letters === "number" ? i.previous_letters : null;
  const hasPrevious = rows.some((i) => previous(i) !== null);
  const change = (i: IndustryStats): number | null => {
    if (measure === "complaints") return typeof i.change === "number" ? i.change : n(i.complaints) - n(i.previous_complaints);
    const p = previous(i);
    return p === null ? null : n(i.letters) - p;
  };
  const color = measure === "complaints" ? "#d7301f" : "#7b3294";
  const series: BarSeriesOption[] = [];
  if (hasPrevious) {
    series.push({ type: "bar", name: "上期", itemStyle: { color: "#c9ccd1" }, data: rows.map((i) => previous(i)) });
  }
  series.push({
    type: "bar",
    name: "本期",
    itemStyle: { color },
    data: rows.map((i) => ({ value: n(i[measure]), change: change(i) })),
    label: {
      show: true,
      position: "right",
      formatter: (p: { value?: unknown; data?: unknown }) => {
        const c = (p.data as { change?: number | null } | undefined)?.change;
        return c == null ? countFormatter(p.value) : `${countFormatter(p.value)}（${signed(c)}）`;
      },
    },
  });
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: countFormatter },
    legend: hasPrevious ? { top: 0 } : { show: false },
    grid: { ...GRID, right: 88, top: hasPrevious ? 32 : 8 },
    yAxis: { type: "category", data: rows.map((i) => i.name || industryName(i.industry)) },
    xAxis: { type: "value", axisLabel: { formatter: countFormatter } },
    series,
  };
}

/** complaintsOption: complaints and reports, and letters, by area, stacked, the most first. */
export function complaintsOption(items: ComplaintArea[]): ChartOption {
  const rows = complaintRows(items);
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: countFormatter },
    legend: { top: 0 },
    grid: GRID,
    xAxis: categoryAxis(rows.map(areaName)),
    yAxis: { type: "value", axisLabel: { formatter: countFormatter } },
    series: [
      { type: "bar", name: "投诉举报", stack: "c", itemStyle: { color: "#d7301f" }, data: rows.map((a) => n(a.complaints)) },
      { type: "bar", name: "信访", stack: "c", itemStyle: { color: "#7b3294" }, data: rows.map((a) => n(a.letters)) },
    ],
  };
}

/** complaintRows orders the complaint hot spots as complaintsOption draws them (a clicked bar's index is a row's). */
export function complaintRows(items: ComplaintArea[]): ComplaintArea[] {
  return [...items].sort((a, b) => n(b.complaints) + n(b.letters) - (n(a.complaints) + n(a.letters)) || a.code.localeCompare(b.code));
}

/** COORDINATION is the "to" of a lead sent to the coordination centre. */
const COORDINATION = "coordination";

/** FIELD_SOURCES name the kinds of area a lead made in the field comes from. */
const FIELD_SOURCES: Record<string, string> = { grid: "网格", village: "村（社区）", town: "镇街" };

/**
 * partyName names the end of a lead flow: a department by its name, the
 * coordination centre, the kind of area a lead made in the field came
 * from (a grid's code stands for its town's grids), or a source (12345, …)
 * as it is.
 */
export function partyName(code: string, departments: Record<string, string>, townName: (code: string) => string | undefined = () => undefined): string {
  if (code === COORDINATION) return "协调中心";
  if (departments[code]) return departments[code]!;
  if (FIELD_SOURCES[code]) return FIELD_SOURCES[code]!;
  if (/^\d{9}(\d{3}){0,2}$/.test(code)) return `${townName(code.slice(0, 9)) ?? code.slice(0, 9)}网格`;
  return code;
}

/** Flow is a lead flow between two named parties. */
export interface Flow {
  from: string;
  to: string;
  count: number;
  open: number;
  closed: number;
}

/**
 * flowsByParty adds up the lead flows between the same two parties as
 * partyName names them (the grids of a town are one party), the most
 * first; flows of no leads are left out.
 */
export function flowsByParty(flows: LeadFlow[], departments: Record<string, string>, townName?: (code: string) => string | undefined): Flow[] {
  const sum = new Map<string, Flow>();
  for (const f of flows) {
    if (n(f.count) <= 0) continue;
    const from = partyName(f.from, departments, townName);
    const to = partyName(f.to, departments, townName);
    const key = `${from}\u0000${to}`;
    const s = sum.get(key) ?? { from, to, count: 0, open: 0, closed: 0 };
    s.count += n(f.count);
    s.open += n(f.open);
    s.closed += n(f.closed);
    sum.set(key, s);
  }
  return [...sum.values()].sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/**
 * sankeyOption draws lead flows (flowsByParty). A sankey must be acyclic
 * and leads go both ways between departments, so senders and receivers
 * are separate nodes: "X（发）" on the left, "Y（收）" on the right.
 */
export function sankeyOption(flows: Flow[]): ChartOption {
  const links = flows.map((f) => ({ source: `${f.from}（发）`, target: `${f.to}（收）`, value: f.count }));
  const names = [...new Set(links.flatMap((l) => [l.source, l.target]))];
  return {
    tooltip: { trigger: "item", valueFormatter: countFormatter },
    series: [{
      type: "sankey",
      left: 8,
      right: 8,
      top: 8,
      bottom: 8,
      nodeGap: 6,
      draggable: false,
      emphasis: { focus: "adjacency" },
      lineStyle: { color: "gradient", opacity: 0.35 },
      label: { fontSize: 11 },
      // Senders' names right of them, receivers' left of them: inside the chart.
      levels: [{ depth: 0, label: { position: "right" } }, { depth: 1, label: { position: "left" } }],
      data: names.map((name) => ({ name })),
      links,
    }],
  };
}

/** sankeyHeight is a height in pixels that gives each node of the busier side room for its label. */
export function sankeyHeight(flows: Flow[]): number {
  const side = Math.max(new Set(flows.map((f) => f.from)).size, new Set(flows.map((f) => f.to)).size);
  return Math.max(320, Math.min(900, 20 * side));
}

// Tables: each column says how its cells read.

export type CellKind = "text" | "count" | "rate" | "days" | "change";

export interface Column<T> {
  label: string;
  kind: CellKind;
  value: (row: T) => string | number | null | undefined;
}

/** cellText writes a cell: counts grouped the Chinese way, rates as percentages, "—" for nothing. */
export function cellText(kind: CellKind, v: string | number | null | undefined): string {
  switch (kind) {
    case "text":
      return v == null || v === "" ? "—" : String(v);
    case "count":
      return count(typeof v === "number" ? v : null);
    case "rate":
      return rate(typeof v === "number" ? v : null);
    case "days":
      return typeof v === "number" && Number.isFinite(v) ? `${v.toLocaleString("zh-CN", { maximumFractionDigits: 1 })} 天` : "—";
    case "change":
      return signed(typeof v === "number" ? v : null);
  }
}

export function areaColumns(level: Level): Column<AreaStats>[] {
  return [
    { label: LEVEL_NAMES[level], kind: "text", value: (a) => areaName(a) },
    { label: "主体", kind: "count", value: (a) => a.entities?.total },
    { label: "在营", kind: "count", value: (a) => a.entities?.active },
    { label: "注销", kind: "count", value: (a) => a.entities?.cancelled },
    { label: "吊销", kind: "count", value: (a) => a.entities?.revoked },
    { label: "新登记", kind: "count", value: (a) => a.new_registrations },
    { label: "推送任务", kind: "count", value: (a) => a.tasks?.pushed },
    ...TASK_RATES.map((t): Column<AreaStats> => ({ label: t.label, kind: "rate", value: (a) => a.tasks?.[t.key] })),
    { label: "检查次数", kind: "count", value: (a) => a.inspections?.count },
    { label: "检查覆盖率", kind: "rate", value: (a) => a.inspections?.coverage_rate },
    { label: "待处理预警", kind: "count", value: (a) => a.flags?.open },
    { label: "已确认", kind: "count", value: (a) => a.flags?.confirmed },
    { label: "已排除", kind: "count", value: (a) => a.flags?.dismissed },
    { label: "投诉举报", kind: "count", value: (a) => n(a.complaints?.complaints) + n(a.complaints?.reports) },
    { label: "信访", kind: "count", value: (a) => a.complaints?.letters },
  ];
}

export const TREND_COLUMNS: Column<TrendMonth>[] = [
  { label: "月份", kind: "text", value: (m) => m.month },
  { label: "新登记", kind: "count", value: (m) => m.registrations },
  { label: "注销", kind: "count", value: (m) => m.cancellations },
  { label: "月末在营", kind: "count", value: (m) => m.active_end },
  { label: "推送任务", kind: "count", value: (m) => m.tasks_pushed },
  { label: "办结任务", kind: "count", value: (m) => m.tasks_closed },
  { label: "检查", kind: "count", value: (m) => m.inspections },
  { label: "新预警", kind: "count", value: (m) => m.flags_raised },
  { label: "投诉举报", kind: "count", value: (m) => m.complaints },
];

export const INDUSTRY_COLUMNS: Column<IndustryStats>[] = [
  { label: "排名", kind: "count", value: (i) => i.rank },
  { label: "行业", kind: "text", value: (i) => `${i.industry} ${i.name || industryName(i.industry)}` },
  { label: "在营主体", kind: "count", value: (i) => i.entities },
  { label: "新登记", kind: "count", value: (i) => i.new_registrations },
  { label: "投诉举报", kind: "count", value: (i) => i.complaints },
  { label: "每万户", kind: "text", value: (i) => (typeof i.per_10k === "number" ? i.per_10k.toLocaleString("zh-CN", { maximumFractionDigits: 1 }) : null) },
  { label: "上期", kind: "count", value: (i) => i.previous_complaints },
  { label: "变化", kind: "change", value: (i) => i.change },
  // No rank (0 or null): the industry had no complaints in the previous period.
  { label: "上期排名", kind: "count", value: (i) => i.previous_rank || null },
  { label: "信访", kind: "count", value: (i) => i.letters },
];

export const COMPLAINT_COLUMNS: Column<ComplaintArea>[] = [
  { label: "区域", kind: "text", value: (a) => areaName(a) },
  { label: "投诉举报", kind: "count", value: (a) => a.complaints },
  { label: "信访", kind: "count", value: (a) => a.letters },
  { label: "上期投诉举报", kind: "count", value: (a) => a.previous_complaints },
  { label: "变化", kind: "change", value: (a) => a.change },
  { label: "主要行业", kind: "text", value: (a) => (a.top_industries ?? []).map((t) => `${industryName(t.industry)} ${count(t.count)}`).join("、") },
];

export const DEPARTMENT_COLUMNS: Column<DepartmentStats>[] = [
  { label: "部门", kind: "text", value: (d) => d.name || d.code },
  { label: "推送任务", kind: "count", value: (d) => d.tasks?.pushed },
  { label: "已接收", kind: "count", value: (d) => d.tasks?.received },
  { label: "已反馈", kind: "count", value: (d) => d.tasks?.answered },
  { label: "已办结", kind: "count", value: (d) => d.tasks?.closed },
  { label: "逾期", kind: "count", value: (d) => d.tasks?.overdue },
  ...TASK_RATES.map((t): Column<DepartmentStats> => ({ label: t.label, kind: "rate", value: (d) => d.tasks?.[t.key] })),
  { label: "反馈用时中位数", kind: "days", value: (d) => d.median_answer_days },
  { label: "收到线索", kind: "count", value: (d) => d.leads?.received },
  { label: "移送线索", kind: "count", value: (d) => d.leads?.sent },
  { label: "在办线索", kind: "count", value: (d) => d.leads?.open },
];

export const FLOW_COLUMNS: Column<Flow>[] = [
  { label: "移送方", kind: "text", value: (f) => f.from },
  { label: "接收方", kind: "text", value: (f) => f.to },
  { label: "线索", kind: "count", value: (f) => f.count },
  { label: "在办", kind: "count", value: (f) => f.open },
  { label: "已办结", kind: "count", value: (f) => f.closed },
];

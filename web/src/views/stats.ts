// 统计分析: the statistics of an area and its parts (the city's towns, a
// town's villages, a village's grids) over a period of months, drilled
// down by clicking a row or a bar; the hot spots of complaints by industry
// and by area; and the departments' tasks and lead flows. Each table
// downloads as CSV (the same endpoint with format=csv, fetched with the
// token). Charts are Apache ECharts (charts.ts); what they show is built
// in stats.ts.

import { shows } from "../access";
import type { App, Cleanup } from "../app";
import type { Division, Query } from "../api";
import type { Chart } from "../charts";
import { h, replace, errorBox } from "../dom";
import { download } from "../download";
import { count, dateTime, rate } from "../format";
import { isDefault, periodLabel, readPeriod, validMonth } from "../period";
import { routeHash } from "../router";
import { stateQuery } from "../screening";
import {
  COMPLAINT_COLUMNS, DEPARTMENT_COLUMNS, FLOW_COLUMNS, INDUSTRY_COLUMNS, LEVEL_NAMES, TREND_COLUMNS,
  areaColumns, areaQuery, areasPath, cellText, complaintRows, complaintsOption, coverageOption, drillInto,
  entitiesOption, flagsOption, flowsByParty, industriesOption, levelOf, sankeyHeight, sankeyOption, taskRatesOption, trendOption,
  type AreasAnswer, type ChartOption, type Column, type ComplaintsAnswer, type DepartmentsAnswer, type Drill,
  type IndustriesAnswer, type LeadsAnswer, type TrendAnswer,
} from "../stats";

interface StatsRoute {
  town?: string;
  village?: string;
  from?: string;
  to?: string;
}

export function renderStats(app: App, route: StatsRoute): Cleanup {
  app.layout("page");
  const may = shows(app.me);
  const abort = new AbortController();
  const charts: Chart[] = [];
  const period = readPeriod(route.from, route.to);
  // A town's token starts at its town: the city's list would hold its town alone.
  const drill: Drill = route.town ? { town: route.town, ...(route.village ? { village: route.village } : {}) }
    : app.me.town_code ? { town: app.me.town_code } : {};
  const level = levelOf(drill);

  /** hashFor is the address of another drill in the same period. */
  const hashFor = (d: Drill | null): string => {
    const r: { screen: "stats"; town?: string; village?: string; from?: string; to?: string } = { screen: "stats", ...(d ?? {}) };
    if (!isDefault(period)) Object.assign(r, period);
    return routeHash(r);
  };
  const go = (d: Drill | null): void => {
    if (d) location.hash = hashFor(d);
  };

  const crumbs = h("nav", { class: "crumbs", "aria-label": "区域层级", id: "stats-crumbs" });
  const asOf = h("p", { class: "small", id: "stats-asof" }, `统计期 ${periodLabel(period)}`);
  const figures = h("div", { class: "figures wide", id: "stats-figures", "aria-busy": "true" });

  const fromIn = h("input", { type: "month", id: "stats-from", name: "from", value: period.from, required: true });
  const toIn = h("input", { type: "month", id: "stats-to", name: "to", value: period.to, required: true });
  const periodMsg = h("span", { role: "status" });
  const periodForm = h("form", { class: "period", "aria-label": "统计期" },
    h("label", { for: "stats-from" }, "起始月份"), fromIn,
    h("label", { for: "stats-to" }, "截止月份"), toIn,
    h("button", { type: "submit", class: "primary" }, "应用"),
    h("button", { type: "button", id: "stats-period-reset", onclick: () => { location.hash = routeHash({ screen: "stats", ...drill }); } }, "近 12 个月"),
    periodMsg);
  periodForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const p = { from: fromIn.value, to: toIn.value };
    if (!validMonth(p.from) || !validMonth(p.to)) { replace(periodMsg, h("span", { class: "error" }, "请选择起止月份。")); return; }
    if (p.from > p.to) { replace(periodMsg, h("span", { class: "error" }, "起始月份应不晚于截止月份。")); return; }
    const r = { screen: "stats" as const, ...drill, ...(isDefault(p) ? {} : p) };
    location.hash = routeHash(r);
  });

  const q: Query = { from: period.from, to: period.to };
  const areaQ: Query = { ...q, ...areaQuery(drill) };

  const cards = {
    entities: card("stats-entities", `各${LEVEL_NAMES[level]}在营主体（按类型）`, "wide"),
    areas: card("stats-areas", `各${LEVEL_NAMES[level]}统计`, "wide"),
    trend: card("stats-trend", "登记与注销趋势（按月）", "wide"),
    tasks: card("stats-tasks", `各${LEVEL_NAMES[level]}任务处理率`, "wide"),
    coverage: card("stats-coverage", `各${LEVEL_NAMES[level]}检查覆盖率`),
    flags: card("stats-flags", "待处理预警（按类型）"),
    hotComplaints: card("stats-hot-complaints", "投诉举报热点行业"),
    hotLetters: card("stats-hot-letters", "信访事件易发行业"),
    industries: card("stats-industries", "行业投诉与信访", "wide"),
    complaints: card("stats-complaints", "投诉热点区域", "wide"),
    leads: card("stats-leads", "部门间线索流转", "wide"),
    departments: card("stats-departments", "部门任务处理", "wide"),
  };

  replace(app.page,
    h("div", { class: "stats-head" }, h("h2", {}, "统计分析"), crumbs, periodForm),
    asOf, figures,
    h("div", { class: "stat-grid" },
      cards.entities.el, cards.areas.el, cards.trend.el, cards.tasks.el, cards.coverage.el, cards.flags.el,
      cards.hotComplaints.el, cards.hotLetters.el, cards.industries.el, cards.complaints.el),
    h("h2", { class: "section" }, "部门"),
    h("div", { class: "stat-grid" }, cards.leads.el, cards.departments.el));

  // The crumbs: the city (for a city-wide token), the town, the village.
  const drawCrumbs = (townName?: string, villageName?: string): void => {
    const parts: (HTMLElement | string)[] = [];
    if (!app.me.town_code) parts.push(drill.town ? h("a", { href: hashFor({}) }, "全市") : h("span", { "aria-current": "page" }, "全市"));
    if (drill.town) {
      const name = townName ?? drill.town;
      parts.push(drill.village ? h("a", { href: hashFor({ town: drill.town }) }, name) : h("span", { "aria-current": "page" }, name));
    }
    if (drill.village) parts.push(h("span", { "aria-current": "page" }, villageName ?? drill.village));
    replace(crumbs, parts.flatMap((p, i) => (i === 0 ? [p] : [h("span", { class: "sep", "aria-hidden": "true" }, "›"), p])));
  };
  drawCrumbs();
  // The names of the town and village, from the divisions (the answers' totals may not name them).
  if (drill.town) {
    const town = drill.town;
    const village = drill.village;
    Promise.all([
      app.towns().then((ts) => ts.find((t) => t.properties.code === town)?.properties.name),
      village
        ? app.api.get<{ features: Division[] }>("/v1/divisions", { level: "village", town }, abort.signal)
          .then((fc) => fc.features.find((v) => v.properties.code === village)?.properties.name)
        : undefined,
    ]).then(([townName, villageName]) => drawCrumbs(townName, villageName)).catch(() => {}); // the codes stay
  }

  // ECharts comes with the first statistics screen (its own chunk of the bundle).
  const lib = import("../charts");
  let drawChart: ((el: HTMLElement, option: ChartOption) => Chart) | undefined;
  const get = <T>(path: string, query: Query): Promise<T> =>
    Promise.all([lib, app.api.get<T>(path, query, abort.signal)]).then(([l, a]) => {
      drawChart = l.drawChart;
      return a;
    });

  const chartIn = (c: Card, option: ChartOption, empty: boolean, height?: number): Chart | null => {
    if (empty) {
      replace(c.body, h("p", { class: "small empty" }, "本期无数据。"));
      return null;
    }
    const el = h("div", { class: "chart", style: height ? `height:${height}px` : null, role: "img", "aria-label": `${c.title}（图表；数据见表格与 CSV）` });
    replace(c.body, el);
    const chart = drawChart!(el, option);
    charts.push(chart);
    return chart;
  };
  const failed = (c: Card, err: unknown): void => {
    if (err instanceof DOMException && err.name === "AbortError") return;
    c.el.removeAttribute("aria-busy");
    replace(c.body, errorBox(err));
  };
  const csv = (c: Card, path: string, query: Query): void => {
    const msg = h("span", { class: "small", role: "status" });
    const b = h("button", { type: "button", class: "csv", "aria-label": `下载“${c.title}”CSV` }, "下载 CSV");
    b.addEventListener("click", () => {
      b.disabled = true;
      replace(msg, "下载中…");
      download(app.api, path, { ...query, format: "csv" }, abort.signal)
        .then((name) => replace(msg, `已下载 ${name}`))
        .catch((err: unknown) => {
          if (!(err instanceof DOMException && err.name === "AbortError")) replace(msg, errorBox(err));
        })
        .finally(() => { b.disabled = false; });
    });
    replace(c.tools, b, msg);
  };

  // Areas: the figures, entities by kind, task rates, coverage, flags, the table.
  const areasPathNow = areasPath(drill);
  csv(cards.areas, areasPathNow, q);
  get<AreasAnswer>(areasPathNow, q).then((a) => {
    const items = a.items ?? [];
    if (a.as_of) replace(asOf, `统计期 ${periodLabel(a.period ?? period)} · 数据更新于 ${dateTime(a.as_of)}（北京时间）`);
    const t = a.total;
    figures.removeAttribute("aria-busy");
    replace(figures,
      figure(count(t?.entities?.active), "在营主体"),
      figure(count(t?.new_registrations), "本期新登记"),
      figure(count(t?.tasks?.pushed), "推送任务"),
      figure(rate(t?.tasks?.close_rate), "任务办结率"),
      figure(rate(t?.tasks?.overdue_rate), "任务逾期率"),
      figure(rate(t?.inspections?.coverage_rate), "检查覆盖率"),
      figure(count(t?.flags?.open), "待处理预警"),
      figure(count((t?.complaints?.complaints ?? 0) + (t?.complaints?.reports ?? 0)), "投诉举报"),
      figure(count(t?.complaints?.letters), "信访"));
    const onBar = (chart: Chart | null): void => {
      chart?.on("click", (p) => go(drillInto(drill, items[p.dataIndex]?.code ?? "")));
    };
    const wide = Math.max(320, Math.min(520, 200 + items.length * 6));
    onBar(chartIn(cards.entities, entitiesOption(items), items.length === 0, wide));
    onBar(chartIn(cards.tasks, taskRatesOption(items), items.length === 0, wide));
    onBar(chartIn(cards.coverage, coverageOption(items), items.length === 0, wide));
    chartIn(cards.flags, flagsOption(t?.flags?.by_kind), Object.values(t?.flags?.by_kind ?? {}).every((v) => !v));
    replace(cards.areas.body, table(areaColumns(level), items, {
      id: "stats-area-table",
      link: (row) => {
        const d = drillInto(drill, row.code);
        return d ? hashFor(d) : null;
      },
      // A village's or grid's entities open in the screening.
      extra: may.entities && level !== "town" ? {
        label: "主体",
        cell: (row) => row.code ? h("a", { href: routeHash({ screen: "screening", q: stateQuery({ filter: level === "grid" ? { grid: row.code } : { village: row.code } }) }) }, "筛选") : null,
      } : undefined,
      total: t ? { ...t, code: "", name: t.name ? `合计（${t.name}）` : "合计" } : undefined,
    }));
    for (const c of [cards.areas, cards.entities, cards.tasks, cards.coverage, cards.flags]) c.el.removeAttribute("aria-busy");
  }).catch((err: unknown) => {
    for (const c of [cards.areas, cards.entities, cards.tasks, cards.coverage, cards.flags]) failed(c, err);
    if (!(err instanceof DOMException && err.name === "AbortError")) replace(figures, errorBox(err));
  });

  // The trend by month.
  csv(cards.trend, "/v1/stats/trend", areaQ);
  get<TrendAnswer>("/v1/stats/trend", areaQ).then((a) => {
    const months = a.months ?? [];
    const chart = chartIn(cards.trend, trendOption(months), months.length === 0, 320);
    if (chart) cards.trend.body.append(details("按月数据", table(TREND_COLUMNS, months, { id: "stats-trend-table" })));
    cards.trend.el.removeAttribute("aria-busy");
  }).catch((err: unknown) => failed(cards.trend, err));

  // The hot spots by industry: complaints and reports, and letters.
  csv(cards.industries, "/v1/stats/industries", areaQ);
  get<IndustriesAnswer>("/v1/stats/industries", areaQ).then((a) => {
    const items = a.items ?? [];
    const prev = a.previous ? `与上期（${periodLabel(a.previous)}）比较` : "";
    chartIn(cards.hotComplaints, industriesOption(items, "complaints"), !items.some((i) => i.complaints > 0), 340);
    chartIn(cards.hotLetters, industriesOption(items, "letters"), !items.some((i) => i.letters > 0), 340);
    if (prev) cards.hotComplaints.body.append(h("p", { class: "small" }, `括号内为${prev}的变化。`));
    replace(cards.industries.body, table(INDUSTRY_COLUMNS, items, { id: "stats-industry-table" }));
    for (const c of [cards.hotComplaints, cards.hotLetters, cards.industries]) c.el.removeAttribute("aria-busy");
  }).catch((err: unknown) => {
    for (const c of [cards.hotComplaints, cards.hotLetters, cards.industries]) failed(c, err);
  });

  // The hot spots by area: the city's towns, or a town's villages.
  const complaintsQ: Query = { ...q, town: drill.town };
  csv(cards.complaints, "/v1/stats/complaints", complaintsQ);
  get<ComplaintsAnswer>("/v1/stats/complaints", complaintsQ).then((a) => {
    const rows = complaintRows(a.items ?? []);
    const chart = chartIn(cards.complaints, complaintsOption(rows), rows.length === 0, 320);
    const into = (code: string): Drill | null => (!code ? null : a.level === "village" ? { town: drill.town ?? code.slice(0, 9), village: code } : { town: code });
    chart?.on("click", (p) => go(into(rows[p.dataIndex]?.code ?? "")));
    if (chart) cards.complaints.body.append(table(COMPLAINT_COLUMNS, rows, { id: "stats-complaint-table", link: (row) => (into(row.code) ? hashFor(into(row.code)) : null) }));
    cards.complaints.el.removeAttribute("aria-busy");
  }).catch((err: unknown) => failed(cards.complaints, err));

  // The departments, city-wide (a department's token sees its own row).
  csv(cards.leads, "/v1/stats/leads", q);
  // Town names for the grids that hand leads on: the flows of a town's grids are one.
  Promise.all([get<LeadsAnswer>("/v1/stats/leads", q), app.towns().catch(() => [])]).then(([a, towns]) => {
    const names = new Map(towns.map((t) => [t.properties.code, t.properties.name]));
    const flows = flowsByParty(a.flows ?? [], a.departments ?? {}, (code) => names.get(code));
    const chart = chartIn(cards.leads, sankeyOption(flows), flows.length === 0, sankeyHeight(flows));
    if (chart) cards.leads.body.append(details("流转明细", table(FLOW_COLUMNS, flows, { id: "stats-lead-table" })));
    cards.leads.el.removeAttribute("aria-busy");
  }).catch((err: unknown) => failed(cards.leads, err));

  csv(cards.departments, "/v1/stats/departments", q);
  get<DepartmentsAnswer>("/v1/stats/departments", q).then((a) => {
    replace(cards.departments.body, table(DEPARTMENT_COLUMNS, a.items ?? [], { id: "stats-department-table" }));
    cards.departments.el.removeAttribute("aria-busy");
  }).catch((err: unknown) => failed(cards.departments, err));

  const onResize = (): void => { for (const c of charts) c.resize(); };
  window.addEventListener("resize", onResize);
  return () => {
    abort.abort();
    window.removeEventListener("resize", onResize);
    for (const c of charts) c.dispose();
  };
}

interface Card {
  el: HTMLElement;
  body: HTMLElement;
  tools: HTMLElement;
  title: string;
}

function card(id: string, title: string, size?: "wide"): Card {
  const body = h("div", { class: "card-body" }, h("p", { class: "small" }, "加载中…"));
  const tools = h("div", { class: "card-tools" });
  const el = h("section", { class: `card stat${size ? ` ${size}` : ""}`, id, "aria-busy": "true", "aria-labelledby": `${id}-title` },
    h("header", {}, h("h3", { id: `${id}-title` }, title), tools), body);
  return { el, body, tools, title };
}

function figure(value: string, label: string): HTMLElement {
  return h("div", { class: "figure" }, h("b", {}, value), h("span", {}, label));
}

function details(summary: string, body: HTMLElement): HTMLElement {
  return h("details", {}, h("summary", {}, summary), body);
}

/**
 * table draws rows under columns. With link, a row's first cell links to
 * what the row opens (the drill-down) and a click on the row follows it;
 * extra adds a last column of elements; total is a footer row.
 */
function table<T>(columns: Column<T>[], rows: T[], opts: {
  id: string;
  link?: (row: T) => string | null;
  extra?: { label: string; cell: (row: T) => HTMLElement | null };
  total?: T;
}): HTMLElement {
  if (rows.length === 0) return h("p", { class: "small empty" }, "本期无数据。");
  const numeric = (c: Column<T>): boolean => c.kind !== "text";
  const cells = (row: T, href: string | null): HTMLElement[] => columns.map((c, i) => {
    const text = cellText(c.kind, c.value(row));
    return h("td", { class: numeric(c) ? "num" : null }, i === 0 && href ? h("a", { href }, text) : text);
  });
  return h("div", { class: "table-wrap" },
    h("table", { class: "stats", id: opts.id },
      h("thead", {}, h("tr", {},
        columns.map((c) => h("th", { scope: "col", class: numeric(c) ? "num" : null }, c.label)),
        opts.extra ? h("th", { scope: "col" }, opts.extra.label) : null)),
      h("tbody", {}, rows.map((row) => {
        const href = opts.link?.(row) ?? null;
        const tr = h("tr", { class: href ? "drill" : null, "data-code": (row as { code?: string }).code ?? null },
          cells(row, href), opts.extra ? h("td", {}, opts.extra.cell(row)) : null);
        if (href) tr.addEventListener("click", (e) => {
          if ((e.target as HTMLElement).closest("a")) return; // a link navigates by itself
          location.hash = href;
        });
        return tr;
      })),
      opts.total ? h("tfoot", {}, h("tr", {}, cells(opts.total, null), opts.extra ? h("td") : null)) : null));
}

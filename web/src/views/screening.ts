// 高级筛选 / 定向排查: a form combining the entity filter's parameters
// (area, attributes, inspection history, tasks, flags, links between
// entities) with geography drawn on the map (a polygon with terra-draw, a
// buffer around a clicked point previewed with @turf/circle); the results
// as a count, a paged list, a clustered map layer and exports; and saved
// filters to list, load, run, save, update and delete. The filter is kept
// in the address bar, so a screen can be shared as a link.

import type { GeoJSONSource, MapLayerMouseEvent, MapMouseEvent } from "maplibre-gl";
import { can, shows, townOptions } from "../access";
import type { App, Cleanup } from "../app";
import type { Division, Entity, Page, Query } from "../api";
import { h, replace, errorBox } from "../dom";
import type { Drawing } from "../draw";
import { download, EXPORT_FORMATS, type ExportFormat } from "../download";
import { count, dateTime } from "../format";
import type { Geometry } from "../geojson";
import { INDUSTRIES } from "../industries";
import type { MapView } from "../mapview";
import { ENTITY_KIND, ENTITY_STATUS, FLAG_KINDS, FLAG_STATUS, INSPECTION_OUTCOME, TASK_STATUS, nameOf } from "../names";
import {
  AREA_SOURCE, CLUSTERS, MAP_LIMIT, POINTS, RESULTS_SOURCE, areaFeatures, fitBounds, resultLayers, resultsSource, shownText,
  type ResultCollection,
} from "../results";
import { routeHash } from "../router";
import {
  FLAG_KIND_CODES, FLAG_STATUSES, KINDS, MAX_LINKS, MAX_RADIUS, MIN_LINKS, OUTCOMES, STATUSES, TASK_STATUSES,
  describe, formValues, fromJSON, isEmpty, polygonPoints, readForm, readState, stateQuery, toJSON, toQuery,
  type EntityFilter, type FormValues, type ScreenState,
} from "../screening";

/** SavedFilter is a saved screen (GET /v1/filters). */
interface SavedFilter {
  id: number;
  name: string;
  description: string;
  filter: unknown;
  town_code: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  version: number;
}

/** The coverage map's layers, hidden while the screen's results are on the map. */
const HIDDEN_LAYERS = ["coverage-hex-fill", "coverage-grid-line", "coverage-heat", "entities-circle", "flags-circle"];
const PAGE_SIZE = 50;
const DEFAULT_RADIUS = 500;

export function renderScreening(app: App, query: string): Cleanup {
  app.layout("map");
  app.side.classList.add("wide");
  const may = shows(app.me);
  const mayUnmask = can(app.me, "unmask");
  const initial: ScreenState = readState(query);
  if (app.me.town_code) initial.filter.town = app.me.town_code;
  let state: ScreenState = initial;
  let current: SavedFilter | null = null; // the saved filter loaded or run
  let runAbort = new AbortController();
  const abort = new AbortController();
  let disposed = false;
  let map: MapView | undefined;

  // ---- the form -------------------------------------------------------
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const control = <E extends HTMLInputElement | HTMLSelectElement>(name: string, el: E): E => {
    el.name = name;
    el.id = `sf-${name}`;
    controls.set(name, el);
    return el;
  };
  const select = (name: string, any: string, options: [string, string][]): HTMLSelectElement =>
    control(name, h("select", {}, h("option", { value: "" }, any), options.map(([v, l]) => h("option", { value: v }, l))));
  const entries = (table: Record<string, string>, codes: readonly string[]): [string, string][] => codes.map((c) => [c, nameOf(table, c)]);
  const labelled = (name: string, label: string, el: HTMLElement): HTMLElement[] => [h("label", { for: `sf-${name}` }, label), el];

  const townSel = control("town", h("select", {}));
  const villageSel = select("village", "全部村（社区）", []);
  const gridSel = select("grid", "全部网格", []);
  let villages: Division[] = [];
  let grids: Division[] = [];
  const fillTowns = (towns: { code: string; name: string }[]): void => {
    const keep = townSel.value || state.filter.town || "";
    replace(townSel, townOptions(app.me, towns).map((o) => h("option", { value: o.value }, o.label)));
    setValue(townSel, keep);
  };
  fillTowns([]);
  const fillVillages = (): void => {
    const keep = villageSel.value;
    replace(villageSel, h("option", { value: "" }, "全部村（社区）"),
      villages.map((v) => h("option", { value: v.properties.code }, v.properties.name)));
    setValue(villageSel, keep);
    fillGrids();
  };
  const fillGrids = (): void => {
    const keep = gridSel.value;
    const v = villageSel.value;
    replace(gridSel, h("option", { value: "" }, "全部网格"),
      grids.filter((g) => !v || g.properties.code.startsWith(v)).map((g) => h("option", { value: g.properties.code }, g.properties.name || g.properties.code)));
    setValue(gridSel, keep);
  };
  let divisionsAbort = new AbortController();
  const loadDivisions = (town: string): void => {
    divisionsAbort.abort();
    divisionsAbort = new AbortController();
    villages = [];
    grids = [];
    fillVillages();
    if (!town) return;
    const signal = divisionsAbort.signal;
    Promise.all([
      app.api.get<{ features: Division[] }>("/v1/divisions", { level: "village", town }, signal),
      app.api.get<{ features: Division[] }>("/v1/divisions", { level: "grid", town }, signal),
    ]).then(([vs, gs]) => {
      villages = vs.features;
      grids = gs.features;
      fillVillages();
    }).catch(() => {}); // the codes chosen stay; the lists are a help
  };
  townSel.addEventListener("change", () => { setValue(villageSel, ""); setValue(gridSel, ""); loadDivisions(townSel.value); });
  villageSel.addEventListener("change", () => { setValue(gridSel, ""); fillGrids(); });

  const polygonIn = control("polygon", h("input", { type: "hidden" }));
  const lonIn = control("near_lon", h("input", { type: "hidden" }));
  const latIn = control("near_lat", h("input", { type: "hidden" }));
  const radiusIn = control("near_radius", h("input", { type: "number", min: 1, max: MAX_RADIUS, step: 1, inputmode: "numeric", placeholder: `1–${MAX_RADIUS}` }));
  const neverIn = control("never_inspected", h("input", { type: "checkbox", value: "true" }));
  const minIn = (name: string): HTMLInputElement =>
    control(name, h("input", { type: "number", min: MIN_LINKS, max: MAX_LINKS, step: 1, inputmode: "numeric", placeholder: `${MIN_LINKS}–${MAX_LINKS}` }));
  const usccIn = (name: string): HTMLInputElement =>
    control(name, h("input", { type: "text", maxlength: 18, spellcheck: "false", autocomplete: "off", placeholder: "统一社会信用代码" }));
  const dateIn = (name: string): HTMLInputElement => control(name, h("input", { type: "date" }));

  const polygonNote = h("span", { class: "small", id: "sf-polygon-note" });
  const nearNote = h("span", { class: "small", id: "sf-near-note" });
  const drawBtn = h("button", { type: "button", id: "sf-draw" }, "绘制多边形");
  const clearPolygonBtn = h("button", { type: "button", id: "sf-polygon-clear" }, "清除");
  const pickBtn = h("button", { type: "button", id: "sf-pick" }, "选取中心点");
  const clearNearBtn = h("button", { type: "button", id: "sf-near-clear" }, "清除");
  const formMsg = h("div", { id: "sf-errors", role: "alert" });

  const group = (title: string, names: string[], ...body: (HTMLElement | HTMLElement[])[]): HTMLDetailsElement =>
    h("details", { class: "group", "data-fields": names.join(" ") }, h("summary", {}, title), ...body.flat());

  const form = h("form", { class: "filters screen-form", id: "screen-form", "aria-label": "筛选条件", novalidate: true },
    group("区域", ["town", "village", "grid"],
      labelled("town", "镇街", townSel), labelled("village", "村（社区）", villageSel), labelled("grid", "网格", gridSel)),
    group("主体", ["industry", "kind", "status", "registered_from", "registered_to"],
      labelled("industry", "行业（GB/T 4754 门类）", select("industry", "全部行业", INDUSTRIES.map(([c, n]) => [c, `${c} ${n}`]))),
      h("div", { class: "row" },
        h("div", {}, ...labelled("kind", "类型", select("kind", "不限", entries(ENTITY_KIND, KINDS)))),
        h("div", {}, ...labelled("status", "状态", select("status", "不限", entries(ENTITY_STATUS, STATUSES))))),
      h("div", { class: "row" },
        h("div", {}, ...labelled("registered_from", "登记日期起", dateIn("registered_from"))),
        h("div", {}, ...labelled("registered_to", "登记日期止", dateIn("registered_to"))))),
    group("检查与任务", ["never_inspected", "inspected_before", "inspected_after", "inspection_outcome", "task_status"],
      h("label", { class: "check", for: "sf-never_inspected" }, neverIn, "从未检查"),
      h("div", { class: "row" },
        h("div", {}, ...labelled("inspected_before", "最后检查早于", dateIn("inspected_before"))),
        h("div", {}, ...labelled("inspected_after", "最后检查晚于", dateIn("inspected_after")))),
      h("div", { class: "row" },
        h("div", {}, ...labelled("inspection_outcome", "最后检查结果", select("inspection_outcome", "不限", entries(INSPECTION_OUTCOME, OUTCOMES)))),
        h("div", {}, ...labelled("task_status", "任务状态", select("task_status", "不限", entries({ ...TASK_STATUS, open: "未办结" }, TASK_STATUSES)))))),
    group("预警", ["flag_kind", "flag_status", "has_open_flag"],
      labelled("flag_kind", "预警类型", select("flag_kind", "不限", entries(FLAG_KINDS, FLAG_KIND_CODES))),
      h("div", { class: "row" },
        h("div", {}, ...labelled("flag_status", "预警状态", select("flag_status", "不限（有类型时为待处理）", entries(FLAG_STATUS, FLAG_STATUSES)))),
        h("div", {}, ...labelled("has_open_flag", "有待处理预警", select("has_open_flag", "不限", [["true", "有"], ["false", "无"]]))))),
    group("关联比对", ["same_building_as", "same_phone_as", "same_legal_rep_as", "shared_phone_min", "shared_legal_rep_min", "building_entities_min"],
      labelled("same_building_as", "与该主体同楼栋", usccIn("same_building_as")),
      labelled("same_phone_as", "与该主体同电话", usccIn("same_phone_as")),
      labelled("same_legal_rep_as", "与该主体同法定代表人", usccIn("same_legal_rep_as")),
      h("div", { class: "row three" },
        h("div", {}, ...labelled("shared_phone_min", "电话共用 ≥ 户", minIn("shared_phone_min"))),
        h("div", {}, ...labelled("shared_legal_rep_min", "法人名下 ≥ 户", minIn("shared_legal_rep_min"))),
        h("div", {}, ...labelled("building_entities_min", "楼栋内 ≥ 户", minIn("building_entities_min"))))),
    group("地理范围", ["polygon", "near"],
      h("p", { class: "tools" }, drawBtn, clearPolygonBtn, polygonNote), polygonIn,
      h("p", { class: "tools" }, pickBtn, clearNearBtn, nearNote), lonIn, latIn,
      labelled("near_radius", "缓冲半径（米）", radiusIn)),
    formMsg,
    h("p", { class: "tools" },
      h("button", { type: "submit", class: "primary", id: "sf-run" }, "查询"),
      h("button", { type: "button", id: "sf-reset" }, "重置")));

  /** values reads the form's controls. */
  const values = (): FormValues => {
    const out: FormValues = {};
    for (const [name, el] of controls) out[name] = el instanceof HTMLInputElement && el.type === "checkbox" ? (el.checked ? el.value : "") : el.value;
    return out;
  };
  /** fill writes a filter into the form, opening the groups that hold a condition. */
  const fill = (filter: EntityFilter): void => {
    const v = formValues(filter);
    const town = filter.town ?? (filter.village ?? filter.grid ?? "").slice(0, 9);
    if (app.me.town_code) v["town"] = app.me.town_code;
    else v["town"] = town;
    for (const [name, el] of controls) {
      if (el instanceof HTMLInputElement && el.type === "checkbox") el.checked = v[name] === el.value;
      else setValue(el, v[name] ?? "");
    }
    for (const d of form.querySelectorAll<HTMLDetailsElement>("details.group")) {
      const names = (d.dataset["fields"] ?? "").split(" ");
      d.open = names.includes("town") || names.some((n) => (n === "near" ? v["near_lon"] : v[n]));
    }
    if (v["town"] !== townLoaded) { townLoaded = v["town"] ?? ""; loadDivisions(townLoaded); }
    showArea();
  };
  let townLoaded = "";

  // ---- geography on the map ------------------------------------------
  let mode: "idle" | "draw" | "pick" = "idle";
  let draw: Drawing | undefined;
  const geometry = (): EntityFilter => readForm(values()).filter;

  /** showArea outlines the polygon and the buffer on the map and says what they are. */
  function showArea(): void {
    const f = geometry();
    const poly = polygonIn.value ? (safeJSON(polygonIn.value) as Geometry | null) : null;
    replace(polygonNote, poly ? `已绘制（${polygonPoints(poly)} 点）` : mode === "draw" ? "在地图上逐点单击，单击起点（或按回车）完成，Esc 取消" : "未绘制");
    drawBtn.textContent = mode === "draw" ? "取消绘制" : poly ? "重新绘制" : "绘制多边形";
    clearPolygonBtn.disabled = !poly;
    pickBtn.textContent = mode === "pick" ? "取消选取" : lonIn.value ? "重新选取" : "选取中心点";
    clearNearBtn.disabled = !lonIn.value;
    replace(nearNote, mode === "pick" ? "在地图上单击中心点" : lonIn.value
      ? `中心 ${Number(lonIn.value).toFixed(5)}, ${Number(latIn.value).toFixed(5)}${f.near ? ` · 半径 ${count(f.near.radius_m)} 米` : " · 请填写 1–5000 米的半径"}`
      : "未设置");
    map?.map.getSource<GeoJSONSource>(AREA_SOURCE)?.setData({ type: "FeatureCollection", features: areaFeatures(f) as never });
  }

  function stopDrawing(): void {
    draw?.stop();
    draw = undefined;
    if (mode === "draw") mode = "idle";
  }

  function startDrawing(): void {
    if (!map) return;
    const ml = map.map;
    mode = "draw";
    showArea();
    // terra-draw comes with the first drawing.
    import("../draw").then(({ drawPolygon }) => {
      if (disposed || mode !== "draw") return;
      draw = drawPolygon(ml, (polygon) => {
        draw = undefined;
        polygonIn.value = JSON.stringify(polygon);
        mode = "idle";
        showArea();
      });
    }).catch((err: unknown) => {
      mode = "idle";
      showArea();
      replace(polygonNote, errorBox(err));
    });
  }

  drawBtn.addEventListener("click", () => {
    if (mode === "draw") stopDrawing();
    else startDrawing();
    showArea();
  });
  clearPolygonBtn.addEventListener("click", () => { polygonIn.value = ""; showArea(); });
  pickBtn.addEventListener("click", () => {
    stopDrawing();
    mode = mode === "pick" ? "idle" : "pick";
    showArea();
  });
  clearNearBtn.addEventListener("click", () => { lonIn.value = ""; latIn.value = ""; showArea(); });
  radiusIn.addEventListener("input", showArea);

  const onClick = (e: MapMouseEvent): void => {
    if (!map || mode === "draw") return;
    if (mode === "pick") {
      lonIn.value = String(Math.round(e.lngLat.lng * 1e6) / 1e6);
      latIn.value = String(Math.round(e.lngLat.lat * 1e6) / 1e6);
      if (!radiusIn.value) radiusIn.value = String(DEFAULT_RADIUS);
      mode = "idle";
      showArea();
      return;
    }
    const m = map.map;
    const feats = m.queryRenderedFeatures(e.point, { layers: [CLUSTERS, POINTS].filter((id) => m.getLayer(id)) });
    const cluster = feats.find((f) => f.layer.id === CLUSTERS);
    if (cluster) {
      const src = m.getSource<GeoJSONSource>(RESULTS_SOURCE);
      const at = (cluster.geometry as unknown as { coordinates: [number, number] }).coordinates;
      void src?.getClusterExpansionZoom(cluster.properties["cluster_id"] as number).then((z) => m.easeTo({ center: at, zoom: z }));
      return;
    }
    const point = feats.find((f) => f.layer.id === POINTS);
    if (point && typeof point.properties["uscc"] === "string") location.hash = routeHash({ screen: "entity", uscc: point.properties["uscc"] });
  };
  const pointer = (e: MapLayerMouseEvent): void => { if (map && mode === "idle") map.map.getCanvas().style.cursor = e.type === "mouseleave" ? "" : "pointer"; };

  // ---- results ---------------------------------------------------------
  const countEl = h("p", { class: "count", id: "screen-count", role: "status" }, "设置条件后点击“查询”。");
  const chips = h("p", { class: "chips", id: "screen-chips" });
  const shownEl = h("p", { class: "small", id: "screen-shown" });
  const listEl = h("ul", { class: "list", id: "screen-list" });
  const moreBtn = h("button", { type: "button", id: "screen-more", hidden: true }, "加载更多");
  const exportMsg = h("span", { class: "small", role: "status", id: "screen-export-msg" });
  const unmaskBox = mayUnmask ? h("input", { type: "checkbox", id: "screen-unmask" }) : null;
  const exportBox = may.export ? h("div", { class: "exports", id: "screen-exports", hidden: true },
    h("span", { class: "small" }, "导出："),
    EXPORT_FORMATS.map((f) => h("button", { type: "button", id: `screen-export-${f}`, onclick: () => exportAs(f) }, f.toUpperCase())),
    unmaskBox ? h("label", { class: "check small", for: "screen-unmask" }, unmaskBox, "含完整个人信息") : null,
    h("p", { class: "small" }, "导出记入审计日志。"), exportMsg) : null;
  const results = h("section", { class: "results", "aria-label": "筛选结果" }, h("h3", {}, "结果"), countEl, chips, shownEl, exportBox, listEl, moreBtn);

  /** Endpoints of a run: the ad-hoc filter's, or a saved filter's. */
  interface Run { filter: EntityFilter; saved?: number }
  let run: Run | null = null;
  let cursor: string | null = null;

  const townNames = new Map<string, string>();
  const areaName = (code: string): string | undefined =>
    townNames.get(code) ?? villages.find((v) => v.properties.code === code)?.properties.name ?? grids.find((g) => g.properties.code === code)?.properties.name;

  function start(r: Run): void {
    runAbort.abort();
    runAbort = new AbortController();
    const signal = runAbort.signal;
    run = r;
    cursor = null;
    state = r.saved !== undefined ? { filter: r.filter, saved: r.saved } : { filter: r.filter };
    history.replaceState(null, "", routeHash({ screen: "screening", q: stateQuery(state) }));
    replace(countEl, "查询中…");
    countEl.setAttribute("aria-busy", "true");
    replace(chips, describe(r.filter, areaName).map((c) => h("span", { class: "chip" }, c)),
      r.saved !== undefined && current ? h("span", { class: "chip saved" }, `保存的筛选：${current.name}`) : null);
    replace(shownEl);
    replace(listEl);
    moreBtn.hidden = true;
    if (exportBox) exportBox.hidden = false;
    replace(exportMsg);
    const base = r.saved !== undefined ? `/v1/filters/${r.saved}` : "/v1/entities";
    const q = r.saved !== undefined ? {} : toQuery(r.filter);
    app.api.get<{ count: number }>(`${base}/count`, q, signal).then((c) => {
      countEl.removeAttribute("aria-busy");
      replace(countEl, "符合条件 ", h("b", {}, count(c.count)), " 户");
    }).catch((err: unknown) => {
      if (isAbort(err)) return;
      countEl.removeAttribute("aria-busy");
      replace(countEl, errorBox(err));
    });
    loadPage(signal);
    app.api.get<ResultCollection>(`${base}/geojson`, { ...q, limit: MAP_LIMIT }, signal).then(async (fc) => {
      replace(shownEl, shownText(fc));
      const m = await app.map();
      if (signal.aborted || disposed) return;
      m.map.getSource<GeoJSONSource>(RESULTS_SOURCE)?.setData(resultsSource(fc).data as never);
      const b = fitBounds(fc, r.filter);
      if (b) m.fitBounds(b);
    }).catch((err: unknown) => { if (!isAbort(err)) replace(shownEl, errorBox(err)); });
  }

  function loadPage(signal: AbortSignal): void {
    if (!run) return;
    moreBtn.disabled = true;
    const page: Promise<Page<Entity>> = run.saved !== undefined
      ? app.api.get<Page<Entity>>(`/v1/filters/${run.saved}/entities`, { limit: PAGE_SIZE, cursor }, signal)
      : app.api.post<Page<Entity>>("/v1/entities:search", { ...toJSON(run.filter), limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }, signal);
    const first = cursor === null;
    page.then((p) => {
      if (p.items.length === 0 && first) listEl.append(h("li", { class: "small" }, "没有符合条件的主体。"));
      for (const e of p.items) {
        listEl.append(h("li", {}, h("a", { class: "item", href: routeHash({ screen: "entity", uscc: e.uscc }) },
          e.name, h("br"),
          h("span", { class: "small" }, [e.industry_name ?? e.industry ?? "行业未知", nameOf(ENTITY_STATUS, e.status), e.address_text].join(" · ")))));
      }
      cursor = p.next;
      moreBtn.hidden = !p.next;
      moreBtn.disabled = false;
      // A screen's first page brings the results below the form into view.
      if (first) results.scrollIntoView({ block: "start" });
    }).catch((err: unknown) => {
      if (isAbort(err)) return;
      listEl.append(h("li", {}, errorBox(err)));
      moreBtn.disabled = false;
    });
  }
  moreBtn.addEventListener("click", () => loadPage(runAbort.signal));

  function exportAs(format: ExportFormat): void {
    if (!run) return;
    const path = run.saved !== undefined ? `/v1/filters/${run.saved}/export` : "/v1/entities/export";
    const q: Query = { ...(run.saved !== undefined ? {} : toQuery(run.filter)), format, unmask: unmaskBox?.checked ? true : undefined };
    const buttons = exportBox?.querySelectorAll("button") ?? [];
    for (const b of buttons) b.disabled = true;
    replace(exportMsg, "导出中…（数据量大时需要一些时间）");
    download(app.api, path, q, abort.signal)
      .then((name) => replace(exportMsg, `已下载 ${name}`))
      .catch((err: unknown) => { if (!isAbort(err)) replace(exportMsg, errorBox(err)); })
      .finally(() => { for (const b of buttons) b.disabled = false; });
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const { filter, errors } = readForm(values());
    if (errors.length) {
      replace(formMsg, h("ul", { class: "error" }, errors.map((x) => h("li", {}, x.message))));
      controls.get(errors[0]!.field === "near" ? "near_radius" : errors[0]!.field)?.focus();
      return;
    }
    replace(formMsg);
    if (app.me.town_code) filter.town = app.me.town_code;
    // A changed form is a new screen, no longer the saved filter's.
    const same = current && JSON.stringify(toJSON(fromJSON(current.filter))) === JSON.stringify(toJSON(filter));
    start(same && current ? { filter, saved: current.id } : { filter });
    drawSaved();
  });
  form.querySelector("#sf-reset")!.addEventListener("click", () => {
    stopDrawing();
    mode = "idle";
    current = null;
    fill(app.me.town_code ? { town: app.me.town_code } : {});
    replace(formMsg);
    drawSaved();
  });

  // ---- saved filters ------------------------------------------------------
  const savedList = h("ul", { class: "list saved", id: "saved-list" }, h("li", { class: "small" }, "加载中…"));
  const savedMsg = h("div", { role: "status", id: "saved-msg" });
  const nameIn = h("input", { type: "text", id: "saved-name", maxlength: 100, required: true, placeholder: "如：东城街道 同址多户 从未检查" });
  const descIn = h("input", { type: "text", id: "saved-description", maxlength: 500 });
  const saveNewBtn = h("button", { type: "button", id: "saved-create", class: "primary" }, "保存为新筛选");
  const updateBtn = h("button", { type: "button", id: "saved-update", hidden: true }, "更新当前筛选");
  const saveBox = may.saveFilters ? h("form", { class: "save", "aria-label": "保存筛选", onsubmit: (e: Event) => e.preventDefault() },
    h("label", { for: "saved-name" }, "名称"), nameIn,
    h("label", { for: "saved-description" }, "说明"), descIn,
    h("p", { class: "tools" }, saveNewBtn, updateBtn)) : null;
  let saved: SavedFilter[] = [];
  // Open while there are saved filters to choose from (or one is in use).
  const savedSummary = h("summary", {}, "保存的筛选");
  const savedBox = h("details", { class: "group saved-box", id: "saved-box" }, savedSummary, savedList, savedMsg, saveBox);

  function drawSaved(): void {
    savedSummary.textContent = `保存的筛选（${saved.length}）`;
    if (saved.length > 0 || current) savedBox.open = true;
    if (saved.length === 0) replace(savedList, h("li", { class: "small" }, "还没有保存的筛选。"));
    else replace(savedList, saved.map((s) => h("li", { "data-id": s.id, class: current?.id === s.id ? "current" : null },
      h("div", { class: "saved-name" }, h("b", {}, s.name), " ",
        h("span", { class: "small" }, `${s.town_code ? areaName(s.town_code) ?? s.town_code : "全市"} · ${s.created_by || "—"} · ${dateTime(s.updated_at)}`)),
      s.description ? h("div", { class: "small" }, s.description) : null,
      h("div", { class: "small" }, describe(fromJSON(s.filter), areaName).join("；") || "无条件"),
      h("p", { class: "tools" },
        h("button", { type: "button", "data-action": "run", onclick: () => useSaved(s, true) }, "运行"),
        h("button", { type: "button", "data-action": "load", onclick: () => useSaved(s, false) }, "载入"),
        may.saveFilters ? h("button", { type: "button", "data-action": "delete", class: "danger", onclick: () => remove(s) }, "删除") : null))));
    if (saveBox) {
      updateBtn.hidden = !current;
      updateBtn.textContent = current ? `更新“${current.name}”` : "更新当前筛选";
    }
  }

  function loadSaved(select?: number): Promise<void> {
    return app.api.get<Page<SavedFilter>>("/v1/filters", undefined, abort.signal).then((p) => {
      saved = p.items;
      if (select !== undefined) current = saved.find((s) => s.id === select) ?? current;
      drawSaved();
    }).catch((err: unknown) => { if (!isAbort(err)) replace(savedList, h("li", {}, errorBox(err))); });
  }

  /** useSaved loads a saved filter into the form, and runs it (through /v1/filters/{id}/…) when asked. */
  function useSaved(s: SavedFilter, runIt: boolean): void {
    stopDrawing();
    mode = "idle";
    current = s;
    const filter = fromJSON(s.filter);
    fill(filter);
    if (saveBox) { nameIn.value = s.name; descIn.value = s.description; }
    replace(savedMsg);
    if (runIt) start({ filter, saved: s.id });
    drawSaved();
  }

  function body(): { name: string; description: string; filter: Record<string, unknown> } | null {
    const { filter, errors } = readForm(values());
    if (errors.length) { replace(savedMsg, h("p", { class: "error" }, errors.map((x) => x.message).join("；"))); return null; }
    if (!nameIn.value.trim()) { replace(savedMsg, h("p", { class: "error" }, "请填写名称。")); nameIn.focus(); return null; }
    return { name: nameIn.value.trim(), description: descIn.value.trim(), filter: toJSON(filter) };
  }

  saveNewBtn.addEventListener("click", () => {
    const b = body();
    if (!b) return;
    saveNewBtn.disabled = true;
    app.api.post<SavedFilter>("/v1/filters", b)
      .then((s) => { current = s; replace(savedMsg, h("p", { class: "small" }, `已保存“${s.name}”。`)); return loadSaved(s.id); })
      .catch((err: unknown) => replace(savedMsg, errorBox(err)))
      .finally(() => { saveNewBtn.disabled = false; });
  });
  updateBtn.addEventListener("click", () => {
    const b = body();
    if (!b || !current) return;
    const id = current.id;
    updateBtn.disabled = true;
    // If-Match: a filter changed by someone else since it was loaded is a conflict, not overwritten.
    app.api.put<SavedFilter>(`/v1/filters/${id}`, b, `"${current.version}"`)
      .then((s) => { current = s; replace(savedMsg, h("p", { class: "small" }, `已更新“${s.name}”。`)); return loadSaved(s.id); })
      .catch((err: unknown) => replace(savedMsg, errorBox(err)))
      .finally(() => { updateBtn.disabled = false; });
  });
  function remove(s: SavedFilter): void {
    if (!window.confirm(`删除保存的筛选“${s.name}”？`)) return;
    app.api.delete(`/v1/filters/${s.id}`)
      .then(() => {
        if (current?.id === s.id) current = null;
        replace(savedMsg, h("p", { class: "small" }, `已删除“${s.name}”。`));
        return loadSaved();
      })
      .catch((err: unknown) => replace(savedMsg, errorBox(err)));
  }

  replace(app.side,
    h("h2", {}, "高级筛选 · 定向排查"),
    savedBox,
    form, results);

  // ---- start ------------------------------------------------------------
  fill(initial.filter);
  void loadSaved(initial.saved).then(() => {
    if (initial.saved !== undefined && current?.id === initial.saved) {
      // A link to a saved filter runs it, whatever the address bar says of its contents.
      useSaved(current, true);
    }
  });
  app.towns().then((towns) => {
    for (const t of towns) townNames.set(t.properties.code, t.properties.name);
    fillTowns(towns.map((t) => ({ code: t.properties.code, name: t.properties.name })));
    drawSaved();
  }).catch((err: unknown) => townSel.after(errorBox(err)));

  void app.map().then((m) => {
    if (disposed) return;
    map = m;
    const ml = m.map;
    for (const id of HIDDEN_LAYERS) m.setVisible(id, false);
    m.setFocus([]);
    if (!ml.getSource(AREA_SOURCE)) ml.addSource(AREA_SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    if (!ml.getSource(RESULTS_SOURCE)) ml.addSource(RESULTS_SOURCE, resultsSource(null));
    for (const l of resultLayers()) if (!ml.getLayer(l.id)) ml.addLayer(l);
    ml.on("click", onClick);
    for (const id of [CLUSTERS, POINTS]) {
      ml.on("mouseenter", id, pointer);
      ml.on("mouseleave", id, pointer);
    }
    showArea();
    // The results fit the map when they come; until then show the area.
    const area = fitBounds(null, initial.filter);
    if (area && initial.saved === undefined) m.fitBounds(area);
  }).catch((err: unknown) => results.before(errorBox(err)));

  // A shared link runs at once (a saved filter's once it is loaded, above).
  if (query !== "" && initial.saved === undefined && !isEmpty(initial.filter)) start({ filter: initial.filter });

  return () => {
    disposed = true;
    abort.abort();
    runAbort.abort();
    divisionsAbort.abort();
    stopDrawing();
    app.side.classList.remove("wide");
    if (map) {
      const ml = map.map;
      ml.off("click", onClick);
      for (const id of [CLUSTERS, POINTS]) {
        ml.off("mouseenter", id, pointer);
        ml.off("mouseleave", id, pointer);
      }
      for (const l of resultLayers()) if (ml.getLayer(l.id)) ml.removeLayer(l.id);
      for (const s of [RESULTS_SOURCE, AREA_SOURCE]) if (ml.getSource(s)) ml.removeSource(s);
      ml.getCanvas().style.cursor = "";
      for (const [id, on] of app.toggles) map.setVisible(id, on);
    }
  };
}

/** setValue chooses a select's value, adding the option when the list does not have it yet (it comes later). */
function setValue(el: HTMLInputElement | HTMLSelectElement, v: string): void {
  if (el instanceof HTMLSelectElement && v && ![...el.options].some((o) => o.value === v)) el.append(h("option", { value: v }, v));
  el.value = v;
}

function safeJSON(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

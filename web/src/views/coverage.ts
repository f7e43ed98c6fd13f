// 覆盖地图: the coverage map with its filters, legend, layer toggles, the
// figures and blind spots of a clicked hexagon or grid, and the open flags.

import type { MapGeoJSONFeature, MapMouseEvent } from "maplibre-gl";
import { shows, townOptions } from "../access";
import type { App, Cleanup } from "../app";
import type { Entity, Flag, Page } from "../api";
import { WINDOWS, validFilter } from "../coverage";
import { h, replace, errorBox } from "../dom";
import { count, percent, ago } from "../format";
import { roundGeometry, labelPoint } from "../geojson";
import { INDUSTRIES, industryName } from "../industries";
import { DEFAULT_STOPS, gradientCSS, legendClasses, rampStops } from "../legend";
import type { MapView } from "../mapview";
import { FLAG_KINDS, nameOf } from "../names";
import { routeHash } from "../router";
import { GRID_HIT, TOGGLES, coverageRamp } from "../style";

const FIGURES: [string, string][] = [
  ["entities", "在营主体"],
  ["inspected", "已检查"],
  ["uninspected", "未检查"],
  ["never_inspected", "从未检查"],
  ["overdue_tasks", "逾期任务"],
  ["open_flags", "待处理预警"],
];

export function renderCoverage(app: App): Cleanup {
  app.layout("map");
  const may = shows(app.me);
  const detail = h("section", { "aria-label": "选中区域" });
  const flagsBox = h("section", { "aria-label": "待处理预警" });
  const status = h("p", { class: "small", role: "status" });

  const windowSel = h("select", { id: "f-window", name: "window" },
    WINDOWS.map((w) => h("option", { value: w, selected: w === app.filter.window }, `近 ${w} 天`)));
  const townSel = h("select", { id: "f-town", name: "town" });
  const fillTowns = (towns: { code: string; name: string }[]): void =>
    replace(townSel, townOptions(app.me, towns).map((o) => h("option", { value: o.value, selected: o.value === app.filter.town }, o.label)));
  fillTowns([]);
  const industrySel = h("select", { id: "f-industry", name: "industry" },
    h("option", { value: "" }, "全部行业"),
    INDUSTRIES.map(([c, n]) => h("option", { value: c, selected: c === app.filter.industry }, `${c} ${n}`)));

  let map: MapView | undefined;
  const apply = (): void => {
    const f = { window: Number(windowSel.value), town: townSel.value, industry: industrySel.value };
    if (!validFilter(f)) return;
    app.filter = f;
    map?.setCoverageFilter(f);
    clearDetail();
    if (may.flags) loadFlags();
  };
  const form = h("form", { class: "filters", "aria-label": "覆盖筛选",
    onsubmit: (e: Event) => { e.preventDefault(); apply(); } },
    h("label", { for: "f-window" }, "检查时间窗"), windowSel,
    h("label", { for: "f-town" }, "镇街"), townSel,
    h("label", { for: "f-industry" }, "行业（GB/T 4754 门类）"), industrySel);
  for (const s of [windowSel, townSel, industrySel]) s.addEventListener("change", apply);

  const legend = h("section", { "aria-label": "图例" });
  const drawLegend = (stops = DEFAULT_STOPS): void => {
    replace(legend,
      h("h3", {}, "覆盖率"),
      h("div", { class: "legend-bar", style: `background:${gradientCSS(stops)}`, role: "img",
        "aria-label": "覆盖率色带：红色 0% 到绿色 100%" }),
      h("div", { class: "legend-labels" }, legendClasses(stops).map((c) => h("span", {}, c.label))),
      h("p", { class: "small" }, `时间窗内有现场检查的在营主体占比；空白表示无在营主体。`),
      h("div", { class: "swatches" },
        swatch("#d7301f", "有待处理预警"), swatch("#fdae61", "从未检查"), swatch("#1a9850", "已检查"), swatch("#9e9e9e", "非在营")));
  };
  drawLegend();

  const toggles = h("fieldset", { class: "toggles" }, h("legend", { class: "small" }, "图层"),
    TOGGLES.map((t) => {
      const box = h("input", { type: "checkbox", id: `t-${t.id}`, checked: app.toggles.get(t.id) ?? t.on });
      box.addEventListener("change", () => {
        app.toggles.set(t.id, box.checked);
        map?.setVisible(t.id, box.checked);
      });
      return h("label", { for: `t-${t.id}` }, box, t.label);
    }));

  replace(app.side, h("h2", {}, "监管覆盖"), form, legend, h("h3", {}, "显示"), toggles, status, detail, may.flags ? flagsBox : null);

  function clearDetail(): void {
    map?.select(null);
    replace(detail, h("p", { class: "small" }, "点击地图上的六边形或网格查看覆盖情况。"));
  }
  clearDetail();

  let disposed = false;
  let abort = new AbortController();
  let flagsAbort = new AbortController();
  const onClick = (e: MapMouseEvent): void => {
    if (!map) return;
    const m = map.map;
    const layers = [GRID_HIT, "coverage-hex-fill", "entities-circle", "flags-circle"].filter((id) => map!.isVisible(id));
    const feats = m.queryRenderedFeatures(e.point, { layers });
    const ent = may.entities ? feats.find((f) => f.layer.id === "entities-circle") : undefined;
    if (ent && typeof ent.properties["uscc"] === "string") {
      location.hash = routeHash({ screen: "entity", uscc: ent.properties["uscc"] });
      return;
    }
    const grid = feats.find((f) => f.layer.id === GRID_HIT);
    const hex = feats.find((f) => f.layer.id === "coverage-hex-fill");
    const pick = grid ?? hex;
    if (!pick) { clearDetail(); return; }
    abort.abort();
    abort = new AbortController();
    showArea(pick, abort.signal);
  };

  function showArea(f: MapGeoJSONFeature, signal: AbortSignal): void {
    const p = f.properties;
    const isGrid = f.layer.id === GRID_HIT;
    const title = isGrid ? `网格 ${String(p["name"] ?? p["code"])}` : `六边形 ${String(p["h3"])}`;
    map!.select(isGrid ? { code: String(p["code"]) } : { h3: String(p["h3"]) });
    const blind = h("div", { "aria-busy": "true" }, h("p", { class: "small" }, "加载盲点主体…"));
    replace(detail,
      h("h3", {}, title),
      h("div", { class: "figures" },
        h("div", { class: "figure big" }, h("b", {}, percent(num(p["coverage"]))), h("span", {}, "覆盖率")),
        FIGURES.map(([k, label]) => h("div", { class: "figure" }, h("b", {}, count(num(p[k]))), h("span", {}, label)))),
      h("p", { class: "small" }, `近 ${app.filter.window} 天${app.filter.industry ? `，${industryName(app.filter.industry)}` : ""}`),
      may.entities ? [h("h3", {}, "盲点：从未检查的在营主体"), blind] : null);
    if (!may.entities) return;
    const q = isGrid
      ? { grid: String(p["code"]) }
      : { polygon: JSON.stringify(roundGeometry(f.geometry as { type: string; coordinates: unknown })) };
    app.api
      .get<Page<Entity>>("/v1/entities", { ...q, never_inspected: true, status: "active", industry: app.filter.industry, town: app.filter.town, limit: 50 }, signal)
      .then((page) => {
        blind.removeAttribute("aria-busy");
        if (page.items.length === 0) { replace(blind, h("p", { class: "small" }, "没有从未检查的主体。")); return; }
        replace(blind,
          h("ul", { class: "list" }, page.items.map((e) =>
            h("li", {}, h("a", { class: "item", href: routeHash({ screen: "entity", uscc: e.uscc }) },
              e.name, h("br"), h("span", { class: "small" }, `${e.industry_name ?? ""} · 登记 ${e.registered_at} · ${e.address_text}`))))),
          page.next ? h("p", { class: "small" }, `仅显示前 ${page.items.length} 个`) : null);
      })
      .catch((err: unknown) => {
        if (err instanceof DOMException && err.name === "AbortError") return;
        replace(blind, errorBox(err));
      });
  }

  void (async () => {
    try {
      map = await app.map();
      if (disposed) return;
      drawLegend(rampStops(coverageRamp(map.serverStyle)).length ? rampStops(coverageRamp(map.serverStyle)) : DEFAULT_STOPS);
      for (const [id, on] of app.toggles) map.setVisible(id, on);
      map.setCoverageFilter(app.filter);
      map.setFocus([]);
      map.map.on("click", onClick);
    } catch (err) {
      status.replaceWith(errorBox(err));
    }
  })();

  app.towns().then((towns) => {
    fillTowns(towns.map((t) => ({ code: t.properties.code, name: t.properties.name })));
    void app.map().then((m) => m.setTownLabels(towns.flatMap((t) => {
      const at = labelPoint(t.geometry);
      return at ? [{ name: t.properties.name, at }] : [];
    })));
  }).catch((err: unknown) => townSel.after(errorBox(err)));

  if (may.flags) loadFlags();
  function loadFlags(): void {
    flagsAbort.abort();
    flagsAbort = new AbortController();
    replace(flagsBox, h("h3", {}, "待处理预警"), h("p", { class: "small" }, "加载中…"));
    app.api.get<Page<Flag>>("/v1/flags", { status: "open", limit: 50, town: app.filter.town }, flagsAbort.signal)
      .then((page) => {
        replace(flagsBox,
          h("h3", {}, `待处理预警（${page.items.length}${page.next ? "+" : ""}）`),
          h("ul", { class: "list", id: "flag-list" }, page.items.map((f) =>
            h("li", {}, h("button", { type: "button", disabled: !f.location,
              onclick: () => {
                if (!f.location || !map) return;
                map.flyTo(f.location.coordinates, 17);
                map.setFocus([{ type: "Feature", geometry: f.location, properties: { role: "main", label: f.title } }]);
              } },
              h("span", { class: "score" }, f.score),
              f.evidence?.entity?.name ?? f.uscc ?? "",
              h("br"), h("span", { class: "small" }, `${nameOf(FLAG_KINDS, f.kind)} · ${f.title} · ${ago(f.raised_at)}`))))));
      })
      .catch((err: unknown) => {
        if (!(err instanceof DOMException && err.name === "AbortError")) replace(flagsBox, h("h3", {}, "待处理预警"), errorBox(err));
      });
  }

  return () => {
    disposed = true;
    abort.abort();
    flagsAbort.abort();
    map?.map.off("click", onClick);
    map?.select(null);
  };
}

function swatch(color: string, label: string): HTMLElement {
  return h("span", {}, h("span", { class: "swatch", style: `background:${color}` }), label);
}

function num(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}

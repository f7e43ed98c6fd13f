// 图层: the tile catalogue (GET /tiles) for GIS staff: each layer with its
// description, zooms, cap and fields, its TileJSON URL to copy into QGIS,
// and a live preview of the chosen layer.

import * as maplibregl from "maplibre-gl";
import type { LayerSpecification, Map as MLMap, StyleSpecification } from "maplibre-gl";
import type { App, Cleanup } from "../app";
import type { TileCatalogue, TileLayer } from "../api";
import { h, replace, errorBox } from "../dom";
import { count } from "../format";
import { cssFamilies, FONT_FAMILIES, GLYPHS_URL } from "../glyphs";
import { watchErrors } from "../mapview";
import { routeHash } from "../router";
import { transformRequest } from "../session";

const GEOMETRY: Record<string, string> = { point: "点", line: "线", polygon: "面" };

/** previewLayers draws one tile layer plainly, by its geometry. */
export function previewLayers(layer: TileLayer): LayerSpecification[] {
  const base = { source: "preview", "source-layer": layer.name } as const;
  const color = layer.name.startsWith("coverage")
    ? ["interpolate", ["linear"], ["coalesce", ["get", "coverage"], 0], 0, "#d7191c", 0.5, "#ffffbf", 1, "#1a9641"]
    : "#1f3a93";
  switch (layer.geometry) {
    case "point":
      return layer.name === "coverage_heat"
        ? [{ id: "p-heat", type: "heatmap", ...base, paint: { "heatmap-weight": ["interpolate", ["linear"], ["get", "uninspected"], 0, 0, 50, 1] } } as LayerSpecification]
        : [{ id: "p-circle", type: "circle", ...base, paint: { "circle-color": color, "circle-radius": 3, "circle-stroke-color": "#fff", "circle-stroke-width": 0.5 } } as LayerSpecification];
    case "line":
      return [{ id: "p-line", type: "line", ...base, paint: { "line-color": color, "line-width": 1.2 } } as LayerSpecification];
    default:
      return [
        { id: "p-fill", type: "fill", ...base, paint: { "fill-color": color, "fill-opacity": 0.35 } } as LayerSpecification,
        { id: "p-outline", type: "line", ...base, paint: { "line-color": layer.name.startsWith("coverage") ? "#555" : "#1f3a93", "line-width": 0.6 } } as LayerSpecification,
      ];
  }
}

export function renderLayers(app: App, selected?: string): Cleanup {
  app.layout("page");
  const cards = h("div", { class: "cards", role: "list" });
  const previewTitle = h("h3", {}, "预览");
  const previewEl = h("div", { class: "preview-map", id: "preview-map", role: "region", "aria-label": "图层预览地图" });
  replace(app.page,
    h("h2", {}, "图层目录"),
    h("p", { class: "muted" }, "矢量瓦片（MVT，EPSG:3857）。在 QGIS 中：图层 ▸ 添加图层 ▸ 添加矢量瓦片图层，复制下方的 TileJSON 地址。"),
    h("p", { class: "small", id: "tiles-token-note" }, "瓦片和 TileJSON 需要 API 令牌（向管理员申请 GIS 角色的令牌）：在客户端的连接设置中加请求头 ",
      h("code", {}, "Authorization: Bearer gs_…"), "，或在瓦片地址后加 ", h("code", {}, "?access_token=gs_…"), "。不要把令牌写进共享的工程文件。"),
    h("div", { class: "layers-wrap" }, cards, h("aside", { class: "preview" }, previewTitle, previewEl)));

  let preview: MLMap | undefined;
  let catalogue: TileCatalogue | undefined;
  let disposed = false;

  const show = (layer: TileLayer): void => {
    for (const c of cards.querySelectorAll<HTMLElement>(".card")) c.setAttribute("aria-current", String(c.dataset["layer"] === layer.name));
    replace(previewTitle, `预览：${layer.name}`);
    const style: StyleSpecification = {
      version: 8,
      glyphs: GLYPHS_URL,
      sources: { preview: { type: "vector", url: layer.tilejson } },
      layers: [{ id: "bg", type: "background", paint: { "background-color": "#f4f1ea" } }, ...previewLayers(layer)],
    };
    const zoom = Math.min(Math.max(layer.minzoom + 0.5, 10), layer.maxzoom);
    if (!preview) {
      preview = new maplibregl.Map({
        container: previewEl, style, center: [113.75, 23.02], zoom,
        attributionControl: false, localIdeographFontFamily: cssFamilies(FONT_FAMILIES),
        transformRequest: transformRequest(app.auth.origin, () => app.auth.token()),
      });
      watchErrors(preview, app.auth);
      preview.addControl(new maplibregl.NavigationControl({ showCompass: false }));
      (window as unknown as { __gridsentryPreview?: MLMap }).__gridsentryPreview = preview;
    } else {
      preview.setStyle(style);
      if (preview.getZoom() < layer.minzoom || preview.getZoom() > layer.maxzoom + 2) preview.jumpTo({ zoom });
    }
  };

  app.api.get<TileCatalogue>("/tiles").then((cat) => {
    if (disposed) return;
    catalogue = cat;
    for (const layer of cat.layers) cards.append(card(layer, () => {
      history.replaceState(null, "", routeHash({ screen: "layers", layer: layer.name }));
      show(layer);
    }));
    cards.append(h("article", { class: "card", role: "listitem" },
      h("h3", {}, "完整样式（MapLibre）"),
      h("p", { class: "small" }, "所有图层的 MapLibre 样式，可用于 MapLibre、OpenLayers（ol-mapbox-style）。"),
      copyField("样式地址", cat.style)));
    const first = cat.layers.find((l) => l.name === selected) ?? cat.layers.find((l) => l.name === "coverage_hex") ?? cat.layers[0];
    if (first) show(first);
  }).catch((err: unknown) => cards.replaceWith(errorBox(err)));

  return () => {
    disposed = true;
    preview?.remove();
    preview = undefined;
    void catalogue;
  };
}

function card(layer: TileLayer, onPreview: () => void): HTMLElement {
  return h("article", { class: "card", role: "listitem", "data-layer": layer.name },
    h("h3", {}, layer.name, " ", h("span", { class: "small" }, `${GEOMETRY[layer.geometry] ?? layer.geometry} · ${layer.kind === "computed" ? "计算图层" : "数据表图层"}`)),
    h("p", {}, layer.description),
    h("p", { class: "small" }, `缩放级别 ${layer.minzoom}–${layer.maxzoom} · 每瓦片最多 ${count(layer.max_features)} 个要素`),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "字段"), h("th", {}, "类型"), h("th", {}, "说明"))),
      h("tbody", {}, Object.entries(layer.fields).map(([name, f]) =>
        h("tr", {}, h("td", {}, h("code", {}, name)), h("td", {}, f.type), h("td", {}, f.description ?? ""))))),
    copyField("TileJSON", layer.tilejson),
    h("p", {}, h("button", { type: "button", onclick: onPreview, "aria-label": `预览图层 ${layer.name}` }, "预览")));
}

function copyField(label: string, value: string): HTMLElement {
  const id = `copy-${Math.random().toString(36).slice(2, 8)}`;
  const input = h("input", { type: "text", id, readonly: true, value });
  const msg = h("span", { class: "small", role: "status" });
  const btn = h("button", { type: "button", "aria-label": `复制${label}地址` }, "复制");
  btn.addEventListener("click", () => {
    void copy(input).then((ok) => {
      msg.textContent = ok ? "已复制" : "请按 Ctrl+C 复制";
      setTimeout(() => (msg.textContent = ""), 2000);
    });
  });
  input.addEventListener("focus", () => input.select());
  return h("div", {}, h("label", { for: id }, label), h("div", { class: "copy" }, input, btn), msg);
}

async function copy(input: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.focus();
    input.select();
    return document.execCommand?.("copy") ?? false;
  }
}

// The main map: the server's style with the console's additions, and the
// few operations the screens need.

import * as maplibregl from "maplibre-gl";
import type { Map as MLMap, StyleSpecification, GeoJSONSource, VectorTileSource } from "maplibre-gl";
import { coverageTileURL, type CoverageFilter } from "./coverage";
import { cssFamilies, FONT_FAMILIES } from "./glyphs";
import { FOCUS_SOURCE, GRID_HIT, prepareStyle, TOWN_LABELS_SOURCE } from "./style";
import type { Auth, Client } from "./api";
import { transformRequest } from "./session";

export interface FocusFeature {
  type: "Feature";
  geometry: { type: string; coordinates: unknown };
  properties: { role: "main" | "candidate" | "other"; label?: string };
}

declare global {
  interface Window {
    /** __gridsentryMap is the main map, for end-to-end tests. */
    __gridsentryMap?: MLMap;
  }
}

/**
 * watchErrors hands a map's refused requests to the sign-in: a 401 (the
 * token was revoked or expired) asks to sign in again, a 429 shows the
 * notice. Other errors go to the console, as MapLibre does without a
 * listener.
 */
export function watchErrors(map: MLMap, auth: Auth): void {
  map.on("error", (e) => {
    const status = (e.error as { status?: unknown } | undefined)?.status;
    const token = auth.token();
    if (status === 401) {
      if (token !== null) auth.unauthorized(token);
    } else if (status === 429) {
      auth.rateLimited(null); // MapLibre keeps the response's headers to itself
    } else {
      console.error(e.error);
    }
  });
}

export class MapView {
  private constructor(
    readonly map: MLMap,
    readonly serverStyle: StyleSpecification,
    private readonly coverageTemplate: string,
  ) {}

  /** create loads /tiles/style.json and makes the map in container. */
  static async create(api: Client, auth: Auth, container: HTMLElement): Promise<MapView> {
    const server = await api.get<StyleSpecification>("/tiles/style.json");
    const style = prepareStyle(server);
    const cov = style.sources["coverage"] as VectorTileSource | undefined;
    const template = (cov as unknown as { tiles?: string[] })?.tiles?.[0] ?? "";
    const map = new maplibregl.Map({
      container,
      style,
      localIdeographFontFamily: cssFamilies(FONT_FAMILIES),
      attributionControl: false,
      maxPitch: 0,
      dragRotate: false,
      hash: false,
      transformRequest: transformRequest(auth.origin, () => auth.token()),
    });
    watchErrors(map, auth);
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
    map.keyboard.enable();
    window.__gridsentryMap = map;
    const view = new MapView(map, server, template);
    await new Promise<void>((resolve) => (map.loaded() ? resolve() : map.once("load", () => resolve())));
    return view;
  }

  /** setCoverageFilter puts the filter on the coverage source's tile URL. */
  setCoverageFilter(f: CoverageFilter): void {
    if (!this.coverageTemplate) return;
    const src = this.map.getSource<VectorTileSource>("coverage");
    src?.setTiles([coverageTileURL(this.coverageTemplate, f)]);
  }

  setVisible(layer: string, on: boolean): void {
    // The grids' hit layer and selection go with their outlines.
    const ids = layer === "coverage-grid-line" ? [layer, GRID_HIT, "selection-grid-line"] : [layer];
    for (const id of ids) if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
  }

  isVisible(layer: string): boolean {
    return this.map.getLayer(layer) ? this.map.getLayoutProperty(layer, "visibility") !== "none" : false;
  }

  /** select outlines one hexagon (by h3) or grid (by code); null clears. */
  select(sel: { h3: string } | { code: string } | null): void {
    const h3 = sel && "h3" in sel ? sel.h3 : "";
    const code = sel && "code" in sel ? sel.code : "";
    this.map.setFilter("selection-line", ["==", ["get", "h3"], h3]);
    this.map.setFilter("selection-grid-line", ["==", ["get", "code"], code]);
  }

  /** setFocus shows points and outlines a screen is about; [] clears. */
  setFocus(features: FocusFeature[]): void {
    this.map.getSource<GeoJSONSource>(FOCUS_SOURCE)?.setData({ type: "FeatureCollection", features: features as never });
  }

  setTownLabels(points: { name: string; at: [number, number] }[]): void {
    this.map.getSource<GeoJSONSource>(TOWN_LABELS_SOURCE)?.setData({
      type: "FeatureCollection",
      features: points.map((p) => ({ type: "Feature", geometry: { type: "Point", coordinates: p.at }, properties: { name: p.name } })),
    });
  }

  flyTo(at: [number, number], zoom = 16): void {
    this.map.flyTo({ center: at, zoom: Math.max(zoom, this.map.getZoom()), essential: true });
  }

  fitBounds(b: [number, number, number, number]): void {
    this.map.fitBounds(b, { padding: 40, maxZoom: 17 });
  }

  resize(): void {
    this.map.resize();
  }
}

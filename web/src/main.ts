// The console's entry point: MapLibre's worker and glyphs, then the hash router.

import "./styles.css";
import * as maplibregl from "maplibre-gl";
import TinySDF from "@mapbox/tiny-sdf";
import { Client } from "./api";
import { App, type Cleanup } from "./app";
import { cssFamilies, FONT_FAMILIES, GLYPH_BUFFER, GLYPH_SIZE, registerGlyphProtocol } from "./glyphs";
import { parseRoute } from "./router";
import { renderCoverage } from "./views/coverage";
import { renderLayers } from "./views/layers";
import { renderAddress } from "./views/address";
import { renderEntity } from "./views/entity";

declare const __WORKER_FILE__: string;

maplibregl.setWorkerUrl(new URL(`assets/${__WORKER_FILE__}`, document.baseURI).href);
registerGlyphProtocol(
  (name, fn) => maplibregl.addProtocol(name, fn as never),
  (weight) =>
    new TinySDF({ fontSize: GLYPH_SIZE, buffer: GLYPH_BUFFER, radius: 8, cutoff: 0.25, fontFamily: cssFamilies(FONT_FAMILIES), fontWeight: weight }),
);

const app = new App(
  new Client(),
  document.getElementById("side")!,
  document.getElementById("map")!,
  document.getElementById("page")!,
);

let cleanup: Cleanup | undefined;

function route(): void {
  const r = parseRoute(location.hash);
  cleanup?.();
  cleanup = undefined;
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a[data-screen]")) {
    if (a.dataset["screen"] === r.screen) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  switch (r.screen) {
    case "coverage":
      cleanup = renderCoverage(app);
      break;
    case "layers":
      cleanup = renderLayers(app, r.layer);
      break;
    case "address":
      cleanup = renderAddress(app, r.q);
      break;
    case "entity":
      cleanup = renderEntity(app, r.uscc);
      break;
  }
}

window.addEventListener("hashchange", route);
route();

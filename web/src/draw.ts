// Drawing a polygon on the main map with terra-draw (its MapLibre adapter),
// loaded on first use: only the screening draws.

import type { Map as MLMap } from "maplibre-gl";
import { TerraDraw, TerraDrawPolygonMode, ValidateNotSelfIntersecting } from "terra-draw";
import { TerraDrawMapLibreGLAdapter } from "terra-draw-maplibre-gl-adapter";

/** Drawing is a polygon being drawn; stop ends it and takes terra-draw's layers off the map. */
export interface Drawing {
  stop(): void;
}

/**
 * drawPolygon lets the person draw one polygon on map: a click per
 * corner, a click on the first corner (or Enter) to finish, Escape to
 * cancel. A self-intersecting ring is refused as it is drawn. done is
 * given the polygon, after which the drawing stops by itself.
 */
export function drawPolygon(map: MLMap, done: (polygon: { type: "Polygon"; coordinates: number[][][] }) => void): Drawing {
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [new TerraDrawPolygonMode({
      validation: (feature) => ValidateNotSelfIntersecting(feature),
      styles: { fillColor: "#1f3a93", fillOpacity: 0.12, outlineColor: "#1f3a93", outlineWidth: 2, closingPointColor: "#1f3a93" },
    })],
  });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    draw.clear();
    draw.stop();
  };
  draw.start();
  draw.setMode("polygon");
  draw.on("finish", (id, ctx) => {
    if (ctx.action !== "draw") return;
    const feature = draw.getSnapshotFeature(id);
    // Leave terra-draw's own handler before taking its layers away.
    setTimeout(() => {
      stop();
      if (feature?.geometry.type === "Polygon") done({ type: "Polygon", coordinates: feature.geometry.coordinates as number[][][] });
    }, 0);
  });
  return { stop };
}

// Apache ECharts, as little of it as the statistics use: bar, line and
// sankey charts, the grid, tooltip and legend, drawn as SVG (crisp at any
// zoom, and its elements are in the page for the end-to-end tests).
// Importing from echarts/core keeps the rest of ECharts out of the bundle.

import { BarChart, LineChart, SankeyChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { init, use, type EChartsType } from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { FONT_FAMILIES, cssFamilies } from "./glyphs";
import type { ChartOption } from "./stats";

use([BarChart, LineChart, SankeyChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** Chart is a chart drawn in an element; dispose it when the screen goes. */
export type Chart = EChartsType;

/** drawChart draws option in el (making the chart the first time) and gives the chart. */
export function drawChart(el: HTMLElement, option: ChartOption): Chart {
  const chart = (el as { __chart?: Chart }).__chart ?? init(el, null, { renderer: "svg", locale: "ZH" });
  (el as { __chart?: Chart }).__chart = chart;
  chart.setOption({ textStyle: { fontFamily: cssFamilies(FONT_FAMILIES) }, animation: false, ...option }, { notMerge: true });
  return chart;
}

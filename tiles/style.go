package tiles

// StyleSources returns the layers of each source of the style: one
// composite tile of the table layers ("gridsentry"), one of the computed
// layers ("coverage"), under their default filter. Seeding caches these.
func StyleSources(c *Catalogue) map[string][]Layer {
	out := map[string][]Layer{}
	for _, l := range c.Layers() {
		name := "gridsentry"
		if l.Kind != Table {
			name = "coverage"
		}
		out[name] = append(out[name], l)
	}
	return out
}

// coverageColor colours a coverage ratio (0 to 1) from red, nothing
// inspected, to green, all of it.
var coverageColor = []any{"interpolate", []any{"linear"}, []any{"get", "coverage"},
	0, "#d7191c", 0.25, "#fdae61", 0.5, "#ffffbf", 0.75, "#a6d96a", 1, "#1a9641"}

// Style returns a MapLibre GL style (version 8) that draws every layer
// of the catalogue, from one composite source per StyleSources entry at
// base's tile URLs, which carry query (encoded, without "?"; "" for
// none), as NewTileJSON's do.
//
// It uses no external resources: no glyphs, sprite or font URLs, so it
// works offline and behind a firewall. Text labels need glyphs, so there
// are none yet; names and codes are in the features for popups.
func Style(base, query string, c *Catalogue) map[string]any {
	sources := map[string]any{}
	for name, layers := range StyleSources(c) {
		minZoom, maxZoom := zoomRange(layers)
		sources[name] = map[string]any{
			"type":        "vector",
			"tiles":       []string{tileURL(base, query, layers)},
			"minzoom":     minZoom,
			"maxzoom":     maxZoom,
			"bounds":      []float64{c.Bounds.Min[0], c.Bounds.Min[1], c.Bounds.Max[0], c.Bounds.Max[1]},
			"attribution": "gridsentry",
		}
	}
	center := c.Bounds.Center()
	layers := []map[string]any{
		{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f4f1ea"}},
	}
	add := func(id, typ, source string, paint map[string]any, extra ...map[string]any) {
		lay, ok := c.Layer(source)
		if !ok {
			return // not in this catalogue
		}
		src := "gridsentry"
		if lay.Kind != Table {
			src = "coverage"
		}
		l := map[string]any{"id": id, "type": typ, "source": src, "source-layer": source, "paint": paint, "minzoom": lay.MinZoom}
		for _, e := range extra {
			for k, v := range e {
				l[k] = v
			}
		}
		layers = append(layers, l)
	}
	add("towns-fill", "fill", "towns", map[string]any{"fill-color": "#e6dfcf", "fill-opacity": 0.5})
	// Coverage under everything else: the heat of the supervision gap
	// at low zooms, fading out as the hexagons take over.
	add("coverage-heat", "heatmap", CoverageHeat, map[string]any{
		"heatmap-weight":    []any{"interpolate", []any{"linear"}, []any{"get", "uninspected"}, 0, 0, 50, 1},
		"heatmap-radius":    []any{"interpolate", []any{"linear"}, []any{"zoom"}, 6, 8, 12, 24},
		"heatmap-intensity": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 6, 0.6, 12, 1.5},
		"heatmap-opacity":   []any{"interpolate", []any{"linear"}, []any{"zoom"}, 10, 0.6, 13, 0}},
		map[string]any{"maxzoom": 13})
	add("coverage-hex-fill", "fill", CoverageHex, map[string]any{"fill-color": coverageColor, "fill-opacity": 0.35,
		"fill-outline-color": "rgba(0,0,0,0.15)"})
	add("villages-line", "line", "villages", map[string]any{"line-color": "#a89f8c", "line-width": 0.8})
	add("grids-line", "line", "grids", map[string]any{"line-color": "#7a8fa6", "line-width": 0.6,
		"line-dasharray": []float64{3, 2}})
	add("coverage-grid-line", "line", CoverageGrid, map[string]any{"line-color": coverageColor,
		"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 9, 1, 16, 3}})
	add("roads-line", "line", "roads", map[string]any{"line-color": "#ffffff",
		"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 11, 0.5, 18, 6}},
		map[string]any{"layout": map[string]any{"line-cap": "round", "line-join": "round"}})
	add("buildings-fill", "fill", "buildings", map[string]any{
		"fill-color": []any{"match", []any{"get", "use"},
			"residential", "#d9c3a5", "commercial", "#e7a977", "office", "#b7b3d6",
			"industrial", "#b9b9b9", "mixed", "#d6b4c4", "public", "#a9cfa4", "#cccccc"},
		"fill-outline-color": "#8a7f70",
		"fill-opacity":       []any{"case", []any{"==", []any{"get", "status"}, "existing"}, 0.9, 0.35}})
	add("towns-line", "line", "towns", map[string]any{"line-color": "#6b5b45", "line-width": 1.6})
	add("doorplates-circle", "circle", "doorplates", map[string]any{"circle-radius": 2,
		"circle-color": "#5b6770"})
	add("entities-circle", "circle", "entities", map[string]any{
		"circle-radius": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 14, 2, 18, 5},
		"circle-color": []any{"case",
			[]any{">", []any{"get", "open_flags"}, 0}, "#d7301f",
			[]any{"!=", []any{"get", "status"}, "active"}, "#9e9e9e",
			[]any{"!", []any{"has", "last_inspected_at"}}, "#fdae61",
			"#1a9850"},
		"circle-stroke-color": "#ffffff", "circle-stroke-width": 0.5})
	add("flags-circle", "circle", "flags", map[string]any{
		"circle-radius":  []any{"interpolate", []any{"linear"}, []any{"get", "score"}, 0, 3, 100, 8},
		"circle-color":   []any{"match", []any{"get", "status"}, "open", "#b2182b", "confirmed", "#67001f", "#bababa"},
		"circle-opacity": 0.8, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1})
	return map[string]any{
		"version": 8,
		"name":    "gridsentry",
		"center":  []float64{center[0], center[1]},
		"zoom":    10,
		"sources": sources,
		"layers":  layers,
	}
}

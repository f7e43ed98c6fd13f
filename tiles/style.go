package tiles

// Style returns a MapLibre GL style (version 8) that draws every table
// layer of the catalogue from one composite source at base's tile URL.
//
// It uses no external resources: no glyphs, sprite or font URLs, so it
// works offline and behind a firewall. Text labels need glyphs, so there
// are none yet; names and codes are in the features for popups.
func Style(base string, c *Catalogue) map[string]any {
	var table []Layer
	for _, l := range c.Layers() {
		if l.Kind == Table {
			table = append(table, l)
		}
	}
	minZoom, maxZoom := zoomRange(table)
	center := c.Bounds.Center()
	layers := []map[string]any{
		{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f4f1ea"}},
	}
	add := func(id, typ, source string, paint map[string]any, extra ...map[string]any) {
		l := map[string]any{"id": id, "type": typ, "source": "gridsentry", "source-layer": source, "paint": paint}
		if lay, ok := c.Layer(source); ok {
			l["minzoom"] = lay.MinZoom
		}
		for _, e := range extra {
			for k, v := range e {
				l[k] = v
			}
		}
		layers = append(layers, l)
	}
	add("towns-fill", "fill", "towns", map[string]any{"fill-color": "#e6dfcf", "fill-opacity": 0.5})
	add("villages-line", "line", "villages", map[string]any{"line-color": "#a89f8c", "line-width": 0.8})
	add("grids-line", "line", "grids", map[string]any{"line-color": "#7a8fa6", "line-width": 0.6,
		"line-dasharray": []float64{3, 2}})
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
		"sources": map[string]any{
			"gridsentry": map[string]any{
				"type":        "vector",
				"tiles":       []string{tileURL(base, table)},
				"minzoom":     minZoom,
				"maxzoom":     maxZoom,
				"bounds":      []float64{c.Bounds.Min[0], c.Bounds.Min[1], c.Bounds.Max[0], c.Bounds.Max[1]},
				"attribution": "gridsentry",
			},
		},
		"layers": layers,
	}
}

package tiles

import (
	"strings"

	"github.com/paulmach/orb"
)

// TileJSON is a TileJSON 3.0.0 document of one or several layers
// (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0).
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer of a TileJSON document. Fields maps each
// attribute to its type (String, Number, Boolean), as Martin and
// tippecanoe write it.
type VectorLayer struct {
	ID          string               `json:"id"`
	Description string               `json:"description,omitempty"`
	MinZoom     int                  `json:"minzoom"`
	MaxZoom     int                  `json:"maxzoom"`
	Fields      map[string]FieldType `json:"fields"`
}

// tileURL returns the URL template of the tiles of layers under base (the
// server's origin, such as "http://127.0.0.1:8080", no trailing slash),
// with query (encoded, without "?"; "" for none).
func tileURL(base, query string, layers []Layer) string {
	return withQuery(base+"/tiles/"+joinNames(layers)+"/{z}/{x}/{y}.mvt", query)
}

// TileJSONURL returns the URL of the TileJSON document of layers, with
// query (encoded, without "?"; "" for none).
func TileJSONURL(base, query string, layers []Layer) string {
	return withQuery(base+"/tiles/"+joinNames(layers)+".json", query)
}

// StyleURL returns the URL of the style, with query.
func StyleURL(base, query string) string {
	return withQuery(base+"/tiles/style.json", query)
}

func withQuery(url, query string) string {
	if query == "" {
		return url
	}
	return url + "?" + query
}

func joinNames(layers []Layer) string {
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	return strings.Join(names, ",")
}

// zoomRange returns the widest zoom range of layers.
func zoomRange(layers []Layer) (minZoom, maxZoom int) {
	minZoom, maxZoom = MaxZoom, 0
	for _, l := range layers {
		minZoom, maxZoom = min(minZoom, l.MinZoom), max(maxZoom, l.MaxZoom)
	}
	return minZoom, maxZoom
}

// NewTileJSON returns the TileJSON document of layers (one, or several
// served as one composite tile) over bounds, with tile URLs under base
// that carry query (encoded, without "?"; "" for none), such as the
// access_token a GIS client was given the document with, so that it
// sends it with every tile. Its zoom range spans the layers'; the center
// is the middle of bounds at two zooms past the minimum (within the
// range).
func NewTileJSON(base, query string, bounds orb.Bound, layers []Layer) TileJSON {
	minZoom, maxZoom := zoomRange(layers)
	tj := TileJSON{
		TileJSON: "3.0.0",
		Name:     joinNames(layers),
		Scheme:   "xyz",
		Tiles:    []string{tileURL(base, query, layers)},
		MinZoom:  minZoom,
		MaxZoom:  maxZoom,
		Bounds:   [4]float64{bounds.Min[0], bounds.Min[1], bounds.Max[0], bounds.Max[1]},
	}
	c := bounds.Center()
	tj.Center = [3]float64{c[0], c[1], float64(min(minZoom+2, maxZoom))}
	if len(layers) == 1 {
		tj.Description = layers[0].Description
	}
	for _, l := range layers {
		vl := VectorLayer{ID: l.Name, Description: l.Description, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom,
			Fields: map[string]FieldType{}}
		for _, f := range l.Fields {
			vl.Fields[f.Name] = f.Type
		}
		tj.VectorLayers = append(tj.VectorLayers, vl)
	}
	return tj
}

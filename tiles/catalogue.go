package tiles

import (
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/derrors"
)

// Geometry is the geometry type of a layer's features.
type Geometry string

// The geometry types of layers.
const (
	Point   Geometry = "point"
	Line    Geometry = "line"
	Polygon Geometry = "polygon"
)

// FieldType is the type of a feature attribute, spelled as TileJSON's
// vector_layers (and tippecanoe, Martin) spell it.
type FieldType string

// The types of feature attributes.
const (
	String  FieldType = "String"
	Number  FieldType = "Number"
	Boolean FieldType = "Boolean"
)

// A Field is a feature attribute of a layer. A feature omits a field whose
// value it lacks (an entity never inspected has no last_inspected_at).
type Field struct {
	Name        string
	Type        FieldType
	Description string
}

// Kind says who builds a layer.
type Kind string

// The kinds of layers.
const (
	Table    Kind = "table"    // built by the database from a table (ST_AsMVT)
	Computed Kind = "computed" // built in Go from computed values
)

// A Layer is one layer of the tiles: its name in URLs and in the MVT, what
// it shows, and the zoom range in which it has tiles. Outside that range
// the server answers 204 No Content and TileJSON tells clients to overzoom.
type Layer struct {
	Name        string
	Description string
	Kind        Kind
	Geometry    Geometry
	MinZoom     int
	MaxZoom     int
	// MaxFeatures caps the features of the layer in one tile from two
	// zooms past its MinZoom (see Cap). When more match, the largest
	// polygons, the longest lines, or the points that matter most (see
	// each layer's description) are kept.
	MaxFeatures int
	Fields      []Field
	// Filtered reports whether the layer takes the query parameters
	// window, town, industry and kind (supervision.CoverageFilter).
	Filtered bool
	// Scoped reports whether the layer shows market entities or their
	// supervision, of which a town-scoped reader sees its town's part
	// only (Scope). The layers that are not are the map (divisions,
	// roads, buildings, doorplates), the same for every reader.
	Scoped bool
}

// Filtered reports whether any of layers takes the query parameters.
func Filtered(layers []Layer) bool {
	for _, l := range layers {
		if l.Filtered {
			return true
		}
	}
	return false
}

// Cap returns the most features of the layer in a tile at zoom z: a
// quarter of MaxFeatures at MinZoom, half at the next zoom, all of it
// from two zooms in. A tile at a layer's lowest zoom spans four times
// the area of one a zoom in, where the densest features crowd most; the
// rule keeps those tiles small (under 500 KB at city scale) and lets
// detail grow as the user zooms in.
func (l Layer) Cap(z int) int {
	return max(l.MaxFeatures>>max(0, l.MinZoom+2-z), 1)
}

// Covers reports whether the layer has tiles at zoom z.
func (l Layer) Covers(z int) bool { return z >= l.MinZoom && z <= l.MaxZoom }

// A Catalogue is the set of layers a server offers, in a fixed order, and
// the area they cover.
type Catalogue struct {
	layers []Layer
	byName map[string]int
	// Bounds is the area the layers cover, in WGS84 (for TileJSON).
	Bounds orb.Bound
}

// NewCatalogue returns a catalogue of layers over bounds. Layer names must
// be unique, non-empty and free of commas (they are joined by commas in
// composite URLs); NewCatalogue panics otherwise, as the layers are code.
func NewCatalogue(bounds orb.Bound, layers ...Layer) *Catalogue {
	c := &Catalogue{Bounds: bounds, byName: map[string]int{}}
	for _, l := range layers {
		c.Add(l)
	}
	return c
}

// Add adds a layer at the end of the catalogue.
func (c *Catalogue) Add(l Layer) {
	if l.Name == "" || strings.ContainsAny(l.Name, ",/. ") {
		panic("tiles: bad layer name " + l.Name)
	}
	if _, dup := c.byName[l.Name]; dup {
		panic("tiles: layer " + l.Name + " defined twice")
	}
	c.byName[l.Name] = len(c.layers)
	c.layers = append(c.layers, l)
}

// Layers returns the layers in catalogue order.
func (c *Catalogue) Layers() []Layer { return append([]Layer(nil), c.layers...) }

// Layer returns the layer called name.
func (c *Catalogue) Layer(name string) (Layer, bool) {
	i, ok := c.byName[name]
	if !ok {
		return Layer{}, false
	}
	return c.layers[i], true
}

// Lookup returns the layers of a URL's comma-separated list ("buildings"
// or "grids,buildings,entities"), in the order given. An empty name or a
// name given twice is Invalid; a name the catalogue lacks is NotFound.
func (c *Catalogue) Lookup(names string) ([]Layer, error) {
	var out []Layer
	seen := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		switch l, ok := c.Layer(n); {
		case n == "":
			return nil, derrors.Field("layers", "%q has an empty layer name", names)
		case seen[n]:
			return nil, derrors.Field("layers", "layer %q is named twice", n)
		case !ok:
			return nil, derrors.New(derrors.NotFound, "no layer %q (the layers are %s)", n, strings.Join(c.Names(), ", "))
		default:
			seen[n] = true
			out = append(out, l)
		}
	}
	return out, nil
}

// Names returns the layer names in catalogue order.
func (c *Catalogue) Names() []string {
	out := make([]string, len(c.layers))
	for i, l := range c.layers {
		out[i] = l.Name
	}
	return out
}

// AtZoom returns the layers that have tiles at zoom z.
func AtZoom(layers []Layer, z int) []Layer {
	var out []Layer
	for _, l := range layers {
		if l.Covers(z) {
			out = append(out, l)
		}
	}
	return out
}

// Dongguan is the extent of the city's 36 town-level units, in WGS84.
var Dongguan = orb.Bound{Min: orb.Point{113.51, 22.65}, Max: orb.Point{114.26, 23.15}}

// TableLayers returns the layers PostGIS builds from the tables, in the
// order a map draws them (areas first, points last).
func TableLayers() []Layer {
	code := func(what string) Field { return Field{"code", String, "standard code of the " + what} }
	return []Layer{
		{Name: "towns", Kind: Table, Geometry: Polygon, MinZoom: 6, MaxZoom: 16, MaxFeatures: 1000,
			Description: "town-level units (镇, 街道, 功能区)",
			Fields: []Field{code("town (9 digits)"), {"name", String, "name"},
				{"kind", String, "街道, 镇 or 功能区"}}},
		{Name: "villages", Kind: Table, Geometry: Polygon, MinZoom: 10, MaxZoom: 16, MaxFeatures: 2000,
			Description: "villages and communities (村, 社区)",
			Fields: []Field{code("village (12 digits)"), {"town_code", String, "the town's code"},
				{"name", String, "name"}, {"kind", String, "村, 社区 or 其他"}}},
		{Name: "grids", Kind: Table, Geometry: Polygon, MinZoom: 11, MaxZoom: 18, MaxFeatures: 2000,
			Description: "management grids (网格)",
			Fields: []Field{code("grid (15 digits)"), {"village_code", String, "the village's code"},
				{"town_code", String, "the town's code"}, {"name", String, "name"}}},
		{Name: "roads", Kind: Table, Geometry: Line, MinZoom: 11, MaxZoom: 18, MaxFeatures: 5000,
			Description: "roads, streets and lanes (街路巷); the longest kept first",
			Fields: []Field{code("road (14 digits)"), {"town_code", String, "the town's code"},
				{"name", String, "name"}}},
		{Name: "buildings", Kind: Table, Geometry: Polygon, MinZoom: 14, MaxZoom: 18, MaxFeatures: 10000,
			Description: "building footprints (楼栋); the largest kept first",
			Fields: []Field{{"id", Number, "building id"}, {"label", String, "the building's label at its doorplate"},
				{"use", String, "residential, commercial, office, industrial, mixed or public"},
				{"floors", Number, "floors above ground"}, {"status", String, "existing, demolished or slated"},
				{"doorplate_code", String, "its doorplate's code"}, {"grid_code", String, "its grid's code"}}},
		{Name: "doorplates", Kind: Table, Geometry: Point, MinZoom: 16, MaxZoom: 18, MaxFeatures: 10000,
			Description: "current doorplates (门牌), retired ones left out",
			Fields: []Field{code("doorplate (16 digits)"), {"label", String, "road and number, e.g. 鸿福路88号之一"},
				{"road_code", String, "the road's code"}, {"number", Number, "the number"},
				{"sub_number", Number, "the sub-number (之一 = 1), 0 when none"}}},
		{Name: "entities", Kind: Table, Geometry: Point, MinZoom: 14, MaxZoom: 18, MaxFeatures: 10000, Scoped: true,
			Description: "linked market entities (市场主体) at their standard address; the blind spots kept first (never inspected, then the longest since)",
			Fields: []Field{{"uscc", String, "unified social credit code"},
				{"status", String, "active, cancelled or revoked"},
				{"kind", String, "enterprise, individual or cooperative"},
				{"industry", String, "industry section letter (A–T); absent when unknown"},
				{"open_flags", Number, "open flags that concern the entity"},
				{"last_inspected_at", Number, "last on-site inspection, Unix seconds (UTC); absent when never inspected"}}},
		{Name: "flags", Kind: Table, Geometry: Point, MinZoom: 14, MaxZoom: 18, MaxFeatures: 5000, Scoped: true,
			Description: "current flags (风险标记: open and confirmed) that have a location; open ones with the highest scores kept first",
			Fields: []Field{{"id", Number, "flag id"}, {"kind", String, "the rule that raised it"},
				{"status", String, "open or confirmed"},
				{"score", Number, "0–100"}, {"title", String, "one line for people"}}},
	}
}

// DefaultCatalogue returns the table layers and the coverage layers over
// Dongguan.
func DefaultCatalogue() *Catalogue {
	return NewCatalogue(Dongguan, append(TableLayers(), CoverageLayers()...)...)
}

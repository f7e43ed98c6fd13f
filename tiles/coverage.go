package tiles

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/simplify"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/supervision"
)

// The coverage layers: supervision coverage (supervision.CoverageMetrics)
// by H3 hexagon, by management grid, and as weighted points for heatmaps.
// They are Computed: built in Go from the in-memory coverage index, which
// sums the whole city in milliseconds where the database needs seconds.
const (
	CoverageHex  = "coverage_hex"
	CoverageGrid = "coverage_grid"
	CoverageHeat = "coverage_heat"
)

// coverageFields are the figures every coverage feature carries.
var coverageFields = []Field{
	{"entities", Number, "active entities"},
	{"inspected", Number, "of them, inspected on site within the window"},
	{"uninspected", Number, "of them, not inspected within the window (entities − inspected)"},
	{"coverage", Number, "inspected ÷ entities, 0 to 1 (3 decimals)"},
	{"never_inspected", Number, "of them, never inspected"},
	{"overdue_tasks", Number, "their open on-site tasks past the deadline"},
	{"open_flags", Number, "open flags about them"},
}

// CoverageLayers returns the coverage layers. They take the query
// parameters window, town, industry and kind (Filtered), and show a
// town-scoped reader its town's entities only (Scoped).
func CoverageLayers() []Layer {
	with := func(fields ...Field) []Field { return append(fields, coverageFields...) }
	return []Layer{
		{Name: CoverageHex, Kind: Computed, Geometry: Polygon, MinZoom: 6, MaxZoom: 18, MaxFeatures: 5000, Filtered: true, Scoped: true,
			Description: "supervision coverage by H3 hexagon; the resolution follows the zoom (res 4 at z ≤ 7 to res 11 at z ≥ 16, hexagons at least 20 pixels wide); hexagons without entities are left out; the feature id is the H3 index",
			Fields:      with(Field{"h3", String, "H3 index of the hexagon"}, Field{"resolution", Number, "its H3 resolution"})},
		{Name: CoverageGrid, Kind: Computed, Geometry: Polygon, MinZoom: 9, MaxZoom: 18, MaxFeatures: 5000, Filtered: true, Scoped: true,
			Description: "supervision coverage by management grid (choropleth); figures are for the whole grid; the feature id is the grid code",
			Fields: with(Field{"code", String, "standard code of the grid (15 digits)"}, Field{"name", String, "name"},
				Field{"village_code", String, "the village's code"}, Field{"town_code", String, "the town's code"})},
		{Name: CoverageHeat, Kind: Computed, Geometry: Point, MinZoom: 6, MaxZoom: 18, MaxFeatures: 20000, Filtered: true, Scoped: true,
			Description: "weighted points for heatmaps: one at the centre of each H3 cell two resolutions finer than coverage_hex (at most res 11) with entities; weigh by uninspected for the supervision gap",
			Fields:      with(Field{"h3", String, "H3 index of the cell"})},
	}
}

// HeatResolution returns the H3 resolution of the heat points at zoom z:
// two finer than the hexagons, at most supervision.MaxH3Res.
func HeatResolution(z int) int { return min(supervision.HexResolution(z)+2, supervision.MaxH3Res) }

// A GridShape is a management grid's outline, for the grid choropleth.
type GridShape struct {
	Code, Name, VillageCode, TownCode string
	Geometry                          orb.Geometry // Polygon or MultiPolygon, WGS84
	Bound                             orb.Bound
}

// GridShapes are the outlines of the management grids, replaced whole
// when the grids change.
type GridShapes struct {
	mu     sync.RWMutex
	shapes []GridShape // by code
	byCode map[string]int
}

// Replace sets the grids.
func (g *GridShapes) Replace(shapes []GridShape) {
	shapes = slices.Clone(shapes)
	slices.SortFunc(shapes, func(a, b GridShape) int { return cmp.Compare(a.Code, b.Code) })
	byCode := make(map[string]int, len(shapes))
	for i, s := range shapes {
		byCode[s.Code] = i
	}
	g.mu.Lock()
	g.shapes, g.byCode = shapes, byCode
	g.mu.Unlock()
}

// In returns the grids whose bounding box meets b, by code.
func (g *GridShapes) In(b orb.Bound) []GridShape {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []GridShape
	for _, s := range g.shapes {
		if s.Bound.Intersects(b) {
			out = append(out, s)
		}
	}
	return out
}

// Bound returns the bounding box of grid code.
func (g *GridShapes) Bound(code string) (orb.Bound, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	i, ok := g.byCode[code]
	if !ok {
		return orb.Bound{}, false
	}
	return g.shapes[i].Bound, true
}

// A CoverageBuilder builds the coverage layers from a coverage index and
// the grids' outlines. Ready, when set, is called before each tile and
// may wait (for the index's first load); its error fails the tile.
type CoverageBuilder struct {
	Index *supervision.CoverageIndex
	Grids *GridShapes
	Ready func(ctx context.Context) error
}

// bufferBound is the MVT clip box: the tile and Buffer around it.
var bufferBound = orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}

// BuildTile returns the MVT of the coverage layers at t under f, of the
// entities of s's town when s is a town's scope (whatever town f names).
func (cb *CoverageBuilder) BuildTile(ctx context.Context, t Tile, layers []Layer, f supervision.CoverageFilter, s Scope) ([]byte, error) {
	if s != WholeCity {
		f.TownCode = s.Town()
	}
	if cb.Ready != nil {
		if err := cb.Ready(ctx); err != nil {
			return nil, err
		}
	}
	now := f.Now()
	// The area whose features may reach into the tile's buffer.
	pad := (t.Bound().Max[0] - t.Bound().Min[0]) * Buffer / Extent
	search := t.Bound().Pad(pad)
	var out mvt.Layers
	for _, l := range layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ml := &mvt.Layer{Name: l.Name, Version: 2, Extent: Extent}
		switch l.Name {
		case CoverageHex:
			res := supervision.HexResolution(int(t.Z))
			for _, c := range cb.Index.Cells(res, search, f, now) {
				ml.Features = append(ml.Features, cellFeature(c, cellPolygon(c.Cell), res))
			}
		case CoverageHeat:
			res := HeatResolution(int(t.Z))
			for _, c := range cb.Index.Cells(res, search, f, now) {
				ll := c.Cell.LatLng()
				ft := cellFeature(c, orb.Point{ll.Lng, ll.Lat}, -1)
				ml.Features = append(ml.Features, ft)
			}
		case CoverageGrid:
			shapes := cb.Grids.In(search)
			codes := make([]string, len(shapes))
			for i, s := range shapes {
				codes[i] = s.Code
			}
			for i, g := range cb.Index.Grids(codes, f, now) {
				if g.Entities == 0 {
					continue
				}
				// Projecting to the tile rewrites the geometry in place.
				ft := geojson.NewFeature(orb.Clone(shapes[i].Geometry))
				if id, err := strconv.ParseUint(g.GridCode, 10, 64); err == nil {
					ft.ID = id
				}
				ft.Properties = metricProperties(g.CoverageMetrics)
				ft.Properties["code"], ft.Properties["name"] = g.GridCode, shapes[i].Name
				ft.Properties["village_code"], ft.Properties["town_code"] = shapes[i].VillageCode, shapes[i].TownCode
				ml.Features = append(ml.Features, ft)
			}
		default:
			return nil, fmt.Errorf("tiles: %s is not a coverage layer", l.Name)
		}
		if limit := l.Cap(int(t.Z)); len(ml.Features) > limit {
			// The cap keeps the areas with the most entities.
			slices.SortStableFunc(ml.Features, func(a, b *geojson.Feature) int {
				return b.Properties["entities"].(int) - a.Properties["entities"].(int)
			})
			ml.Features = ml.Features[:limit]
		}
		ml.ProjectToTile(t.Tile)
		ml.Clip(bufferBound)
		if l.Geometry == Polygon {
			for _, ft := range ml.Features {
				ft.Geometry = orientMVT(ft.Geometry)
			}
			// A tenth of a 256-pixel tile's pixel: hexagons keep their
			// corners, grid outlines lose what no one can see.
			ml.Simplify(simplify.DouglasPeucker(Extent / 256 / 10))
			ml.RemoveEmpty(0, 1)
		}
		if len(ml.Features) > 0 {
			out = append(out, ml)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return mvt.Marshal(out)
}

// cellFeature returns a feature of a cell's coverage with geometry g; res
// ≥ 0 adds the resolution.
func cellFeature(c supervision.CoverageCell, g orb.Geometry, res int) *geojson.Feature {
	ft := geojson.NewFeature(g)
	ft.ID = uint64(c.Cell)
	ft.Properties = metricProperties(c.CoverageMetrics)
	ft.Properties["h3"] = c.Cell.String()
	if res >= 0 {
		ft.Properties["resolution"] = res
	}
	return ft
}

func metricProperties(m supervision.CoverageMetrics) geojson.Properties {
	return geojson.Properties{
		"entities":        m.Entities,
		"inspected":       m.Inspected,
		"uninspected":     m.Entities - m.Inspected,
		"coverage":        math.Round(m.Ratio()*1000) / 1000,
		"never_inspected": m.NeverInspected,
		"overdue_tasks":   m.OverdueTasks,
		"open_flags":      m.OpenFlags,
	}
}

// cellPolygon returns a cell's outline as a closed ring, WGS84.
func cellPolygon(c h3.Cell) orb.Polygon {
	boundary := c.Boundary()
	ring := make(orb.Ring, 0, len(boundary)+1)
	for _, p := range boundary {
		ring = append(ring, orb.Point{p.Lng, p.Lat})
	}
	if len(ring) > 0 {
		ring = append(ring, ring[0])
	}
	return orb.Polygon{ring}
}

// orientMVT returns polygons in tile coordinates wound as MVT 2.1 wants
// (4.3.4.4): exterior rings of positive area by the surveyor's formula in
// tile coordinates (clockwise on screen, y down), holes negative. H3 and
// PostGIS outlines come wound either way, and the projection to tile
// coordinates flips y.
func orientMVT(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Polygon:
		for i, r := range g {
			// orb's CCW is a positive signed area.
			if (i == 0) != (r.Orientation() == orb.CCW) {
				r.Reverse()
			}
		}
		return g
	case orb.MultiPolygon:
		for i := range g {
			orientMVT(g[i])
		}
		return g
	}
	return g
}

var _ Builder = (*CoverageBuilder)(nil)

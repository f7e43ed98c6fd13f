package tiles_test

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/project"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
	"github.com/gridsentry/gridsentry/tiles/tilestest"
)

// coverageFixture is a small coverage: entities on a 20 × 20 lattice
// around a point in 虎门, one grid (a square around them all), every
// third entity inspected recently and every fifth in another town.
func coverageFixture(t *testing.T, now time.Time) (*tiles.CoverageBuilder, []supervision.CoverageEntity) {
	t.Helper()
	center := orb.Point{113.672, 22.815}
	var es []supervision.CoverageEntity
	for i := range 20 {
		for j := range 20 {
			ll := h3.NewLatLng(center[1]-0.01+float64(i)*0.001, center[0]-0.01+float64(j)*0.001)
			e := supervision.CoverageEntity{GridCode: "441900118001001", TownCode: "441900118", Kind: supervision.Individual,
				Industry: "F"}
			for res := supervision.MinH3Res; res <= supervision.MaxH3Res; res++ {
				e.Cells[res-supervision.MinH3Res] = h3.LatLngToCell(ll, res)
			}
			n := i*20 + j
			if n%3 == 0 {
				e.LastInspected = now.AddDate(0, 0, -10)
			}
			if n%5 == 0 {
				e.TownCode, e.GridCode = "441900119", ""
			}
			es = append(es, e)
		}
	}
	ix := supervision.NewCoverageIndex()
	ix.Replace(nil, true, append([]supervision.CoverageEntity(nil), es...))
	ring := orb.Ring{{113.66, 22.80}, {113.69, 22.80}, {113.69, 22.83}, {113.66, 22.83}, {113.66, 22.80}}
	grids := &tiles.GridShapes{}
	grids.Replace([]tiles.GridShape{{Code: "441900118001001", Name: "一网格", VillageCode: "441900118001", TownCode: "441900118",
		Geometry: orb.MultiPolygon{{ring}}, Bound: ring.Bound()}})
	return &tiles.CoverageBuilder{Index: ix, Grids: grids}, es
}

func coverageLayers(t *testing.T, names ...string) []tiles.Layer {
	t.Helper()
	c := tiles.NewCatalogue(tiles.Dongguan, tiles.CoverageLayers()...)
	var out []tiles.Layer
	for _, n := range names {
		l, ok := c.Layer(n)
		if !ok {
			t.Fatalf("no layer %s", n)
		}
		out = append(out, l)
	}
	return out
}

// TestCoverageTiles builds the three coverage layers in one tile, reads
// it back with GDAL, and checks every hexagon's figures against the
// index, that each hexagon is drawn where H3 puts it, that the grid
// carries its whole figures, and that heat points sit at cell centres.
func TestCoverageTiles(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cb, es := coverageFixture(t, now)
	for _, z := range []int{10, 14, 16} {
		tile := tileAt(t, z, orb.Point{113.672, 22.815})
		f := supervision.CoverageFilter{At: now, WindowDays: 30}
		blob, err := cb.BuildTile(context.Background(), tile, coverageLayers(t, tiles.CoverageHex, tiles.CoverageGrid, tiles.CoverageHeat), f, tiles.WholeCity)
		if err != nil {
			t.Fatal(err)
		}
		got := tilestest.Decode(t, tile, blob)
		res := supervision.HexResolution(z)
		want := map[string]supervision.CoverageMetrics{}
		for _, c := range cb.Index.Cells(res, tile.Bound(), f, now) {
			want[c.Cell.String()] = c.CoverageMetrics
		}
		if len(got[tiles.CoverageHex]) == 0 {
			t.Fatalf("z%d: no hexagons", z)
		}
		for _, ft := range got[tiles.CoverageHex] {
			id := ft.Attrs["h3"]
			m, ok := want[id]
			if !ok {
				continue // in the buffer only
			}
			if ft.Attrs["entities"] != strconv.Itoa(m.Entities) || ft.Attrs["inspected"] != strconv.Itoa(m.Inspected) ||
				ft.Attrs["resolution"] != strconv.Itoa(res) {
				t.Errorf("z%d hexagon %s: %v, want %+v at res %d", z, id, ft.Attrs, m, res)
			}
			cov, _ := strconv.ParseFloat(ft.Attrs["coverage"], 64)
			if math.Abs(cov-m.Ratio()) > 0.001 {
				t.Errorf("z%d hexagon %s: coverage %v, want %v", z, id, cov, m.Ratio())
			}
			// Drawn where H3 puts it: the centroid of the decoded
			// polygon (clipped to the buffer at most) within 2 pixels
			// of the cell's centre, for hexagons inside the tile.
			cell := h3.Cell(h3.IndexFromString(id))
			ll := cell.LatLng()
			c := project.Point(orb.Point{ll.Lng, ll.Lat}, project.WGS84.ToMercator)
			px := tile.PixelOf(c)
			if px[0] < 200 || px[0] > 3900 || px[1] < 200 || px[1] > 3900 {
				continue
			}
			poly, ok := ft.Geom.(orb.Polygon)
			if !ok {
				t.Fatalf("z%d hexagon %s: %T, want one polygon (an exterior ring wound as MVT wants)", z, id, ft.Geom)
			}
			if len(poly) != 1 || len(poly[0]) < 7 || len(poly[0]) > 11 {
				t.Errorf("z%d hexagon %s: %d rings, %d points, want 1 ring of 6 corners and at most 4 distortion vertices", z, id, len(poly), len(poly[0]))
			}
			centroid, _ := planar.CentroidArea(poly)
			if d := planar.Distance(tile.PixelOf(centroid), px); d > 2*tiles.Extent/256 {
				t.Errorf("z%d hexagon %s: drawn %.0f units from its centre", z, id, d)
			}
		}
		grid := got[tiles.CoverageGrid]
		if z >= 10 {
			if len(grid) != 1 {
				t.Fatalf("z%d: %d grid features, want 1 (layers %v)", z, len(grid), len(got))
			}
			n := 0
			for _, e := range es {
				if e.GridCode != "" {
					n++
				}
			}
			if grid[0].Attrs["entities"] != strconv.Itoa(n) || grid[0].Attrs["code"] != "441900118001001" || grid[0].Attrs["name"] != "一网格" {
				t.Errorf("z%d grid: %v, want %d entities", z, grid[0].Attrs, n)
			}
		}
		for _, ft := range got[tiles.CoverageHeat] {
			p, ok := ft.Geom.(orb.Point)
			if !ok {
				t.Fatalf("heat feature %T", ft.Geom)
			}
			ll := h3.Cell(h3.IndexFromString(ft.Attrs["h3"])).LatLng()
			want := tile.PixelOf(project.Point(orb.Point{ll.Lng, ll.Lat}, project.WGS84.ToMercator))
			if d := planar.Distance(tile.PixelOf(p), want); d > 1.5 {
				t.Errorf("z%d heat point %s %.1f units from its cell's centre", z, ft.Attrs["h3"], d)
			}
		}
	}
}

// TestCoverageTileFilter: a town filter and a window change the figures
// the way the entities say.
func TestCoverageTileFilter(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cb, es := coverageFixture(t, now)
	tile := tileAt(t, 12, orb.Point{113.672, 22.815})
	sum := func(f supervision.CoverageFilter, s tiles.Scope) (n, inspected int) {
		blob, err := cb.BuildTile(context.Background(), tile, coverageLayers(t, tiles.CoverageHex), f, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(blob) == 0 {
			return 0, 0
		}
		for _, ft := range tilestest.Decode(t, tile, blob)[tiles.CoverageHex] {
			a, _ := strconv.Atoi(ft.Attrs["entities"])
			b, _ := strconv.Atoi(ft.Attrs["inspected"])
			n, inspected = n+a, inspected+b
		}
		return n, inspected
	}
	var town, townInspected int
	for i, e := range es {
		if e.TownCode == "441900118" {
			town++
			if i%3 == 0 {
				townInspected++
			}
		}
	}
	if n, in := sum(supervision.CoverageFilter{At: now, TownCode: "441900118"}, tiles.WholeCity); n != town || in != townInspected {
		t.Errorf("town filter: %d entities, %d inspected; want %d, %d", n, in, town, townInspected)
	}
	if n, in := sum(supervision.CoverageFilter{At: now, WindowDays: 5}, tiles.WholeCity); n != len(es) || in != 0 {
		t.Errorf("5-day window: %d entities, %d inspected; want %d, 0 (the visits were 10 days ago)", n, in, len(es))
	}
	if n, _ := sum(supervision.CoverageFilter{At: now, Industry: "G"}, tiles.WholeCity); n != 0 {
		t.Errorf("industry G: %d entities, want none", n)
	}
	// A town's scope shows its entities only, whatever town the filter
	// names: the scope wins.
	for _, f := range []supervision.CoverageFilter{{At: now}, {At: now, TownCode: "441900119"}} {
		if n, in := sum(f, tiles.Scope("441900118")); n != town || in != townInspected {
			t.Errorf("scope of 441900118, filter town %q: %d entities, %d inspected; want %d, %d", f.TownCode, n, in, town, townInspected)
		}
	}
}

// TestCoverageTileSameBytes: the same tile of the same data is the same
// bytes (the ETag depends on it), and building one tile leaves the
// shared grid outlines as they were (projection works in place).
func TestCoverageTileSameBytes(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cb, _ := coverageFixture(t, now)
	layers := coverageLayers(t, tiles.CoverageHex, tiles.CoverageGrid, tiles.CoverageHeat)
	f := supervision.CoverageFilter{At: now}
	build := func(z int) []byte {
		blob, err := cb.BuildTile(context.Background(), tileAt(t, z, orb.Point{113.672, 22.815}), layers, f, tiles.WholeCity)
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	first := build(13)
	build(11)
	if again := build(13); !bytes.Equal(first, again) {
		t.Errorf("tile 13 built twice: %d and %d bytes that differ", len(first), len(again))
	}
}

// tileAt returns the tile at zoom z holding p.
func tileAt(t *testing.T, z int, p orb.Point) tiles.Tile {
	t.Helper()
	mt := maptile.At(p, maptile.Zoom(z))
	tile, err := tiles.NewTile(z, int(mt.X), int(mt.Y))
	if err != nil {
		t.Fatal(err)
	}
	return tile
}

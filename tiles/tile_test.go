package tiles

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/gridsentry/gridsentry/derrors"
)

func TestTileParse(t *testing.T) {
	for _, tc := range []struct {
		name, z, x, y string
		field         string // the coordinate named in the error; "" when valid
	}{
		{"world", "0", "0", "0", ""},
		{"deepest", "22", "4194303", "4194303", ""},
		{"Dongguan z14", "14", "13373", "7121", ""},
		{"zoom too deep", "23", "0", "0", "z"},
		{"negative zoom", "-1", "0", "0", "z"},
		{"zoom not a number", "a", "0", "0", "z"},
		{"empty zoom", "", "0", "0", "z"},
		{"plus sign", "+3", "0", "0", "z"},
		{"x beyond the grid", "3", "8", "0", "x"},
		{"negative x", "3", "-1", "0", "x"},
		{"y beyond the grid", "3", "0", "8", "y"},
		{"y with a fraction", "3", "0", "1.5", "y"},
		{"huge x", "3", "99999999999999999999", "0", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tile, err := ParseTile(tc.z, tc.x, tc.y)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("ParseTile: %v", err)
				}
				if got, want := tile.String(), tc.z+"/"+tc.x+"/"+tc.y; got != want {
					t.Errorf("String() = %s, want %s", got, want)
				}
				return
			}
			var de *derrors.Error
			if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) || de.Field != tc.field {
				t.Fatalf("ParseTile(%q, %q, %q) = %v, want an invalid error on %s", tc.z, tc.x, tc.y, err, tc.field)
			}
		})
	}
}

// TestTileMercatorBound checks the EPSG:3857 envelope against the lon/lat
// bounds of orb's maptile, projected.
func TestTileMercatorBound(t *testing.T) {
	for _, tc := range [][3]int{{0, 0, 0}, {1, 1, 0}, {14, 13373, 7121}, {18, 213978, 113937}} {
		tile, err := NewTile(tc[0], tc[1], tc[2])
		if err != nil {
			t.Fatal(err)
		}
		got := tile.MercatorBound()
		want := project.Bound(tile.Bound(), project.WGS84.ToMercator)
		for i, pair := range [][2]float64{{got.Min[0], want.Min[0]}, {got.Min[1], want.Min[1]}, {got.Max[0], want.Max[0]}, {got.Max[1], want.Max[1]}} {
			if math.Abs(pair[0]-pair[1]) > 1e-3 {
				t.Errorf("%s: bound coordinate %d = %.4f, want %.4f", tile, i, pair[0], pair[1])
			}
		}
		if w := got.Max[0] - got.Min[0]; math.Abs(w-tile.Width()) > 1e-6 {
			t.Errorf("%s: width %f, Width() %f", tile, w, tile.Width())
		}
	}
}

func TestTilePixelOf(t *testing.T) {
	tile, _ := NewTile(1, 1, 0) // the north-east quarter of the world
	for _, tc := range []struct {
		p    orb.Point
		want orb.Point
	}{
		{orb.Point{0, mercatorHalf}, orb.Point{0, 0}},
		{orb.Point{mercatorHalf, 0}, orb.Point{Extent, Extent}},
		{orb.Point{mercatorHalf / 2, mercatorHalf / 2}, orb.Point{Extent / 2, Extent / 2}},
	} {
		if got := tile.PixelOf(tc.p); got != tc.want {
			t.Errorf("PixelOf(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func ExampleParseTile() {
	t, err := ParseTile("14", "13373", "7121")
	fmt.Println(t, err, t.Bound().Center())
	_, err = ParseTile("3", "8", "0")
	fmt.Println(err)
	// Output:
	// 14/13373/7121 <nil> [113.851318359375 22.887561837772594]
	// x: x 8 is not between 0 and 7 at zoom 3
}

func TestCatalogueLookup(t *testing.T) {
	c := DefaultCatalogue()
	for _, tc := range []struct {
		names string
		want  string // names found, or the error's code
	}{
		{"buildings", "buildings"},
		{"entities,grids,flags", "entities,grids,flags"},
		{"buildings,nope", "not_found"},
		{"coverage_hex,grids", "coverage_hex,grids"},
		{"coverage", "not_found"},
		{"buildings,,grids", "invalid"},
		{"", "invalid"},
		{"grids,grids", "invalid"},
	} {
		t.Run(tc.names, func(t *testing.T) {
			ls, err := c.Lookup(tc.names)
			got := derrors.Code(err)
			if err == nil {
				got = joinNames(ls)
			}
			if got != tc.want {
				t.Errorf("Lookup(%q) = %s (%v), want %s", tc.names, got, err, tc.want)
			}
		})
	}
	_, err := c.Lookup("roads,nope")
	if !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("error %q does not name the unknown layer", err)
	}
}

func TestCatalogueLayers(t *testing.T) {
	want := []string{"towns", "villages", "grids", "roads", "buildings", "doorplates", "entities", "flags",
		"coverage_hex", "coverage_grid", "coverage_heat"}
	c := DefaultCatalogue()
	if got := c.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("layers %v, want %v", got, want)
	}
	for _, l := range c.Layers() {
		// Coverage layers (only) are computed and take the filter; they,
		// the entities and the flags (only) are narrowed to a town's scope.
		coverage := strings.HasPrefix(l.Name, "coverage_")
		supervised := coverage || l.Name == "entities" || l.Name == "flags"
		if coverage != (l.Kind == Computed) || coverage != l.Filtered || supervised != l.Scoped || l.MinZoom > l.MaxZoom || l.MaxZoom > MaxZoom ||
			l.MaxFeatures <= 0 || len(l.Fields) == 0 {
			t.Errorf("layer %s is not sound: %+v", l.Name, l)
		}
	}
	if got := joinNames(AtZoom(c.Layers(), 12)); got != "towns,villages,grids,roads,coverage_hex,coverage_grid,coverage_heat" {
		t.Errorf("layers at z12: %s", got)
	}
	if got := joinNames(AtZoom(c.Layers(), 8)); got != "towns,coverage_hex,coverage_heat" {
		t.Errorf("layers at z8: %s", got)
	}
}

func TestLayerCap(t *testing.T) {
	l := Layer{MinZoom: 14, MaxFeatures: 10000}
	for z, want := range map[int]int{14: 2500, 15: 5000, 16: 10000, 18: 10000} {
		if got := l.Cap(z); got != want {
			t.Errorf("Cap(%d) = %d, want %d", z, got, want)
		}
	}
	if got := (Layer{MinZoom: 6, MaxFeatures: 2}).Cap(6); got != 1 {
		t.Errorf("a tiny cap at the lowest zoom: %d, want at least 1", got)
	}
}

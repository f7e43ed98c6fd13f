package tiles

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/gridsentry/gridsentry/derrors"
)

// FuzzParseTile feeds ParseTile (the z/x/y of a tile URL) arbitrary path
// segments. An accepted tile lies on the grid of its zoom, its String is
// the canonical z/x/y and parses back to it; a rejection is Invalid and
// names the first coordinate at fault.
func FuzzParseTile(f *testing.F) {
	for _, s := range [][3]string{
		{"0", "0", "0"},
		{"14", "13358", "7119"},
		{"22", "4194303", "4194303"},
		{"22", "4194304", "0"},
		{"23", "0", "0"},
		{"1", "2", "0"},
		{"007", "0", "0"},
		{"+1", "0", "0"},
		{"-0", "0", "0"},
		{" 1", "0", "0"},
		{"1", "0x1", "0"},
		{"1", "1_0", "0"},
		{"１", "0", "0"},
		{"99999999999999999999", "0", "0"},
		{"63", "9223372036854775807", "0"},
		{"", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tile, err := ParseTile(z, x, y)
		in := z + "/" + x + "/" + y
		if err != nil {
			var de *derrors.Error
			if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) {
				t.Fatalf("ParseTile(%s): %v is not an Invalid error", in, err)
			}
			// The first coordinate that is not plain digits, or not in range.
			want := ""
			var v [3]int
			for i, s := range []string{z, x, y} {
				n, err := strconv.Atoi(s)
				if err != nil || s == "" || strings.Trim(s, "0123456789") != "" {
					want = [3]string{"z", "x", "y"}[i]
					break
				}
				v[i] = n
			}
			if want == "" {
				switch {
				case v[0] > MaxZoom:
					want = "z"
				case v[1] >= 1<<v[0]:
					want = "x"
				case v[2] >= 1<<v[0]:
					want = "y"
				default:
					t.Fatalf("ParseTile(%s): %v, but it is a tile", in, err)
				}
			}
			if de.Field != want {
				t.Fatalf("ParseTile(%s): %v names %q, want %q", in, err, de.Field, want)
			}
			return
		}
		for _, s := range []string{z, x, y} {
			if s == "" || strings.Trim(s, "0123456789") != "" {
				t.Fatalf("ParseTile(%s) = %s: accepted %q, which is not plain digits", in, tile, s)
			}
		}
		if tile.Z > MaxZoom || uint64(tile.X) >= 1<<tile.Z || uint64(tile.Y) >= 1<<tile.Z {
			t.Fatalf("ParseTile(%s) = %d/%d/%d is off the grid", in, tile.Z, tile.X, tile.Y)
		}
		zi, _ := strconv.Atoi(z)
		xi, _ := strconv.Atoi(x)
		yi, _ := strconv.Atoi(y)
		if int(tile.Z) != zi || int(tile.X) != xi || int(tile.Y) != yi {
			t.Fatalf("ParseTile(%s) = %s", in, tile)
		}
		parts := strings.Split(tile.String(), "/")
		if len(parts) != 3 {
			t.Fatalf("%s.String() = %q", tile, tile.String())
		}
		again, err := ParseTile(parts[0], parts[1], parts[2])
		if err != nil || again != tile {
			t.Fatalf("ParseTile(%s) = %s, which parses back to %s, %v", in, tile, again, err)
		}
		if b := tile.MercatorBound(); !(b.Min[0] >= -mercatorHalf && b.Max[0] <= mercatorHalf && b.Min[1] >= -mercatorHalf && b.Max[1] <= mercatorHalf && b.Min[0] < b.Max[0] && b.Min[1] < b.Max[1]) {
			t.Fatalf("tile %s has the envelope %v", tile, b)
		}
	})
}

// FuzzLookup feeds Catalogue.Lookup (the {layers} of a tile URL, a
// comma-separated list) arbitrary text. The layers it returns join back to
// the list; a list it refuses is Invalid naming "layers" (an empty or
// repeated name) or NotFound (a name not in the catalogue).
func FuzzLookup(f *testing.F) {
	c := DefaultCatalogue()
	for _, s := range []string{
		"buildings",
		"towns,villages,grids",
		strings.Join(c.Names(), ","),
		"grids,buildings,grids",
		"grids,,buildings",
		",",
		"",
		"Buildings",
		"buildings ",
		"buildings.mvt",
		"../buildings",
		"build\x00ings",
		"建筑",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, names string) {
		layers, err := c.Lookup(names)
		if err != nil {
			var de *derrors.Error
			switch {
			case !errors.As(err, &de):
				t.Fatalf("Lookup(%q): %v is no domain error", names, err)
			case errors.Is(err, derrors.Invalid) && de.Field == "layers":
			case errors.Is(err, derrors.NotFound):
			default:
				t.Fatalf("Lookup(%q): %v is neither Invalid naming layers nor NotFound", names, err)
			}
			if layers != nil {
				t.Fatalf("Lookup(%q) = %v and %v", names, layers, err)
			}
			return
		}
		got := make([]string, len(layers))
		seen := map[string]bool{}
		for i, l := range layers {
			got[i] = l.Name
			if seen[l.Name] {
				t.Fatalf("Lookup(%q) gives %s twice", names, l.Name)
			}
			seen[l.Name] = true
			if cl, ok := c.Layer(l.Name); !ok || cl.Name != l.Name {
				t.Fatalf("Lookup(%q) gives %s, not in the catalogue", names, l.Name)
			}
		}
		if joined := strings.Join(got, ","); joined != names {
			t.Fatalf("Lookup(%q) gives %q", names, joined)
		}
	})
}

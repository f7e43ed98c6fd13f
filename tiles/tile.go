package tiles

import (
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridsentry/gridsentry/derrors"
)

// MaxZoom is the deepest zoom a tile may have.
const MaxZoom = 22

// Extent is the size of a tile in MVT coordinates (4096 × 4096).
const Extent = 4096

// Buffer is how far, in MVT coordinates, geometry runs past a tile's edge
// (64 of 4096, a common choice: lines and polygons that cross the edge draw
// without seams, and points near it are in both tiles).
const Buffer = 64

// mercatorHalf is half the width of the EPSG:3857 world, in metres
// (π × 6378137), the constant ST_TileEnvelope uses.
const mercatorHalf = 20037508.342789244

// A Tile is a z/x/y tile of the EPSG:3857 (web mercator, XYZ, y down)
// grid, checked on construction: z in 0–22, x and y below 2^z.
type Tile struct {
	maptile.Tile
}

// NewTile returns the tile z/x/y, or an Invalid error naming the
// coordinate at fault.
func NewTile(z, x, y int) (Tile, error) {
	if z < 0 || z > MaxZoom {
		return Tile{}, derrors.Field("z", "zoom %d is not between 0 and %d", z, MaxZoom)
	}
	n := 1 << z
	if x < 0 || x >= n {
		return Tile{}, derrors.Field("x", "x %d is not between 0 and %d at zoom %d", x, n-1, z)
	}
	if y < 0 || y >= n {
		return Tile{}, derrors.Field("y", "y %d is not between 0 and %d at zoom %d", y, n-1, z)
	}
	return Tile{maptile.New(uint32(x), uint32(y), maptile.Zoom(z))}, nil
}

// ParseTile parses the decimal z, x and y of a tile URL.
func ParseTile(z, x, y string) (Tile, error) {
	var v [3]int
	for i, s := range []string{z, x, y} {
		name := [3]string{"z", "x", "y"}[i]
		n, err := strconv.Atoi(s)
		// Atoi accepts a sign; a tile URL has plain digits only.
		if err != nil || s == "" || s[0] < '0' || s[0] > '9' {
			return Tile{}, derrors.Field(name, "%q is not a whole number", s)
		}
		v[i] = n
	}
	return NewTile(v[0], v[1], v[2])
}

// String returns "z/x/y".
func (t Tile) String() string {
	return strconv.Itoa(int(t.Z)) + "/" + strconv.Itoa(int(t.X)) + "/" + strconv.Itoa(int(t.Y))
}

// Width is the width of the tile in EPSG:3857 metres.
func (t Tile) Width() float64 {
	return 2 * mercatorHalf / float64(uint64(1)<<t.Z)
}

// Pixel is the size of one pixel of the tile drawn at 256 × 256, in
// EPSG:3857 metres: the unit of generalization at the tile's zoom.
func (t Tile) Pixel() float64 { return t.Width() / 256 }

// MercatorBound returns the tile's bounds in EPSG:3857 metres, the same
// envelope as PostGIS's ST_TileEnvelope(z, x, y).
func (t Tile) MercatorBound() orb.Bound {
	w := t.Width()
	minX := -mercatorHalf + float64(t.X)*w
	maxY := mercatorHalf - float64(t.Y)*w
	return orb.Bound{Min: orb.Point{minX, maxY - w}, Max: orb.Point{minX + w, maxY}}
}

// PixelOf returns where the EPSG:3857 point p falls in the tile, in MVT
// coordinates (0–4096 from the top-left corner; outside the tile, beyond).
func (t Tile) PixelOf(p orb.Point) orb.Point {
	b := t.MercatorBound()
	w := t.Width()
	return orb.Point{
		math.Round((p[0] - b.Min[0]) / w * Extent),
		math.Round((b.Max[1] - p[1]) / w * Extent),
	}
}

// Covering returns the tiles at zoom z that cover b (WGS84), row by row
// from the north-west.
func Covering(b orb.Bound, z int) []Tile {
	nw := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
	se := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
	var out []Tile
	for y := nw.Y; y <= se.Y; y++ {
		for x := nw.X; x <= se.X; x++ {
			out = append(out, Tile{maptile.New(x, y, maptile.Zoom(z))})
		}
	}
	return out
}

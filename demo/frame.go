package demo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// A frame is a local metric frame of one town: metres east and north of an
// origin (equirectangular, good to well under a metre across a town), turned
// by the angle of the town's street grid, so streets run along u and v.
type frame struct {
	origin   orb.Point // WGS84
	kx, ky   float64   // metres per degree of longitude and latitude
	cos, sin float64
}

func newFrame(origin orb.Point, angle float64) frame {
	lat := origin[1] * math.Pi / 180
	return frame{
		origin: origin,
		kx:     111320 * math.Cos(lat),
		ky:     110574,
		cos:    math.Cos(angle),
		sin:    math.Sin(angle),
	}
}

// local returns p (WGS84) in frame coordinates.
func (f frame) local(p orb.Point) (u, v float64) {
	x := (p[0] - f.origin[0]) * f.kx
	y := (p[1] - f.origin[1]) * f.ky
	return x*f.cos + y*f.sin, -x*f.sin + y*f.cos
}

// point returns the WGS84 point at frame coordinates (u, v).
func (f frame) point(u, v float64) orb.Point {
	x := u*f.cos - v*f.sin
	y := u*f.sin + v*f.cos
	return orb.Point{f.origin[0] + x/f.kx, f.origin[1] + y/f.ky}
}

// localRings is a multipolygon in frame coordinates, for clipping lines.
type localRings [][]orb.Point

func (f frame) localRings(mp orb.MultiPolygon) localRings {
	var out localRings
	for _, p := range mp {
		for _, r := range p {
			lr := make([]orb.Point, len(r))
			for i, q := range r {
				u, v := f.local(q)
				lr[i] = orb.Point{u, v}
			}
			out = append(out, lr)
		}
	}
	return out
}

// bounds returns the extent of the rings in frame coordinates.
func (lr localRings) bounds() orb.Bound {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, r := range lr {
		for _, p := range r {
			b = b.Extend(p)
		}
	}
	return b
}

// interval is a stretch [lo, hi] of a line inside a polygon.
type interval struct{ lo, hi float64 }

// lineIntervals returns the stretches of the line {axis = c} that lie inside
// the rings (even-odd rule), where axis 1 is the line v = c (running along u)
// and axis 0 the line u = c (running along v). The stretches are given in the
// other coordinate, in increasing order.
func (lr localRings) lineIntervals(axis int, c float64) []interval {
	along := 1 - axis
	var xs []float64
	for _, r := range lr {
		for i := 0; i+1 < len(r); i++ {
			p, q := r[i], r[i+1]
			if (p[axis] > c) == (q[axis] > c) {
				continue
			}
			t := (c - p[axis]) / (q[axis] - p[axis])
			xs = append(xs, p[along]+t*(q[along]-p[along]))
		}
	}
	slices.Sort(xs)
	out := make([]interval, 0, len(xs)/2)
	for i := 0; i+1 < len(xs); i += 2 {
		out = append(out, interval{xs[i], xs[i+1]})
	}
	return out
}

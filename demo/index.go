package demo

import (
	"math"

	"github.com/paulmach/orb"
)

// gridIndex finds the grid of a town that contains a point, through buckets
// of about 400 m that list the grids whose bounds reach into them.
type gridIndex struct {
	grids   []gridData
	bound   orb.Bound
	step    float64
	nx, ny  int
	buckets [][]int32
}

func newGridIndex(grids []gridData, bound orb.Bound) *gridIndex {
	const step = 0.004
	gi := &gridIndex{grids: grids, bound: bound, step: step}
	gi.nx = int(math.Ceil((bound.Max[0]-bound.Min[0])/step)) + 1
	gi.ny = int(math.Ceil((bound.Max[1]-bound.Min[1])/step)) + 1
	gi.buckets = make([][]int32, gi.nx*gi.ny)
	for k, g := range grids {
		x0, y0 := gi.cell(g.bound.Min)
		x1, y1 := gi.cell(g.bound.Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				gi.buckets[y*gi.nx+x] = append(gi.buckets[y*gi.nx+x], int32(k))
			}
		}
	}
	return gi
}

func (gi *gridIndex) cell(p orb.Point) (int, int) {
	x := int((p[0] - gi.bound.Min[0]) / gi.step)
	y := int((p[1] - gi.bound.Min[1]) / gi.step)
	return min(max(x, 0), gi.nx-1), min(max(y, 0), gi.ny-1)
}

// find returns the index of the grid that contains p, or -1.
func (gi *gridIndex) find(p orb.Point) int {
	if !gi.bound.Contains(p) {
		return -1
	}
	x, y := gi.cell(p)
	for _, k := range gi.buckets[y*gi.nx+x] {
		g := &gi.grids[k]
		if g.bound.Contains(p) && contains(g.geom, p) {
			return int(k)
		}
	}
	return -1
}

// containsRing reports whether grid k contains the ring r (a building
// footprint): every corner inside and no grid edge crossing a side of r.
func (gi *gridIndex) containsRing(k int, r orb.Ring) bool {
	g := &gi.grids[k]
	rb := r.Bound()
	if !g.bound.Contains(rb.Min) || !g.bound.Contains(rb.Max) {
		return false
	}
	for _, p := range r[:len(r)-1] {
		if !contains(g.geom, p) {
			return false
		}
	}
	for _, poly := range g.geom {
		for _, ring := range poly {
			for i := 0; i+1 < len(ring); i++ {
				a, b := ring[i], ring[i+1]
				if max(a[0], b[0]) < rb.Min[0] || min(a[0], b[0]) > rb.Max[0] ||
					max(a[1], b[1]) < rb.Min[1] || min(a[1], b[1]) > rb.Max[1] {
					continue
				}
				for j := 0; j+1 < len(r); j++ {
					if segmentsCross(a, b, r[j], r[j+1]) {
						return false
					}
				}
			}
		}
	}
	return true
}

// segmentsCross reports whether segments ab and cd share a point.
func segmentsCross(a, b, c, d orb.Point) bool {
	o := func(p, q, r orb.Point) float64 {
		return (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0])
	}
	d1, d2 := o(a, b, c), o(a, b, d)
	d3, d4 := o(c, d, a), o(c, d, b)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	// Touching or collinear cases count as crossing: a footprint must keep off
	// the grid boundary.
	on := func(p, q, r orb.Point) bool {
		return min(p[0], q[0]) <= r[0] && r[0] <= max(p[0], q[0]) && min(p[1], q[1]) <= r[1] && r[1] <= max(p[1], q[1])
	}
	return (d1 == 0 && on(a, b, c)) || (d2 == 0 && on(a, b, d)) || (d3 == 0 && on(c, d, a)) || (d4 == 0 && on(c, d, b))
}

// contains reports whether p lies inside mp, by the even-odd rule. Unlike
// planar.MultiPolygonContains it does not compute the bounds of every ring
// on every call, which dominated the generator's profile.
func contains(mp orb.MultiPolygon, p orb.Point) bool {
	in := false
	for _, poly := range mp {
		for _, r := range poly {
			for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
				a, b := r[i], r[j]
				if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
					in = !in
				}
			}
		}
	}
	return in
}

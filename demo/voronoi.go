package demo

import (
	"cmp"
	"slices"

	"github.com/paulmach/orb"
)

// Bounding-box sides, as constraint ids of a Voronoi cell edge. Sites have
// ids 0..n-1.
const (
	sideBottom = -1 - iota
	sideRight
	sideTop
	sideLeft
)

// voronoiCells returns the Voronoi cell of every site, clipped to box, as a
// closed counter-clockwise ring.
//
// Each cell is the box cut by the bisector half-planes of the other sites.
// Neighbouring cells must agree exactly on their shared edge, so a vertex is
// not taken from the clipping arithmetic (which depends on the order of the
// cuts) but recomputed from what defines it: the circumcentre of three sites
// taken in a fixed order, or a bisector meeting a side of the box. It is then
// rounded to coordStep, which also merges the vertices of near-degenerate
// configurations (four sites on a circle) the same way in every cell.
func voronoiCells(sites []orb.Point, box orb.Bound) []orb.Ring {
	cells := make([]orb.Ring, len(sites))
	for i := range sites {
		cells[i] = voronoiCell(sites, i, box)
	}
	return cells
}

// cellVertex is a vertex of a cell under construction; edge is the constraint
// (site or box side) of the edge from this vertex to the next.
type cellVertex struct {
	p    orb.Point
	edge int
}

func voronoiCell(sites []orb.Point, i int, box orb.Bound) orb.Ring {
	poly := []cellVertex{
		{orb.Point{box.Min[0], box.Min[1]}, sideBottom},
		{orb.Point{box.Max[0], box.Min[1]}, sideRight},
		{orb.Point{box.Max[0], box.Max[1]}, sideTop},
		{orb.Point{box.Min[0], box.Max[1]}, sideLeft},
	}
	// Cut by the nearest sites first: the cell shrinks quickly and later cuts
	// are usually no-ops.
	order := make([]int, 0, len(sites)-1)
	for j := range sites {
		if j != i {
			order = append(order, j)
		}
	}
	si := sites[i]
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(dist2(si, sites[a]), dist2(si, sites[b])), cmp.Compare(a, b))
	})
	next := make([]cellVertex, 0, 16)
	for _, j := range order {
		sj := sites[j]
		d := orb.Point{sj[0] - si[0], sj[1] - si[1]}
		m := orb.Point{(si[0] + sj[0]) / 2, (si[1] + sj[1]) / 2}
		side := func(p orb.Point) float64 { return (p[0]-m[0])*d[0] + (p[1]-m[1])*d[1] }
		// The cell lies within its circumscribed radius of the site; a
		// bisector farther than that cannot cut it.
		var r2 float64
		for _, v := range poly {
			r2 = max(r2, dist2(si, v.p))
		}
		if dist2(si, sj)/4 > r2 {
			break
		}
		next = next[:0]
		for k, a := range poly {
			b := poly[(k+1)%len(poly)]
			fa, fb := side(a.p), side(b.p)
			ina, inb := fa <= 0, fb <= 0
			switch {
			case ina && inb:
				next = append(next, a)
			case ina && !inb:
				t := fa / (fa - fb)
				next = append(next, a, cellVertex{lerp(a.p, b.p, t), j})
			case !ina && inb:
				t := fa / (fa - fb)
				next = append(next, cellVertex{lerp(a.p, b.p, t), a.edge})
			}
		}
		poly, next = next, poly
	}

	ring := make(orb.Ring, 0, len(poly)+1)
	for k, v := range poly {
		prev := poly[(k+len(poly)-1)%len(poly)].edge
		p := snapPoint(canonicalVertex(sites, i, prev, v.edge, box))
		if len(ring) > 0 && ring[len(ring)-1] == p {
			continue
		}
		ring = append(ring, p)
	}
	for len(ring) > 1 && ring[len(ring)-1] == ring[0] {
		ring = ring[:len(ring)-1]
	}
	return append(ring, ring[0])
}

// canonicalVertex computes the vertex of cell i where the edges of
// constraints c1 and c2 meet, in a way that does not depend on which of the
// cells sharing the vertex asks.
func canonicalVertex(sites []orb.Point, i, c1, c2 int, box orb.Bound) orb.Point {
	switch {
	case c1 >= 0 && c2 >= 0:
		ids := []int{i, c1, c2}
		slices.Sort(ids)
		return circumcentre(sites[ids[0]], sites[ids[1]], sites[ids[2]])
	case c1 < 0 && c2 < 0:
		return boxCorner(box, c1, c2)
	}
	if c1 < 0 {
		c1, c2 = c2, c1
	}
	a, b := min(i, c1), max(i, c1)
	return bisectorMeetsSide(sites[a], sites[b], c2, box)
}

func circumcentre(a, b, c orb.Point) orb.Point {
	bx, by := b[0]-a[0], b[1]-a[1]
	cx, cy := c[0]-a[0], c[1]-a[1]
	d := 2 * (bx*cy - by*cx)
	b2, c2 := bx*bx+by*by, cx*cx+cy*cy
	return orb.Point{a[0] + (cy*b2-by*c2)/d, a[1] + (bx*c2-cx*b2)/d}
}

func bisectorMeetsSide(a, b orb.Point, side int, box orb.Bound) orb.Point {
	dx, dy := b[0]-a[0], b[1]-a[1]
	mx, my := (a[0]+b[0])/2, (a[1]+b[1])/2
	switch side {
	case sideBottom, sideTop:
		y := box.Min[1]
		if side == sideTop {
			y = box.Max[1]
		}
		return orb.Point{mx - (y-my)*dy/dx, y}
	default:
		x := box.Min[0]
		if side == sideRight {
			x = box.Max[0]
		}
		return orb.Point{x, my - (x-mx)*dx/dy}
	}
}

func boxCorner(box orb.Bound, c1, c2 int) orb.Point {
	p := box.Min
	for _, c := range []int{c1, c2} {
		switch c {
		case sideRight:
			p[0] = box.Max[0]
		case sideTop:
			p[1] = box.Max[1]
		}
	}
	return p
}

func lerp(a, b orb.Point, t float64) orb.Point {
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

func dist2(a, b orb.Point) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

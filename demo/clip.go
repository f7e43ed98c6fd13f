package demo

import (
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// The conversions between orb (the domain's geometry) and simplefeatures
// (used here only for its polygon overlay) are kept to what the generator
// needs: rings in, rings out.

func sfRing(r orb.Ring) sf.LineString {
	flat := make([]float64, 0, 2*len(r))
	for _, p := range r {
		flat = append(flat, p[0], p[1])
	}
	return sf.NewLineString(sf.NewSequence(flat, sf.DimXY))
}

func sfPolygon(p orb.Polygon) sf.Polygon {
	rings := make([]sf.LineString, len(p))
	for i, r := range p {
		rings[i] = sfRing(r)
	}
	return sf.NewPolygon(rings)
}

func sfMultiPolygon(mp orb.MultiPolygon) sf.MultiPolygon {
	polys := make([]sf.Polygon, len(mp))
	for i, p := range mp {
		polys[i] = sfPolygon(p)
	}
	return sf.NewMultiPolygon(polys)
}

// orbPolygons returns the polygons of g (a polygon, a multipolygon or a
// collection holding them); lines and points are dropped.
func orbPolygons(g sf.Geometry) orb.MultiPolygon {
	var out orb.MultiPolygon
	var walk func(g sf.Geometry)
	walk = func(g sf.Geometry) {
		switch g.Type() {
		case sf.TypePolygon:
			out = append(out, orbPolygon(g.MustAsPolygon()))
		case sf.TypeMultiPolygon:
			mp := g.MustAsMultiPolygon()
			for i := range mp.NumPolygons() {
				out = append(out, orbPolygon(mp.PolygonN(i)))
			}
		case sf.TypeGeometryCollection:
			gc := g.MustAsGeometryCollection()
			for i := range gc.NumGeometries() {
				walk(gc.GeometryN(i))
			}
		}
	}
	walk(g)
	return out
}

func orbPolygon(p sf.Polygon) orb.Polygon {
	out := make(orb.Polygon, p.NumRings())
	for i := range out {
		var ls sf.LineString
		if i == 0 {
			ls = p.ExteriorRing()
		} else {
			ls = p.InteriorRingN(i - 1)
		}
		seq := ls.Coordinates()
		r := make(orb.Ring, seq.Length())
		for k := range r {
			xy := seq.GetXY(k)
			r[k] = orb.Point{xy.X, xy.Y}
		}
		out[i] = r
	}
	return out
}

// validMultiPolygon reports why mp is not a valid multipolygon (OGC rules:
// closed simple rings, no self-intersection, parts not overlapping), or nil.
func validMultiPolygon(mp orb.MultiPolygon) error {
	if len(mp) == 0 {
		return fmt.Errorf("empty multipolygon")
	}
	for _, p := range mp {
		for _, r := range p {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				return fmt.Errorf("ring of %d points is not closed", len(r))
			}
		}
	}
	return sfMultiPolygon(mp).Validate()
}

// A clipParent is a polygon that Voronoi cells are cut to: the outline, a
// town or a village. Its outer rings run counter-clockwise and its holes
// clockwise, so its interior is always left of an edge.
type clipParent struct {
	geom     sf.Geometry
	vertices map[orb.Point]bool
	edges    []segment
}

type segment struct{ a, b orb.Point }

func newClipParent(mp orb.MultiPolygon) *clipParent {
	p := &clipParent{geom: sfMultiPolygon(mp).AsGeometry(), vertices: make(map[orb.Point]bool)}
	for _, poly := range mp {
		for _, r := range poly {
			for k := 0; k+1 < len(r); k++ {
				p.vertices[r[k]] = true
				p.edges = append(p.edges, segment{r[k], r[k+1]})
			}
		}
	}
	return p
}

// Tolerances of the clipping, in degrees. nearTol (about 0.1 mm) decides that
// a vertex lies on an edge; minPartArea (about 1 m²) drops numerical crumbs
// of the overlay.
const (
	nearTol     = 1e-9
	minPartArea = 1e-10
)

// clip returns cell ∩ parent, oriented counter-clockwise, with every vertex
// on or strictly inside parent.
//
// Rounding the result to a grid would move points where a cell edge crosses
// the parent's boundary off that boundary, by up to half a grid step, and so
// slightly outside the parent. Instead such a crossing is recomputed from the
// two segments in a canonical order (so the neighbouring cell, which shares
// the edge, gets the same point bit for bit) and then moved by a few ulps to
// the inside of the parent edge, as judged by an exact orientation test. The
// result nests exactly: a village lies within its town and a grid within its
// village, and neighbours share their common edges vertex for vertex.
func (p *clipParent) clip(cell orb.Ring) (orb.MultiPolygon, error) {
	g, err := sf.Intersection(sfPolygon(orb.Polygon{cell}).AsGeometry(), p.geom)
	if err != nil {
		return nil, fmt.Errorf("demo: clip cell: %w", err)
	}
	mp := orbPolygons(g)
	cellEdges := make([]segment, 0, len(cell))
	for k := 0; k+1 < len(cell); k++ {
		cellEdges = append(cellEdges, segment{cell[k], cell[k+1]})
	}
	out := mp[:0]
	for _, poly := range mp {
		for ri, r := range poly {
			settled := r[:0]
			for _, v := range r[:len(r)-1] {
				if v, keep := p.settle(v, cell, cellEdges); keep {
					settled = append(settled, v)
				}
			}
			if len(settled) < 3 {
				return nil, fmt.Errorf("demo: clip cell: ring collapsed")
			}
			r = append(settled, settled[0])
			if ccw := ringArea(r) > 0; ccw != (ri == 0) {
				r.Reverse()
			}
			poly[ri] = r
		}
		if ringArea(poly[0]) < minPartArea {
			continue
		}
		out = append(out, poly)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := validMultiPolygon(out); err != nil {
		return nil, fmt.Errorf("demo: clip cell: invalid result: %w", err)
	}
	return out, nil
}

// settle returns the final position of vertex v of a clipped cell, or false
// when v is to be dropped.
//
// A vertex of the overlay is a vertex of the parent (kept as it is), a vertex
// of the cell (kept, and moved inside if it sits on the parent's boundary), a
// crossing of a cell edge with a parent edge (recomputed canonically and
// moved inside), or else a node the overlay put in the middle of a straight
// edge for its own purposes: simplefeatures joins the pieces of its input
// with "ghost" edges and splits whatever they cross. Such nodes are dropped;
// the neighbouring cell, cut separately, would not have them.
func (p *clipParent) settle(v orb.Point, cell orb.Ring, cellEdges []segment) (orb.Point, bool) {
	if p.vertices[v] {
		return v, true
	}
	isCellVertex := slices.Contains(cell, v)
	e, d := nearestSegment(p.edges, v)
	if d > nearTol {
		return v, isCellVertex // well inside the parent
	}
	if !isCellVertex {
		c, dc := nearestSegment(cellEdges, v)
		if dc > nearTol {
			return v, false // a node on a parent edge
		}
		if x, ok := canonicalCrossing(c, e); ok && math.Sqrt(dist2(x, v)) <= nearTol {
			v = x
		}
	}
	return nudgeLeft(v, e), true
}

// nearestSegment returns the segment of segs nearest to v and its distance.
func nearestSegment(segs []segment, v orb.Point) (segment, float64) {
	best, bestD := segment{}, math.Inf(1)
	for _, s := range segs {
		if v[0] < min(s.a[0], s.b[0])-bestD || v[0] > max(s.a[0], s.b[0])+bestD ||
			v[1] < min(s.a[1], s.b[1])-bestD || v[1] > max(s.a[1], s.b[1])+bestD {
			continue
		}
		if d := segmentDistance(s, v); d < bestD {
			best, bestD = s, d
		}
	}
	return best, bestD
}

func segmentDistance(s segment, v orb.Point) float64 {
	dx, dy := s.b[0]-s.a[0], s.b[1]-s.a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = max(0, min(1, ((v[0]-s.a[0])*dx+(v[1]-s.a[1])*dy)/l2))
	}
	return math.Sqrt(dist2(v, orb.Point{s.a[0] + t*dx, s.a[1] + t*dy}))
}

// canonicalCrossing intersects the lines of two segments with the segments
// and their endpoints put in a fixed order, so the result does not depend on
// their direction or on which one is asked first.
func canonicalCrossing(s1, s2 segment) (orb.Point, bool) {
	s1, s2 = canonicalSegment(s1), canonicalSegment(s2)
	if lessPoint(s2.a, s1.a) || (s2.a == s1.a && lessPoint(s2.b, s1.b)) {
		s1, s2 = s2, s1
	}
	rx, ry := s1.b[0]-s1.a[0], s1.b[1]-s1.a[1]
	sx, sy := s2.b[0]-s2.a[0], s2.b[1]-s2.a[1]
	den := rx*sy - ry*sx
	if den == 0 {
		return orb.Point{}, false
	}
	t := ((s2.a[0]-s1.a[0])*sy - (s2.a[1]-s1.a[1])*sx) / den
	return orb.Point{s1.a[0] + t*rx, s1.a[1] + t*ry}, true
}

func canonicalSegment(s segment) segment {
	if lessPoint(s.b, s.a) {
		return segment{s.b, s.a}
	}
	return s
}

func lessPoint(a, b orb.Point) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }

// nudgeLeft moves v, which lies on or next to segment e, by the fewest ulps
// that put it strictly left of e (inside the parent). Points beyond the ends
// of e are left alone: there the neighbouring edge decides.
func nudgeLeft(v orb.Point, e segment) orb.Point {
	dx, dy := e.b[0]-e.a[0], e.b[1]-e.a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return v
	}
	if t := ((v[0]-e.a[0])*dx + (v[1]-e.a[1])*dy) / l2; t <= 1e-9 || t >= 1-1e-9 {
		return v
	}
	for range 200 {
		if orientation(e.a, e.b, v) > 0 {
			return v
		}
		if dy != 0 {
			v[0] = math.Nextafter(v[0], v[0]-dy)
		}
		if dx != 0 {
			v[1] = math.Nextafter(v[1], v[1]+dx)
		}
	}
	return v
}

// orientation returns the sign of the cross product (b-a)×(c-a): positive
// when c is left of the directed line a→b. It is exact: a floating-point
// filter decides the clear cases and big.Float the rest.
func orientation(a, b, c orb.Point) int {
	l := (b[0] - a[0]) * (c[1] - a[1])
	r := (b[1] - a[1]) * (c[0] - a[0])
	det := l - r
	if bound := 1e-14 * (math.Abs(l) + math.Abs(r)); det > bound {
		return 1
	} else if det < -bound {
		return -1
	}
	const prec = 512
	f := func(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }
	sub := func(x, y float64) *big.Float { return new(big.Float).SetPrec(prec).Sub(f(x), f(y)) }
	mul := func(x, y *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Mul(x, y) }
	lb := mul(sub(b[0], a[0]), sub(c[1], a[1]))
	rb := mul(sub(b[1], a[1]), sub(c[0], a[0]))
	return lb.Cmp(rb)
}

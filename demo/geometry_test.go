package demo

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

func TestVoronoiCellsShareVertices(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	box := orb.Bound{Min: orb.Point{113.5, 22.5}, Max: orb.Point{114.3, 23.2}}
	for _, n := range []int{2, 5, 36, 200} {
		sites := make([]orb.Point, n)
		for i := range sites {
			sites[i] = snapPoint(orb.Point{113.6 + 0.6*r.Float64(), 22.6 + 0.5*r.Float64()})
		}
		cells := voronoiCells(sites, box)
		// A vertex of the diagram is shared by every cell that meets there,
		// bit for bit; only the corners of the box belong to one cell.
		count := map[orb.Point]int{}
		var area float64
		for i, c := range cells {
			if c[0] != c[len(c)-1] || ringArea(c) <= 0 {
				t.Fatalf("n=%d: cell %d is not a closed counter-clockwise ring", n, i)
			}
			if !planarContainsRing(c, sites[i]) {
				t.Errorf("n=%d: cell %d does not contain its site", n, i)
			}
			area += ringArea(c)
			for _, p := range c[:len(c)-1] {
				count[p]++
			}
		}
		for p, k := range count {
			corner := (p[0] == box.Min[0] || p[0] == box.Max[0]) && (p[1] == box.Min[1] || p[1] == box.Max[1])
			if k < 2 && !corner {
				t.Errorf("n=%d: vertex %v belongs to one cell only", n, p)
			}
		}
		boxArea := (box.Max[0] - box.Min[0]) * (box.Max[1] - box.Min[1])
		if math.Abs(area-boxArea) > 1e-9 {
			t.Errorf("n=%d: cells cover %g of the box's %g", n, area, boxArea)
		}
	}
}

func planarContainsRing(r orb.Ring, p orb.Point) bool { return contains(orb.MultiPolygon{{r}}, p) }

func TestOrientationIsExact(t *testing.T) {
	exact := func(a, b, c orb.Point) int {
		q := func(x float64) *big.Rat { return new(big.Rat).SetFloat64(x) }
		sub := func(x, y float64) *big.Rat { return new(big.Rat).Sub(q(x), q(y)) }
		l := new(big.Rat).Mul(sub(b[0], a[0]), sub(c[1], a[1]))
		r := new(big.Rat).Mul(sub(b[1], a[1]), sub(c[0], a[0]))
		return l.Cmp(r)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		a := orb.Point{113 + r.Float64(), 22 + r.Float64()}
		b := orb.Point{113 + r.Float64(), 22 + r.Float64()}
		c := lerp(a, b, r.Float64()) // on the line, up to rounding
		for range r.IntN(3) {
			k := r.IntN(2)
			c[k] = math.Nextafter(c[k], c[k]+r.NormFloat64())
		}
		if got, want := orientation(a, b, c), exact(a, b, c); got != want {
			t.Fatalf("orientation(%v, %v, %v) = %d, want %d", a, b, c, got, want)
		}
	}
}

func TestCanonicalCrossing(t *testing.T) {
	s1 := segment{orb.Point{113.1, 22.1}, orb.Point{113.9, 22.7}}
	s2 := segment{orb.Point{113.2, 22.8}, orb.Point{113.7, 22.05}}
	want, ok := canonicalCrossing(s1, s2)
	if !ok {
		t.Fatal("no crossing")
	}
	rev := func(s segment) segment { return segment{s.b, s.a} }
	for _, pair := range [][2]segment{{s2, s1}, {rev(s1), s2}, {s1, rev(s2)}, {rev(s2), rev(s1)}} {
		if got, _ := canonicalCrossing(pair[0], pair[1]); got != want {
			t.Errorf("crossing of %v and %v = %v, want %v bit for bit", pair[0], pair[1], got, want)
		}
	}
	if _, ok := canonicalCrossing(segment{orb.Point{113, 22}, orb.Point{114, 22.5}}, segment{orb.Point{113, 22.5}, orb.Point{114, 23}}); ok {
		t.Error("parallel segments cross")
	}
}

func TestNudgeLeft(t *testing.T) {
	e := segment{orb.Point{113.1, 22.1}, orb.Point{113.9, 22.7}}
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		v := lerp(e.a, e.b, 0.01+0.98*r.Float64())
		got := nudgeLeft(v, e)
		if orientation(e.a, e.b, got) <= 0 {
			t.Fatalf("nudgeLeft(%v) = %v, not left of the edge", v, got)
		}
		if d := math.Hypot(got[0]-v[0], got[1]-v[1]); d > 1e-12 {
			t.Fatalf("nudgeLeft moved %v by %g degrees", v, d)
		}
	}
}

func TestNames(t *testing.T) {
	for n, want := range map[int]string{1: "一", 10: "十", 12: "十二", 20: "二十", 35: "三十五", 99: "九十九"} {
		if got := numeral(n); got != want {
			t.Errorf("numeral(%d) = %s, want %s", n, got, want)
		}
	}
	for in, want := range map[string]string{"同沙社区": "同沙", "一村": "一村", "上江城村": "上江城", "松山湖": "松山湖", "樟木头生活区": "樟木头"} {
		if got := villageStem(in); got != want {
			t.Errorf("villageStem(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"东城街道": "东城", "长安镇": "长安", "东莞港": "港城", "松山湖": "松山湖"} {
		if got := townStem(in); got != want {
			t.Errorf("townStem(%s) = %s, want %s", in, got, want)
		}
	}
	seen := map[string]bool{"同沙社区": true}
	if got := uniqueVillageName("同沙社区", seen); got != "同沙二社区" {
		t.Errorf("second 同沙社区 is named %s, want 同沙二社区", got)
	}
	if got := pad(42, 7); got != "0000042" {
		t.Errorf("pad(42, 7) = %s", got)
	}
}

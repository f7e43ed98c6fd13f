package supervision

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// TestParentOf checks the bit arithmetic against H3's own cellToParent at
// every resolution, over cells spread across Dongguan.
func TestParentOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		ll := h3.NewLatLng(22.65+rng.Float64()*0.5, 113.51+rng.Float64()*0.75)
		c := h3.LatLngToCell(ll, MaxH3Res)
		for res := 0; res <= MaxH3Res; res++ {
			want := c.Parent(res)
			if got := h3.Cell(parentOf(uint64(c), res)); got != want {
				t.Fatalf("parentOf(%s, %d) = %s, want %s", c, res, got, want)
			}
		}
	}
}

// randomEntities returns n entities scattered over part of Dongguan, in
// three towns with grids, industries, kinds, visits and tasks of all
// sorts around now.
func randomEntities(rng *rand.Rand, n int, now time.Time) []CoverageEntity {
	towns := []string{"441900003", "441900004", "441900005"}
	kinds := []Kind{Enterprise, Individual, Cooperative}
	out := make([]CoverageEntity, n)
	for i := range out {
		ll := h3.NewLatLng(22.9+rng.Float64()*0.2, 113.7+rng.Float64()*0.3)
		town := towns[rng.IntN(len(towns))]
		e := CoverageEntity{Cells: cellsOf(ll), TownCode: town, Kind: kinds[rng.IntN(3)],
			Industry: string(rune('A' + rng.IntN(4))), OpenFlags: rng.IntN(3)}
		if rng.IntN(5) > 0 {
			e.GridCode = town + "001" + string(rune('0'+rng.IntN(4))) + "0001"
		}
		if rng.IntN(3) > 0 {
			e.LastInspected = now.Add(-time.Duration(rng.IntN(400*24)) * time.Hour)
		}
		for range rng.IntN(3) {
			e.TaskDues = append(e.TaskDues, now.Add(time.Duration(rng.IntN(60*24)-30*24)*time.Hour))
		}
		out[i] = e
	}
	return out
}

// cellsOf returns the cells holding ll at MinH3Res to MaxH3Res, as
// linking stores them.
func cellsOf(ll h3.LatLng) (out [MaxH3Res - MinH3Res + 1]h3.Cell) {
	for res := MinH3Res; res <= MaxH3Res; res++ {
		out[res-MinH3Res] = h3.LatLngToCell(ll, res)
	}
	return out
}

// cellAt returns e's cell at res: the stored one from MinH3Res, the
// ancestor of the MinH3Res cell below.
func cellAt(e CoverageEntity, res int) h3.Cell {
	if res < MinH3Res {
		return e.Cells[0].Parent(res)
	}
	return e.Cells[res-MinH3Res]
}

// measure is coverage counted the plain way, for checking the index.
func measure(es []CoverageEntity, keep func(CoverageEntity) bool, f CoverageFilter, now time.Time) CoverageMetrics {
	var m CoverageMetrics
	since := now.AddDate(0, 0, -f.Window())
	for _, e := range es {
		if !keep(e) || (f.TownCode != "" && e.TownCode != f.TownCode) || (f.Industry != "" && e.Industry != f.Industry) ||
			(f.Kind != "" && e.Kind != f.Kind) {
			continue
		}
		m.Entities++
		switch {
		case e.LastInspected.IsZero():
			m.NeverInspected++
		case !e.LastInspected.Before(since):
			m.Inspected++
		}
		for _, d := range e.TaskDues {
			if d.Before(now) {
				m.OverdueTasks++
			}
		}
		m.OpenFlags += e.OpenFlags
	}
	return m
}

func TestCoverageIndex(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	es := randomEntities(rng, 20000, now)
	ix := NewCoverageIndex()
	ix.Replace(nil, true, append([]CoverageEntity(nil), es...))
	if !ix.Loaded() || ix.Len() != len(es) {
		t.Fatalf("loaded %v with %d entities, want %d", ix.Loaded(), ix.Len(), len(es))
	}
	everywhere := orb.Bound{Min: orb.Point{113, 22}, Max: orb.Point{115, 24}}
	filters := map[string]CoverageFilter{
		"all":           {},
		"town":          {TownCode: "441900004", WindowDays: 90},
		"industry+kind": {Industry: "B", Kind: Individual, WindowDays: 365},
		"unknown town":  {TownCode: "441900099"},
	}
	for name, f := range filters {
		for _, res := range []int{4, 6, 7, 9, 11} {
			cells := ix.Cells(res, everywhere, f, now)
			for _, c := range cells {
				want := measure(es, func(e CoverageEntity) bool { return cellAt(e, res) == c.Cell }, f, now)
				if diff := cmp.Diff(want, c.CoverageMetrics); diff != "" {
					t.Fatalf("%s: cell %s (res %d): (-want +got)\n%s", name, c.Cell, res, diff)
				}
			}
			var sum CoverageMetrics
			for _, c := range cells {
				sum.Add(c.CoverageMetrics)
			}
			if diff := cmp.Diff(measure(es, func(CoverageEntity) bool { return true }, f, now), sum); diff != "" {
				t.Errorf("%s: res %d cells add up wrong (-want +got)\n%s", name, res, diff)
			}
		}
		codes := []string{"441900003001" + "00001", "441900004001" + "20001", "441900005001" + "30001", "441900005009" + "90001"}
		for _, g := range ix.Grids(codes, f, now) {
			want := measure(es, func(e CoverageEntity) bool { return e.GridCode == g.GridCode }, f, now)
			if diff := cmp.Diff(want, g.CoverageMetrics); diff != "" {
				t.Errorf("%s: grid %s: (-want +got)\n%s", name, g.GridCode, diff)
			}
			if g.TownCode != g.GridCode[:9] || g.VillageCode != g.GridCode[:12] {
				t.Errorf("grid %s: town %s village %s", g.GridCode, g.TownCode, g.VillageCode)
			}
		}
	}
}

// TestCoverageIndexBound: only cells meeting the bound come back, and
// each with all its entities, inside the bound or not.
func TestCoverageIndexBound(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	es := randomEntities(rand.New(rand.NewPCG(5, 6)), 5000, now)
	ix := NewCoverageIndex()
	ix.Replace(nil, true, append([]CoverageEntity(nil), es...))
	box := orb.Bound{Min: orb.Point{113.80, 22.95}, Max: orb.Point{113.85, 23.0}}
	for _, res := range []int{5, 8, 10} {
		got := map[h3.Cell]bool{}
		for _, c := range ix.Cells(res, box, CoverageFilter{}, now) {
			if !CellBound(c.Cell).Intersects(box) {
				t.Errorf("res %d: cell %s is outside %v", res, c.Cell, box)
			}
			got[c.Cell] = true
		}
		for _, e := range es {
			p := cellAt(e, res)
			if CellBound(p).Intersects(box) && !got[p] {
				t.Fatalf("res %d: cell %s meets the box and holds an entity, but is missing", res, p)
			}
		}
	}
}

// TestCoverageIndexReplace: refreshing one bucket changes that bucket
// only; emptying it removes it.
func TestCoverageIndexReplace(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	es := randomEntities(rand.New(rand.NewPCG(7, 8)), 3000, now)
	ix := NewCoverageIndex()
	ix.Replace(nil, true, append([]CoverageEntity(nil), es...))
	bucket := es[0].Cells[0]
	var in, out []CoverageEntity
	for _, e := range es {
		if e.Cells[0] == bucket {
			in = append(in, e)
		} else {
			out = append(out, e)
		}
	}
	// Every entity of the bucket is inspected today.
	fresh := append([]CoverageEntity(nil), in...)
	for i := range fresh {
		fresh[i].LastInspected = now
	}
	ix.Replace([]h3.Cell{bucket}, false, fresh)
	everywhere := orb.Bound{Min: orb.Point{113, 22}, Max: orb.Point{115, 24}}
	for _, c := range ix.Cells(BucketRes, everywhere, CoverageFilter{}, now) {
		want := measure(es, func(e CoverageEntity) bool { return e.Cells[0] == c.Cell }, CoverageFilter{}, now)
		if c.Cell == bucket {
			want = measure(fresh, func(CoverageEntity) bool { return true }, CoverageFilter{}, now)
			if want.Inspected != len(in) {
				t.Fatalf("refreshed bucket: %d inspected of %d", want.Inspected, len(in))
			}
		}
		if diff := cmp.Diff(want, c.CoverageMetrics); diff != "" {
			t.Errorf("cell %s: (-want +got)\n%s", c.Cell, diff)
		}
	}
	ix.Replace([]h3.Cell{bucket}, false, nil)
	if ix.Len() != len(out) {
		t.Errorf("after emptying bucket %s: %d entities, want %d", bucket, ix.Len(), len(out))
	}
}

func BenchmarkCoverageCells(b *testing.B) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	es := randomEntities(rand.New(rand.NewPCG(9, 10)), 1_000_000, now)
	ix := NewCoverageIndex()
	ix.Replace(nil, true, es)
	everywhere := orb.Bound{Min: orb.Point{113, 22}, Max: orb.Point{115, 24}}
	b.ResetTimer()
	for b.Loop() {
		ix.Cells(5, everywhere, CoverageFilter{}, now)
	}
}

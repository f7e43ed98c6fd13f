package supervision

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/geo"
)

var planNow = time.Date(2026, 11, 1, 9, 0, 0, 0, Beijing)

const (
	townA = "441900003"
	townB = "441900004"
	gridA = "441900003001001" // in townA
	gridB = "441900003001002" // in townA
)

// candidates returns n inspected, established candidates of a grid.
func candidates(prefix, town, grid string, n int) []Candidate {
	seen := planNow.AddDate(0, -6, 0)
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{USCC: USCC(fmt.Sprintf("%s%04d", prefix, i)), TownCode: town, GridCode: grid,
			RegisteredAt: planNow.AddDate(-3, 0, 0), LastInspectedAt: &seen}
	}
	return out
}

func sampling(seed int64) Sampling { return Sampling{Seed: seed, Now: planNow, NewEntityDays: 90} }

func codes(ps []Pick) []USCC {
	out := make([]USCC, len(ps))
	for i, p := range ps {
		out[i] = p.USCC
	}
	return out
}

func TestDrawReproducible(t *testing.T) {
	cs := append(candidates("A", townA, gridA, 200), candidates("B", townB, "441900004001001", 100)...)
	qs := []Quota{{Town: townA, Count: 20}, {Town: townB, Count: 10}}
	first, _, err := Draw(cs, qs, sampling(42))
	if err != nil {
		t.Fatal(err)
	}
	again, _, _ := Draw(cs, qs, sampling(42))
	if !slices.Equal(codes(first), codes(again)) {
		t.Errorf("the same seed drew %v, then %v", codes(first), codes(again))
	}
	shuffled := slices.Clone(cs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	fromShuffled, _, _ := Draw(shuffled, qs, sampling(42))
	if !slices.Equal(codes(first), codes(fromShuffled)) {
		t.Errorf("the order of the candidates changed the draw")
	}
	other, _, _ := Draw(cs, qs, sampling(43))
	if slices.Equal(codes(first), codes(other)) {
		t.Errorf("seeds 42 and 43 drew the same entities")
	}
}

func TestDrawQuotas(t *testing.T) {
	cs := append(candidates("A", townA, gridA, 50), candidates("G", townA, gridB, 30)...)
	cs = append(cs, candidates("B", townB, "441900004001001", 40)...)
	// The grid's quota lies inside the town's: the town draws from the
	// town's other entities only.
	qs := []Quota{{Town: townA, Count: 45}, {Grid: gridB, Count: 30}, {Town: townB, Count: 0}}
	picks, counts, err := Draw(cs, qs, sampling(7))
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]int{}
	seen := map[USCC]bool{}
	for _, p := range picks {
		got[p.Quota]++
		if seen[p.USCC] {
			t.Errorf("%s drawn twice", p.USCC)
		}
		seen[p.USCC] = true
		if p.Quota == 0 && p.USCC[0] != 'A' || p.Quota == 1 && p.USCC[0] != 'G' {
			t.Errorf("%s filled quota %d", p.USCC, p.Quota)
		}
	}
	for i, q := range qs {
		if got[i] != q.Count || counts[i].Drawn != q.Count {
			t.Errorf("quota %d: drew %d (counted %d), want %d", i, got[i], counts[i].Drawn, q.Count)
		}
	}
	if counts[0].Candidates != 50 || counts[1].Candidates != 30 || counts[2].Candidates != 40 {
		t.Errorf("candidates per quota %+v, want 50, 30, 40", counts)
	}
}

func TestDrawIncludesNewRegistrations(t *testing.T) {
	cs := candidates("A", townA, gridA, 100)
	var fresh []USCC
	for i := range 5 {
		c := Candidate{USCC: USCC(fmt.Sprintf("N%04d", i)), TownCode: townA, GridCode: gridA,
			RegisteredAt: planNow.AddDate(0, 0, -10*i-1)}
		cs = append(cs, c)
		fresh = append(fresh, c.USCC)
	}
	// Registered 100 days ago: no longer new. Inspected: no longer new.
	old := Candidate{USCC: "N_OLD", TownCode: townA, RegisteredAt: planNow.AddDate(0, 0, -100)}
	seen := planNow.AddDate(0, 0, -3)
	visited := Candidate{USCC: "N_SEEN", TownCode: townA, RegisteredAt: planNow.AddDate(0, 0, -20), LastInspectedAt: &seen}
	cs = append(cs, old, visited)
	for seed := range int64(20) {
		picks, counts, err := Draw(cs, []Quota{{Town: townA, Count: 3}}, sampling(seed))
		if err != nil {
			t.Fatal(err)
		}
		var news []USCC
		drawn := 0
		for _, p := range picks {
			switch p.Reason {
			case ReasonNew:
				news = append(news, p.USCC)
			case ReasonDrawn:
				drawn++
			}
		}
		slices.Sort(news)
		if !slices.Equal(news, fresh) || counts[0].New != 5 {
			t.Fatalf("seed %d: new %v, want %v", seed, news, fresh)
		}
		if drawn != 3 {
			t.Fatalf("seed %d: %d drawn on top of the new ones, want 3", seed, drawn)
		}
	}
	// All the others can be drawn, but not one more.
	if _, _, err := Draw(cs, []Quota{{Town: townA, Count: 102}}, sampling(1)); err != nil {
		t.Errorf("102 of 102 drawable: %v", err)
	}
	if _, _, err := Draw(cs, []Quota{{Town: townA, Count: 103}}, sampling(1)); err == nil {
		t.Errorf("103 of 102 drawable: no error")
	}
}

// TestDrawWeightsMatter draws 5 of 50 over many seeds: an entity with open
// flags, complaints and violations (weight 9.5) is drawn far more often
// than one of the plain ones (weight 1.5): about 46% of the draws against 9%.
func TestDrawWeightsMatter(t *testing.T) {
	cs := candidates("A", townA, gridA, 50)
	heavy := &cs[17]
	heavy.OpenFlagScore, heavy.Complaints, heavy.Serious = 200, 6, 2
	const runs = 2000
	heavyDrawn, plainDrawn := 0, 0
	for seed := range int64(runs) {
		picks, _, err := Draw(cs, []Quota{{Grid: gridA, Count: 5}}, sampling(seed))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range picks {
			if p.USCC == heavy.USCC {
				heavyDrawn++
			} else {
				plainDrawn++
			}
		}
	}
	heavyRate := float64(heavyDrawn) / runs
	plainRate := float64(plainDrawn) / runs / 49
	t.Logf("heavy drawn in %.1f%% of draws, a plain one in %.1f%%", 100*heavyRate, 100*plainRate)
	if heavyRate < 4*plainRate || heavyRate < 0.35 {
		t.Errorf("heavy rate %.3f, plain rate %.3f: the weight should make the heavy one far likelier", heavyRate, plainRate)
	}
	// Uniform weights: every plain entity near 5/50.
	if plainRate < 0.06 || plainRate > 0.1 {
		t.Errorf("plain rate %.3f, want about 0.08 (the heavy one takes its share)", plainRate)
	}
}

func TestDrawImpossibleQuotas(t *testing.T) {
	cs := candidates("A", townA, gridA, 10)
	for _, tc := range []struct {
		name   string
		quotas []Quota
		field  string
	}{
		{"none", nil, "quotas"},
		{"more than the candidates", []Quota{{Town: townA, Count: 11}}, "quotas[0].count"},
		{"negative", []Quota{{Grid: gridA, Count: -1}}, "quotas[0].count"},
		{"an area without entities", []Quota{{Town: townA, Count: 1}, {Town: townB, Count: 1}}, "quotas[1].count"},
		{"town and grid in one", []Quota{{Town: townA, Grid: gridA, Count: 1}}, "quotas[0]"},
		{"no area", []Quota{{Count: 1}}, "quotas[0]"},
		{"a malformed town", []Quota{{Town: "4419", Count: 1}}, "quotas[0].town"},
		{"a malformed grid", []Quota{{Grid: townA, Count: 1}}, "quotas[0].grid"},
		{"twice the same town", []Quota{{Town: townA, Count: 1}, {Town: townA, Count: 1}}, "quotas[1]"},
		{"too many in one", []Quota{{Town: townA, Count: MaxCampaignDraws + 1}}, "quotas[0].count"},
		{"too many in all", []Quota{{Town: townA, Count: MaxCampaignDraws}, {Town: townB, Count: 1}}, "quotas"},
		{"the grid inside the town leaves the town too few", []Quota{{Grid: gridA, Count: 5}, {Town: townA, Count: 6}}, "quotas[1].count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Draw(cs, tc.quotas, sampling(1))
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a field error on %s", err, tc.field)
			}
		})
	}
}

func TestWeightOf(t *testing.T) {
	ago := func(months int) *time.Time { t := planNow.AddDate(0, -months, -1); return &t }
	for _, tc := range []struct {
		name string
		c    Candidate
		want float64
	}{
		{"inspected this month, no record", Candidate{LastInspectedAt: ago(0)}, 1},
		{"catering, inspected a year ago", Candidate{Industry: "H", LastInspectedAt: ago(12)}, 1.5 * 2},
		{"never inspected: the cap", Candidate{}, 4},
		{"inspected five years ago: the cap", Candidate{LastInspectedAt: ago(60)}, 4},
		{"an open flag of 80", Candidate{OpenFlagScore: 80, LastInspectedAt: ago(0)}, 1.8},
		{"flags capped at 200 points", Candidate{OpenFlagScore: 500, LastInspectedAt: ago(0)}, 3},
		{"two complaints", Candidate{Complaints: 2, LastInspectedAt: ago(0)}, 2},
		{"complaints capped", Candidate{Complaints: 40, LastInspectedAt: ago(0)}, 4},
		{"a warning and a serious violation", Candidate{Violations: 1, Serious: 1, LastInspectedAt: ago(0)}, 3},
		{"software, never inspected", Candidate{Industry: "I"}, 0.8 * 4},
		{"everything at its cap in entertainment", Candidate{Industry: "R", OpenFlagScore: 300, Complaints: 9, Serious: 3}, 1.5 * 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := WeightOf(tc.c, planNow)
			if math.Abs(w.Weight-tc.want) > 1e-9 {
				t.Errorf("weight %v (%+v), want %v", w.Weight, w, tc.want)
			}
			sum := w.Industry * (1 + w.Flags + w.Complaints + w.Violations + w.Inspection)
			if math.Abs(sum-w.Weight) > 1e-9 {
				t.Errorf("the terms give %v, the weight is %v", sum, w.Weight)
			}
			if (tc.c.LastInspectedAt == nil) != (w.MonthsSinceInspection == nil) {
				t.Errorf("months since inspection %v for last inspection %v", w.MonthsSinceInspection, tc.c.LastInspectedAt)
			}
		})
	}
}

// TestTwoOptNeverLonger compares the route with its nearest-neighbour
// start on random sets of stops around Dongguan.
func TestTwoOptNeverLonger(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 2 + r.IntN(40)
		nodes := make([]orb.Point, n)
		for i := range nodes {
			nodes[i] = orb.Point{113.7 + 0.02*r.Float64(), 23.0 + 0.02*r.Float64()}
		}
		nn := nearestNeighbour(nodes)
		opt := twoOpt(nodes, nn)
		if a, b := pathLength(nodes, opt), pathLength(nodes, nn); a > b+1e-6 {
			t.Fatalf("trial %d: 2-opt %.1f m, nearest neighbour %.1f m", trial, a, b)
		}
		if opt[0] != 0 {
			t.Fatalf("trial %d: the route left its start", trial)
		}
		s := slices.Clone(opt)
		slices.Sort(s)
		for i, v := range s {
			if v != i {
				t.Fatalf("trial %d: %v is not a permutation", trial, opt)
			}
		}
	}
}

func TestWalkingRoute(t *testing.T) {
	// Stops along one street, given out of order: the best walk from the
	// west end goes east, stop by stop.
	street := []orb.Point{{113.7040, 23.02}, {113.7010, 23.02}, {113.7050, 23.02}, {113.7020, 23.02}, {113.7030, 23.02}}
	west := orb.Point{113.7000, 23.02}
	order, metres := WalkingRoute(&west, street)
	if want := []int{1, 3, 4, 0, 2}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if want := 0.005 * 111195 * math.Cos(23.02*math.Pi/180); math.Abs(metres-want) > 2 {
		t.Errorf("length %.1f m, want %.1f", metres, want)
	}

	// Nearest neighbour walks east to the closest stop (100 m), back west
	// past the start (300 m) and then all the way east (650 m). 2-opt
	// goes west first: 200 + 300 + 350 m, the best of every order.
	start := orb.Point{113.7000, 23.0000}
	stops := []orb.Point{{113.7010, 23.0000}, {113.6980, 23.0000}, {113.7045, 23.0000}}
	nodes := append([]orb.Point{start}, stops...)
	if nn := nearestNeighbour(nodes); !slices.Equal(nn, []int{0, 1, 2, 3}) {
		t.Fatalf("nearest neighbour %v, want the detour [0 1 2 3]", nn)
	}
	order, metres = WalkingRoute(&start, stops)
	if want := []int{1, 0, 2}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	best := math.Inf(1)
	permute(len(stops), func(p []int) {
		path := []int{0}
		for _, i := range p {
			path = append(path, i+1)
		}
		best = min(best, pathLength(nodes, path))
	})
	if math.Abs(metres-best) > 1e-6 || metres >= pathLength(nodes, []int{0, 1, 2, 3}) {
		t.Errorf("route %v of %.1f m, the best is %.1f m", order, metres, best)
	}

	if order, metres := WalkingRoute(nil, nil); order != nil || metres != 0 {
		t.Errorf("no stops: %v, %v", order, metres)
	}
	if order, _ := WalkingRoute(nil, street); order[0] != 0 {
		t.Errorf("without a start the route begins at the first stop, not %d", order[0])
	}
}

// permute calls f with every permutation of 0..n-1.
func permute(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			f(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

func TestPlanVisits(t *testing.T) {
	at := func(lon float64) *geo.WGS84 { return &geo.WGS84{Lon: lon, Lat: 23} }
	visits := []Visit{
		{BuildingID: 1, Location: at(113.703)},
		{BuildingID: 2},
		{BuildingID: 3, Location: at(113.701)},
		{BuildingID: 4, Location: at(113.702)},
	}
	p := PlanVisits(visits, &geo.WGS84{Lon: 113.700, Lat: 23})
	var ids []int64
	legs := 0.0
	for i, s := range p.Stops {
		ids = append(ids, s.BuildingID)
		legs += s.LegMetres
		if s.Order != i+1 {
			t.Errorf("stop %d has order %d", i, s.Order)
		}
	}
	if want := []int64{3, 4, 1, 2}; !slices.Equal(ids, want) {
		t.Errorf("buildings in order %v, want %v", ids, want)
	}
	if p.Stops[3].Routed || !p.Stops[2].Routed {
		t.Errorf("the stop without a location should come last, off the route")
	}
	if math.Abs(legs-p.Metres) > 1e-6 || p.Metres < 300 || p.Metres > 320 {
		t.Errorf("legs sum to %.1f m, the route is %.1f m (want about 307)", legs, p.Metres)
	}
	if len(p.Route) != 4 {
		t.Errorf("route line has %d points, want the start and 3 stops", len(p.Route))
	}

	nostart := PlanVisits(visits, nil)
	if nostart.Stops[0].BuildingID != 1 || nostart.Stops[0].LegMetres != 0 {
		t.Errorf("without a start the plan begins at the most urgent visit: %+v", nostart.Stops[0])
	}
}

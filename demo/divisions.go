package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridsentry/gridsentry/addressbook"
)

// townData is everything the contents stage needs to know about one town.
type townData struct {
	ref      *refTown
	class    townClass
	target   int // the town's share of the city, in doorplates (see plotCost)
	geom     orb.MultiPolygon
	villages []villageData
	grids    []gridData
}

type villageData struct {
	ref    *refVillage
	geom   orb.MultiPolygon
	site   orb.Point // the village's core
	weight float64   // share of the town's doorplates
}

type gridData struct {
	code    string
	name    string // 东城街道同沙社区第3网格
	village int    // index into townData.villages
	geom    orb.MultiPolygon
	bound   orb.Bound
}

// newRand returns a generator seeded from the city seed and a path of names,
// so every part of the city draws from its own stream and parts can be built
// in any order, or at once.
func newRand(seed int64, path ...string) *rand.Rand {
	// FNV-1a, 64 bit, over the seed and the path.
	h := uint64(14695981039346656037)
	mix := func(b byte) { h ^= uint64(b); h *= 1099511628211 }
	for i := range 8 {
		mix(byte(uint64(seed) >> (8 * i)))
	}
	for _, p := range path {
		mix(0)
		for i := 0; i < len(p); i++ {
			mix(p[i])
		}
	}
	return rand.New(rand.NewPCG(h, h^0x9e3779b97f4a7c15))
}

// gridCounts returns how many grids each village of each town gets: more in
// dense towns, about scaleParams.gridsPerVil on average. It needs no geometry,
// so Plan can use it.
func gridCounts(cfg Config, ref *reference) [][]int {
	sp := scales[cfg.Scale]
	var totalWeight float64
	var villages int
	for _, t := range ref.Towns {
		totalWeight += townWeights[t.Code].weight
		villages += len(t.Villages)
	}
	mean := totalWeight / float64(villages)
	raw := make([][]float64, len(ref.Towns))
	var sum float64
	for i, t := range ref.Towns {
		density := townWeights[t.Code].weight / float64(len(t.Villages)) / mean
		raw[i] = make([]float64, len(t.Villages))
		for j, v := range t.Villages {
			r := newRand(cfg.Seed, v.Code, "grids")
			raw[i][j] = math.Sqrt(density) * (0.7 + 0.6*r.Float64())
			sum += raw[i][j]
		}
	}
	k := sp.gridsPerVil * float64(villages) / sum
	counts := make([][]int, len(ref.Towns))
	for i := range raw {
		counts[i] = make([]int, len(raw[i]))
		for j, w := range raw[i] {
			counts[i][j] = min(30, max(1, int(math.Round(w*k))))
		}
	}
	return counts
}

// buildDivisions lays out the towns, villages and grids.
func buildDivisions(ctx context.Context, cfg Config, ref *reference) (*Divisions, []*townData, error) {
	outline := newClipParent(orb.MultiPolygon{ref.Outline})
	sites := make([]orb.Point, len(ref.Towns))
	for i, t := range ref.Towns {
		sites[i] = snapPoint(t.Centre)
	}
	box := ref.Outline.Bound().Pad(0.05)
	cells := voronoiCells(sites, box)
	counts := gridCounts(cfg, ref)
	sp := scales[cfg.Scale]
	var totalWeight float64
	for _, t := range ref.Towns {
		totalWeight += townWeights[t.Code].weight
	}

	towns := make([]*townData, len(ref.Towns))
	err := parallel(ctx, len(ref.Towns), func(i int) error {
		rt := &ref.Towns[i]
		g, err := outline.clip(cells[i])
		if err != nil {
			return fmt.Errorf("town %s: %w", rt.Code, err)
		}
		if g == nil {
			return fmt.Errorf("demo: town %s lies outside the outline", rt.Code)
		}
		tw := townWeights[rt.Code]
		td := &townData{
			ref:    rt,
			class:  tw.class,
			target: int(math.Round(float64(sp.doorplates) * tw.weight / totalWeight)),
			geom:   g,
		}
		if err := td.buildVillages(cfg, counts[i]); err != nil {
			return err
		}
		towns[i] = td
		return nil
	})
	if err != nil {
		return nil, nil, err
	}

	d := &Divisions{}
	for _, td := range towns {
		d.Towns = append(d.Towns, addressbook.Town{Code: td.ref.Code, Name: td.ref.Name, Kind: td.ref.Kind, Geom: td.geom})
		for _, v := range td.villages {
			d.Villages = append(d.Villages, addressbook.Village{
				Code: v.ref.Code, TownCode: td.ref.Code, Name: v.ref.Name, Kind: v.ref.Kind, Geom: v.geom,
			})
		}
		for _, g := range td.grids {
			d.Grids = append(d.Grids, addressbook.Grid{
				Code:        g.code,
				VillageCode: td.villages[g.village].ref.Code,
				TownCode:    td.ref.Code,
				Name:        g.name,
				Geom:        g.geom,
			})
		}
	}
	return d, towns, nil
}

// buildVillages splits the town into its villages and the villages into
// grids, each as the Voronoi cells of sites spread over the parent.
func (td *townData) buildVillages(cfg Config, gridCounts []int) error {
	r := newRand(cfg.Seed, td.ref.Code, "villages")
	n := len(td.ref.Villages)
	vgeoms, vsites, err := splitPolygon(r, td.geom, n)
	if err != nil {
		return fmt.Errorf("town %s: %w", td.ref.Code, err)
	}
	centre := td.ref.Centre
	for j := range td.ref.Villages {
		rv := &td.ref.Villages[j]
		w := 0.4 + 1.2*r.Float64()
		switch rv.Kind {
		case addressbook.VillageKindCommunity:
			w *= 1.3
		case addressbook.VillageKindOther:
			w *= 0.6
		}
		if planar.MultiPolygonContains(vgeoms[j], centre) {
			w *= 2.5
		}
		td.villages = append(td.villages, villageData{ref: rv, geom: vgeoms[j], site: vsites[j], weight: w})
	}
	for j, v := range td.villages {
		rg := newRand(cfg.Seed, v.ref.Code, "grid-sites")
		ggeoms, _, err := splitPolygon(rg, v.geom, gridCounts[j])
		if err != nil {
			return fmt.Errorf("village %s: %w", v.ref.Code, err)
		}
		for k, g := range ggeoms {
			td.grids = append(td.grids, gridData{
				code:    fmt.Sprintf("%s%03d", v.ref.Code, k+1),
				name:    fmt.Sprintf("%s%s第%d网格", td.ref.Name, v.ref.Name, k+1),
				village: j,
				geom:    g,
				bound:   g.Bound(),
			})
		}
	}
	return nil
}

// splitPolygon divides mp into n parts: the Voronoi cells of n sites spread
// evenly over mp (a few rounds of Lloyd's algorithm on sample points), each
// cut to mp. It returns the parts and their sites.
func splitPolygon(r *rand.Rand, mp orb.MultiPolygon, n int) ([]orb.MultiPolygon, []orb.Point, error) {
	bound := mp.Bound()
	samples := make([]orb.Point, 0, 60*n)
	for tries := 0; len(samples) < cap(samples) && tries < 400*cap(samples); tries++ {
		p := orb.Point{
			bound.Min[0] + r.Float64()*(bound.Max[0]-bound.Min[0]),
			bound.Min[1] + r.Float64()*(bound.Max[1]-bound.Min[1]),
		}
		if contains(mp, p) {
			samples = append(samples, p)
		}
	}
	if len(samples) < n {
		return nil, nil, fmt.Errorf("demo: polygon too thin to place %d sites", n)
	}
	sites := make([]orb.Point, n)
	copy(sites, samples[:n])
	if n > 1 {
		lloyd(sites, samples, 6)
	}
	for i := range sites {
		sites[i] = snapPoint(sites[i])
	}
	if n == 1 {
		return []orb.MultiPolygon{mp}, sites, nil
	}
	parent := newClipParent(mp)
	cells := voronoiCells(sites, bound.Pad(0.01))
	parts := make([]orb.MultiPolygon, n)
	for i, c := range cells {
		g, err := parent.clip(c)
		if err != nil {
			return nil, nil, err
		}
		if g == nil {
			return nil, nil, fmt.Errorf("demo: empty cell %d of %d", i, n)
		}
		parts[i] = g
	}
	return parts, sites, nil
}

// lloyd moves each site to the middle of the samples nearest to it, rounds
// times, which evens out the cells. A site stays on a sample, so it stays
// inside the polygon.
func lloyd(sites, samples []orb.Point, rounds int) {
	n := len(sites)
	sum := make([]orb.Point, n)
	cnt := make([]int, n)
	owner := make([]int, len(samples))
	for range rounds {
		clear(sum)
		clear(cnt)
		for k, s := range samples {
			best, bestD := 0, math.Inf(1)
			for i, c := range sites {
				if d := dist2(s, c); d < bestD {
					best, bestD = i, d
				}
			}
			owner[k] = best
			sum[best][0] += s[0]
			sum[best][1] += s[1]
			cnt[best]++
		}
		// The sample nearest to each mean becomes the new site.
		means := make([]orb.Point, n)
		bestD := make([]float64, n)
		for i := range sites {
			if cnt[i] > 0 {
				means[i] = orb.Point{sum[i][0] / float64(cnt[i]), sum[i][1] / float64(cnt[i])}
			} else {
				means[i] = sites[i]
			}
			bestD[i] = math.Inf(1)
		}
		next := make([]orb.Point, n)
		copy(next, sites)
		for k, s := range samples {
			i := owner[k]
			if d := dist2(s, means[i]); d < bestD[i] {
				bestD[i] = d
				next[i] = s
			}
		}
		copy(sites, next)
	}
}

package demo

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
)

// The contents of a town are laid out on a street grid turned by a random
// angle: a family of roads along u and one along v, every few of them a main
// road. Each block between four roads gets a use (urban village, estate,
// factories ...) and is filled with plots that face one of the two roads
// along its long sides, or, in urban villages, narrow lanes (巷) that run
// across the block. A plot is a doorplate with one or more building
// footprints behind it. Everything in a block stays at least 14 m away from
// the roads around it and the two halves of a block are filled separately,
// so footprints never overlap.
//
// Each village fills the blocks nearest to its core first, up to its share of
// the town's doorplates: at demo scale every village is a small cluster, at
// city scale most of the town is built up.

// Layout constants, in metres.
const (
	cornerGap  = 14   // from a block's content to the roads around it
	numberUnit = 10.0 // frontage per doorplate number: 鸿福路88号 is about 440 m from the start
)

// road is a street of the town's grid or a village lane, in frame
// coordinates.
type road struct {
	axis   int // 1: the line v = c, running along u; 0: the line u = c, running along v
	c      float64
	spans  []interval
	name   string
	code   string
	origin float64 // where numbering starts

	lane    bool
	village int    // the village of a lane
	blk     *block // the block of a lane
}

func (rd *road) covers(lo, hi float64) bool {
	for _, s := range rd.spans {
		if s.lo <= lo && hi <= s.hi {
			return true
		}
	}
	return false
}

// block is a cell of the street grid. In block coordinates x runs along the
// two frontage roads (bottom at y0, top at y1) and y across them.
type block struct {
	alongU         bool // frontage roads run along u
	x0, x1, y0, y1 float64
	bottom, top    *road
	kind           blockKind
	village        int
	prio           float64

	opened    bool
	plots     []plot
	next      int
	laneArea  string
	lanesUsed int
}

// plot is a doorplate and the buildings behind it, before it is numbered.
type plot struct {
	road  *road
	side  int     // +1 on the side of increasing cross coordinate (odd numbers), -1 on the other
	s     float64 // position along the road, which gives the number
	sub   bool    // shares its number with the plot before it and takes a sub-number (88-1)
	door  orb.Point
	grid  int
	place string // place kind, "" for none
	bldgs []bldgSpec
}

// roomStyle says how a building is divided into rooms.
type roomStyle int

const (
	roomsHouse     roomStyle = iota // village house: a flat or two a floor
	roomsShopHouse                  // shops on the ground floor, flats above
	roomsEstate                     // flats per unit
	roomsOffice                     // shops below, offices above
	roomsMall                       // 铺位 on every floor
	roomsMarket                     // 档口 stalls
	roomsWorkshop                   // a workshop or two a floor
	roomsDorm                       // dormitory rooms
	roomsPublic                     // one room a floor
)

type bldgSpec struct {
	ring     orb.Ring
	label    string
	use      string
	floors   int
	basement int
	rooms    roomStyle
	units    int
	risk     float64 // scales the chance of being demolished or slated
}

type villageFill struct {
	blocks    []*block
	next      int
	placed    float64 // cost of the plots placed, see plotCost
	exhausted bool
	areaNext  int
	areas     []string // names of the village's quarters, in the order they are used
}

// townGen builds the contents of one town. It is used by one goroutine.
type townGen struct {
	td     *townData
	r      *rand.Rand
	f      frame // centred on the town's centre
	lr     localRings
	names  *namer
	gi     *gridIndex
	radius float64 // of a disc as large as the town, in metres

	rowsA, colsB []*road // grid streets along u (by v line) and along v (by u line)
	lanes        []*road
	roadCount    int
	fills        []villageFill
	numbers      map[numberKey]bool
	out          *TownContents
	doorSeq      int
	roomSeq      int
	blockLines   [2][]float64 // u and v coordinates of the street grid
}

type numberKey struct {
	road        *road
	number, sub int
}

// generateTown builds the contents of town td. Building and place IDs are
// local to the town, counted from 1; the caller shifts them.
func generateTown(ctx context.Context, cfg Config, td *townData) (*TownContents, error) {
	g := &townGen{
		td:      td,
		r:       newRand(cfg.Seed, td.ref.Code, "contents"),
		numbers: make(map[numberKey]bool),
		out:     &TownContents{TownCode: td.ref.Code},
	}
	g.names = newNamer(g.r)
	g.f = newFrame(td.ref.Centre, (g.r.Float64()-0.5)*1.2)
	g.lr = g.f.localRings(td.geom)
	g.gi = newGridIndex(td.grids, td.geom.Bound())
	g.radius = math.Sqrt(planarArea(g.lr) / math.Pi)

	g.layoutStreets()
	g.layoutBlocks()
	if err := g.fill(ctx); err != nil {
		return nil, err
	}
	g.emitRoads()
	return g.out, nil
}

func planarArea(lr localRings) float64 {
	var a float64
	for _, r := range lr {
		a += ringArea(orb.Ring(r))
	}
	return math.Abs(a)
}

// streetSpacing is the base distance between grid streets by class, in metres.
var streetSpacing = map[townClass]float64{
	classUrban: 210, classTown: 240, classWater: 260, classTech: 320,
	classPort: 320, classEco: 360, classNewZone: 300,
}

// layoutStreets lays the street grid over the town and names its roads.
func (g *townGen) layoutStreets() {
	base := streetSpacing[g.td.class]
	lu := base * (1 + 0.35*g.r.Float64())
	lv := base * (0.85 + 0.25*g.r.Float64())
	b := g.lr.bounds()
	lines := func(lo, hi, step float64) []float64 {
		start := math.Floor(lo/step)*step + g.r.Float64()*step - step
		var out []float64
		for c := start; c <= hi+step; c += step {
			out = append(out, c)
		}
		return out
	}
	uLines := lines(b.Min[0], b.Max[0], lu)
	vLines := lines(b.Min[1], b.Max[1], lv)
	mainEvery := 3 + g.r.IntN(3)

	// The streets nearest the town centre in each family carry the town's
	// name: 东城大道, 长安路.
	nearest := func(cs []float64) int {
		best := 0
		for i, c := range cs {
			if math.Abs(c) < math.Abs(cs[best]) {
				best = i
			}
		}
		return best
	}
	stem := townStem(g.td.ref.Name)
	mk := func(axis int, cs []float64, centreName string) []*road {
		out := make([]*road, len(cs))
		centre := nearest(cs)
		for i, c := range cs {
			var spans []interval
			for _, s := range g.lr.lineIntervals(axis, c) {
				if s.hi-s.lo >= 60 {
					spans = append(spans, s)
				}
			}
			if len(spans) == 0 {
				continue
			}
			main := (i-centre)%mainEvery == 0
			rd := &road{axis: axis, c: c, spans: spans, origin: spans[0].lo - numberUnit/2}
			if i == centre && g.names.claim(centreName) {
				rd.name = centreName
			} else {
				rd.name = g.names.roadName(main)
			}
			g.roadCount++
			rd.code = roadCode(g.td.ref.Code, g.roadCount)
			out[i] = rd
		}
		return out
	}
	g.rowsA = mk(1, vLines, stem+"大道")
	g.colsB = mk(0, uLines, stem+"路")

	// Blocks are the cells between consecutive lines; keep the coordinates.
	g.blockLines = [2][]float64{uLines, vLines}
}

func roadCode(town string, n int) string { return town + pad(n, 5) }

// layoutBlocks cuts the town into blocks, gives each a use and hands it to
// the village that holds its centre.
func (g *townGen) layoutBlocks() {
	uLines, vLines := g.blockLines[0], g.blockLines[1]
	g.fills = make([]villageFill, len(g.td.villages))
	vb := make([]orb.Bound, len(g.td.villages))
	for k, v := range g.td.villages {
		vb[k] = v.geom.Bound()
	}
	sites := make([]orb.Point, len(g.td.villages))
	for k, v := range g.td.villages {
		u, w := g.f.local(v.site)
		sites[k] = orb.Point{u, w}
	}
	mix := blockMix[g.td.class]
	for i := 0; i+1 < len(vLines); i++ {
		for j := 0; j+1 < len(uLines); j++ {
			u0, u1, v0, v1 := uLines[j], uLines[j+1], vLines[i], vLines[i+1]
			cu, cv := (u0+u1)/2, (v0+v1)/2
			c := g.f.point(cu, cv)
			vil := -1
			for k := range g.td.villages {
				if vb[k].Contains(c) && contains(g.td.villages[k].geom, c) {
					vil = k
					break
				}
			}
			if vil < 0 {
				continue
			}
			b := &block{village: vil}
			if g.r.IntN(2) == 0 {
				b.alongU = true
				b.x0, b.x1, b.y0, b.y1 = u0, u1, v0, v1
				b.bottom, b.top = g.rowsA[i], g.rowsA[i+1]
			} else {
				b.x0, b.x1, b.y0, b.y1 = v0, v1, u0, u1
				b.bottom, b.top = g.colsB[j], g.colsB[j+1]
			}
			t := min(1, math.Hypot(cu, cv)/g.radius)
			var w [numBlockKinds]float64
			for k := range w {
				w[k] = mix[0][k]*(1-t) + mix[1][k]*t
			}
			switch g.td.villages[vil].ref.Kind {
			case addressbook.VillageKindVillage:
				w[blockVillage] *= 1.3
				w[blockIndustrial] *= 1.3
			case addressbook.VillageKindCommunity:
				w[blockShops] *= 1.3
				w[blockEstate] *= 1.3
			}
			b.kind = blockKind(weighted(g.r, w[:]))
			b.prio = math.Hypot(cu-sites[vil][0], cv-sites[vil][1]) * (0.8 + 0.4*g.r.Float64())
			g.fills[vil].blocks = append(g.fills[vil].blocks, b)
		}
	}
	for k := range g.fills {
		slices.SortStableFunc(g.fills[k].blocks, func(a, b *block) int { return cmp.Compare(a.prio, b.prio) })
	}
}

// weighted draws an index with probability proportional to w.
func weighted(r *rand.Rand, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	x := r.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

// fill places doorplates village by village up to each village's share,
// then hands what is left over to the villages that still have room.
func (g *townGen) fill(ctx context.Context) error {
	quota := make([]float64, len(g.fills))
	var wsum float64
	for _, v := range g.td.villages {
		wsum += v.weight
	}
	for k, v := range g.td.villages {
		quota[k] = float64(g.td.target) * v.weight / wsum
	}
	for pass := 0; pass < 4; pass++ {
		for k := range g.fills {
			if err := ctx.Err(); err != nil {
				return err
			}
			g.fillVillage(k, quota[k])
		}
		var placed, active float64
		for k, f := range g.fills {
			placed += f.placed
			if !f.exhausted {
				active += g.td.villages[k].weight
			}
		}
		deficit := float64(g.td.target) - placed
		if deficit <= 0.5 || active == 0 {
			break
		}
		for k, f := range g.fills {
			if !f.exhausted {
				quota[k] = f.placed + deficit*g.td.villages[k].weight/active
			}
		}
	}
	return nil
}

// plotCost is what a plot counts against its village's share: the average
// of one doorplate and its rooms in units of a typical plot's rooms, so an
// estate of a thousand flats counts for more than one village house and the
// size of a city is measured in doorplates and rooms alike.
func plotCost(rooms int) float64 { return (1 + float64(rooms)/roomsPerPlot) / 2 }

func (g *townGen) fillVillage(k int, quota float64) {
	f := &g.fills[k]
	for f.placed < quota && !f.exhausted {
		var b *block
		for f.next < len(f.blocks) {
			b = f.blocks[f.next]
			if !b.opened {
				g.openBlock(b)
			}
			if b.next < len(b.plots) {
				break
			}
			f.next++
			b = nil
		}
		if b == nil {
			f.exhausted = true
			return
		}
		p := &b.plots[b.next]
		b.next++
		rooms := len(g.out.Rooms)
		g.emitPlot(k, b, p)
		f.placed += plotCost(len(g.out.Rooms) - rooms)
	}
}

// emitPlot turns a plot into a doorplate, its buildings, their rooms and,
// for a named place, the place.
func (g *townGen) emitPlot(vil int, b *block, p *plot) {
	rd := p.road
	if rd.lane && rd.code == "" {
		g.nameLane(rd)
	}
	number := 2*int(math.Floor((p.s-rd.origin)/numberUnit)) + 1
	if p.side < 0 {
		number++
	}
	sub := 0
	if p.sub {
		sub = 1
	}
	for g.numbers[numberKey{rd, number, sub}] {
		sub++
	}
	g.numbers[numberKey{rd, number, sub}] = true

	grid := &g.td.grids[p.grid]
	village := g.td.villages[grid.village].ref.Code
	town := g.td.ref.Code
	g.doorSeq++
	dp := addressbook.Doorplate{
		Code:        town + pad(g.doorSeq, 7),
		RoadCode:    rd.code,
		TownCode:    town,
		VillageCode: village,
		GridCode:    grid.code,
		Number:      number,
		SubNumber:   sub,
		Geom:        p.door,
		Lifecycle:   addressbook.Lifecycle{Version: 1},
	}
	g.out.Doorplates = append(g.out.Doorplates, dp)

	var placeID int64
	if p.place != "" {
		placeID = int64(len(g.out.Places) + 1)
		g.out.Places = append(g.out.Places, addressbook.Place{
			ID:            placeID,
			Name:          g.names.placeName(p.place, townStem(g.td.ref.Name), villageStem(g.td.villages[grid.village].ref.Name)),
			Kind:          p.place,
			TownCode:      town,
			VillageCode:   village,
			DoorplateCode: dp.Code,
			Geom:          p.door,
		})
	}
	for _, bs := range p.bldgs {
		id := int64(len(g.out.Buildings) + 1)
		status := addressbook.StatusExisting
		switch x := g.r.Float64() / bs.risk; {
		case x < 0.016:
			status = addressbook.StatusDemolished
		case x < 0.040:
			status = addressbook.StatusSlated
		}
		g.out.Buildings = append(g.out.Buildings, addressbook.Building{
			ID:             id,
			DoorplateCode:  dp.Code,
			PlaceID:        placeID,
			Label:          bs.label,
			Use:            bs.use,
			Floors:         bs.floors,
			BasementFloors: bs.basement,
			Status:         status,
			TownCode:       town,
			VillageCode:    village,
			GridCode:       grid.code,
			Geom:           orb.Polygon{bs.ring},
		})
		g.rooms(id, bs)
	}
}

// nameLane gives a lane its code and a name such as 同沙新村三巷 when its first
// doorplate is placed, so lanes without doorplates do not exist.
func (g *townGen) nameLane(rd *road) {
	b := rd.blk
	f := &g.fills[rd.village]
	stem := villageStem(g.td.villages[rd.village].ref.Name)
	if f.areas == nil {
		// Each village names its quarters in its own order: 上桥东坊, 余屋老围 ...
		f.areas = slices.Clone(laneAreas)
		g.r.Shuffle(len(f.areas), func(i, j int) { f.areas[i], f.areas[j] = f.areas[j], f.areas[i] })
	}
	for b.laneArea == "" {
		var area string
		if f.areaNext < len(f.areas) {
			area = f.areas[f.areaNext]
		} else {
			area = numeral((f.areaNext-len(f.areas))%99+1) + "坊"
		}
		f.areaNext++
		// A quarter is one block, so its lane numbers run 一巷, 二巷 ...
		// without gaps; 花园新村 gets no 新村 quarter.
		if key := "area:" + stem + area; !strings.Contains(stem, area) && g.names.claim(key) {
			b.laneArea = area
		}
	}
	b.lanesUsed++
	name := stem + b.laneArea + numeral(min(b.lanesUsed, 99)) + "巷"
	if !g.names.claim(name) {
		name = g.names.unique(func() string { return name }, func(base string, k int) string {
			return stem + b.laneArea + "横" + numeral(k%99+1) + "巷"
		})
	}
	rd.name = name
	g.roadCount++
	rd.code = roadCode(g.td.ref.Code, g.roadCount)
	g.lanes = append(g.lanes, rd)
}

// emitRoads writes the grid streets and the lanes that have doorplates, in
// code order.
func (g *townGen) emitRoads() {
	add := func(rd *road) {
		if rd == nil {
			return
		}
		ml := make(orb.MultiLineString, 0, len(rd.spans))
		for _, s := range rd.spans {
			var a, b orb.Point
			if rd.axis == 1 {
				a, b = g.f.point(s.lo, rd.c), g.f.point(s.hi, rd.c)
			} else {
				a, b = g.f.point(rd.c, s.lo), g.f.point(rd.c, s.hi)
			}
			ml = append(ml, orb.LineString{snapPoint(a), snapPoint(b)})
		}
		g.out.Roads = append(g.out.Roads, addressbook.Road{Code: rd.code, TownCode: g.td.ref.Code, Name: rd.name, Geom: ml})
	}
	for _, rd := range g.rowsA {
		add(rd)
	}
	for _, rd := range g.colsB {
		add(rd)
	}
	for _, rd := range g.lanes {
		add(rd)
	}
}

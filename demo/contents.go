package demo

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

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
	axis   int     // 1: the line v = c, running along u; 0: the line u = c, running along v
	c      float64 //
	spans  []interval
	main   bool
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
	side  int     // +1 on the side of increasing cross coordinate, -1 on the other
	s     float64 // position along the road, for the number
	sub   bool    // takes the number of the plot before it with a sub-number (88-1)
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
}

// townGen builds the contents of one town. It is used by one goroutine.
type townGen struct {
	cfg    Config
	td     *townData
	r      *rand.Rand
	f      frame
	lr     localRings
	names  *namer
	gi     *gridIndex
	centre orb.Point // frame coordinates of the town centre
	radius float64

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
		cfg:     cfg,
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
			rd := &road{axis: axis, c: c, spans: spans, main: main, origin: spans[0].lo - numberUnit/2}
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
		slices.SortStableFunc(g.fills[k].blocks, func(a, b *block) int { return cmpFloat(a.prio, b.prio) })
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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
// estate of a thousand flats counts for more than one village house, and a
// small city keeps the mix of a large one.
func plotCost(rooms int) float64 { return (1 + float64(rooms)/planRoomsPerDP) / 2 }

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

// openBlock lays out the plots of a block.
func (g *townGen) openBlock(b *block) {
	b.opened = true
	switch b.kind {
	case blockVillage:
		g.villageBlock(b, g.r.Float64() < 0.35)
	case blockShops:
		g.villageBlock(b, true)
	case blockEstate:
		g.rowsOf(b, 0, g.estateRow)
	case blockCommercial:
		g.rowsOf(b, 0, g.commercialRow)
	case blockIndustrial:
		g.rowsOf(b, 0, g.industrialRow)
	case blockTech:
		g.rowsOf(b, 0, g.techRow)
	case blockPublic:
		g.rowsOf(b, 0, g.publicRow)
	}
}

// row is one half of a block: the plots facing one of its frontage roads.
type row struct {
	b      *block
	rd     *road
	side   int     // +1: plots at y > yRoad
	yRoad  float64 //
	x0, x1 float64 // frontage
	o      float64 // doorplate distance from the road's centre line
	depth  float64 // room for buildings behind the front
}

func (rw row) front() float64 { return rw.yRoad + float64(rw.side)*(rw.o+0.5) }

// rowsOf fills both halves of b with fn. depth, if not 0, caps the depth.
func (g *townGen) rowsOf(b *block, depth float64, fn func(rw row)) {
	for _, rw := range g.rows(b, depth) {
		fn(rw)
	}
}

func (g *townGen) rows(b *block, depth float64) []row {
	var out []row
	for _, half := range []struct {
		rd    *road
		side  int
		yRoad float64
	}{{b.bottom, 1, b.y0}, {b.top, -1, b.y1}} {
		if half.rd == nil {
			continue
		}
		o := 10 + 5*g.r.Float64()
		d := (b.y1-b.y0)/2 - o - 0.5 - 2
		if depth > 0 {
			d = min(d, depth)
		}
		if d < 8 {
			continue
		}
		out = append(out, row{b: b, rd: half.rd, side: half.side, yRoad: half.yRoad,
			x0: b.x0 + cornerGap, x1: b.x1 - cornerGap, o: o, depth: d})
	}
	return out
}

// rect returns the footprint x∈[xa,xb], y∈[ya,yb] of block b as a closed
// counter-clockwise ring in WGS84.
func (g *townGen) rect(b *block, xa, xb, ya, yb float64) orb.Ring {
	pt := func(x, y float64) orb.Point {
		if b.alongU {
			return g.f.point(x, y)
		}
		return g.f.point(y, x)
	}
	r := orb.Ring{pt(xa, ya), pt(xb, ya), pt(xb, yb), pt(xa, yb), pt(xa, ya)}
	if ringArea(r) < 0 {
		r.Reverse()
	}
	return r
}

func (g *townGen) blockPoint(b *block, x, y float64) orb.Point {
	if b.alongU {
		return g.f.point(x, y)
	}
	return g.f.point(y, x)
}

// addRowPlot adds a plot of the row spanning [xa, xb] along the road, with
// buildings given in row coordinates: x along the road, d behind the front.
func (g *townGen) addRowPlot(rw row, xa, xb float64, sub bool, place string, bldgs []bldgSpec, boxes [][4]float64) {
	if !rw.rd.covers(xa, xb) {
		return
	}
	p := plot{road: rw.rd, side: rw.side, s: xa, sub: sub, place: place}
	p.door = g.blockPoint(rw.b, (xa+xb)/2, rw.yRoad+float64(rw.side)*rw.o)
	front := rw.front()
	for i, bx := range boxes {
		ya, yb := front+float64(rw.side)*bx[2], front+float64(rw.side)*bx[3]
		bldgs[i].ring = g.rect(rw.b, bx[0], bx[1], min(ya, yb), max(ya, yb))
	}
	g.addPlot(rw.b, p, bldgs)
}

// addPlot checks a plot against the grids and keeps it if its doorplate and
// at least one building lie in one grid.
func (g *townGen) addPlot(b *block, p plot, bldgs []bldgSpec) {
	p.grid = g.gi.find(p.door)
	if p.grid < 0 {
		return
	}
	if p.road.lane && g.td.grids[p.grid].village != p.road.village {
		return
	}
	for _, bs := range bldgs {
		if g.gi.containsRing(p.grid, bs.ring) {
			p.bldgs = append(p.bldgs, bs)
		}
	}
	if len(p.bldgs) == 0 {
		return
	}
	b.plots = append(b.plots, p)
}

// villageBlock fills b with an urban village: lanes across the block with
// houses on both sides, and, with shops, a row of shop houses along each
// frontage road.
func (g *townGen) villageBlock(b *block, shops bool) {
	ol := 3.5 + 1.5*g.r.Float64() // doorplate from the lane's centre line
	fl := ol + 0.5
	dh := 9 + 3*g.r.Float64() // house depth
	pitch := 2*(fl+dh) + 1.5
	var lanesX []float64
	for x := b.x0 + cornerGap + fl + dh; x+fl+dh <= b.x1-cornerGap; x += pitch {
		lanesX = append(lanesX, x)
	}
	zone0, zone1 := b.y0+cornerGap, b.y1-cornerGap
	if shops {
		for _, rw := range g.rows(b, 12+4*g.r.Float64()) {
			g.shopRun(rw, rw.x0, rw.x1, lanesX, fl)
			if rw.side > 0 {
				zone0 = rw.front() + rw.depth + 3
			} else {
				zone1 = rw.front() - rw.depth - 3
			}
		}
	}
	if zone1-zone0 < 12 {
		return
	}
	axis := 0 // a lane runs along y: v when the block runs along u
	if !b.alongU {
		axis = 1
	}
	for _, xl := range lanesX {
		var spans []interval
		for _, s := range g.lr.lineIntervals(axis, xl) {
			lo, hi := max(s.lo, b.y0), min(s.hi, b.y1)
			if hi-lo > 20 {
				spans = append(spans, interval{lo, hi})
			}
		}
		if len(spans) == 0 {
			continue
		}
		lane := &road{axis: axis, c: xl, spans: spans, lane: true, village: b.village, blk: b, origin: spans[0].lo}
		for _, side := range []int{-1, 1} {
			sd := float64(side)
			xa, xb := xl+sd*fl, xl+sd*(fl+dh)
			for y := zone0; ; {
				w := 10.5 + 2.5*g.r.Float64()
				if y+w > zone1 {
					break
				}
				if !lane.covers(y, y+w) {
					y += w
					continue
				}
				door := g.blockPoint(b, xl+sd*ol, y+w/2)
				if g.r.Float64() < 0.05 { // two narrow houses: 12号 and 12-1号
					h := w / 2
					for k := range 2 {
						ya := y + float64(k)*h
						bs := []bldgSpec{g.house(g.rect(b, min(xa, xb), max(xa, xb), ya+0.3, ya+h-0.3))}
						g.addPlot(b, plot{road: lane, side: side, s: y, sub: k == 1, door: g.blockPoint(b, xl+sd*ol, ya+h/2)}, bs)
					}
				} else {
					bs := []bldgSpec{g.house(g.rect(b, min(xa, xb), max(xa, xb), y+0.3, y+w-0.3))}
					g.addPlot(b, plot{road: lane, side: side, s: y, door: door}, bs)
				}
				y += w
			}
		}
	}
}

// shopRun fills [xa, xb] of a row with shop houses, leaving the mouths of
// lanes open.
func (g *townGen) shopRun(rw row, xa, xb float64, lanesX []float64, laneHalf float64) {
	for x := xa; ; {
		w := 10.5 + 3*g.r.Float64()
		if x+w > xb {
			return
		}
		blocked := false
		for _, xl := range lanesX {
			if x < xl+laneHalf && xl-laneHalf < x+w {
				blocked = true
			}
		}
		if !blocked {
			bs := []bldgSpec{{label: "1栋", use: addressbook.UseMixed, floors: 3 + g.r.IntN(5), rooms: roomsShopHouse, risk: 1}}
			g.addRowPlot(rw, x, x+w, false, "", bs, [][4]float64{{x + 0.3, x + w - 0.3, 0, rw.depth}})
		}
		x += w
	}
}

var houseFloors = []float64{0, 0, 0, 5, 9, 20, 24, 20, 13, 9} // by floors, 3 to 9

func (g *townGen) house(ring orb.Ring) bldgSpec {
	return bldgSpec{ring: ring, label: "1栋", use: addressbook.UseResidential,
		floors: weighted(g.r, houseFloors), rooms: roomsHouse, risk: 1.3}
}

// estateRow puts one or two residential estates in a row.
func (g *townGen) estateRow(rw row) {
	xa, xb := rw.x0, rw.x1
	if xb-xa > 200 && g.r.IntN(2) == 0 {
		mid := xa + (xb-xa)*(0.4+0.2*g.r.Float64())
		g.estate(rw, xa, mid-4)
		g.estate(rw, mid+4, xb)
		return
	}
	g.estate(rw, xa, xb)
}

func (g *townGen) estate(rw row, xa, xb float64) {
	high := g.r.Float64() < 0.5
	pitchX, bw := 34+10*g.r.Float64(), 16+6*g.r.Float64()
	pitchY, bd := 30+10*g.r.Float64(), 12+5*g.r.Float64()
	if !high {
		pitchX, bw, pitchY, bd = 24+6*g.r.Float64(), 14+6*g.r.Float64(), 22+6*g.r.Float64(), 10+3*g.r.Float64()
	}
	cols := int((xb - xa - 10) / pitchX)
	rowsN := min(2, int((rw.depth-6)/pitchY))
	if cols < 1 || rowsN < 1 {
		return
	}
	var bldgs []bldgSpec
	var boxes [][4]float64
	for ry := range rowsN {
		for cx := range cols {
			if g.r.Float64() < 0.3 && cols*rowsN > 2 {
				continue // a garden
			}
			x := xa + 5 + float64(cx)*pitchX
			d := 6 + float64(ry)*pitchY
			bs := bldgSpec{label: itoa(len(bldgs)+1) + "栋", use: addressbook.UseResidential, rooms: roomsEstate, risk: 0.2, units: 1}
			if high {
				bs.floors = 18 + g.r.IntN(16)
				bs.basement = 1 + g.r.IntN(2)
				if g.r.Float64() < 0.3 {
					bs.units = 2
				}
			} else {
				bs.floors = 6 + g.r.IntN(4)
				bs.units = 1 + g.r.IntN(3)
			}
			bldgs = append(bldgs, bs)
			boxes = append(boxes, [4]float64{x, x + bw, d, d + bd})
		}
	}
	if len(bldgs) == 0 {
		return
	}
	g.addRowPlot(rw, xa, xb, false, addressbook.PlaceEstate, bldgs, boxes)
}

// commercialRow mixes towers, plazas, markets and runs of shop houses.
func (g *townGen) commercialRow(rw row) {
	for x := rw.x0; x < rw.x1; {
		switch weighted(g.r, []float64{30, 15, 15, 40}) {
		case 0: // tower, or a pair: A座 and B座
			pair := g.r.IntN(3) == 0
			w := 40 + 20*g.r.Float64()
			if pair {
				w *= 2
			}
			if x+w > rw.x1 {
				return
			}
			d := min(rw.depth-2, 25+10*g.r.Float64())
			use := []string{addressbook.UseOffice, addressbook.UseOffice, addressbook.UseOffice, addressbook.UseCommercial, addressbook.UseMixed}[g.r.IntN(5)]
			var bldgs []bldgSpec
			var boxes [][4]float64
			n := 1
			if pair {
				n = 2
			}
			for k := range n {
				label := "1栋"
				if pair {
					label = string(rune('A'+k)) + "座"
				}
				bw := w/float64(n) - 10
				bx := x + 5 + float64(k)*(w/float64(n))
				bldgs = append(bldgs, bldgSpec{label: label, use: use, floors: 15 + g.r.IntN(26),
					basement: 1 + g.r.IntN(3), rooms: roomsOffice, risk: 0.1})
				boxes = append(boxes, [4]float64{bx, bx + bw, 2, 2 + d})
			}
			g.addRowPlot(rw, x, x+w, false, addressbook.PlaceTower, bldgs, boxes)
			x += w
		case 1: // plaza
			w := 70 + 50*g.r.Float64()
			if x+w > rw.x1 {
				return
			}
			d := min(rw.depth-2, 40+30*g.r.Float64())
			bs := []bldgSpec{{label: "1栋", use: addressbook.UseCommercial, floors: 3 + g.r.IntN(4),
				basement: 1 + g.r.IntN(2), rooms: roomsMall, risk: 0.1}}
			g.addRowPlot(rw, x, x+w, false, addressbook.PlacePlaza, bs, [][4]float64{{x + 5, x + w - 5, 2, 2 + d}})
			x += w
		case 2: // market
			w := 40 + 30*g.r.Float64()
			if x+w > rw.x1 {
				return
			}
			d := min(rw.depth-2, 25+20*g.r.Float64())
			bs := []bldgSpec{{label: "1栋", use: addressbook.UseCommercial, floors: 1 + g.r.IntN(3), rooms: roomsMarket, risk: 0.5}}
			g.addRowPlot(rw, x, x+w, false, addressbook.PlaceMarket, bs, [][4]float64{{x + 4, x + w - 4, 2, 2 + d}})
			x += w
		default:
			end := min(rw.x1, x+float64(4+g.r.IntN(7))*12)
			g.shopRun(row{b: rw.b, rd: rw.rd, side: rw.side, yRoad: rw.yRoad, x0: x, x1: end, o: rw.o, depth: min(rw.depth, 16)}, x, end, nil, 0)
			x = end + 2
		}
	}
}

// industrialRow fills a row with industrial parks and single factories.
func (g *townGen) industrialRow(rw row) {
	factory := func(label string) bldgSpec {
		bs := bldgSpec{label: label, use: addressbook.UseIndustrial,
			floors: 1 + weighted(g.r, []float64{15, 20, 25, 20, 12, 8}), rooms: roomsWorkshop, risk: 1}
		if g.r.Float64() < 0.02 {
			bs.basement = 1
		}
		return bs
	}
	for x := rw.x0; x < rw.x1; {
		if g.r.IntN(2) == 0 { // an industrial park
			w := min(rw.x1-x, 90+110*g.r.Float64())
			if w < 80 {
				return
			}
			pitchX, pitchY := 34+20*g.r.Float64(), 24+10*g.r.Float64()
			cols, rowsN := int((w-8)/pitchX), min(4, int((rw.depth-4)/pitchY))
			var bldgs []bldgSpec
			var boxes [][4]float64
			dorm := g.r.IntN(2) == 0
			for ry := range max(rowsN, 1) {
				for cx := range cols {
					bx, by := x+4+float64(cx)*pitchX, 3+float64(ry)*pitchY
					bw, bd := pitchX-6-4*g.r.Float64(), min(rw.depth-by-1, pitchY-5-3*g.r.Float64())
					if bd < 8 {
						continue
					}
					if dorm && ry == rowsN-1 && cx == cols-1 {
						bldgs = append(bldgs, bldgSpec{label: "宿舍楼", use: addressbook.UseResidential,
							floors: 5 + g.r.IntN(3), rooms: roomsDorm, risk: 1})
						boxes = append(boxes, [4]float64{bx, bx + min(bw, 40), by, by + min(bd, 12)})
						continue
					}
					bldgs = append(bldgs, factory(itoa(len(bldgs)+1)+"号厂房"))
					boxes = append(boxes, [4]float64{bx, bx + bw, by, by + bd})
				}
			}
			if len(bldgs) > 0 {
				g.addRowPlot(rw, x, x+w, false, addressbook.PlaceIndustrialPark, bldgs, boxes)
			}
			x += w + 4
			continue
		}
		w := 25 + 35*g.r.Float64()
		if x+w > rw.x1 {
			return
		}
		n := 1 + g.r.IntN(3)
		var bldgs []bldgSpec
		var boxes [][4]float64
		pitch := min(32, (rw.depth-3)/float64(n))
		for k := range n {
			d0 := 3 + float64(k)*pitch
			bd := min(pitch-4, 20+8*g.r.Float64())
			if bd < 8 {
				break
			}
			bldgs = append(bldgs, factory(itoa(k+1)+"号厂房"))
			boxes = append(boxes, [4]float64{x + 3, x + w - 3, d0, d0 + bd})
		}
		if len(bldgs) > 0 {
			g.addRowPlot(rw, x, x+w, false, "", bldgs, boxes)
		}
		x += w
	}
}

// techRow fills a row with science parks of office buildings (A栋, B栋 ...).
func (g *townGen) techRow(rw row) {
	for x := rw.x0; x < rw.x1; {
		w := min(rw.x1-x, 100+100*g.r.Float64())
		if w < 60 {
			return
		}
		pitchX, pitchY := 40+20*g.r.Float64(), 35+15*g.r.Float64()
		cols, rowsN := int((w-8)/pitchX), max(1, min(3, int((rw.depth-4)/pitchY)))
		var bldgs []bldgSpec
		var boxes [][4]float64
		for ry := range rowsN {
			for cx := range cols {
				bx, by := x+4+float64(cx)*pitchX, 4+float64(ry)*pitchY
				bd := min(rw.depth-by-1, pitchY-10)
				if bd < 10 || len(bldgs) >= 26 {
					continue
				}
				bldgs = append(bldgs, bldgSpec{label: string(rune('A'+len(bldgs))) + "栋", use: addressbook.UseOffice,
					floors: 5 + g.r.IntN(11), basement: g.r.IntN(2), rooms: roomsOffice, risk: 0.1})
				boxes = append(boxes, [4]float64{bx, bx + pitchX - 12, by, by + bd})
			}
		}
		if len(bldgs) > 0 {
			g.addRowPlot(rw, x, x+w, false, addressbook.PlaceTechPark, bldgs, boxes)
		}
		x += w + 6
	}
}

// publicRow holds a school or offices and shop houses.
func (g *townGen) publicRow(rw row) {
	x := rw.x0
	if w := 100 + 50*g.r.Float64(); x+w <= rw.x1 && g.r.IntN(2) == 0 { // a school
		n := 3 + g.r.IntN(3)
		var bldgs []bldgSpec
		var boxes [][4]float64
		pitch := (w - 10) / float64(n)
		for k := range n {
			bx := x + 5 + float64(k)*pitch
			bldgs = append(bldgs, bldgSpec{label: itoa(k+1) + "栋", use: addressbook.UsePublic, floors: 3 + g.r.IntN(4), rooms: roomsPublic, risk: 0.1})
			boxes = append(boxes, [4]float64{bx, bx + pitch - 8, 6, 6 + min(rw.depth-8, 16)})
		}
		g.addRowPlot(rw, x, x+w, false, "", bldgs, boxes)
		x += w + 4
	}
	for x < rw.x1 {
		w := 30 + 30*g.r.Float64()
		if x+w > rw.x1 {
			break
		}
		bs := []bldgSpec{{label: "1栋", use: addressbook.UsePublic, floors: 2 + g.r.IntN(7), rooms: roomsPublic, risk: 0.1}}
		g.addRowPlot(rw, x, x+w, false, "", bs, [][4]float64{{x + 4, x + w - 4, 3, 3 + min(rw.depth-4, 20+10*g.r.Float64())}})
		x += w
		if end := min(rw.x1, x+float64(2+g.r.IntN(5))*12); end > x+12 {
			g.shopRun(row{b: rw.b, rd: rw.rd, side: rw.side, yRoad: rw.yRoad, x0: x, x1: end, o: rw.o, depth: min(rw.depth, 16)}, x, end, nil, 0)
			x = end + 2
		}
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
	if b.laneArea == "" {
		for b.laneArea == "" {
			area := ""
			if f.areaNext < len(laneAreas) {
				area = laneAreas[f.areaNext]
			} else {
				area = numeral((f.areaNext-len(laneAreas))%99+1) + "坊"
			}
			f.areaNext++
			// An area is used by one block only, so the lane numbers of a
			// quarter run 一巷, 二巷 ... without gaps.
			if !g.names.used["area:"+stem+area] {
				g.names.used["area:"+stem+area] = true
				b.laneArea = area
			}
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
			ml = append(ml, orb.LineString{a, b})
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

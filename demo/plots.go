package demo

import (
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
)

// The layouts of the blocks. A block is filled in block coordinates: x runs
// along its two frontage roads, y across them, from the bottom road at y0 to
// the top road at y1. Most uses fill each half of the block with plots facing
// its road; urban villages put lanes across the block.

// openBlock lays out the plots of a block.
func (g *townGen) openBlock(b *block) {
	b.opened = true
	switch b.kind {
	case blockVillage:
		g.villageBlock(b, g.r.Float64() < 0.35)
	case blockShops:
		g.villageBlock(b, true)
	case blockEstate:
		g.rowsOf(b, g.estateRow)
	case blockCommercial:
		g.rowsOf(b, g.commercialRow)
	case blockIndustrial:
		g.rowsOf(b, g.industrialRow)
	case blockTech:
		g.rowsOf(b, g.techRow)
	case blockPublic:
		g.rowsOf(b, g.publicRow)
	}
}

// row is one half of a block: the plots facing one of its frontage roads.
type row struct {
	b      *block
	rd     *road
	side   int // +1: plots at y > yRoad
	yRoad  float64
	x0, x1 float64 // frontage
	o      float64 // doorplate distance from the road's centre line
	depth  float64 // room for buildings behind the front
}

func (rw row) front() float64 { return rw.yRoad + float64(rw.side)*(rw.o+0.5) }

// rowsOf fills both halves of b with fn.
func (g *townGen) rowsOf(b *block, fn func(rw row)) {
	for _, rw := range g.rows(b, 0) {
		fn(rw)
	}
}

// rows returns the two halves of b, with buildings at most depth deep if
// depth is not 0.
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
// counter-clockwise ring in WGS84, rounded to coordStep.
func (g *townGen) rect(b *block, xa, xb, ya, yb float64) orb.Ring {
	pt := func(x, y float64) orb.Point { return g.blockPoint(b, x, y) }
	r := orb.Ring{pt(xa, ya), pt(xb, ya), pt(xb, yb), pt(xa, yb), pt(xa, ya)}
	if ringArea(r) < 0 {
		r.Reverse()
	}
	return r
}

// blockPoint returns the WGS84 point at (x, y) in block coordinates, rounded
// to coordStep (about a centimetre; footprints are checked against the grids
// after rounding).
func (g *townGen) blockPoint(b *block, x, y float64) orb.Point {
	if b.alongU {
		return snapPoint(g.f.point(x, y))
	}
	return snapPoint(g.f.point(y, x))
}

// addRowPlot adds a plot of the row spanning [xa, xb] along the road, with
// buildings given in row coordinates: x along the road, d behind the front.
func (g *townGen) addRowPlot(rw row, xa, xb float64, place string, bldgs []bldgSpec, boxes [][4]float64) {
	if !rw.rd.covers(xa, xb) {
		return
	}
	p := plot{road: rw.rd, side: rw.side, s: xa, place: place}
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
			g.addRowPlot(rw, x, x+w, "", bs, [][4]float64{{x + 0.3, x + w - 0.3, 0, rw.depth}})
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
	g.addRowPlot(rw, xa, xb, addressbook.PlaceEstate, bldgs, boxes)
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
			g.addRowPlot(rw, x, x+w, addressbook.PlaceTower, bldgs, boxes)
			x += w
		case 1: // plaza
			w := 70 + 50*g.r.Float64()
			if x+w > rw.x1 {
				return
			}
			d := min(rw.depth-2, 40+30*g.r.Float64())
			bs := []bldgSpec{{label: "1栋", use: addressbook.UseCommercial, floors: 3 + g.r.IntN(4),
				basement: 1 + g.r.IntN(2), rooms: roomsMall, risk: 0.1}}
			g.addRowPlot(rw, x, x+w, addressbook.PlacePlaza, bs, [][4]float64{{x + 5, x + w - 5, 2, 2 + d}})
			x += w
		case 2: // market
			w := 40 + 30*g.r.Float64()
			if x+w > rw.x1 {
				return
			}
			d := min(rw.depth-2, 25+20*g.r.Float64())
			bs := []bldgSpec{{label: "1栋", use: addressbook.UseCommercial, floors: 1 + g.r.IntN(3), rooms: roomsMarket, risk: 0.5}}
			g.addRowPlot(rw, x, x+w, addressbook.PlaceMarket, bs, [][4]float64{{x + 4, x + w - 4, 2, 2 + d}})
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
				g.addRowPlot(rw, x, x+w, addressbook.PlaceIndustrialPark, bldgs, boxes)
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
			g.addRowPlot(rw, x, x+w, "", bldgs, boxes)
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
			g.addRowPlot(rw, x, x+w, addressbook.PlaceTechPark, bldgs, boxes)
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
		g.addRowPlot(rw, x, x+w, "", bldgs, boxes)
		x += w + 4
	}
	for x < rw.x1 {
		w := 30 + 30*g.r.Float64()
		if x+w > rw.x1 {
			break
		}
		bs := []bldgSpec{{label: "1栋", use: addressbook.UsePublic, floors: 2 + g.r.IntN(7), rooms: roomsPublic, risk: 0.1}}
		g.addRowPlot(rw, x, x+w, "", bs, [][4]float64{{x + 4, x + w - 4, 3, 3 + min(rw.depth-4, 20+10*g.r.Float64())}})
		x += w
		if end := min(rw.x1, x+float64(2+g.r.IntN(5))*12); end > x+12 {
			g.shopRun(row{b: rw.b, rd: rw.rd, side: rw.side, yRoad: rw.yRoad, x0: x, x1: end, o: rw.o, depth: min(rw.depth, 16)}, x, end, nil, 0)
			x = end + 2
		}
	}
}

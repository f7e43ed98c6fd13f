package demo

import "strings"

// The fabricated kinds: addresses that look like any other but name
// nothing in the library, each checked against the town's contents.

// wrongNumber writes a number that no doorplate of a real road has: past its
// last number or in a gap, with a building and room that look real.
func (g *caseGen) wrongNumber(b *build) bool {
	c, ct := g.ct.c, g.ct
	p := &ct.pools[anyTarget]
	if p.empty() {
		return false
	}
	ri := ct.roadOf[p.doors[g.r.IntN(len(p.doors))]]
	doors := ct.roadDoors[ri]
	used := make(map[int]bool, len(doors))
	last := 0
	for _, di := range doors {
		used[c.Doorplates[di].Number] = true
		last = max(last, c.Doorplates[di].Number)
	}
	n := 0
	if g.chance(0.5) {
		for range 20 {
			m := c.Doorplates[doors[g.r.IntN(len(doors))]].Number + 2*(g.r.IntN(9)-4)
			if m >= 1 && !used[m] {
				n = m
				break
			}
		}
	}
	if n == 0 {
		n = last + 2*(1+g.r.IntN(15)) - g.r.IntN(2)
	}
	if used[n] {
		return false
	}
	b.parts = AddressParts{Town: ct.town.Name, Road: c.Roads[ri].Name, Number: n}
	return g.lookReal(b, doors, []float64{50, 15, 35})
}

// lookReal gives a made-up doorplate the building and room of a real one
// among doors, at a level drawn from w (room, building, doorplate).
func (g *caseGen) lookReal(b *build, doors []int32, w []float64) bool {
	c, ct := g.ct.c, g.ct
	b.t = target{level: LevelDoorplate, door: -1, bldg: -1, room: -1}
	if level := weighted(g.r, w); level < 2 {
		var bs []int32
		for range 10 {
			if bs = ct.doorBldgs[doors[g.r.IntN(len(doors))]]; len(bs) > 0 {
				break
			}
		}
		if len(bs) == 0 {
			return false
		}
		bi := bs[g.r.IntN(len(bs))]
		b.parts.Building = c.Buildings[bi].Label
		b.t.level = LevelBuilding
		if rooms := ct.bldgRooms[bi]; level == 0 && len(rooms) > 0 {
			r := &c.Rooms[rooms[g.r.IntN(len(rooms))]]
			b.parts.Unit, b.parts.Floor, b.parts.Room = r.Unit, r.Floor, r.Label
			b.t.level = LevelRoom
		}
	}
	b.a = standardAddr(b.parts)
	return true
}

// wrongRoad writes a road the town does not have, made of the same parts as
// its roads, and not one character away from any of them.
func (g *caseGen) wrongRoad(b *build) bool {
	ct := g.ct
	var name string
	switch weighted(g.r, []float64{65, 15, 20}) {
	case 0:
		name = pick(g.r, roadStems) + pick(g.r, roadSuffixes)
	case 1:
		name = townStem(ct.town.Name) + pick(g.r, roadSuffixes[3:])
	default:
		name = villageStem(ct.villageNames[g.r.IntN(len(ct.villageNames))]) + pick(g.r, laneAreas) + numeral(1+g.r.IntN(8)) + "巷"
	}
	for _, r := range ct.roadNames {
		if withinOneEdit(name, r) {
			return false
		}
	}
	p := &ct.pools[anyTarget]
	if p.empty() {
		return false
	}
	// The number and what stands behind it come from a real doorplate of
	// the same kind of road: a lane's numbers are small.
	lane := strings.HasSuffix(name, "巷")
	var di int32
	for range 20 {
		if di = p.doors[g.r.IntN(len(p.doors))]; strings.HasSuffix(ct.roadNames[ct.roadOf[di]], "巷") == lane {
			break
		}
	}
	b.parts = AddressParts{Town: ct.town.Name, Road: name, Number: ct.c.Doorplates[di].Number}
	return g.lookReal(b, []int32{di}, []float64{50, 15, 35})
}

// wrongBuilding writes a building label that none of the buildings at a
// real doorplate has, in the style of their labels: 8栋 where there are 1栋
// to 5栋, C座 beside A座 and B座.
func (g *caseGen) wrongBuilding(b *build) bool {
	c, ct := g.ct.c, g.ct
	t, ok := g.pickTarget(pickString(g.r, LevelRoom, LevelRoom, LevelBuilding), anyTarget)
	if !ok {
		return false
	}
	keys := make(map[string]bool)
	maxN, maxKey := 0, byte(0)
	for _, bi := range ct.doorBldgs[t.door] {
		l := c.Buildings[bi].Label
		keys[buildingKey(l)] = true
		if n, _ := leadingNumber(l); n > maxN {
			maxN = n
		}
		if l[0] >= 'A' && l[0] <= 'Z' && l[0] > maxKey {
			maxKey = l[0]
		}
	}
	tmpl := buildingLabel(c.Buildings[t.bldg].Label)
	switch {
	case tmpl.n > 0:
		tmpl.n = maxN + 1 + g.r.IntN(4)
	case tmpl.key != "":
		k := maxKey + 1 + byte(g.r.IntN(2))
		if k > 'Z' {
			return false
		}
		tmpl.key = string(rune(k))
	default:
		tmpl = label{pat: "%栋", n: 2 + g.r.IntN(3)}
	}
	fake := tmpl.String()
	if keys[buildingKey(fake)] {
		return false
	}
	b.t = t
	b.parts = ct.parts(t)
	b.parts.Building = fake
	b.a = standardAddr(b.parts)
	b.t.bldg, b.t.room = -1, -1
	if pi := ct.doorPlace[t.door]; pi >= 0 && g.chance(0.3) {
		b.a.road, b.a.door = "", door{}
		b.a.place = c.Places[pi].Name
		b.parts.Place = b.a.place
	}
	return true
}

// wrongRoom writes a room its building does not have: a floor above the top
// one, or a number past the last one of a floor.
func (g *caseGen) wrongRoom(b *build) bool {
	c, ct := g.ct.c, g.ct
	t, ok := g.pickTarget(LevelRoom, anyTarget)
	if !ok {
		return false
	}
	labels := make(map[string]bool)
	perFloor := make(map[int]int)
	top, lastShop, lastStall, lastB := 0, 0, 0, 0
	for _, ri := range ct.bldgRooms[t.bldg] {
		r := &c.Rooms[ri]
		labels[r.Label] = true
		switch kindOfRoom(r.Label) {
		case roomFlat:
			if r.Unit == c.Rooms[t.room].Unit {
				perFloor[r.Floor]++
			}
			top = max(top, r.Floor)
		case roomShop:
			n, _ := leadingNumber(strings.TrimPrefix(r.Label, "铺位"))
			lastShop = max(lastShop, n)
		case roomStall:
			n, _ := leadingNumber(strings.TrimPrefix(r.Label, "档口"))
			lastStall = max(lastStall, n)
		case roomBasement:
			n, _ := leadingNumber(strings.TrimPrefix(r.Label, "B1"))
			lastB = max(lastB, n)
		}
	}
	real := &c.Rooms[t.room]
	var fake string
	floor := 0
	switch kindOfRoom(real.Label) {
	case roomFlat:
		if g.chance(0.5) { // above the top floor
			floor = top + 1 + g.r.IntN(3)
			fake = itoa(floor*100 + 1 + g.r.IntN(max(perFloor[top], 1)))
		} else { // past the last flat of the floor
			floor = real.Floor
			fake = itoa(floor*100 + perFloor[floor] + 1 + g.r.IntN(2))
		}
	case roomShop:
		fake = "铺位" + itoa(lastShop+1+g.r.IntN(5))
	case roomStall:
		fake = "档口" + itoa(lastStall+1+g.r.IntN(5))
	case roomBasement:
		floor = -1
		fake = "B1" + pad(lastB+1+g.r.IntN(3), 2)
	}
	if labels[fake] {
		return false
	}
	b.t = t
	b.parts = ct.parts(t)
	b.parts.Floor, b.parts.Room = floor, fake
	b.a = standardAddr(b.parts)
	b.t.room = -1
	if ct.bldgPlace[t.bldg] >= 0 && g.chance(0.25) {
		pi := ct.bldgPlace[t.bldg]
		b.a.road, b.a.door = "", door{}
		b.a.place = c.Places[pi].Name
		b.parts.Place = b.a.place
	}
	return true
}

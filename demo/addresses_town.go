package demo

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
)

// caseTown indexes the contents of one town for the case generator.
type caseTown struct {
	c        *TownContents
	town     addressbook.Town
	stem     string            // 长安 of 长安镇
	villages map[string]string // village code → name, in this town

	villageNames []string        // of this town, for typo checks
	townNames    []string        // of the city
	uniqueVil    map[string]bool // village names that can stand for their town, see newCaseTown

	roadOf     []int32 // per doorplate: its road
	roadDoors  [][]int32
	doorBldgs  [][]int32
	bldgRooms  [][]int32
	bldgDoor   []int32
	bldgPlace  []int32 // per building: its place, -1 for none
	doorPlace  []int32 // per doorplate: the place at it, -1 for none
	placeBldgs [][]int32
	roadNames  []string
	placeNames []string
	roadSet    map[string]bool

	// pools of targets, by constraint
	pools [numConstraints]targetPool

	zones    []zoneRef
	doorZone []int8 // per doorplate: the zone it lies near, -1 for none
}

// zoneRef is a functional zone (功能区) and how people write it.
type zoneRef struct {
	code, name string
	written    []string
	rings      [][]orb.Point // in metres, see metres
}

// constraint restricts the targets a kind can take.
type constraint int

const (
	anyTarget   constraint = iota
	subTarget              // a doorplate with a sub-number
	placeTarget            // a building of a named place
	zoneTarget             // a doorplate near a functional zone of another town
	numConstraints
)

// targetPool holds the buildings (weighted, see buildingWeight) and the
// doorplates a constraint allows. Demolished buildings are never targets.
type targetPool struct {
	bldgs []int32
	cum   []float64
	doors []int32
}

func (p *targetPool) empty() bool { return len(p.doors) == 0 }

func (p *targetPool) building(r *rand.Rand) int32 {
	x := r.Float64() * p.cum[len(p.cum)-1]
	return p.bldgs[sort.SearchFloat64s(p.cum, x)]
}

// buildingWeight is how likely a registration names a building: shops,
// offices and factories more than homes, and more in larger buildings.
func buildingWeight(b *addressbook.Building, rooms int) float64 {
	w := 1.0
	switch b.Use {
	case addressbook.UseCommercial, addressbook.UseOffice, addressbook.UseMixed:
		w = 3
	case addressbook.UseIndustrial:
		w = 2.5
	case addressbook.UsePublic:
		w = 0.3
	}
	return w * math.Sqrt(float64(max(rooms, 1)))
}

// zoneWritten is how people write the functional zones where a town should be.
var zoneWritten = map[string][]string{
	"松山湖":     {"松山湖", "松山湖", "松山湖高新区", "松山湖园区"},
	"东莞港":     {"东莞港"},
	"东莞生态园":   {"生态园", "东莞生态园"},
	"东莞滨海湾新区": {"滨海湾新区", "滨海湾新区", "滨海湾"},
}

// zoneReach is how close to a functional zone, in metres, a doorplate must
// lie for its address to be written with the zone's name.
const zoneReach = 2500

func newCaseTown(d *Divisions, c *TownContents) *caseTown {
	ct := &caseTown{c: c, villages: make(map[string]string), uniqueVil: make(map[string]bool), roadSet: make(map[string]bool)}
	found := false
	for _, t := range d.Towns {
		ct.townNames = append(ct.townNames, t.Name)
		if t.Code == c.TownCode {
			ct.town, found = t, true
		}
	}
	if !found {
		return nil
	}
	ct.town.Geom = nil
	ct.stem = writtenTownStem(ct.town.Name, ct.town.Kind)
	townish := make(map[string]bool) // names and short names of towns
	for _, t := range d.Towns {
		townish[t.Name] = true
		townish[writtenTownStem(t.Name, t.Kind)] = true
	}
	count := make(map[string]int)
	for _, v := range d.Villages {
		count[v.Name]++
		if v.TownCode == c.TownCode {
			ct.villages[v.Code] = v.Name
			ct.villageNames = append(ct.villageNames, v.Name)
		}
	}
	for name, n := range count {
		// A village that can stand for its town in a text: the only one
		// of its name, and not named as a town (松山湖 in 松山湖, 大岭山 in
		// 虎门镇, 桥头社区 in 厚街镇), which a reader would take for that town.
		ct.uniqueVil[name] = n == 1 && name != ct.town.Name && !townish[name] && !townish[villageStem(name)]
	}

	roadIdx := make(map[string]int32, len(c.Roads))
	for i, r := range c.Roads {
		roadIdx[r.Code] = int32(i)
		ct.roadNames = append(ct.roadNames, r.Name)
		ct.roadSet[r.Name] = true
	}
	doorIdx := make(map[string]int32, len(c.Doorplates))
	ct.roadOf = make([]int32, len(c.Doorplates))
	ct.roadDoors = make([][]int32, len(c.Roads))
	for i, dp := range c.Doorplates {
		doorIdx[dp.Code] = int32(i)
		ri := roadIdx[dp.RoadCode]
		ct.roadOf[i] = ri
		ct.roadDoors[ri] = append(ct.roadDoors[ri], int32(i))
	}
	placeIdx := make(map[int64]int32, len(c.Places))
	ct.doorPlace = make([]int32, len(c.Doorplates))
	for i := range ct.doorPlace {
		ct.doorPlace[i] = -1
	}
	for i, p := range c.Places {
		placeIdx[p.ID] = int32(i)
		ct.placeNames = append(ct.placeNames, p.Name)
		ct.doorPlace[doorIdx[p.DoorplateCode]] = int32(i)
	}
	bldgIdx := make(map[int64]int32, len(c.Buildings))
	ct.doorBldgs = make([][]int32, len(c.Doorplates))
	ct.bldgPlace = make([]int32, len(c.Buildings))
	ct.bldgDoor = make([]int32, len(c.Buildings))
	ct.placeBldgs = make([][]int32, len(c.Places))
	for i, b := range c.Buildings {
		bldgIdx[b.ID] = int32(i)
		di := doorIdx[b.DoorplateCode]
		ct.doorBldgs[di] = append(ct.doorBldgs[di], int32(i))
		ct.bldgDoor[i] = di
		ct.bldgPlace[i] = -1
		if b.PlaceID != 0 {
			pi := placeIdx[b.PlaceID]
			ct.bldgPlace[i] = pi
			ct.placeBldgs[pi] = append(ct.placeBldgs[pi], int32(i))
		}
	}
	ct.bldgRooms = make([][]int32, len(c.Buildings))
	for i, r := range c.Rooms {
		bi := bldgIdx[r.BuildingID]
		ct.bldgRooms[bi] = append(ct.bldgRooms[bi], int32(i))
	}

	ct.locateZones(d)
	ct.fillPools()
	return ct
}

// metres projects p to metres on a plane tangent at 23°N, good enough for
// distances of a few kilometres.
func metres(p orb.Point) orb.Point {
	return orb.Point{p[0] * 111320 * math.Cos(23*math.Pi/180), p[1] * 110574}
}

// locateZones finds, for each doorplate, a functional zone of another town
// within zoneReach, if there is one.
func (ct *caseTown) locateZones(d *Divisions) {
	ct.doorZone = make([]int8, len(ct.c.Doorplates))
	for i := range ct.doorZone {
		ct.doorZone[i] = -1
	}
	if ct.town.Kind == addressbook.TownKindZone {
		return
	}
	for _, t := range d.Towns {
		written, ok := zoneWritten[t.Name]
		if t.Kind != addressbook.TownKindZone || !ok {
			continue
		}
		z := zoneRef{code: t.Code, name: t.Name, written: written}
		for _, poly := range t.Geom {
			for _, ring := range poly {
				mr := make([]orb.Point, len(ring))
				for k, p := range ring {
					mr[k] = metres(p)
				}
				z.rings = append(z.rings, mr)
			}
		}
		bound := t.Geom.Bound()
		pad := zoneReach / 100000.0 // degrees, generously
		bound = bound.Pad(pad)
		zi := int8(len(ct.zones))
		found := false
		for i, dp := range ct.c.Doorplates {
			if ct.doorZone[i] >= 0 || !bound.Contains(dp.Geom) {
				continue
			}
			if distanceToRings(metres(dp.Geom), z.rings) <= zoneReach {
				ct.doorZone[i] = zi
				found = true
			}
		}
		if found {
			ct.zones = append(ct.zones, z)
		}
	}
}

func distanceToRings(p orb.Point, rings [][]orb.Point) float64 {
	best := math.Inf(1)
	for _, r := range rings {
		for k := 0; k+1 < len(r); k++ {
			best = min(best, segmentDistance(segment{r[k], r[k+1]}, p))
		}
	}
	return best
}

func (ct *caseTown) fillPools() {
	c := ct.c
	live := func(bi int32) bool { return c.Buildings[bi].Status != addressbook.StatusDemolished }
	allows := func(con constraint, di int32, bi int32) bool {
		switch con {
		case subTarget:
			return c.Doorplates[di].SubNumber > 0
		case placeTarget:
			return bi >= 0 && ct.bldgPlace[bi] >= 0 || bi < 0 && ct.doorPlace[di] >= 0
		case zoneTarget:
			// Where the zone's name alone would be ambiguous the text
			// writes the village too (see zoneForTown): it must be the
			// city's only one.
			return ct.doorZone[di] >= 0 && ct.uniqueVil[ct.villages[c.Doorplates[di].VillageCode]]
		}
		return true
	}
	for con := range numConstraints {
		p := &ct.pools[con]
		var sum float64
		for di, bs := range ct.doorBldgs {
			door := false
			for _, bi := range bs {
				if !live(bi) || len(ct.bldgRooms[bi]) == 0 || !allows(con, int32(di), bi) {
					continue
				}
				door = true
				sum += buildingWeight(&c.Buildings[bi], len(ct.bldgRooms[bi]))
				p.bldgs = append(p.bldgs, bi)
				p.cum = append(p.cum, sum)
			}
			if door && allows(con, int32(di), -1) {
				p.doors = append(p.doors, int32(di))
			}
		}
	}
}

// target is what an existing case names: a doorplate, and a building and
// room of it down to level.
type target struct {
	level            string
	door, bldg, room int32 // -1 when above level
}

// caseGen draws the cases of one town.
type caseGen struct {
	ct *caseTown
	r  *rand.Rand
}

// build is a case being made: its target, the standard address it means and
// the address as written so far.
type build struct {
	t     target
	parts AddressParts
	a     addr
	keep  bool // a fabricated case: noise must not leave out a part

	// A text that leaves the town out (no_admin) or writes a zone for it
	// (zone_for_town) names the address only if no other town has a road
	// or place called check. Until all towns are known it carries alt, the
	// address written with that ambiguity resolved.
	check string
	alt   func(a *addr)
}

// pickLevel draws how precisely an existing case names its target.
func (g *caseGen) pickLevel(noises []caseKind) string {
	w := []float64{75, 15, 10} // room, building, doorplate
	for _, k := range noises {
		switch k {
		case kRoomVariant:
			return LevelRoom
		case kBuildingVariant:
			w[2] = 0
		case kPlaceInsteadOfRoad:
			w = []float64{70, 25, 5}
		}
	}
	return []string{LevelRoom, LevelBuilding, LevelDoorplate}[weighted(g.r, w)]
}

func (g *caseGen) pickTarget(level string, con constraint) (target, bool) {
	p := &g.ct.pools[con]
	if p.empty() {
		return target{}, false
	}
	t := target{level: level, door: -1, bldg: -1, room: -1}
	if level == LevelDoorplate {
		t.door = p.doors[g.r.IntN(len(p.doors))]
		return t, true
	}
	t.bldg = p.building(g.r)
	t.door = g.ct.bldgDoor[t.bldg]
	if level == LevelRoom {
		rooms := g.ct.bldgRooms[t.bldg]
		t.room = rooms[g.r.IntN(len(rooms))]
	}
	return t, true
}

// parts returns the standard address of t.
func (ct *caseTown) parts(t target) AddressParts {
	c := ct.c
	p := AddressParts{Town: ct.town.Name}
	dp := &c.Doorplates[t.door]
	p.Village = ct.villages[dp.VillageCode]
	p.Road = c.Roads[ct.roadOf[t.door]].Name
	p.Number, p.SubNumber = dp.Number, dp.SubNumber
	if t.bldg >= 0 {
		p.Building = c.Buildings[t.bldg].Label
	}
	if t.room >= 0 {
		r := &c.Rooms[t.room]
		p.Unit, p.Floor, p.Room = r.Unit, r.Floor, r.Label
	}
	return p
}

// standardAddr writes p in the standard form: 东莞市 + town + road + number +
// building + unit + room.
func standardAddr(p AddressParts) addr {
	a := addr{city: "东莞市", town: p.Town, road: p.Road, door: door{n: p.Number, sub: p.SubNumber}}
	if p.Building != "" {
		a.bldg = buildingLabel(p.Building)
	}
	a.unit = unitLabel(p.Unit)
	if p.Room != "" {
		a.room = roomLabel(p.Room)
	}
	return a
}

// singleBuilding reports whether t's doorplate has no building but t's.
func (g *caseGen) singleBuilding(t target) bool { return len(g.ct.doorBldgs[t.door]) == 1 }

// aloneOnFloor reports whether t's room is the only one on its floor (in its
// unit), so that 3楼 names it.
func (g *caseGen) aloneOnFloor(t target) bool {
	c := g.ct.c
	r := &c.Rooms[t.room]
	n := 0
	for _, ri := range g.ct.bldgRooms[t.bldg] {
		if o := &c.Rooms[ri]; o.Floor == r.Floor && o.Unit == r.Unit {
			n++
		}
	}
	return n == 1
}

func (g *caseGen) chance(p float64) bool { return g.r.Float64() < p }

func pickString(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

// floorLabel writes floor f: 3楼, 3层, 首层, 负一层.
func (g *caseGen) floorLabel(f int) label {
	if f < 0 {
		return label{pat: pickString(g.r, "负%层", "负%层", "地下%层", "负%楼"), n: -f, cn: g.chance(0.7)}
	}
	if f == 1 && g.chance(0.3) {
		return label{pat: pickString(g.r, "首层", "一楼", "一层")}
	}
	return label{pat: pickString(g.r, "%楼", "%楼", "%层"), n: f}
}

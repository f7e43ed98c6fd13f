package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

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
	uniqueVil    map[string]bool // village names that only one town has, and not as its own name

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
	count := make(map[string]int)
	for _, v := range d.Villages {
		count[v.Name]++
		if v.TownCode == c.TownCode {
			ct.villages[v.Code] = v.Name
			ct.villageNames = append(ct.villageNames, v.Name)
		}
	}
	for name, n := range count {
		// A village named as its town (松山湖 in 松山湖) tells nothing.
		ct.uniqueVil[name] = n == 1 && name != ct.town.Name
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

// Levels of a case: the most precise part of the library its text names.
const (
	LevelRoom      = "room"
	LevelBuilding  = "building"
	LevelDoorplate = "doorplate"
)

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

// The noise kinds. Each rewrites b.a and reports whether it could; each
// must leave the text naming exactly what it named.

func (g *caseGen) noAdmin(b *build) bool {
	a := &b.a
	vil := b.parts.Village
	name := a.road
	if a.place != "" {
		name = a.place
	}
	switch weighted(g.r, []float64{35, 25, 25, 15}) {
	case 0: // 长安镇兴发南路…
		a.province, a.city = "", ""
	case 1: // 东莞市上沙社区兴发南路…
		if !g.ct.uniqueVil[vil] || vil == "" {
			return false
		}
		a.town, a.village = "", vil
	default: // 兴发南路… or 东莞市兴发南路…
		if g.chance(0.6) {
			a.city = ""
		}
		a.province, a.town = "", ""
		b.check = name
		city := a.city
		b.alt = func(a *addr) {
			if g.ct.uniqueVil[vil] && vil != "" {
				a.city, a.village = city, vil
			} else {
				a.city, a.town = "", g.ct.town.Name
			}
		}
	}
	return true
}

func (g *caseGen) doubledAdmin(b *build) bool {
	a := &b.a
	if a.town == "" || a.city == "" {
		return false
	}
	switch g.r.IntN(3) {
	case 0:
		a.province, a.city = "广东省", "东莞市东莞市"
	case 1:
		a.city = "东莞市东莞市"
	default:
		a.town += a.town
	}
	return true
}

// informalTowns are the ways people write a town-level unit other than its
// name: 南城, 南城区 and 东莞南城 for 南城街道, 长安 and 东莞长安 for 长安镇.
func informalTowns(t addressbook.Town, stem string) []string {
	switch t.Kind {
	case addressbook.TownKindSubdistrict:
		return []string{stem + "区", stem + "区", stem, "东莞" + stem}
	case addressbook.TownKindTown:
		return []string{stem, stem, "东莞" + stem}
	}
	var out []string
	for _, w := range zoneWritten[t.Name] {
		if w != t.Name {
			out = append(out, w)
		}
	}
	return out
}

func (g *caseGen) informalTown(b *build) bool {
	forms := informalTowns(g.ct.town, g.ct.stem)
	if len(forms) == 0 || b.a.town == "" {
		return false
	}
	f := forms[g.r.IntN(len(forms))]
	if strings.HasPrefix(f, "东莞") && !strings.HasPrefix(g.ct.town.Name, "东莞") {
		b.a.city = ""
	}
	b.a.town = f
	return true
}

func (g *caseGen) zoneForTown(b *build) bool {
	z := g.ct.doorZone[b.t.door]
	if z < 0 || b.a.town == "" {
		return false
	}
	zone := &g.ct.zones[z]
	written := zone.written[g.r.IntN(len(zone.written))]
	a := &b.a
	a.town = written
	b.check = a.road
	if a.place != "" {
		b.check = a.place
	}
	vil := b.parts.Village
	b.alt = func(a *addr) { a.village = vil }
	return true
}

func (g *caseGen) withVillage(b *build) bool {
	if b.parts.Village == "" || b.parts.Village == g.ct.town.Name || b.a.village != "" {
		return false
	}
	b.a.village = b.parts.Village
	return true
}

func (g *caseGen) chineseNumerals(b *build) bool {
	a := &b.a
	var can []func()
	if a.door.n > 0 && a.door.style == doorHao {
		can = append(can, func() { a.door.cn = true })
	}
	if a.bldg.n > 0 {
		can = append(can, func() { a.bldg.cn = true })
	}
	if a.unit.n > 0 {
		can = append(can, func() { a.unit.cn = true })
	}
	if b.t.room >= 0 && b.parts.Floor != 0 && kindOfRoom(b.parts.Room) != roomStall {
		can = append(can, func() {
			if a.floor.pat == "" {
				f := b.parts.Floor
				a.floor = label{pat: "%楼", n: f}
				if f < 0 {
					a.floor = label{pat: pickString(g.r, "负%层", "地下%层"), n: -f}
				}
				if !b.keep && kindOfRoom(b.parts.Room) != roomShop && g.aloneOnFloor(b.t) && g.chance(0.5) {
					a.room = label{}
				}
			}
			if a.floor.n > 0 {
				a.floor.cn = true
			}
		})
	}
	if len(can) == 0 {
		return false
	}
	g.r.Shuffle(len(can), func(i, j int) { can[i], can[j] = can[j], can[i] })
	for i, f := range can {
		if i == 0 || g.chance(0.4) {
			f()
		}
	}
	return true
}

func (g *caseGen) fullwidthNoise(b *build) bool {
	if !strings.ContainsFunc(b.a.text(), func(r rune) bool { return r > ' ' && r < 0x7f }) {
		return false
	}
	b.a.fw = fwAll
	if b.a.door.n > 0 && !b.a.door.cn && g.chance(0.4) {
		b.a.fw = fwDoor
	}
	return true
}

func (g *caseGen) hashNumber(b *build) bool {
	a := &b.a
	if a.door.n == 0 || a.door.cn {
		return false
	}
	a.door.style = doorHash
	if a.bldg.n > 0 && g.chance(0.35) {
		switch a.bldg.pat {
		case "%栋":
			a.bldg.pat = "%#楼"
		case "%号厂房":
			a.bldg.pat = "%#厂房"
		}
	}
	return true
}

func (g *caseGen) subNumberVariant(b *build) bool {
	if b.a.door.sub == 0 || b.a.door.cn {
		return false
	}
	w := []float64{60, 20, 20}
	if b.a.digitAfterDoor() {
		w[1] = 0 // 128号之1 1栋 would run into 128号之11栋
	}
	b.a.door.style = []doorStyle{doorDash, doorZhiArabic, doorArabicZhi}[weighted(g.r, w)]
	return true
}

// buildingVariants are the other ways of writing a label of the pattern.
var buildingVariants = map[string][]string{
	"%栋":   {"%幢", "%座", "%号楼", "%号楼", "第%栋", "%栋楼"},
	"%号厂房": {"%栋", "%号楼", "%栋厂房", "厂房%", "第%栋厂房"},
	"%座":   {"%栋", "%幢"},
	"宿舍楼":  {"宿舍", "员工宿舍", "员工宿舍楼"},
}

func (g *caseGen) buildingVariant(b *build) bool {
	a := &b.a
	if a.bldg.pat == "" {
		return false
	}
	if !b.keep && b.t.room >= 0 && a.place == "" && g.singleBuilding(b.t) && g.chance(0.25) {
		a.bldg = label{} // 兴发南路128号502
		return true
	}
	vs := buildingVariants[a.bldg.pat]
	if a.bldg.key != "" && a.bldg.pat == "%栋" {
		vs = []string{"%座", "%幢"} // A栋
	}
	if len(vs) == 0 {
		return false
	}
	a.bldg.pat = vs[g.r.IntN(len(vs))]
	return true
}

func (g *caseGen) roomVariant(b *build) bool {
	a := &b.a
	if b.parts.Room == "" || a.room.pat == "" {
		return false
	}
	f := b.parts.Floor
	withFloor := func(pat string) {
		a.floor = g.floorLabel(f)
		a.room.pat = pat
	}
	switch kindOfRoom(b.parts.Room) {
	case roomFlat:
		switch weighted(g.r, []float64{25, 15, 20, 10, 8, 7, 15}) {
		case 0:
			a.room.pat = "%室"
		case 1:
			a.room.pat = "%房"
		case 2:
			withFloor("%")
		case 3:
			withFloor("%室")
		case 4:
			a.room.pat = "%号房"
		case 5:
			a.room.pat = "%号"
		default: // 3楼 for the only flat of the third floor
			if b.keep || f == 0 || !g.aloneOnFloor(b.t) {
				a.room.pat = "%室"
				break
			}
			a.floor, a.room = g.floorLabel(f), label{}
		}
	case roomShop:
		if f != 0 && g.chance(0.25) {
			withFloor("铺位%")
			break
		}
		a.room.pat = pickString(g.r, "%号铺位", "%号铺", "商铺%", "铺位%号", "%号商铺")
	case roomStall:
		if f != 0 && g.chance(0.25) {
			withFloor("档口%")
			break
		}
		a.room.pat = pickString(g.r, "%号档口", "档口%号", "%号档")
	case roomBasement:
		if g.chance(0.5) {
			withFloor("%")
			break
		}
		a.room.pat = pickString(g.r, "%室", "%房")
	}
	return true
}

func (g *caseGen) placeInsteadOfRoad(b *build) bool {
	c := g.ct.c
	pi := g.ct.doorPlace[b.t.door]
	if pi < 0 || b.t.bldg >= 0 && g.ct.bldgPlace[b.t.bldg] != pi {
		return false
	}
	a := &b.a
	a.road, a.door = "", door{}
	a.place = c.Places[pi].Name
	b.parts.Place = a.place
	if b.t.room >= 0 {
		if !b.keep && len(g.ct.placeBldgs[pi]) == 1 && g.chance(0.7) {
			a.bldg = label{} // 汇峰大厦1501
		}
		if kindOfRoom(b.parts.Room) == roomFlat && b.parts.Floor > 1 && g.chance(0.4) {
			a.floor = label{pat: "%楼", n: b.parts.Floor} // 汇峰大厦15楼1501
		}
	}
	return true
}

// remarkPlaces are landmarks of any town, written after its short name.
var remarkPlaces = []string{"汽车站", "中学", "医院", "人民公园", "文化广场", "市场", "派出所", "小学", "客运站", "体育馆"}

func (g *caseGen) remarks(b *build) bool {
	a := &b.a
	r := g.r
	brackets := [][2]string{{"（", "）"}, {"（", "）"}, {"（", "）"}, {"(", ")"}, {"【", "】"}}[r.IntN(5)]
	switch weighted(r, []float64{30, 45, 10, 15}) {
	case 0: // 自编
		s := pickString(r, "自编"+string(rune('A'+r.IntN(6)))+"区", "自编"+itoa(1+r.IntN(30))+"号",
			"自编"+itoa(1+r.IntN(9))+"栋", "自编"+string(rune('A'+r.IntN(4)))+itoa(1+r.IntN(20)))
		a.remark = brackets[0] + s + brackets[1]
		a.remarkMid = (a.door.n > 0 || a.place != "") && r.IntN(3) == 0
	case 1, 3: // a landmark nearby
		var mark string
		switch r.IntN(4) {
		case 0:
			if len(g.ct.placeNames) > 0 {
				mark = g.ct.placeNames[r.IntN(len(g.ct.placeNames))]
				break
			}
			fallthrough
		case 1:
			mark = g.ct.stem + pickString(r, remarkPlaces...)
		case 2:
			if v := b.parts.Village; v != "" {
				if strings.HasSuffix(v, "村") {
					mark = v + "委会"
				} else {
					mark = v + "居委会"
				}
				break
			}
			fallthrough
		default:
			mark = "近" + g.ct.roadNames[r.IntN(len(g.ct.roadNames))] + "路口"
			mark = strings.Replace(mark, "路路口", "路口", 1)
		}
		if !strings.HasPrefix(mark, "近") {
			mark += pickString(r, "旁", "旁边", "附近", "对面", "斜对面", "侧")
		}
		if r.IntN(4) == 0 {
			a.remark = "，" + mark
		} else {
			a.remark = brackets[0] + mark + brackets[1]
		}
	default:
		a.remark = brackets[0] + pickString(r, "一址多照", "住所申报", "集群注册", "仅限办公用途", "实际经营场所", "办公场所") + brackets[1]
	}
	return true
}

// typo replaces one character of a name in the text (the town, village,
// road or place) by a confusable one, unless that makes it another name of
// its kind, or one character away from one, so the true name stays the
// only near one.
func (g *caseGen) typo(b *build) bool {
	a := &b.a
	type cand struct {
		field      *string
		name, stem string
		others     []string
	}
	var cands []cand
	if a.road != "" {
		cands = append(cands, cand{&a.road, b.parts.Road, roadStem(b.parts.Road), g.ct.roadNames})
	}
	if a.place != "" {
		cands = append(cands, cand{&a.place, b.parts.Place, placeStem(b.parts.Place), g.ct.placeNames})
	}
	if a.town != "" && strings.Contains(a.town, g.ct.stem) {
		cands = append(cands, cand{&a.town, g.ct.town.Name, g.ct.stem, g.ct.townNames})
	}
	if a.village == "" && b.parts.Village != "" && b.parts.Village != g.ct.town.Name && g.chance(0.15) {
		a.village = b.parts.Village
	}
	if a.village != "" {
		cands = append(cands, cand{&a.village, b.parts.Village, villageStem(b.parts.Village), g.ct.villageNames})
	}
	g.r.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	for _, c := range cands {
		stem := []rune(c.stem)
		var pos []int
		for i, r := range stem {
			if len(confusables[r]) > 0 {
				pos = append(pos, i)
			}
		}
		g.r.Shuffle(len(pos), func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
	next:
		for _, i := range pos {
			alts := confusables[stem[i]]
			typed := slices.Clone(stem)
			typed[i] = alts[g.r.IntN(len(alts))]
			newStem := string(typed)
			newName := strings.Replace(c.name, c.stem, newStem, 1)
			if newName == c.name || !strings.Contains(*c.field, c.stem) {
				continue
			}
			for _, o := range c.others {
				if o != c.name && withinOneEdit(newName, o) {
					continue next
				}
			}
			*c.field = strings.Replace(*c.field, c.stem, newStem, 1)
			return true
		}
	}
	return false
}

func (g *caseGen) traditionalNoise(b *build) bool {
	before := b.a.text()
	b.a.trad = true
	return b.a.text() != before
}

func (g *caseGen) spaces(b *build) bool {
	a := &b.a
	p := a.parts()
	var present []int
	for i, s := range p {
		if s != "" {
			present = append(present, i)
		}
	}
	if len(present) < 2 {
		return false
	}
	sp := func() string { return []string{" ", " ", " ", "  ", "　"}[g.r.IntN(5)] }
	n := 0
	for _, i := range present[1:] {
		if g.chance(0.4) {
			a.seps[i] = sp()
			n++
		}
	}
	if n == 0 {
		a.seps[present[1+g.r.IntN(len(present)-1)]] = sp()
	}
	if g.chance(0.1) {
		a.lead = " "
	}
	if g.chance(0.15) {
		a.trail = " "
	}
	return true
}

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
	di := p.doors[g.r.IntN(len(p.doors))]
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

// available reports whether the town has targets for kind k.
func (g *caseGen) available(k caseKind) bool {
	ct := g.ct
	switch k {
	case kZoneForTown:
		return !ct.pools[zoneTarget].empty()
	case kSubNumberVariant:
		return !ct.pools[subTarget].empty()
	case kPlaceInsteadOfRoad:
		return !ct.pools[placeTarget].empty()
	case kInformalTown:
		return len(informalTowns(ct.town, ct.stem)) > 0 && !ct.pools[anyTarget].empty()
	}
	return !ct.pools[anyTarget].empty()
}

// generate draws counts[k] cases of each kind k, in a shuffled order, and
// says how many of each it could not draw.
func (g *caseGen) generate(counts []int) (out []draft, short []int) {
	short = make([]int, numCaseKinds)
	var seq []caseKind
	for k, n := range counts {
		for range n {
			seq = append(seq, caseKind(k))
		}
	}
	g.r.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
	out = make([]draft, 0, len(seq))
	for _, k := range seq {
		if d, ok := g.one(k); ok {
			out = append(out, d)
		} else {
			short[k]++
		}
	}
	return out, short
}

// one draws a case of kind k, trying a few targets before it gives up.
func (g *caseGen) one(k caseKind) (draft, bool) {
	for range 16 {
		b := &build{}
		var combo []caseKind
		var ok bool
		switch k {
		case kWrongNumber:
			ok = g.wrongNumber(b)
		case kWrongRoom:
			ok = g.wrongRoom(b)
		case kWrongRoad:
			ok = g.wrongRoad(b)
		case kWrongBuilding:
			ok = g.wrongBuilding(b)
		case kCombined:
			combo = g.pickCombo()
			ok = g.existing(b, combo)
		case kClean:
			ok = g.existing(b, nil)
		default:
			ok = g.existing(b, []caseKind{k})
		}
		if !ok {
			continue
		}
		if k.fabricated() {
			g.lightNoise(b, k)
		}
		return g.draft(b, k, combo), true
	}
	return draft{}, false
}

// applyOrder is the order in which noise is applied: first what changes the
// structure, then the names, then the characters.
var applyOrder = []caseKind{
	kPlaceInsteadOfRoad, kNoAdmin, kDoubledAdmin, kInformalTown, kZoneForTown, kWithVillage,
	kSubNumberVariant, kHashNumber, kBuildingVariant, kRoomVariant, kChineseNumerals, kRemarks,
	kTypo, kTraditional, kFullwidth, kSpaces,
}

// existing draws a target that suits noises and writes it with them.
func (g *caseGen) existing(b *build, noises []caseKind) bool {
	con := anyTarget
	for _, k := range noises {
		switch k {
		case kSubNumberVariant:
			con = subTarget
		case kPlaceInsteadOfRoad:
			con = placeTarget
		case kZoneForTown:
			con = zoneTarget
		}
	}
	t, ok := g.pickTarget(g.pickLevel(noises), con)
	if !ok {
		return false
	}
	b.t = t
	b.parts = g.ct.parts(t)
	b.a = standardAddr(b.parts)
	for _, k := range applyOrder {
		if !slices.Contains(noises, k) {
			continue
		}
		before := b.a.text()
		if !g.apply(k, b) || b.a.text() == before {
			return false
		}
	}
	return true
}

func (g *caseGen) apply(k caseKind, b *build) bool {
	switch k {
	case kNoAdmin:
		return g.noAdmin(b)
	case kDoubledAdmin:
		return g.doubledAdmin(b)
	case kInformalTown:
		return g.informalTown(b)
	case kZoneForTown:
		return g.zoneForTown(b)
	case kWithVillage:
		return g.withVillage(b)
	case kChineseNumerals:
		return g.chineseNumerals(b)
	case kFullwidth:
		return g.fullwidthNoise(b)
	case kTraditional:
		return g.traditionalNoise(b)
	case kHashNumber:
		return g.hashNumber(b)
	case kSubNumberVariant:
		return g.subNumberVariant(b)
	case kBuildingVariant:
		return g.buildingVariant(b)
	case kRoomVariant:
		return g.roomVariant(b)
	case kPlaceInsteadOfRoad:
		return g.placeInsteadOfRoad(b)
	case kRemarks:
		return g.remarks(b)
	case kSpaces:
		return g.spaces(b)
	case kTypo:
		return g.typo(b)
	}
	return false
}

// comboKinds are the kinds combined cases draw from. zone_for_town stays
// out: it is rare enough alone.
var comboKinds = []caseKind{
	kNoAdmin, kDoubledAdmin, kInformalTown, kWithVillage, kChineseNumerals, kFullwidth, kTraditional,
	kHashNumber, kSubNumberVariant, kBuildingVariant, kRoomVariant, kPlaceInsteadOfRoad, kRemarks,
	kSpaces, kTypo,
}

// conflict reports whether kinds a and b cannot be combined: two ways of
// writing the town, two ways of writing the number, a number where the
// place stands for it, or a typo in a name that must stand alone.
func conflict(a, b caseKind) bool {
	admin := func(k caseKind) bool { return k == kNoAdmin || k == kDoubledAdmin || k == kInformalTown }
	pair := func(x, y caseKind) bool { return a == x && b == y || a == y && b == x }
	return admin(a) && admin(b) ||
		pair(kChineseNumerals, kFullwidth) || pair(kChineseNumerals, kHashNumber) ||
		pair(kChineseNumerals, kSubNumberVariant) || pair(kPlaceInsteadOfRoad, kHashNumber) ||
		pair(kPlaceInsteadOfRoad, kSubNumberVariant) || pair(kTypo, kNoAdmin)
}

// pickCombo draws two or three kinds that can be combined, in apply order.
func (g *caseGen) pickCombo() []caseKind {
	n := 2
	if g.chance(0.4) {
		n = 3
	}
	pool := slices.Clone(comboKinds)
	g.r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	var out []caseKind
	for _, k := range pool {
		if len(out) == n {
			break
		}
		if !slices.ContainsFunc(out, func(o caseKind) bool { return conflict(o, k) }) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b caseKind) int {
		return slices.Index(applyOrder, a) - slices.Index(applyOrder, b)
	})
	return out
}

// lightNoise writes some fabricated cases less neatly, as any other case,
// without leaving out a part: a matcher must not tell them by their form.
func (g *caseGen) lightNoise(b *build, k caseKind) {
	b.keep = true
	if !g.chance(0.4) {
		return
	}
	n := []caseKind{kSpaces, kRemarks, kFullwidth, kRoomVariant, kBuildingVariant, kWithVillage}[g.r.IntN(6)]
	if n == kBuildingVariant && k == kWrongBuilding || n == kWithVillage && b.parts.Village == "" {
		return
	}
	saved := b.a
	if !g.apply(n, b) {
		b.a = saved
	}
}

func (g *caseGen) draft(b *build, k caseKind, combo []caseKind) draft {
	c := g.ct.c
	ac := AddressCase{
		Text:     b.a.text(),
		Noise:    kindNames[k],
		Exists:   !k.fabricated(),
		Level:    b.t.level,
		TownCode: c.TownCode,
		Parts:    b.parts,
	}
	for _, x := range combo {
		ac.Combined = append(ac.Combined, kindNames[x])
	}
	if b.t.door >= 0 {
		ac.TrueDoorplate = c.Doorplates[b.t.door].Code
	}
	if b.t.bldg >= 0 {
		ac.TrueBuildingID = c.Buildings[b.t.bldg].ID
	}
	if b.t.room >= 0 {
		ac.TrueCode = c.Rooms[b.t.room].Code
	}
	d := draft{c: ac}
	if b.alt != nil {
		alt := b.a
		b.alt(&alt)
		d.check, d.alt = b.check, alt.text()
	}
	return d
}

package demo

import (
	"slices"
	"strings"

	"github.com/gridsentry/gridsentry/addressbook"
)

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
		// Never 自编3栋: a remark must not name a building.
		s := pickString(r, "自编"+string(rune('A'+r.IntN(6)))+"区", "自编"+itoa(1+r.IntN(30))+"号",
			"自编"+string(rune('A'+r.IntN(4)))+itoa(1+r.IntN(20)))
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
			road := g.ct.roadNames[r.IntN(len(g.ct.roadNames))]
			if road == b.parts.Road {
				return false // 金龙街701号，近金龙街路口
			}
			switch { // 近兴发路口, 近同沙新村一巷口, 近金龙街路口
			case strings.HasSuffix(road, "路"), strings.HasSuffix(road, "巷"):
				mark = "近" + road + "口"
			default:
				mark = "近" + road + "路口"
			}
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

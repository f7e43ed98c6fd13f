package demo

import "slices"

// Drawing cases: a kind, a target that suits it, and its noise applied in
// a fixed order.

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
	return g.writeAt(b, t, noises)
}

// writeAt writes target t with noises and reports whether every noise
// shows.
func (g *caseGen) writeAt(b *build, t target, noises []caseKind) bool {
	b.t = t
	b.parts = g.ct.parts(t)
	b.a = standardAddr(b.parts)
	text := b.a.text()
	for _, k := range applyOrder {
		if !slices.Contains(noises, k) {
			continue
		}
		if !g.apply(k, b) {
			return false
		}
		// Every noise must show.
		before := text
		if text = b.a.text(); text == before {
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

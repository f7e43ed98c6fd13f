package addressbook

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// MatchLevel is how precisely an address was matched.
type MatchLevel string

// Match levels, from the most precise.
const (
	AtRoom      MatchLevel = "room"
	AtBuilding  MatchLevel = "building"
	AtDoorplate MatchLevel = "doorplate"
	AtPlace     MatchLevel = "place"
	AtRoad      MatchLevel = "road"
	AtVillage   MatchLevel = "village"
	AtTown      MatchLevel = "town"
	AtNone      MatchLevel = ""
)

// MatchStatus is the verdict on a typed address.
type MatchStatus string

// Verdicts.
const (
	Matched   MatchStatus = "matched"   // the address exists at the level the text designates
	Ambiguous MatchStatus = "ambiguous" // several standard addresses fit equally well
	NotFound  MatchStatus = "not_found" // what the text designates does not exist
	Invalid   MatchStatus = "invalid"   // the text is not an address
)

// Issue codes.
const (
	IssueEmpty            = "empty"
	IssueTooLong          = "too_long"
	IssueNoAddress        = "no_address"
	IssueTownNotFound     = "town_not_found"
	IssueTownCorrected    = "town_corrected"
	IssueTownMismatch     = "town_mismatch"
	IssueTownInferred     = "town_inferred"
	IssueRoadNotFound     = "road_not_found"
	IssueRoadCorrected    = "road_corrected"
	IssuePlaceCorrected   = "place_corrected"
	IssueNumberMissing    = "number_missing"
	IssueNumberNotFound   = "number_not_found"
	IssueBuildingNotFound = "building_not_found"
	IssueBuildingMissing  = "building_missing"
	IssueRoomNotFound     = "room_not_found"
	IssueRoomNotGiven     = "room_not_given"
	IssueUnitMissing      = "unit_missing"
	IssueVillageMismatch  = "village_mismatch"
	IssueDemolished       = "building_demolished"
	IssueSlated           = "building_slated"
	IssueMultipleTowns    = "multiple_towns"
)

// An Issue is a finding about a typed address, for the clerk.
type Issue struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// An Address is a standard address: a room, or a doorplate (with the building
// when it is known).
type Address struct {
	Code        string     `json:"code"` // room code, else doorplate code
	Full        string     `json:"full"`
	Level       MatchLevel `json:"level"`
	Components  Components `json:"components"`
	Lon, Lat    float64    `json:"-"`
	BuildingID  int64      `json:"building_id,omitempty"`
	GridCode    string     `json:"grid_code,omitempty"`
	VillageCode string     `json:"village_code,omitempty"`
	TownCode    string     `json:"town_code"`
	Score       float64    `json:"score"`
}

// A Result is the verdict on one typed address.
type Result struct {
	Status     MatchStatus
	Level      MatchLevel
	Score      float64
	Address    *Address
	Issues     []Issue
	Candidates []Address
	Parsed     Components
}

// MaxAddressRunes is the longest address the matcher reads.
const MaxAddressRunes = 200

// maxCandidates caps the candidates of a result.
const maxCandidates = 5

// matcher holds the state of one Match call.
type matcher struct {
	ix     *Index
	city   []hit // the city's names found in the text
	cityOK bool
	res    Result
	parsed Components
	text   []rune
	score  float64
}

func (m *matcher) issue(code, format string, args ...any) {
	m.res.Issues = append(m.res.Issues, Issue{Code: code, Message: fmt.Sprintf(format, args...)})
}

// Match resolves a typed address to a standard address. townCode, when not
// empty, is the town the clerk selected; it must be a town of the index
// (callers check with Town first). Numbers, buildings and rooms are never
// guessed: one that does not exist makes the result not_found, with the
// nearest real ones as candidates. Names (towns, roads, places) tolerate
// typos within a small edit distance.
func (ix *Index) Match(text, townCode string) Result {
	m := &matcher{ix: ix, score: 1}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	if utf8.RuneCountInString(text) > 4*MaxAddressRunes {
		m.res.Status = Invalid
		m.issue(IssueTooLong, "the address is longer than %d characters", MaxAddressRunes)
		return m.res
	}
	var norm string
	m.parsed, norm = parse(text)
	m.res.Parsed = m.parsed
	m.text = []rune(norm)
	if len(m.text) > MaxAddressRunes {
		m.res.Status = Invalid
		m.issue(IssueTooLong, "the address is longer than %d characters", MaxAddressRunes)
		return m.res
	}
	if len(m.text) == 0 {
		m.res.Status = Invalid
		m.issue(IssueEmpty, "the address is empty")
		return m.res
	}
	if !hasHan(m.text) {
		m.res.Status = Invalid
		m.issue(IssueNoAddress, "no place name in the text: a registered address names a road or a place")
		return m.res
	}
	m.run(townCode)
	return m.res
}

func hasHan(rs []rune) bool {
	for _, r := range rs {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// run does the matching proper.
func (m *matcher) run(townCode string) {
	towns := m.towns(townCode)

	// Names: every village, road and place of the candidate towns found in
	// the text, then typo-tolerant lookups of what the parser saw.
	if len(towns) > 0 && townCode == "" && softTowns(towns) {
		// A village of another town written after a functional zone tells
		// the town: 松山湖高新区金桔村 is in 大岭山.
		_, _, vs := m.names(nil)
		for _, v := range vs {
			if !containsTown(towns, v.town) {
				towns = []*TownIndex{v.town}
				break
			}
		}
	}
	roads, places, villages := m.names(towns)
	roads, places = m.asParsed(roads, places)
	if len(roads) == 0 && len(places) == 0 && len(towns) > 0 && townCode == "" && softTowns(towns) {
		// A functional zone (松山湖, 滨海湾 …) written for the town: the
		// zone spans towns, so look in the whole city, the zone first.
		roads, places, villages = m.names(nil)
		roads, places = m.asParsed(roads, places)
		if len(roads) > 0 || len(places) > 0 {
			m.score -= 0.02
		}
	}
	if len(roads) == 0 && m.parsed.Road != "" {
		roads = m.fuzzyRoads(towns, m.parsed.Road)
	}
	if len(places) == 0 && m.parsed.Place != "" {
		places = m.fuzzyPlaces(towns, m.parsed.Place)
	}
	if len(towns) == 0 && len(villages) > 0 {
		roads, places = inVillageTowns(villages, roads, places)
	}
	if len(towns) == 0 && len(roads)+len(places) > 0 {
		m.score -= 0.02 // the town was not written: inferred from the names
	}

	var cands []candidate
	switch {
	case len(roads) == 0 && m.parsed.Road != "" && m.parsed.Number > 0:
		// A road and number were written, and there is no such road: a
		// place named too (…旁边) is a landmark, not the address.
		m.nothing(towns, villages)
		return
	case len(roads) > 0 && m.parsed.Number > 0:
		cands = m.viaRoads(roads)
		if len(cands) == 0 && len(places) > 0 {
			// The number is wrong for every road, but a named place is also given.
			cands = m.viaPlaces(places)
		}
	case len(places) > 0:
		cands = m.viaPlaces(places)
	case len(roads) > 0:
		m.roadOnly(roads)
		return
	default:
		m.nothing(towns, villages)
		return
	}
	m.decide(cands, villages)
}

// cityNames returns the names of the whole city found in the text, scanning
// it once.
func (m *matcher) cityNames() []hit {
	if !m.cityOK {
		m.city, m.cityOK = m.ix.names.scan(m.text), true
	}
	return m.city
}

// names finds the villages, roads and places of towns (all when empty)
// written in the text.
func (m *matcher) names(towns []*TownIndex) ([]*roadEntry, []*placeEntry, []*villageEntry) {
	hits := m.cityNames()
	if len(towns) > 0 {
		var mine []hit
		for _, h := range hits {
			var refs []nameRef
			for _, ref := range h.refs {
				if containsTown(towns, ref.town) {
					refs = append(refs, ref)
				}
			}
			if len(refs) > 0 {
				mine = append(mine, hit{start: h.start, end: h.end, refs: refs})
			}
		}
		hits = mine
	}
	return m.pick(hits)
}

// asParsed keeps, of the roads and places found in the text, those the
// parser saw as the address's own, when it saw any: a road named in the
// remarks (近振兴围西坊一巷路口) is a landmark.
func (m *matcher) asParsed(roads []*roadEntry, places []*placeEntry) ([]*roadEntry, []*placeEntry) {
	if m.parsed.Road != "" {
		var rs []*roadEntry
		for _, r := range roads {
			if strings.Contains(m.parsed.Road, r.name) {
				rs = append(rs, r)
			}
		}
		if len(rs) > 0 {
			roads = rs
		}
	}
	if m.parsed.Place != "" {
		var ps []*placeEntry
		for _, p := range places {
			if strings.Contains(m.parsed.Place, p.name) || strings.Contains(p.name, m.parsed.Place) {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 || len(roads) > 0 {
			places = ps
		}
	}
	return roads, places
}

// softTowns reports whether the towns are functional zones, which people
// write for the town they lie in or next to.
func softTowns(towns []*TownIndex) bool {
	for _, t := range towns {
		if t.Kind != TownKindZone {
			return false
		}
	}
	return true
}

// towns returns the candidate towns: the clerk's choice, else the towns named
// in the text (exactly, else within one edit of an alias).
func (m *matcher) towns(townCode string) []*TownIndex {
	var named []*TownIndex
	best := 0
	longer := m.cityNames()
	for _, h := range m.ix.aliases.scan(m.text) {
		if insideLongerName(h, longer) {
			continue // 石龙 of 石龙路 is a road, not the town
		}
		n := h.end - h.start
		for _, ref := range h.refs {
			switch {
			case n > best:
				best, named = n, []*TownIndex{ref.town}
			case n == best && !containsTown(named, ref.town):
				named = append(named, ref.town)
			}
		}
	}
	if len(named) == 0 && m.parsed.Town != "" {
		if t := m.fuzzyTown(m.parsed.Town); t != nil {
			named = []*TownIndex{t}
			m.score -= 0.05
			m.issue(IssueTownCorrected, "town %q read as %s", m.parsed.Town, t.Name)
		}
	}
	if townCode != "" {
		t := m.ix.towns[townCode]
		if len(named) > 0 && !containsTown(named, t) {
			m.score -= 0.1
			m.issue(IssueTownMismatch, "the text names %s but the selected town is %s", named[0].Name, t.Name)
		}
		return []*TownIndex{t}
	}
	return named
}

// insideLongerName reports whether h lies within a longer road, place or
// village name found in the same text.
func insideLongerName(h hit, names []hit) bool {
	for _, o := range names {
		if o.start <= h.start && o.end >= h.end && o.end-o.start > h.end-h.start {
			return true
		}
	}
	return false
}

func containsTown(ts []*TownIndex, t *TownIndex) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// fuzzyTown finds the one town whose alias is within one edit of s.
func (m *matcher) fuzzyTown(s string) *TownIndex {
	if utf8.RuneCountInString(s) < 2 {
		return nil
	}
	var found *TownIndex
	for _, t := range m.ix.order {
		for _, a := range townAliases(t.Name, t.Kind) {
			if utf8.RuneCountInString(a) >= 2 && levenshtein.ComputeDistance(a, s) <= 1 {
				if found != nil && found != t {
					return nil // two towns are one edit away: do not guess
				}
				found = t
			}
		}
	}
	return found
}

// pick sorts the names found in the text into roads, places and villages.
// Of overlapping names the longest wins (东城大道 over 东城).
func (m *matcher) pick(hits []hit) (roads []*roadEntry, places []*placeEntry, villages []*villageEntry) {
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].end-hits[i].start > hits[j].end-hits[j].start })
	covered := make([]bool, len(m.text))
	for _, h := range hits {
		overlap := false
		for i := h.start; i < h.end; i++ {
			if covered[i] {
				overlap = true
				break
			}
		}
		if overlap {
			continue
		}
		for i := h.start; i < h.end; i++ {
			covered[i] = true
		}
		for _, ref := range h.refs {
			switch ref.kind {
			case nameRoad:
				roads = append(roads, ref.road)
			case namePlace:
				places = append(places, ref.place)
			case nameVillage:
				villages = append(villages, ref.village)
			}
		}
	}
	return roads, places, villages
}

// maxEdits is how many character edits a name of n runes may carry.
func maxEdits(n int) int {
	if n >= 3 {
		return 1
	}
	return 0
}

// discriminating characters tell apart names that are otherwise the same:
// 一巷 and 二巷, 东路 and 西路, 新村 and 旧村 are different places, so an edit
// of one of these is never a typo.
const discriminating = "0123456789一二三四五六七八九十百零东南西北中上下前后左右内外新旧大小正横直头尾"

// typoOf reports whether typed is name with one character replaced, added
// or dropped: a discriminating character may be mistyped as another
// character (楠 for 南), not replaced by another discriminating one (二 for 一).
func typoOf(name, typed string) bool {
	a, b := []rune(name), []rune(typed)
	if len(a) < 3 || len(b) < 3 {
		return false
	}
	switch len(a) - len(b) {
	case 0:
		diff := -1
		for i := range a {
			if a[i] != b[i] {
				if diff >= 0 {
					return false
				}
				diff = i
			}
		}
		return diff >= 0 && !(strings.ContainsRune(discriminating, a[diff]) && strings.ContainsRune(discriminating, b[diff]))
	case 1, -1:
		long, short := a, b
		if len(b) > len(a) {
			long, short = b, a
		}
		i := 0
		for i < len(short) && long[i] == short[i] {
			i++
		}
		if string(long[i+1:]) != string(short[i:]) {
			return false
		}
		return !strings.ContainsRune(discriminating, long[i])
	}
	return false
}

// typoRefs returns the names of towns (the city when none) that typed may
// be a typo of.
func (m *matcher) typoRefs(towns []*TownIndex, typed string) []nameRef {
	if len(towns) == 0 {
		return m.ix.typos.lookup(typed)
	}
	var out []nameRef
	for _, t := range towns {
		out = append(out, t.typos.lookup(typed)...)
	}
	return out
}

// typos returns the names of the given kind in towns of which typed is a
// typo, in a stable order, noting the correction as an issue.
func (m *matcher) typos(towns []*TownIndex, typed string, kind nameKind, issue, what string) []nameRef {
	var out []nameRef
	seen := map[string]bool{}
	for _, ref := range m.typoRefs(towns, typed) {
		name, key := ref.name()
		if ref.kind == kind && !seen[key] && typoOf(name, typed) {
			seen[key] = true
			out = append(out, ref)
		}
	}
	if len(out) > 0 {
		sort.Slice(out, func(i, j int) bool { _, a := out[i].name(); _, b := out[j].name(); return a < b })
		m.score -= 0.05
		name, _ := out[0].name()
		m.issue(issue, "%s %q read as %s", what, typed, name)
	}
	return out
}

// name returns the name a reference stands for and a key unique in the city.
func (r nameRef) name() (name, key string) {
	switch r.kind {
	case nameRoad:
		return r.road.name, r.road.code
	case namePlace:
		return r.place.name, r.town.Code + "p" + strconv.FormatInt(r.place.id, 10)
	case nameVillage:
		return r.village.name, r.village.code
	}
	return r.town.Name, r.town.Code
}

// fuzzyRoads finds the roads of towns of which name is a typo.
func (m *matcher) fuzzyRoads(towns []*TownIndex, name string) []*roadEntry {
	var out []*roadEntry
	for _, ref := range m.typos(towns, name, nameRoad, IssueRoadCorrected, "road") {
		out = append(out, ref.road)
	}
	return out
}

// fuzzyPlaces finds the places of towns of which name is a typo.
func (m *matcher) fuzzyPlaces(towns []*TownIndex, name string) []*placeEntry {
	var out []*placeEntry
	for _, ref := range m.typos(towns, name, namePlace, IssuePlaceCorrected, "place") {
		out = append(out, ref.place)
	}
	return out
}

func (m *matcher) eachTown(towns []*TownIndex, f func(*TownIndex)) {
	if len(towns) == 0 {
		towns = m.ix.order
	}
	for _, t := range towns {
		f(t)
	}
}

// inVillageTowns keeps the roads and places of the towns of the villages
// written, when there are any.
func inVillageTowns(villages []*villageEntry, roads []*roadEntry, places []*placeEntry) ([]*roadEntry, []*placeEntry) {
	in := map[*TownIndex]bool{}
	for _, v := range villages {
		in[v.town] = true
	}
	var rs []*roadEntry
	for _, r := range roads {
		if in[r.town] {
			rs = append(rs, r)
		}
	}
	var ps []*placeEntry
	for _, p := range places {
		if in[p.town] {
			ps = append(ps, p)
		}
	}
	if len(rs) == 0 && len(ps) == 0 {
		return roads, places
	}
	return rs, ps
}

// A candidate is a doorplate or building the text may designate, with what
// was found below it.
type candidate struct {
	door     *doorEntry
	building *buildingEntry
	room     *roomEntry
	level    MatchLevel // the most precise level that matched
	want     MatchLevel // the level the text designates
	issues   []Issue
	near     []Address // nearest real addresses when something did not exist
	penalty  float64
}

// viaRoads resolves road + number (+ building, room) on each candidate road.
func (m *matcher) viaRoads(roads []*roadEntry) []candidate {
	var out, missing []candidate
	for _, r := range roads {
		d := r.doors[doorKey{m.parsed.Number, m.parsed.SubNumber}]
		if d == nil {
			c := candidate{level: AtRoad, want: AtDoorplate}
			c.issues = append(c.issues, Issue{IssueNumberNotFound, fmt.Sprintf("%s has no %s",
				r.name, DoorNumber(m.parsed.Number, m.parsed.SubNumber))})
			c.near = m.nearestNumbers(r)
			c.door = &doorEntry{road: r} // for the town and road of the report
			missing = append(missing, c)
			continue
		}
		out = append(out, m.below(d, d.buildings))
	}
	if len(out) == 0 {
		return missing
	}
	return out
}

// viaPlaces resolves a named place (+ building, room).
func (m *matcher) viaPlaces(places []*placeEntry) []candidate {
	var out []candidate
	for _, p := range places {
		if p.door == nil {
			continue
		}
		bs := p.buildings
		if len(bs) == 0 {
			bs = p.door.buildings
		}
		c := m.below(p.door, bs)
		if c.want == AtDoorplate {
			c.want = AtPlace
			if c.level == AtDoorplate {
				c.level = AtPlace
			}
		}
		out = append(out, c)
	}
	return out
}

// below resolves the building and room under a doorplate.
func (m *matcher) below(d *doorEntry, bs []*buildingEntry) candidate {
	c := candidate{door: d, level: AtDoorplate, want: AtDoorplate}
	p := m.parsed
	wantRoom := p.Room != ""
	switch {
	case p.Building != "":
		c.want = AtBuilding
		key := BuildingKey(p.Building)
		for _, b := range bs {
			if b.key == key {
				c.building = b
				break
			}
		}
		if c.building == nil {
			c.building = byBuildingNumber(bs, key)
		}
		if c.building == nil {
			c.issues = append(c.issues, Issue{IssueBuildingNotFound, fmt.Sprintf("%s%s has no building %s",
				d.road.name, DoorNumber(d.number, d.sub), p.Building)})
			for _, b := range bs {
				c.near = append(c.near, m.address(b.door, b, nil, AtBuilding))
			}
			if wantRoom {
				c.want = AtRoom
			}
			return c
		}
	case wantRoom:
		// No building written: find the room among the doorplate's buildings.
		var found []*buildingEntry
		for _, b := range bs {
			if len(m.rooms(b)) > 0 {
				found = append(found, b)
			}
		}
		switch {
		case len(found) == 1:
			c.building = found[0]
		case len(found) > 1:
			c.want = AtRoom
			c.issues = append(c.issues, Issue{IssueBuildingMissing, fmt.Sprintf("room %s is in %d buildings here: say which", p.Room, len(found))})
			for _, b := range found {
				for _, r := range m.rooms(b) {
					c.near = append(c.near, m.address(b.door, b, r, AtRoom))
				}
			}
			return c
		case len(bs) == 1:
			c.building = bs[0]
		default:
			c.want = AtRoom
			c.issues = append(c.issues, Issue{IssueRoomNotFound, fmt.Sprintf("no building at %s%s has room %s",
				d.road.name, DoorNumber(d.number, d.sub), p.Room)})
			for _, b := range bs {
				c.near = append(c.near, m.address(b.door, b, nil, AtBuilding))
			}
			return c
		}
	default:
		if len(bs) == 1 {
			c.building = bs[0]
		}
	}
	if c.building != nil && p.Building != "" {
		c.level = AtBuilding
	}
	if !wantRoom && p.Floor != 0 && c.building != nil {
		// A floor without a room (7号厂房3楼): the floor's room, when it has one.
		var on []*roomEntry
		for i := range c.building.rooms {
			if r := &c.building.rooms[i]; int(r.floor) == p.Floor && (p.Unit == "" || c.building.unit(r) == p.Unit) {
				on = append(on, r)
			}
		}
		c.want = AtRoom
		switch len(on) {
		case 1:
			c.room, c.level = on[0], AtRoom
		case 0:
			c.issues = append(c.issues, Issue{IssueRoomNotFound, fmt.Sprintf("%s has no floor %d", c.building.label, p.Floor)})
			c.near = m.nearestRooms(c.building)
		default:
			c.issues = append(c.issues, Issue{IssueRoomNotGiven, fmt.Sprintf("floor %d of %s has %d rooms: say which", p.Floor, c.building.label, len(on))})
			for _, r := range on {
				c.near = append(c.near, m.address(c.building.door, c.building, r, AtRoom))
			}
		}
		return c
	}
	if !wantRoom {
		if c.building != nil && p.Building != "" && len(c.building.rooms) > 0 && p.Floor == 0 {
			c.issues = append(c.issues, Issue{IssueRoomNotGiven, "the address names no room; registration needs the room"})
		}
		return c
	}
	c.want = AtRoom
	rs := m.rooms(c.building)
	switch len(rs) {
	case 0:
		c.issues = append(c.issues, Issue{IssueRoomNotFound, fmt.Sprintf("%s has no room %s",
			c.building.label, roomText(p.Unit, p.Room))})
		c.near = m.nearestRooms(c.building)
	case 1:
		c.room = rs[0]
		c.level = AtRoom
	default:
		c.issues = append(c.issues, Issue{IssueUnitMissing, fmt.Sprintf("room %s is in %d units of %s: say which unit",
			p.Room, len(rs), c.building.label)})
		for _, r := range rs {
			c.near = append(c.near, m.address(c.building.door, c.building, r, AtRoom))
		}
	}
	return c
}

// byBuildingNumber finds the building a bare number designates when the
// doorplate numbers its buildings another way: 9栋 or 9号楼 for 9号厂房, when
// no building there is simply numbered.
func byBuildingNumber(bs []*buildingEntry, key string) *buildingEntry {
	if !isDigits(key) {
		return nil
	}
	var found *buildingEntry
	for _, b := range bs {
		if isDigits(b.key) {
			return nil // the doorplate has plainly numbered buildings: 9 is not among them
		}
		if strings.TrimLeft(b.key, "厂房宿舍楼仓库") == key {
			if found != nil {
				return nil
			}
			found = b
		}
	}
	return found
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// rooms returns the rooms of b that the parsed room, unit and floor designate.
func (m *matcher) rooms(b *buildingEntry) []*roomEntry {
	p := m.parsed
	key := RoomKey(p.Room)
	var out []*roomEntry
	for i := range b.rooms {
		r := &b.rooms[i]
		if b.roomKey(r) != key {
			continue
		}
		if p.Unit != "" && b.unit(r) != p.Unit {
			continue
		}
		if p.Floor != 0 && int(r.floor) != p.Floor {
			continue
		}
		out = append(out, r)
	}
	return out
}

func roomText(unit, room string) string { return unit + room }

// nearestNumbers returns real doorplates on r closest to the number asked for,
// same side of the road (parity) first.
func (m *matcher) nearestNumbers(r *roadEntry) []Address {
	n := m.parsed.Number
	nums := append([]int(nil), r.numbers...)
	sort.SliceStable(nums, func(i, j int) bool {
		pi, pj := nums[i]%2 != n%2, nums[j]%2 != n%2
		if pi != pj {
			return !pi
		}
		return abs(nums[i]-n) < abs(nums[j]-n)
	})
	var out []Address
	for _, x := range nums {
		if len(out) == maxCandidates {
			break
		}
		if d := r.doors[doorKey{x, m.parsed.SubNumber}]; d != nil && m.parsed.SubNumber != 0 {
			out = append(out, m.address(d, nil, nil, AtDoorplate))
		} else if d := r.doors[doorKey{x, 0}]; d != nil {
			out = append(out, m.address(d, nil, nil, AtDoorplate))
		}
	}
	return out
}

// nearestRooms returns real rooms of b near the one asked for: same unit and
// floor first, then by label.
func (m *matcher) nearestRooms(b *buildingEntry) []Address {
	p := m.parsed
	floor := p.Floor
	want := RoomKey(p.Room)
	if floor == 0 {
		floor = floorOf(want)
	}
	idx := make([]int, len(b.rooms))
	for i := range idx {
		idx[i] = i
	}
	rank := func(r *roomEntry) (int, int) {
		k := 0
		if p.Unit != "" && b.unit(r) != p.Unit {
			k += 2
		}
		if int(r.floor) != floor {
			k++
		}
		return k, abs(atoiPrefix(b.roomKey(r)) - atoiPrefix(want))
	}
	sort.SliceStable(idx, func(i, j int) bool {
		ki, di := rank(&b.rooms[idx[i]])
		kj, dj := rank(&b.rooms[idx[j]])
		if ki != kj {
			return ki < kj
		}
		return di < dj
	})
	var out []Address
	for _, i := range idx {
		if len(out) == maxCandidates {
			break
		}
		out = append(out, m.address(b.door, b, &b.rooms[i], AtRoom))
	}
	return out
}

// floorOf reads the floor a room label implies: 301 → 3, 1502 → 15.
func floorOf(key string) int {
	n := atoiPrefix(key)
	if n >= 100 {
		return n / 100
	}
	return 0
}

func atoiPrefix(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// decide turns the candidates into the verdict.
func (m *matcher) decide(cands []candidate, villages []*villageEntry) {
	var full, partial []candidate
	for _, c := range cands {
		if c.level == c.want && len(c.near) == 0 {
			full = append(full, c)
		} else {
			partial = append(partial, c)
		}
	}
	// A village written in the text separates candidates in several towns
	// or roads of the same name.
	if len(full) > 1 && len(villages) > 0 {
		var inVillage []candidate
		for _, c := range full {
			for _, v := range villages {
				if c.door.villageCode == v.code {
					inVillage = append(inVillage, c)
					break
				}
			}
		}
		if len(inVillage) > 0 {
			full = inVillage
		}
	}
	switch {
	case len(full) == 1:
		c := full[0]
		m.res.Status = Matched
		m.res.Level = c.level
		m.res.Issues = append(m.res.Issues, c.issues...)
		m.checkVillage(c, villages)
		m.checkBuilding(c)
		a := m.address(c.door, c.building, c.room, c.level)
		m.res.Score = clamp(m.score - c.penalty)
		a.Score = m.res.Score
		m.res.Address = &a
	case len(full) > 1:
		m.res.Status = Ambiguous
		m.res.Level = full[0].level
		m.res.Score = clamp(m.score * 0.5)
		m.issue(IssueMultipleTowns, "%d standard addresses fit: name the town or village", len(full))
		for _, c := range full {
			a := m.address(c.door, c.building, c.room, c.level)
			a.Score = m.res.Score
			m.res.Candidates = append(m.res.Candidates, a)
		}
	default:
		c := partial[0]
		m.res.Status = NotFound
		if len(c.issues) > 0 && (c.issues[0].Code == IssueUnitMissing || c.issues[0].Code == IssueBuildingMissing) {
			m.res.Status = Ambiguous
		}
		m.res.Level = c.level
		m.res.Issues = append(m.res.Issues, c.issues...)
		m.res.Score = clamp(m.score * levelWeight(c.level))
		for _, a := range c.near {
			a.Score = clamp(m.res.Score * 0.9)
			m.res.Candidates = append(m.res.Candidates, a)
		}
		// Same number on a road of the same name elsewhere, if any.
		for _, o := range partial[1:] {
			m.res.Issues = append(m.res.Issues, o.issues...)
		}
	}
	if len(m.res.Candidates) > maxCandidates {
		m.res.Candidates = m.res.Candidates[:maxCandidates]
	}
}

func levelWeight(l MatchLevel) float64 {
	switch l {
	case AtBuilding:
		return 0.7
	case AtDoorplate, AtPlace:
		return 0.6
	case AtRoad:
		return 0.4
	case AtVillage:
		return 0.3
	case AtTown:
		return 0.2
	}
	return 0
}

func clamp(x float64) float64 {
	switch {
	case x < 0:
		return 0
	case x > 1:
		return 1
	}
	return float64(int(x*1000+0.5)) / 1000
}

func (m *matcher) checkVillage(c candidate, villages []*villageEntry) {
	if len(villages) == 0 || c.door == nil {
		return
	}
	for _, v := range villages {
		if v.code == c.door.villageCode {
			return
		}
	}
	m.score -= 0.05
	m.issue(IssueVillageMismatch, "the text names %s but the address is in %s", villages[0].name,
		c.door.road.town.villageName(c.door.villageCode))
}

func (m *matcher) checkBuilding(c candidate) {
	if c.building == nil {
		return
	}
	switch c.building.status {
	case StatusDemolished:
		m.issue(IssueDemolished, "building %s is demolished", c.building.label)
	case StatusSlated:
		m.issue(IssueSlated, "building %s is slated for demolition", c.building.label)
	}
}

// roadOnly answers a text that names a road but no number.
func (m *matcher) roadOnly(roads []*roadEntry) {
	m.res.Status = NotFound
	m.res.Level = AtRoad
	m.res.Score = clamp(m.score * levelWeight(AtRoad))
	m.issue(IssueNumberMissing, "the address names %s but no doorplate number", roads[0].name)
	for _, r := range roads {
		a := Address{Code: r.code, Full: "东莞市" + r.town.Name + r.name, Level: AtRoad, TownCode: r.town.Code,
			Components: Components{City: "东莞市", Town: r.town.Name, Road: r.name}, Score: m.res.Score}
		m.res.Candidates = append(m.res.Candidates, a)
		if len(m.res.Candidates) == maxCandidates {
			break
		}
	}
}

// nothing answers a text in which no road or place was found.
func (m *matcher) nothing(towns []*TownIndex, villages []*villageEntry) {
	m.res.Status = NotFound
	switch {
	case len(villages) > 0:
		m.res.Level = AtVillage
	case len(towns) > 0:
		m.res.Level = AtTown
	}
	m.res.Score = clamp(m.score * levelWeight(m.res.Level))
	what := m.parsed.Road
	if what == "" {
		what = m.parsed.Place
	}
	if what != "" {
		m.issue(IssueRoadNotFound, "no road or place called %s in the library", what)
	} else {
		m.issue(IssueRoadNotFound, "no road or named place of the library found in the address")
	}
	if len(towns) == 0 && m.parsed.Town != "" {
		m.issue(IssueTownNotFound, "no town called %s in Dongguan", m.parsed.Town)
	}
}

func (t *TownIndex) villageName(code string) string {
	if v := t.villageByCode[code]; v != nil {
		return v.name
	}
	return ""
}

// address writes the standard address of a doorplate, building or room.
func (m *matcher) address(d *doorEntry, b *buildingEntry, r *roomEntry, level MatchLevel) Address {
	t := d.road.town
	c := Components{City: "东莞市", Town: t.Name, Village: t.villageName(d.villageCode), Road: d.road.name,
		Number: d.number, SubNumber: d.sub}
	a := Address{Code: d.code, Level: level, Lon: d.lon, Lat: d.lat, GridCode: d.gridCode,
		VillageCode: d.villageCode, TownCode: t.Code}
	full := "东莞市" + t.Name + c.Village + d.road.name + DoorNumber(d.number, d.sub)
	if b != nil {
		a.BuildingID = b.id
		a.GridCode = b.gridCode
		c.Building = b.label
		if b.place != nil {
			c.Place = b.place.name
		}
		full += b.label
	}
	if r != nil {
		a.Code = r.roomCode()
		c.Unit, c.Floor, c.Room = b.unit(r), int(r.floor), b.roomLabel(r)
		full += c.Unit + c.Room
		if isRoomNumber(c.Room) {
			full += "室"
		}
	}
	a.Full, a.Components = full, c
	return a
}

// isRoomNumber reports whether a room label is a number (301, B101) that
// takes 室 in the full address.
func isRoomNumber(s string) bool {
	s = strings.TrimPrefix(s, "B")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

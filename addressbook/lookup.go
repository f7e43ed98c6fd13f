package addressbook

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// Doorplate returns the standard address of an active doorplate, with its
// building when it has exactly one.
func (ix *Index) Doorplate(code string) (Address, bool) {
	if len(code) < 9 {
		return Address{}, false
	}
	t := ix.towns[code[:9]]
	if t == nil {
		return Address{}, false
	}
	d := t.doorByCode[code]
	if d == nil {
		return Address{}, false
	}
	var b *buildingEntry
	if len(d.buildings) == 1 {
		b = d.buildings[0]
	}
	m := matcher{ix: ix}
	return m.address(d, b, nil, AtDoorplate), true
}

// Room returns the standard address of an active room of building id.
func (ix *Index) Room(buildingID int64, code string) (Address, bool) {
	if len(code) < 9 {
		return Address{}, false
	}
	t := ix.towns[code[:9]]
	if t == nil {
		return Address{}, false
	}
	b := t.buildingByID[buildingID]
	if b == nil {
		return Address{}, false
	}
	n, err := strconv.ParseUint(code, 10, 64)
	if err != nil {
		return Address{}, false
	}
	for i := range b.rooms {
		if b.rooms[i].code == n {
			m := matcher{ix: ix}
			return m.address(b.door, b, &b.rooms[i], AtRoom), true
		}
	}
	return Address{}, false
}

// Search answers a clerk's type-ahead: q is the beginning of an address.
// When q names a road (or place) and the start of a number, the doorplates
// whose numbers begin so are listed; when it names a doorplate, its rooms;
// otherwise the roads and places whose names begin with the last words
// typed, then those within an edit or two. Results are ranked and stable;
// offset and limit page through them.
func (ix *Index) Search(q, townCode string, offset, limit int) (items []Address, more bool) {
	m := &matcher{ix: ix, score: 1}
	var norm string
	m.parsed, norm = parse(q)
	m.text = []rune(norm)
	if len(m.text) == 0 || len(m.text) > MaxAddressRunes {
		return nil, false
	}
	var all []Address
	towns := m.towns(townCode)
	roads, places, _ := m.names(towns)
	switch {
	case len(roads) > 0 && m.parsed.Number > 0:
		all = m.searchRooms(roads)
	case len(roads) > 0:
		all = m.searchNumbers(roads, digitsAfter(m.text, roads[0].name))
	case len(places) > 0:
		for _, p := range places {
			for _, b := range p.buildings {
				all = append(all, m.address(b.door, b, nil, AtBuilding))
			}
		}
	default:
		all = m.searchNames(towns)
	}
	if offset >= len(all) {
		return nil, false
	}
	end := min(offset+limit, len(all))
	return all[offset:end], end < len(all)
}

// digitsAfter returns the digits typed after name in text (兴发南路12 → "12").
func digitsAfter(text []rune, name string) string {
	s := string(text)
	i := strings.LastIndex(s, name)
	if i < 0 {
		return ""
	}
	rest := s[i+len(name):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	return rest[:j]
}

// searchNumbers lists the doorplates of roads whose number starts with prefix.
func (m *matcher) searchNumbers(roads []*roadEntry, prefix string) []Address {
	var out []Address
	for _, r := range roads {
		keys := make([]doorKey, 0, len(r.doors))
		for k := range r.doors {
			if prefix == "" || strings.HasPrefix(strconv.Itoa(k.number), prefix) {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].number != keys[j].number {
				return keys[i].number < keys[j].number
			}
			return keys[i].sub < keys[j].sub
		})
		for _, k := range keys {
			d := r.doors[k]
			var b *buildingEntry
			if len(d.buildings) == 1 {
				b = d.buildings[0]
			}
			out = append(out, m.address(d, b, nil, AtDoorplate))
		}
	}
	return out
}

// searchRooms lists the buildings and rooms of a doorplate that fit what was
// typed of the building and room.
func (m *matcher) searchRooms(roads []*roadEntry) []Address {
	var out []Address
	bkey := ""
	if m.parsed.Building != "" {
		bkey = BuildingKey(m.parsed.Building)
	}
	rkey := ""
	if m.parsed.Room != "" {
		rkey = RoomKey(m.parsed.Room)
	}
	for _, r := range roads {
		d := r.doors[doorKey{m.parsed.Number, m.parsed.SubNumber}]
		if d == nil {
			continue
		}
		for _, b := range d.buildings {
			if bkey != "" && b.key != bkey {
				continue
			}
			if bkey == "" && rkey == "" {
				out = append(out, m.address(d, b, nil, AtBuilding))
				continue
			}
			for i := range b.rooms {
				rm := &b.rooms[i]
				if rkey == "" || strings.HasPrefix(b.roomKey(rm), rkey) {
					if m.parsed.Unit == "" || b.unit(rm) == m.parsed.Unit {
						out = append(out, m.address(d, b, rm, AtRoom))
					}
				}
			}
		}
	}
	return out
}

// searchNames lists roads and places whose names begin with the text typed
// after the last town or village name, then those within an edit or two.
func (m *matcher) searchNames(towns []*TownIndex) []Address {
	// What was typed after the town (the first, longest town name) is the
	// beginning of a road or place name.
	s := string(m.text)
	start, end := -1, -1
	for _, h := range m.ix.aliases.scan(m.text) {
		if start == -1 || h.start < start || h.start == start && h.end > end {
			start, end = h.start, h.end
		}
	}
	if end > 0 {
		s = string(m.text[end:])
	}
	s = strings.TrimPrefix(s, "东莞市")
	if utf8.RuneCountInString(s) == 0 {
		return nil
	}
	type named struct {
		name, kind string
		a          Address
	}
	var found []named
	seen := map[string]bool{}
	add := func(t *TownIndex, fuzzy bool) {
		for _, r := range t.roads {
			if matchesName(r.name, s, fuzzy) && !seen[r.code] {
				seen[r.code] = true
				found = append(found, named{r.name, "road", Address{Code: r.code, Full: "东莞市" + t.Name + r.name,
					Level: AtRoad, TownCode: t.Code, Components: Components{City: "东莞市", Town: t.Name, Road: r.name}}})
			}
		}
		for _, p := range t.places {
			if p.door != nil && matchesName(p.name, s, fuzzy) && !seen["p"+strconv.FormatInt(p.id, 10)] {
				seen["p"+strconv.FormatInt(p.id, 10)] = true
				a := m.address(p.door, nil, nil, AtPlace)
				a.Components.Place = p.name
				a.Full = "东莞市" + t.Name + p.name + "（" + a.Components.Road + DoorNumber(a.Components.Number, a.Components.SubNumber) + "）"
				found = append(found, named{p.name, "place", a})
			}
		}
	}
	m.eachTown(towns, func(t *TownIndex) { add(t, false) })
	if len(found) == 0 {
		m.eachTown(towns, func(t *TownIndex) { add(t, true) })
	}
	sort.SliceStable(found, func(i, j int) bool {
		li, lj := utf8.RuneCountInString(found[i].name), utf8.RuneCountInString(found[j].name)
		if li != lj {
			return li < lj
		}
		return found[i].a.Code < found[j].a.Code
	})
	out := make([]Address, len(found))
	for i, f := range found {
		out[i] = f.a
	}
	return out
}

// matchesName reports whether name begins with prefix or, when fuzzy, its
// beginning is within the edits allowed for the prefix's length.
func matchesName(name, prefix string, fuzzy bool) bool {
	if strings.HasPrefix(name, prefix) {
		return true
	}
	if !fuzzy {
		return false
	}
	n := utf8.RuneCountInString(prefix)
	limit := maxEdits(n)
	if limit == 0 {
		return false
	}
	rs := []rune(name)
	if len(rs) > n {
		rs = rs[:n]
	}
	return levenshtein.ComputeDistance(string(rs), prefix) <= limit
}

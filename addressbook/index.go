package addressbook

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// TownData is what the index needs of one town's library: active rows only,
// with no footprints (a doorplate's point is the location of its addresses).
type TownData struct {
	Town       Town
	Villages   []Village
	Roads      []Road
	Doorplates []Doorplate
	Places     []Place
	Buildings  []Building
	Rooms      []Room
}

// An Index is an immutable in-memory view of the whole library, partitioned
// by town so that a change to one town rebuilds only that town. Build one with
// NewIndex; derive an updated one with WithTowns. Safe for concurrent readers.
type Index struct {
	towns    map[string]*TownIndex
	order    []*TownIndex // by code
	aliases  *trie        // town names and aliases → *TownIndex
	names    *trie        // every road, place and village name of the city
	typos    typoIndex    // every road and place name of the city, for typo lookups
	built    time.Time
	rooms    int
	doorplts int
}

// A TownIndex is the index of one town.
type TownIndex struct {
	Code, Name, Kind string
	villages         map[string]*villageEntry // by name
	villageByCode    map[string]*villageEntry
	roads            map[string]*roadEntry // by name
	places           map[string]*placeEntry
	names            []namedRef // the town's road, place and village names, for the city's trie
	typos            typoIndex
	strs             []string // room units, labels and keys, shared by all rooms of the town
	doorByCode       map[string]*doorEntry
	buildingByID     map[int64]*buildingEntry
	rooms, doors     int
}

type villageEntry struct {
	code, name string
	town       *TownIndex
}

type roadEntry struct {
	code, name string
	town       *TownIndex
	doors      map[doorKey]*doorEntry
	numbers    []int // distinct numbers, sorted, for nearest-number candidates
}

type doorKey struct{ number, sub int }

type doorEntry struct {
	code        string
	road        *roadEntry
	number, sub int
	villageCode string
	gridCode    string
	lon, lat    float64
	buildings   []*buildingEntry
}

type buildingEntry struct {
	id       int64
	label    string
	key      string // BuildingKey(label)
	use      string
	status   string
	floors   int
	gridCode string
	village  string
	door     *doorEntry
	place    *placeEntry
	rooms    []roomEntry
}

// roomEntry is one room; 6.7M of them make up most of the city index, so
// the code is kept as a number and the strings are shared (interned).
type roomEntry struct {
	code             uint64
	unit, label, key uint32 // into the town's strs; key is RoomKey(label)
	floor            int16
}

// roomCode writes a room code back as its 18 digits.
func (r *roomEntry) roomCode() string {
	s := strconv.FormatUint(r.code, 10)
	for len(s) < 18 {
		s = "0" + s
	}
	return s
}

type placeEntry struct {
	id          int64
	name, kind  string
	town        *TownIndex
	villageCode string
	door        *doorEntry
	buildings   []*buildingEntry
}

// nameKind tells what a gazetteer name is.
type nameKind uint8

const (
	nameVillage nameKind = iota
	nameRoad
	namePlace
	nameTown
)

// namedRef is a name and what it stands for.
type namedRef struct {
	name string
	ref  nameRef
}

// nameRef is one thing a name in a trie stands for.
type nameRef struct {
	kind    nameKind
	town    *TownIndex
	village *villageEntry
	road    *roadEntry
	place   *placeEntry
}

// BuildTown indexes one town's library.
func BuildTown(d TownData) *TownIndex {
	t := &TownIndex{
		Code: d.Town.Code, Name: d.Town.Name, Kind: d.Town.Kind,
		villages:      make(map[string]*villageEntry, len(d.Villages)),
		villageByCode: make(map[string]*villageEntry, len(d.Villages)),
		roads:         make(map[string]*roadEntry, len(d.Roads)),
		places:        make(map[string]*placeEntry, len(d.Places)),
		typos:         typoIndex{},
	}
	intern := newInterner()
	for _, v := range d.Villages {
		ve := &villageEntry{code: v.Code, name: v.Name, town: t}
		t.villages[v.Name] = ve
		t.villageByCode[v.Code] = ve
		for _, n := range villageNames(v.Name) {
			t.names = append(t.names, namedRef{n, nameRef{kind: nameVillage, town: t, village: ve}})
		}
	}
	roadsByCode := make(map[string]*roadEntry, len(d.Roads))
	for _, r := range d.Roads {
		re := &roadEntry{code: r.Code, name: r.Name, town: t, doors: map[doorKey]*doorEntry{}}
		t.roads[r.Name] = re
		roadsByCode[r.Code] = re
		t.names = append(t.names, namedRef{r.Name, nameRef{kind: nameRoad, town: t, road: re}})
		t.typos.add(r.Name, nameRef{kind: nameRoad, town: t, road: re})
	}
	doors := make(map[string]*doorEntry, len(d.Doorplates))
	for _, dp := range d.Doorplates {
		re := roadsByCode[dp.RoadCode]
		if re == nil || dp.RetiredAt != nil {
			continue
		}
		de := &doorEntry{code: dp.Code, road: re, number: dp.Number, sub: dp.SubNumber,
			villageCode: dp.VillageCode, gridCode: dp.GridCode, lon: dp.Geom[0], lat: dp.Geom[1]}
		re.doors[doorKey{dp.Number, dp.SubNumber}] = de
		doors[dp.Code] = de
		t.doors++
	}
	for _, re := range roadsByCode {
		seen := map[int]bool{}
		for k := range re.doors {
			if !seen[k.number] {
				seen[k.number] = true
				re.numbers = append(re.numbers, k.number)
			}
		}
		sort.Ints(re.numbers)
	}
	places := make(map[int64]*placeEntry, len(d.Places))
	for _, p := range d.Places {
		pe := &placeEntry{id: p.ID, name: p.Name, kind: p.Kind, town: t, villageCode: p.VillageCode, door: doors[p.DoorplateCode]}
		t.places[p.Name] = pe
		places[p.ID] = pe
		t.names = append(t.names, namedRef{p.Name, nameRef{kind: namePlace, town: t, place: pe}})
		t.typos.add(p.Name, nameRef{kind: namePlace, town: t, place: pe})
	}
	buildings := make(map[int64]*buildingEntry, len(d.Buildings))
	for _, b := range d.Buildings {
		de := doors[b.DoorplateCode]
		if de == nil {
			continue
		}
		be := &buildingEntry{id: b.ID, label: b.Label, key: BuildingKey(b.Label), use: b.Use, status: b.Status,
			floors: b.Floors, gridCode: b.GridCode, village: b.VillageCode, door: de, place: places[b.PlaceID]}
		de.buildings = append(de.buildings, be)
		if be.place != nil {
			be.place.buildings = append(be.place.buildings, be)
		}
		buildings[b.ID] = be
	}
	for _, r := range d.Rooms {
		be := buildings[r.BuildingID]
		if be == nil || r.RetiredAt != nil {
			continue
		}
		code, err := strconv.ParseUint(r.Code, 10, 64)
		if err != nil {
			continue // not a room code; the schema does not allow it
		}
		be.rooms = append(be.rooms, roomEntry{code: code, unit: intern.id(r.Unit),
			label: intern.id(r.Label), key: intern.key(r.Label), floor: int16(r.Floor)})
		t.rooms++
	}
	t.doorByCode = doors
	t.buildingByID = buildings
	t.strs = intern.strs
	for _, b := range buildings {
		b.rooms = slices.Clip(b.rooms)
	}
	return t
}

// villageNames returns the names a village is written by: 主山社区, 主山村, 主山.
func villageNames(name string) []string {
	out := []string{name}
	for _, suf := range []string{"社区居委会", "村委会", "居委会", "社区", "村"} {
		if base, ok := strings.CutSuffix(name, suf); ok && len([]rune(base)) >= 2 {
			out = append(out, base+"社区", base+"村", base+"村委会", base+"居委会")
			break
		}
	}
	return dedupe(out)
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// NewIndex builds the city index from its towns.
func NewIndex(towns []*TownIndex) *Index {
	m := make(map[string]*TownIndex, len(towns))
	for _, t := range towns {
		m[t.Code] = t
	}
	return assemble(m)
}

// WithTowns returns a new index in which the given towns replace (or add to)
// those of ix; the other towns are shared, not copied.
func (ix *Index) WithTowns(towns ...*TownIndex) *Index {
	m := make(map[string]*TownIndex, len(ix.towns)+len(towns))
	for k, v := range ix.towns {
		m[k] = v
	}
	for _, t := range towns {
		m[t.Code] = t
	}
	return assemble(m)
}

func assemble(m map[string]*TownIndex) *Index {
	ix := &Index{towns: m, aliases: newTrie(), names: newTrie(), typos: typoIndex{}, built: time.Now()}
	for _, t := range m {
		ix.order = append(ix.order, t)
	}
	sort.Slice(ix.order, func(i, j int) bool { return ix.order[i].Code < ix.order[j].Code })
	for _, t := range ix.order {
		for _, a := range townAliases(t.Name, t.Kind) {
			ix.aliases.add(a, nameRef{kind: nameTown, town: t})
		}
		for _, n := range t.names {
			ix.names.add(n.name, n.ref)
		}
		for k, refs := range t.typos {
			ix.typos[k] = append(ix.typos[k], refs...)
		}
		ix.rooms += t.rooms
		ix.doorplts += t.doors
	}
	return ix
}

// townAliases returns the ways a town is written: 南城街道, 南城, 南城区,
// 南城街道办(事处), 东莞南城 …; for functional zones their common names.
func townAliases(name, kind string) []string {
	out := []string{name}
	base := name
	for _, suf := range []string{"街道", "镇"} {
		if b, ok := strings.CutSuffix(name, suf); ok {
			base = b
		}
	}
	base = strings.TrimPrefix(base, "东莞")
	out = append(out, base, base+"区", base+"镇", base+"街道", base+"街道办", base+"街道办事处", base+"街")
	switch base {
	case "松山湖":
		out = append(out, "松山湖高新区", "松山湖园区", "松山湖管委会", "松山湖高新技术产业开发区")
	case "滨海湾新区":
		out = append(out, "滨海湾", "东莞滨海湾")
	case "生态园":
		out = append(out, "东莞生态园", "生态园区")
	case "东莞港":
		out = append(out, "东莞港", "港区")
	}
	if len([]rune(base)) < 2 {
		return []string{name}
	}
	return dedupe(out)
}

// Stats describes an index.
type Stats struct {
	Towns, Doorplates, Rooms int
	Built                    time.Time
}

// Stats returns the size of the index.
func (ix *Index) Stats() Stats {
	return Stats{Towns: len(ix.towns), Doorplates: ix.doorplts, Rooms: ix.rooms, Built: ix.built}
}

// Town returns the town with code, or nil.
func (ix *Index) Town(code string) *TownIndex { return ix.towns[code] }

// interner numbers the distinct short strings of a town's rooms (units,
// labels, keys): 6.7M rooms hold a few thousand, so a room keeps 4-byte
// numbers instead of 16-byte strings. It also remembers the room key of each
// label, so RoomKey runs once per label.
type interner struct {
	strs []string
	ids  map[string]uint32
	keys map[string]uint32
}

func newInterner() *interner {
	return &interner{ids: map[string]uint32{}, keys: map[string]uint32{}}
}

func (in *interner) id(s string) uint32 {
	if v, ok := in.ids[s]; ok {
		return v
	}
	s = strings.Clone(s)
	id := uint32(len(in.strs))
	in.strs = append(in.strs, s)
	in.ids[s] = id
	return id
}

// key returns the number of RoomKey(label).
func (in *interner) key(label string) uint32 {
	if k, ok := in.keys[label]; ok {
		return k
	}
	k := in.id(RoomKey(label))
	in.keys[in.strs[in.id(label)]] = k
	return k
}

// unit, label and key of a room of building b.
func (b *buildingEntry) unit(r *roomEntry) string      { return b.door.road.town.strs[r.unit] }
func (b *buildingEntry) roomLabel(r *roomEntry) string { return b.door.road.town.strs[r.label] }
func (b *buildingEntry) roomKey(r *roomEntry) string {
	return b.door.road.town.strs[r.key]
}

// trie maps names to what they stand for; scanning a text finds every name
// that occurs in it in one pass per start position. Children are kept in
// sorted slices: below the first character most nodes have one or two.
type trie struct {
	root *trieNode
}

type trieNode struct {
	keys []rune
	kids []*trieNode
	refs []nameRef
}

func newTrie() *trie { return &trie{root: &trieNode{}} }

// child returns n's child for r, or nil.
func (n *trieNode) child(r rune) *trieNode {
	keys := n.keys
	if len(keys) <= 8 {
		for i, k := range keys {
			if k == r {
				return n.kids[i]
			}
		}
		return nil
	}
	i := sort.Search(len(keys), func(i int) bool { return keys[i] >= r })
	if i < len(keys) && keys[i] == r {
		return n.kids[i]
	}
	return nil
}

// childOrNew returns n's child for r, adding it if needed.
func (n *trieNode) childOrNew(r rune) *trieNode {
	i := sort.Search(len(n.keys), func(i int) bool { return n.keys[i] >= r })
	if i < len(n.keys) && n.keys[i] == r {
		return n.kids[i]
	}
	c := &trieNode{}
	n.keys = append(n.keys, 0)
	n.kids = append(n.kids, nil)
	copy(n.keys[i+1:], n.keys[i:])
	copy(n.kids[i+1:], n.kids[i:])
	n.keys[i], n.kids[i] = r, c
	return c
}

func (t *trie) add(name string, ref nameRef) {
	n := t.root
	for _, r := range name {
		n = n.childOrNew(r)
	}
	n.refs = append(n.refs, ref)
}

// hit is a name found in a text: runes [start, end) of it.
type hit struct {
	start, end int
	refs       []nameRef
}

// scan returns every name of t found in text (as runes).
func (t *trie) scan(text []rune) []hit {
	var hits []hit
	for i := range text {
		n := t.root
		for j := i; j < len(text); j++ {
			n = n.child(text[j])
			if n == nil {
				break
			}
			if len(n.refs) > 0 {
				hits = append(hits, hit{start: i, end: j + 1, refs: n.refs})
			}
		}
	}
	return hits
}

// typoIndex finds the names one typo away from a typed name without comparing
// it with every name (symmetric deletion): each name is filed under itself
// and under every way of dropping one of its characters; a typed name is
// looked up the same way. A substitution, an insertion or a deletion then
// always meets its name under a common key; typoOf confirms.
type typoIndex map[string][]nameRef

func (ti typoIndex) add(name string, ref nameRef) {
	for _, k := range deletions(name) {
		ti[k] = append(ti[k], ref)
	}
}

// lookup returns the names that may be one typo away from typed.
func (ti typoIndex) lookup(typed string) []nameRef {
	var out []nameRef
	for _, k := range deletions(typed) {
		out = append(out, ti[k]...)
	}
	return out
}

// deletions returns s and every string made by dropping one rune of it.
func deletions(s string) []string {
	rs := []rune(s)
	out := make([]string, 0, len(rs)+1)
	out = append(out, s)
	if len(rs) < 3 {
		return out
	}
	buf := make([]rune, 0, len(rs)-1)
	for i := range rs {
		buf = append(append(buf[:0], rs[:i]...), rs[i+1:]...)
		out = append(out, string(buf))
	}
	return out
}

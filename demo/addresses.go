package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
)

// Noise kinds of an address case: how a clerk wrote an address that exists.
// The strings are stable; reports use them.
const (
	NoiseClean            = "clean"                 // the standard form: 东莞市长安镇兴发南路128号3栋502
	NoiseNoAdmin          = "no_admin"              // town or city left out: 长安镇兴发南路…, 东莞市上沙社区兴发南路…, 兴发南路…
	NoiseDoubledAdmin     = "doubled_admin"         // 广东省东莞市东莞市长安镇…, 长安镇长安镇…
	NoiseInformalTown     = "informal_town"         // 东莞南城, 南城区 for 南城街道, 长安 for 长安镇, 松山湖高新区
	NoiseZoneForTown      = "zone_for_town"         // a functional zone written for the town of an address near it: 东莞市松山湖…
	NoiseWithVillage      = "with_village"          // the village or community written: 长安镇上沙社区兴发南路…
	NoiseChineseNumerals  = "chinese_numerals"      // 一百零八号, 三栋, 三楼, 一单元
	NoiseFullwidth        = "fullwidth"             // １０８号, Ａ座
	NoiseTraditional      = "traditional"           // 號, 樓, 東莞市, 長安鎮
	NoiseHashNumber       = "hash_number"           // 108#, 3#楼
	NoiseSubNumberVariant = "sub_number_variant"    // 108-1号, 108号之1, 108之1号 for 108号之一
	NoiseBuildingVariant  = "building_variant"      // 1幢, 1座, 1号楼, 第1栋, or no building at a doorplate with one
	NoiseRoomVariant      = "room_variant"          // 301室, 301房, 3楼301, 3楼 for the only flat of a floor, 3号铺位
	NoisePlace            = "place_instead_of_road" // 汇峰大厦15楼1501, 长安工业区3号厂房, 金域花园5栋502
	NoiseRemarks          = "remarks"               // （自编A区）, （上沙市场对面）, ，近兴发南路口
	NoiseSpaces           = "spaces"                // 东莞市 长安镇 兴发南路128号 3栋 502
	NoiseTypo             = "typo"                  // one character of a name mistyped: 塘夏镇, 道教镇, 星发南路
	NoiseCombined         = "combined"              // two or three of the above
)

// Fabricated kinds: addresses that do not exist, which the matcher must
// refuse rather than snap to a neighbour.
const (
	FabricatedWrongNumber   = "wrong_number"   // a number no doorplate of the road has
	FabricatedWrongRoom     = "wrong_room"     // a room the building does not have
	FabricatedWrongRoad     = "wrong_road"     // a road the town does not have
	FabricatedWrongBuilding = "wrong_building" // a building label not at the doorplate
)

// Levels of a case: the most precise part of the library its text names.
const (
	LevelRoom      = "room"
	LevelBuilding  = "building"
	LevelDoorplate = "doorplate"
)

// caseKind indexes the kinds above.
type caseKind int

const (
	kClean caseKind = iota
	kNoAdmin
	kDoubledAdmin
	kInformalTown
	kZoneForTown
	kWithVillage
	kChineseNumerals
	kFullwidth
	kTraditional
	kHashNumber
	kSubNumberVariant
	kBuildingVariant
	kRoomVariant
	kPlaceInsteadOfRoad
	kRemarks
	kSpaces
	kTypo
	kCombined
	kWrongNumber
	kWrongRoom
	kWrongRoad
	kWrongBuilding
	numCaseKinds
)

func (k caseKind) fabricated() bool { return k >= kWrongNumber }

var kindNames = [numCaseKinds]string{
	NoiseClean, NoiseNoAdmin, NoiseDoubledAdmin, NoiseInformalTown, NoiseZoneForTown, NoiseWithVillage,
	NoiseChineseNumerals, NoiseFullwidth, NoiseTraditional, NoiseHashNumber, NoiseSubNumberVariant,
	NoiseBuildingVariant, NoiseRoomVariant, NoisePlace, NoiseRemarks, NoiseSpaces, NoiseTypo, NoiseCombined,
	FabricatedWrongNumber, FabricatedWrongRoom, FabricatedWrongRoad, FabricatedWrongBuilding,
}

// kindShares is each kind's share of GenerateAddressCases, per mille: 70 %
// existing (8 % clean, 6 % combined, 2 % zone_for_town, which only fits
// addresses near a zone, 3.6 % each other noise), 30 % fabricated.
var kindShares = [numCaseKinds]float64{
	80, 36, 36, 36, 20, 36,
	36, 36, 36, 36, 36,
	36, 36, 36, 36, 36, 36, 60,
	75, 75, 75, 75,
}

// NoiseKinds returns the noise kinds of existing addresses, clean first.
func NoiseKinds() []string { return slices.Clone(kindNames[:kWrongNumber]) }

// FabricatedKinds returns the kinds of addresses that do not exist.
func FabricatedKinds() []string { return slices.Clone(kindNames[kWrongNumber:]) }

// An AddressCase is a registered address as a clerk types it, with the
// truth about it: what it names in the standard address library, or that it
// names nothing. Cases measure the accuracy of the address matcher.
type AddressCase struct {
	Text     string   `json:"text"`               // what the clerk types
	Noise    string   `json:"noise"`              // a Noise* or Fabricated* kind
	Combined []string `json:"combined,omitempty"` // for NoiseCombined: the kinds combined, in the order applied
	Exists   bool     `json:"exists"`             // false for the fabricated kinds

	// For an existing address, what the text names: the room code (empty
	// when the text names a building or doorplate), the building (0 when it
	// names a doorplate) and the doorplate code. For a fabricated one, the
	// real part the made-up one hangs from, so the nearest candidates can be
	// scored: the building of a wrong_room, the doorplate of a wrong_room or
	// wrong_building, nothing for wrong_number and wrong_road.
	TrueCode       string `json:"true_code"`
	TrueBuildingID int64  `json:"true_building_id"`
	TrueDoorplate  string `json:"true_doorplate"`

	Level    string       `json:"level"` // Level*: the most precise part the text names
	TownCode string       `json:"town_code"`
	Parts    AddressParts `json:"parts"`
}

// AddressParts is the standard address a case's text means, in canonical
// form whatever the noise: the full town name, simplified characters,
// Arabic numerals, labels as the library writes them (3栋, 1单元, 502,
// 铺位3). Village is the doorplate's village, written or not; Place is set
// when the text names the place instead of the road; Floor is set with a
// room. For a fabricated case it holds the made-up address.
type AddressParts struct {
	Town      string `json:"town"`
	Village   string `json:"village,omitempty"`
	Road      string `json:"road,omitempty"`
	Number    int    `json:"number,omitempty"`
	SubNumber int    `json:"sub_number,omitempty"`
	Place     string `json:"place,omitempty"`
	Building  string `json:"building,omitempty"`
	Unit      string `json:"unit,omitempty"`
	Floor     int    `json:"floor,omitempty"`
	Room      string `json:"room,omitempty"`
}

// draft is a case whose text may still depend on the other towns: see
// build.check.
type draft struct {
	c     AddressCase
	check string
	alt   string
}

// resolve settles the text of the drafts: a text that names its address by
// a road or place name alone keeps it only if unique reports that no other
// town has the name.
func resolve(drafts []draft, unique func(name, town string) bool) []AddressCase {
	out := make([]AddressCase, len(drafts))
	for i, d := range drafts {
		out[i] = d.c
		if d.check != "" && (unique == nil || !unique(d.check, d.c.TownCode)) {
			out[i].Text = d.alt
		}
	}
	return out
}

// AddressCases builds n cases from the contents of one town (c) and the
// divisions (d, for the names of towns, villages and zones),
// deterministically from seed. The kinds take the shares of
// GenerateAddressCases among those the town can give; the rest are clean.
//
// Knowing one town only, it never leaves the town out of a text that would
// then rest on a road or place name alone (no_admin writes the village or
// the town instead), nor writes a zone for the town without the village:
// another town may have a road of the same name. GenerateAddressCases,
// which sees the whole city, does both where the name is the city's only
// one. It returns nil when c's town is not in d.
func AddressCases(d *Divisions, c *TownContents, seed int64, n int) []AddressCase {
	ct := newCaseTown(d, c)
	if ct == nil || n <= 0 {
		return nil
	}
	g := &caseGen{ct: ct, r: newRand(seed, c.TownCode, "address-cases")}
	var w [numCaseKinds]float64
	for k := range numCaseKinds {
		if g.available(k) {
			w[k] = kindShares[k]
		}
	}
	counts := apportion(n, w[:])
	drafts, short := g.generate(counts)
	missing := 0
	for _, s := range short {
		missing += s
	}
	for ; missing > 0; missing-- {
		d, ok := g.one(kClean)
		if !ok {
			break
		}
		drafts = append(drafts, d)
	}
	return resolve(drafts, nil)
}

// GenerateAddressCases generates the city of cfg in memory and returns n
// cases spread over its towns in proportion to their size, with fixed shares
// per kind (kindShares: 70 % existing addresses over the noise kinds, 30 %
// fabricated), in an order shuffled from the seed. It keeps the cases and
// the road and place names of each town, not the city. The shares are exact
// unless the whole city lacks targets for a kind; clean cases make up the
// difference then.
func GenerateAddressCases(ctx context.Context, cfg Config, n int) ([]AddressCase, error) {
	if n < 0 {
		return nil, fmt.Errorf("demo: negative number of address cases %d", n)
	}
	if n == 0 {
		if _, err := ParseScale(string(cfg.Scale)); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		return nil, nil
	}
	s := &caseSink{cfg: cfg, n: n, owner: make(map[string]string)}
	lib := cfg
	lib.LibraryOnly = true // the cases need the library only
	if _, err := Generate(ctx, lib, s); err != nil {
		return nil, err
	}
	return s.finish(), nil
}

// caseSink draws the cases of each town as the generator hands it over.
type caseSink struct {
	cfg   Config
	n     int
	d     *Divisions
	total [numCaseKinds]int
	quota map[string][]int // per town code, per kind
	towns []*townDrafts
	owner map[string]string // road or place name → the town that has it, "" for more than one
}

type townDrafts struct {
	primary, extra []draft
	used           []bool // of extra
}

func (s *caseSink) Divisions(_ context.Context, d *Divisions) error {
	s.d = d
	copy(s.total[:], apportion(s.n, kindShares[:]))
	s.quota = make(map[string][]int, len(d.Towns))
	for _, t := range d.Towns {
		s.quota[t.Code] = make([]int, numCaseKinds)
	}
	near := townsNearZones(d)
	for k := range numCaseKinds {
		w := make([]float64, len(d.Towns))
		for i, t := range d.Towns {
			if k != kZoneForTown || near[t.Code] {
				w[i] = townWeights[t.Code].weight
			}
		}
		for i, q := range apportion(s.total[k], w) {
			s.quota[d.Towns[i].Code][k] = q
		}
	}
	return nil
}

func (s *caseSink) Contents(ctx context.Context, c *TownContents) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, name := range [][]string{roadNamesOf(c), placeNamesOf(c)} {
		for _, x := range name {
			if o, ok := s.owner[x]; ok && o != c.TownCode {
				s.owner[x] = ""
			} else if !ok {
				s.owner[x] = c.TownCode
			}
		}
	}
	ct := newCaseTown(s.d, c)
	if ct == nil {
		return fmt.Errorf("demo: address cases: town %s is not in the divisions", c.TownCode)
	}
	g := &caseGen{ct: ct, r: newRand(s.cfg.Seed, c.TownCode, "address-cases")}
	q := s.quota[c.TownCode]
	td := &townDrafts{}
	td.primary, _ = g.generate(q)
	// A few more of each kind, for kinds other towns fall short of.
	extra := make([]int, numCaseKinds)
	for k, n := range q {
		if s.total[k] > 0 && g.available(caseKind(k)) {
			extra[k] = n/10 + 1
		}
	}
	td.extra, _ = g.generate(extra)
	td.used = make([]bool, len(td.extra))
	s.towns = append(s.towns, td)
	return nil
}

func roadNamesOf(c *TownContents) []string {
	out := make([]string, len(c.Roads))
	for i, r := range c.Roads {
		out[i] = r.Name
	}
	return out
}

func placeNamesOf(c *TownContents) []string {
	out := make([]string, len(c.Places))
	for i, p := range c.Places {
		out[i] = p.Name
	}
	return out
}

// finish tops up the kinds the towns fell short of from their extra cases,
// settles the texts and shuffles the cases.
func (s *caseSink) finish() []AddressCase {
	drafts := make([]draft, 0, s.n)
	var have [numCaseKinds]int
	kindOf := func(d draft) caseKind { return caseKind(slices.Index(kindNames[:], d.c.Noise)) }
	for _, td := range s.towns {
		for _, d := range td.primary {
			have[kindOf(d)]++
		}
		drafts = append(drafts, td.primary...)
	}
	// take takes up to n extra cases of kind k (any kind if k < 0), one town
	// at a time in turn.
	take := func(k caseKind, n int) int {
		next := make([]int, len(s.towns))
		for n > 0 {
			took := false
			for i, td := range s.towns {
				for ; next[i] < len(td.extra); next[i]++ {
					if d := td.extra[next[i]]; !td.used[next[i]] && (k < 0 || kindOf(d) == k) {
						td.used[next[i]] = true
						drafts = append(drafts, d)
						n--
						took = true
						break
					}
				}
				if n == 0 {
					break
				}
			}
			if !took {
				break
			}
		}
		return n
	}
	short := 0
	for k := range numCaseKinds {
		if want := s.total[k] - have[k]; want > 0 {
			short += take(k, want)
		}
	}
	short = take(kClean, short)
	take(-1, short)

	out := resolve(drafts, func(name, town string) bool { return s.owner[name] == town })
	r := newRand(s.cfg.Seed, "address-cases", "order")
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// townsNearZones returns the codes of the towns other than the functional
// zones that come within zoneReach of one.
func townsNearZones(d *Divisions) map[string]bool {
	near := make(map[string]bool)
	for _, z := range d.Towns {
		if _, ok := zoneWritten[z.Name]; z.Kind != addressbook.TownKindZone || !ok {
			continue
		}
		var rings [][]orb.Point
		for _, poly := range z.Geom {
			for _, ring := range poly {
				mr := make([]orb.Point, len(ring))
				for k, p := range ring {
					mr[k] = metres(p)
				}
				rings = append(rings, mr)
			}
		}
		bound := z.Geom.Bound().Pad(zoneReach / 100000.0)
		for _, t := range d.Towns {
			if t.Kind == addressbook.TownKindZone || near[t.Code] || !bound.Intersects(t.Geom.Bound()) {
				continue
			}
		town:
			for _, poly := range t.Geom {
				for _, ring := range poly {
					for _, p := range ring {
						if bound.Contains(p) && distanceToRings(metres(p), rings) <= zoneReach {
							near[t.Code] = true
							break town
						}
					}
				}
			}
		}
	}
	return near
}

// apportion splits n in proportion to w by largest remainders, ties to the
// first.
func apportion(n int, w []float64) []int {
	out := make([]int, len(w))
	var sum float64
	for _, x := range w {
		sum += x
	}
	if sum == 0 || n <= 0 {
		return out
	}
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(w))
	left := n
	for i, x := range w {
		q := float64(n) * x / sum
		out[i] = int(math.Floor(q))
		left -= out[i]
		rems[i] = rem{i, q - math.Floor(q)}
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return 0
	})
	// The remainders of the positive weights sum to left, each less than
	// one: the first left of them are all positive.
	for _, r := range rems[:left] {
		out[r.i]++
	}
	return out
}

// WriteAddressCases writes cases as NDJSON, one case a line.
func WriteAddressCases(w io.Writer, cases []AddressCase) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range cases {
		if err := enc.Encode(&cases[i]); err != nil {
			return fmt.Errorf("demo: write address cases: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("demo: write address cases: %w", err)
	}
	return nil
}

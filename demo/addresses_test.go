package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixture is a small town made by hand: 长安镇 beside the 滨海湾 zone, with a
// shop house, an estate (金域花园, units in 3栋), a doorplate with a
// sub-number, an office tower (汇峰大厦), an industrial park, village houses
// on a lane and a market.
func fixture() (*Divisions, *TownContents) {
	square := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	const town = "441900119"
	d := &Divisions{
		Towns: []addressbook.Town{
			{Code: "441900116", Name: "塘厦镇", Kind: addressbook.TownKindTown, Geom: square(114.0, 22.7, 114.1, 22.8)},
			{Code: town, Name: "长安镇", Kind: addressbook.TownKindTown, Geom: square(113.80, 22.80, 113.82, 22.82)},
			{Code: "441900124", Name: "道滘镇", Kind: addressbook.TownKindTown, Geom: square(113.6, 23.0, 113.7, 23.1)},
			{Code: "441900404", Name: "东莞滨海湾新区", Kind: addressbook.TownKindZone, Geom: square(113.78, 22.80, 113.80, 22.82)},
		},
		Villages: []addressbook.Village{
			{Code: town + "001", TownCode: town, Name: "上沙社区", Kind: addressbook.VillageKindCommunity},
			{Code: town + "002", TownCode: town, Name: "霄边社区", Kind: addressbook.VillageKindCommunity},
			{Code: "441900116001", TownCode: "441900116", Name: "石马社区", Kind: addressbook.VillageKindCommunity},
		},
	}
	c := &TownContents{TownCode: town}
	road := func(name string) string {
		code := town + fmt.Sprintf("%05d", len(c.Roads)+1)
		c.Roads = append(c.Roads, addressbook.Road{Code: code, TownCode: town, Name: name})
		return code
	}
	xingfa, changan, lane := road("兴发南路"), road("长安大道"), road("上沙新村一巷")
	road("振安路")
	doorplate := func(rd string, n, sub int, village string) string {
		code := town + fmt.Sprintf("%07d", len(c.Doorplates)+1)
		c.Doorplates = append(c.Doorplates, addressbook.Doorplate{Code: code, RoadCode: rd, TownCode: town,
			VillageCode: town + village, Number: n, SubNumber: sub, Geom: orb.Point{113.801, 22.81}})
		return code
	}
	place := func(door, name, kind string) int64 {
		id := int64(len(c.Places) + 1)
		c.Places = append(c.Places, addressbook.Place{ID: id, Name: name, Kind: kind, TownCode: town, DoorplateCode: door})
		return id
	}
	room := func(b int64, unit string, floor int, label string) {
		c.Rooms = append(c.Rooms, addressbook.Room{Code: town + fmt.Sprintf("%09d", len(c.Rooms)+1),
			BuildingID: b, Unit: unit, Floor: floor, Label: label})
	}
	flats := func(b int64, unit string, from, to, per int) {
		for f := from; f <= to; f++ {
			for n := 1; n <= per; n++ {
				room(b, unit, f, strconv.Itoa(f*100+n))
			}
		}
	}
	building := func(door string, placeID int64, label, use string, floors int) int64 {
		id := int64(len(c.Buildings) + 1)
		c.Buildings = append(c.Buildings, addressbook.Building{ID: id, DoorplateCode: door, PlaceID: placeID,
			Label: label, Use: use, Floors: floors, Status: addressbook.StatusExisting, TownCode: town})
		return id
	}

	d126 := doorplate(xingfa, 126, 0, "001")
	b := building(d126, 0, "1栋", addressbook.UseMixed, 5)
	room(b, "", 1, "铺位1")
	room(b, "", 1, "铺位2")
	flats(b, "", 2, 5, 1)

	d128 := doorplate(xingfa, 128, 0, "001")
	estate := place(d128, "金域花园", addressbook.PlaceEstate)
	for i := 1; i <= 3; i++ {
		b := building(d128, estate, strconv.Itoa(i)+"栋", addressbook.UseResidential, 9)
		if i == 3 {
			flats(b, "1单元", 2, 9, 2)
			flats(b, "2单元", 2, 9, 2)
		} else {
			flats(b, "", 2, 9, 2)
		}
	}
	d128a := doorplate(xingfa, 128, 1, "001")
	flats(building(d128a, 0, "1栋", addressbook.UseResidential, 4), "", 2, 4, 1)

	d88 := doorplate(changan, 88, 0, "002")
	b = building(d88, place(d88, "汇峰大厦", addressbook.PlaceTower), "1栋", addressbook.UseOffice, 20)
	for i := 1; i <= 3; i++ {
		room(b, "", 1, "铺位"+strconv.Itoa(i))
	}
	flats(b, "", 2, 20, 4)
	room(b, "", -1, "B101")

	d90 := doorplate(changan, 90, 0, "002")
	park := place(d90, "上沙工业区", addressbook.PlaceIndustrialPark)
	for i := 1; i <= 3; i++ {
		flats(building(d90, park, strconv.Itoa(i)+"号厂房", addressbook.UseIndustrial, 4), "", 1, 4, 1)
	}
	flats(building(d90, park, "宿舍楼", addressbook.UseResidential, 5), "", 1, 5, 4)

	d5 := doorplate(lane, 5, 0, "001")
	flats(building(d5, 0, "1栋", addressbook.UseResidential, 3), "", 1, 3, 1)
	d5a := doorplate(lane, 5, 1, "001")
	flats(building(d5a, 0, "1栋", addressbook.UseResidential, 3), "", 2, 3, 1)

	d92 := doorplate(changan, 92, 0, "002")
	b = building(d92, place(d92, "长安综合市场", addressbook.PlaceMarket), "1栋", addressbook.UseCommercial, 2)
	for i := 1; i <= 40; i++ {
		room(b, "", 1+(i-1)/20, "档口"+strconv.Itoa(i))
	}
	return d, c
}

// canonical writes p in the standard form, independently of the generator.
func canonical(p AddressParts) string {
	s := "东莞市" + p.Town + p.Road + strconv.Itoa(p.Number) + "号"
	if p.SubNumber > 0 {
		s += "之" + []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}[p.SubNumber]
	}
	return s + p.Building + p.Unit + p.Room
}

var (
	cnNumberRE  = regexp.MustCompile(`[一二三四五六七八九十百千]+(号|栋|幢|座|单元|楼|层|号厂房)`)
	fullwidthRE = regexp.MustCompile(`[\x{ff01}-\x{ff5e}]`)
	tradRE      = regexp.MustCompile(`[號樓東廣鎮區長門層棟廠鋪檔單華發興龍鳳園國業灣濱陽]`)
	zoneRE      = regexp.MustCompile(`松山湖|东莞港|生态园|滨海湾`)
)

// checkCase checks what the text of a case must look like for its kind.
func checkCase(t *testing.T, c AddressCase) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s case %q (%+v): %s", c.Noise, c.Text, c.Parts, fmt.Sprintf(format, args...))
	}
	if !utf8.ValidString(c.Text) || strings.TrimSpace(c.Text) == "" || strings.ContainsAny(c.Text, "%\n") {
		fail("not a valid text")
	}
	if !slices.Contains([]string{LevelRoom, LevelBuilding, LevelDoorplate}, c.Level) {
		fail("level %q", c.Level)
	}
	clean := canonical(c.Parts)
	has := func(s string) bool { return strings.Contains(c.Text, s) }
	if c.Exists != !slices.Contains(FabricatedKinds(), c.Noise) {
		fail("exists is %v", c.Exists)
	}
	if c.Exists && c.Noise != NoiseClean && c.Text == clean {
		fail("the text is clean")
	}
	door := c.Parts.Road + strconv.Itoa(c.Parts.Number)
	switch c.Noise {
	case NoiseClean:
		if c.Text != clean {
			fail("want %q", clean)
		}
	case NoiseNoAdmin:
		if has("东莞市" + c.Parts.Town) {
			fail("has the city and town")
		}
	case NoiseDoubledAdmin:
		if !has("东莞市东莞市") && !has(c.Parts.Town+c.Parts.Town) {
			fail("nothing doubled")
		}
	case NoiseInformalTown:
		// A zone's informal name may hold its name: 松山湖高新区.
		if has(c.Parts.Town+c.Parts.Road) || has(c.Parts.Town+c.Parts.Village) || c.Parts.Place != "" && has(c.Parts.Town+c.Parts.Place) {
			fail("has the town's name")
		}
	case NoiseZoneForTown:
		if has(c.Parts.Town) || !zoneRE.MatchString(c.Text) {
			fail("no zone for the town")
		}
	case NoiseWithVillage:
		if !has(c.Parts.Village) || c.Parts.Village == c.Parts.Town {
			fail("no village")
		}
	case NoiseChineseNumerals:
		if !cnNumberRE.MatchString(c.Text) {
			fail("no Chinese numerals")
		}
	case NoiseFullwidth:
		if !fullwidthRE.MatchString(c.Text) {
			fail("nothing full-width")
		}
	case NoiseTraditional:
		if !tradRE.MatchString(c.Text) {
			fail("no traditional characters")
		}
	case NoiseHashNumber:
		if !has(door+"#") && !has(door+"-") {
			fail("no #")
		}
	case NoiseSubNumberVariant:
		sub := strconv.Itoa(c.Parts.SubNumber)
		if c.Parts.SubNumber == 0 || !has("-"+sub) && !has("之"+sub) {
			fail("no sub-number variant")
		}
	case NoiseBuildingVariant, NoiseRoomVariant:
		if !has(door) {
			fail("lost the doorplate")
		}
		if c.Noise == NoiseRoomVariant && c.Level != LevelRoom {
			fail("a room variant of a %s", c.Level)
		}
	case NoisePlace:
		if c.Parts.Place == "" || !has(c.Parts.Place) || has(door) {
			fail("no place instead of the road")
		}
	case NoiseRemarks:
		if !strings.ContainsAny(c.Text, "（(【，") {
			fail("no remark")
		}
	case NoiseSpaces:
		if !strings.ContainsAny(c.Text, " 　") {
			fail("no spaces")
		}
	case NoiseTypo:
		if !oneTypo(c) {
			fail("not one typo away from %q", clean)
		}
	case NoiseCombined:
		if len(c.Combined) < 2 || len(c.Combined) > 3 {
			fail("combines %v", c.Combined)
		}
		for _, k := range c.Combined {
			if !slices.Contains(NoiseKinds(), k) || k == NoiseClean || k == NoiseCombined {
				fail("combines %q", k)
			}
		}
	}
}

// oneTypo reports whether the text of a typo case is its standard form, or
// that form with the village, with one character of a name replaced.
func oneTypo(c AddressCase) bool {
	p := c.Parts
	forms := []string{canonical(p)}
	if p.Place != "" {
		forms = []string{"东莞市" + p.Town + p.Place}
	}
	for _, f := range slices.Clone(forms) {
		forms = append(forms, strings.Replace(f, p.Town, p.Town+p.Village, 1))
	}
	text := []rune(c.Text)
	for _, f := range forms {
		fr := []rune(f)
		if !strings.HasPrefix(c.Text, string(fr[:min(len(fr), 3)])) || len(fr) > len(text) {
			continue
		}
		diff, at := 0, -1
		for i := range fr {
			if fr[i] != text[i] {
				diff++
				at = i
			}
		}
		if diff == 1 && (fr[at] < '0' || fr[at] > '9') {
			return true
		}
	}
	return false
}

func TestAddressCasesByKind(t *testing.T) {
	d, c := fixture()
	ct := newCaseTown(d, c)
	var golden bytes.Buffer
	for k := range numCaseKinds {
		t.Run(kindNames[k], func(t *testing.T) {
			g := &caseGen{ct: ct, r: newRand(1, kindNames[k])}
			if !g.available(k) {
				t.Fatalf("the fixture has no targets for %s", kindNames[k])
			}
			for range 5 {
				dr, ok := g.one(k)
				if !ok {
					t.Fatalf("no case")
				}
				cs := resolve([]draft{dr}, nil)[0]
				checkCase(t, cs)
				verifyFixture(t, d, c, cs)
				t.Logf("%-9s %s", cs.Level, cs.Text)
				fmt.Fprintf(&golden, "%s\t%s\t%s\n", cs.Noise, cs.Level, cs.Text)
			}
		})
	}
	path := filepath.Join("testdata", "address_cases.golden")
	if *update {
		if err := os.WriteFile(path, golden.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), golden.String()); diff != "" {
		t.Errorf("cases of the fixture differ from %s (-want +got):\n%s", path, diff)
	}
}

// verifyFixture checks a case of the fixture against its contents.
func verifyFixture(t *testing.T, d *Divisions, c *TownContents, cs AddressCase) {
	t.Helper()
	ix := newLibraryIndex(d, []*TownContents{c})
	ix.verify(t, cs)
}

// libraryIndex indexes a city's contents for checking cases, on its own
// terms, without the generator's index.
type libraryIndex struct {
	roads      map[[2]string]addressbook.Road // town code, name
	doors      map[[3]string]addressbook.Doorplate
	numbers    map[string]map[int]bool // road code → numbers
	buildings  map[string][]addressbook.Building
	rooms      map[int64][]addressbook.Room
	places     map[[2]string]addressbook.Place
	villages   map[string]string
	towns      map[string]string
	stems      map[string]string          // town code → the short name (长安)
	nameTowns  map[string]map[string]bool // road or place name → towns
	villageCnt map[string]int
}

func newLibraryIndex(d *Divisions, contents []*TownContents) *libraryIndex {
	ix := &libraryIndex{
		roads: make(map[[2]string]addressbook.Road), doors: make(map[[3]string]addressbook.Doorplate),
		numbers: make(map[string]map[int]bool), buildings: make(map[string][]addressbook.Building),
		rooms: make(map[int64][]addressbook.Room), places: make(map[[2]string]addressbook.Place),
		villages: make(map[string]string), towns: make(map[string]string), stems: make(map[string]string),
		nameTowns: make(map[string]map[string]bool), villageCnt: make(map[string]int),
	}
	for _, t := range d.Towns {
		ix.towns[t.Code] = t.Name
		ix.stems[t.Code] = writtenTownStem(t.Name, t.Kind)
	}
	for _, v := range d.Villages {
		ix.villages[v.Code] = v.Name
		ix.villageCnt[v.Name]++
	}
	name := func(n, town string) {
		if ix.nameTowns[n] == nil {
			ix.nameTowns[n] = make(map[string]bool)
		}
		ix.nameTowns[n][town] = true
	}
	for _, c := range contents {
		for _, r := range c.Roads {
			ix.roads[[2]string{c.TownCode, r.Name}] = r
			ix.numbers[r.Code] = make(map[int]bool)
			name(r.Name, c.TownCode)
		}
		for _, dp := range c.Doorplates {
			ix.doors[[3]string{dp.RoadCode, strconv.Itoa(dp.Number), strconv.Itoa(dp.SubNumber)}] = dp
			ix.numbers[dp.RoadCode][dp.Number] = true
		}
		for _, b := range c.Buildings {
			ix.buildings[b.DoorplateCode] = append(ix.buildings[b.DoorplateCode], b)
		}
		for _, r := range c.Rooms {
			ix.rooms[r.BuildingID] = append(ix.rooms[r.BuildingID], r)
		}
		for _, p := range c.Places {
			ix.places[[2]string{c.TownCode, p.Name}] = p
			name(p.Name, c.TownCode)
		}
	}
	return ix
}

// labelKey is the number or letter a building label starts with.
var labelKey = regexp.MustCompile(`^([0-9]+|[A-Z])`)

func sameBuilding(a, b string) bool {
	ka, kb := labelKey.FindString(a), labelKey.FindString(b)
	return a == b || ka != "" && ka == kb
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// verify checks that an existing case names exactly its true address and a
// fabricated one names nothing.
func (ix *libraryIndex) verify(t *testing.T, c AddressCase) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s case %q (%+v): %s", c.Noise, c.Text, c.Parts, fmt.Sprintf(format, args...))
	}
	p := c.Parts
	if name, ok := ix.towns[c.TownCode]; ok && name != p.Town {
		fail("town %s is not %s", c.TownCode, p.Town)
	}
	road, roadOK := ix.roads[[2]string{c.TownCode, p.Road}]
	dp, doorOK := ix.doors[[3]string{road.Code, strconv.Itoa(p.Number), strconv.Itoa(p.SubNumber)}]
	var bldg *addressbook.Building
	for i, b := range ix.buildings[dp.Code] {
		if b.Label == p.Building {
			bldg = &ix.buildings[dp.Code][i]
		}
	}
	var room *addressbook.Room
	if bldg != nil {
		for i, r := range ix.rooms[bldg.ID] {
			if r.Unit == p.Unit && r.Label == p.Room {
				room = &ix.rooms[bldg.ID][i]
			}
		}
	}
	if p.Place != "" {
		if pl, ok := ix.places[[2]string{c.TownCode, p.Place}]; !ok || pl.DoorplateCode != dp.Code {
			fail("place %s is not at the doorplate", p.Place)
		}
	}
	switch c.Noise {
	case FabricatedWrongRoad:
		for key := range ix.roads {
			if key[0] == c.TownCode && editDistance(key[1], p.Road) <= 1 {
				fail("road %s is one edit from %s", p.Road, key[1])
			}
		}
		if !strings.Contains(c.Text, p.Road) {
			fail("the text does not write the road")
		}
		return
	case FabricatedWrongNumber:
		if !roadOK || ix.numbers[road.Code][p.Number] {
			fail("number %d is on the road", p.Number)
		}
		if n := strconv.Itoa(p.Number); !strings.Contains(c.Text, n) && !strings.Contains(c.Text, fullwidth(n)) {
			fail("the text does not write the number")
		}
		return
	case FabricatedWrongBuilding:
		if !doorOK || dp.Code != c.TrueDoorplate {
			fail("the doorplate is not %s", c.TrueDoorplate)
		}
		for _, b := range ix.buildings[dp.Code] {
			if sameBuilding(b.Label, p.Building) {
				fail("building %s is at the doorplate as %s", p.Building, b.Label)
			}
		}
		if !strings.Contains(c.Text, p.Building) && !strings.Contains(c.Text, fullwidth(p.Building)) {
			fail("the text does not write the building")
		}
		return
	case FabricatedWrongRoom:
		var b *addressbook.Building
		for i := range ix.buildings[dp.Code] {
			if ix.buildings[dp.Code][i].ID == c.TrueBuildingID && ix.buildings[dp.Code][i].Label == p.Building {
				b = &ix.buildings[dp.Code][i]
			}
		}
		if b == nil || dp.Code != c.TrueDoorplate {
			fail("building %d is not at the doorplate", c.TrueBuildingID)
			return
		}
		for _, r := range ix.rooms[b.ID] {
			if r.Label == p.Room {
				fail("room %s is in the building", p.Room)
			}
		}
		n := strings.TrimLeft(p.Room, "铺位档口")
		if !strings.Contains(c.Text, n) && !strings.Contains(c.Text, fullwidth(n)) {
			fail("the text does not write the room")
		}
		return
	}
	if !doorOK || dp.Code != c.TrueDoorplate {
		fail("names doorplate %q, want %q", dp.Code, c.TrueDoorplate)
		return
	}
	if v, ok := ix.villages[dp.VillageCode]; ok && v != p.Village {
		fail("village %s, want %s", p.Village, v)
	}
	switch c.Level {
	case LevelDoorplate:
		if c.TrueBuildingID != 0 || c.TrueCode != "" || p.Building != "" {
			fail("a doorplate case with a building or room")
		}
	case LevelBuilding, LevelRoom:
		if bldg == nil || bldg.ID != c.TrueBuildingID || bldg.Status == addressbook.StatusDemolished {
			fail("names building %v, want %d", bldg, c.TrueBuildingID)
			return
		}
		if c.Level == LevelBuilding {
			if c.TrueCode != "" || p.Room != "" {
				fail("a building case with a room")
			}
			break
		}
		if room == nil || room.Code != c.TrueCode || room.Floor != p.Floor {
			fail("names room %v, want %s", room, c.TrueCode)
		}
	}
}

// uniqueName reports whether only town has a road or place called name.
func (ix *libraryIndex) uniqueName(name, town string) bool {
	ts := ix.nameTowns[name]
	return len(ts) == 1 && ts[town]
}

var demoCases = sync.OnceValues(func() ([]AddressCase, error) {
	return GenerateAddressCases(context.Background(), Config{Scale: ScaleDemo, Seed: 1}, 4000)
})

func TestGenerateAddressCases(t *testing.T) {
	city := loadDemoCity(t)
	cases, err := demoCases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 4000 {
		t.Fatalf("got %d cases, want 4000", len(cases))
	}
	ix := newLibraryIndex(city.div, city.contents)
	want := apportion(4000, kindShares[:])
	got := make(map[string]int)
	towns := make(map[string]bool)
	samples := make(map[string][]string)
	for _, c := range cases {
		got[c.Noise]++
		towns[c.TownCode] = true
		checkCase(t, c)
		ix.verify(t, c)
		if len(samples[c.Noise]) < 3 {
			samples[c.Noise] = append(samples[c.Noise], c.Text)
		}
		// A text without its town must name its address by a village,
		// road or place no other town has.
		stem := ix.stems[c.TownCode]
		typo := c.Noise == NoiseTypo || slices.Contains(c.Combined, NoiseTypo)
		if c.Exists && !typo && !strings.Contains(c.Text, stem) && !strings.Contains(c.Text, traditional(stem)) {
			name := c.Parts.Road
			if c.Parts.Place != "" {
				name = c.Parts.Place
			}
			vil := ix.villageCnt[c.Parts.Village] == 1 &&
				(strings.Contains(c.Text, c.Parts.Village) || strings.Contains(c.Text, traditional(c.Parts.Village)))
			if !ix.uniqueName(name, c.TownCode) && !vil {
				t.Errorf("%s case %q: %s is not the city's only one", c.Noise, c.Text, name)
			}
		}
	}
	for k := range numCaseKinds {
		if got[kindNames[k]] != want[k] || want[k] == 0 {
			t.Errorf("%d %s cases, want %d", got[kindNames[k]], kindNames[k], want[k])
		}
		t.Logf("%-22s %4d  %s", kindNames[k], got[kindNames[k]], strings.Join(samples[kindNames[k]], "  |  "))
	}
	if len(towns) < len(city.div.Towns) {
		t.Errorf("cases in %d towns, want %d", len(towns), len(city.div.Towns))
	}
}

func TestAddressCasesAreDeterministic(t *testing.T) {
	first, err := demoCases()
	if err != nil {
		t.Fatal(err)
	}
	again, err := GenerateAddressCases(context.Background(), Config{Scale: ScaleDemo, Seed: 1}, 4000)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("GenerateAddressCases differs between runs (-first +again):\n%s", diff)
	}

	city := loadDemoCity(t)
	c := city.contents[22]
	a, b := AddressCases(city.div, c, 7, 500), AddressCases(city.div, c, 7, 500)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("AddressCases differs between runs (-first +again):\n%s", diff)
	}
	if len(a) != 500 {
		t.Errorf("AddressCases gave %d cases, want 500", len(a))
	}
	if other := AddressCases(city.div, c, 8, 500); cmp.Equal(a, other) {
		t.Errorf("AddressCases gives the same cases for seeds 7 and 8")
	}
	ix := newLibraryIndex(city.div, city.contents)
	for _, cs := range a {
		checkCase(t, cs)
		ix.verify(t, cs)
		noTown := cs.Noise == NoiseNoAdmin || cs.Noise == NoiseZoneForTown || slices.Contains(cs.Combined, NoiseNoAdmin)
		if noTown && !strings.Contains(cs.Text, ix.stems[cs.TownCode]) && !strings.Contains(cs.Text, traditional(ix.stems[cs.TownCode])) &&
			!strings.Contains(cs.Text, cs.Parts.Village) && !strings.Contains(cs.Text, traditional(cs.Parts.Village)) {
			t.Errorf("AddressCases left the town out of %q", cs.Text)
		}
	}
}

func TestAddressCasesForEveryTown(t *testing.T) {
	city := loadDemoCity(t)
	ix := newLibraryIndex(city.div, city.contents)
	for _, c := range city.contents {
		cases := AddressCases(city.div, c, 3, 60)
		if len(cases) != 60 {
			t.Errorf("town %s: %d cases, want 60", c.TownCode, len(cases))
		}
		for _, cs := range cases {
			checkCase(t, cs)
			ix.verify(t, cs)
		}
	}
}

func TestWriteAddressCases(t *testing.T) {
	d, c := fixture()
	cases := AddressCases(d, c, 1, 50)
	var buf bytes.Buffer
	if err := WriteAddressCases(&buf, cases); err != nil {
		t.Fatal(err)
	}
	var back []AddressCase
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var c AddressCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		back = append(back, c)
	}
	if diff := cmp.Diff(cases, back); diff != "" {
		t.Errorf("NDJSON round trip (-wrote +read):\n%s", diff)
	}
}

func ExampleWriteAddressCases() {
	cases := []AddressCase{{
		Text: "东莞市长安镇兴发南路128号3栋2单元502", Noise: NoiseClean, Exists: true,
		TrueCode: "441900119000000123", TrueBuildingID: 42, TrueDoorplate: "4419001190000017",
		Level: LevelRoom, TownCode: "441900119",
		Parts: AddressParts{Town: "长安镇", Village: "上沙社区", Road: "兴发南路", Number: 128,
			Building: "3栋", Unit: "2单元", Floor: 5, Room: "502"},
	}}
	if err := WriteAddressCases(os.Stdout, cases); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"text":"东莞市长安镇兴发南路128号3栋2单元502","noise":"clean","exists":true,"true_code":"441900119000000123","true_building_id":42,"true_doorplate":"4419001190000017","level":"room","town_code":"441900119","parts":{"town":"长安镇","village":"上沙社区","road":"兴发南路","number":128,"building":"3栋","unit":"2单元","floor":5,"room":"502"}}
}

func TestChineseNumber(t *testing.T) {
	for n, want := range map[int]string{
		1: "一", 10: "十", 12: "十二", 20: "二十", 25: "二十五", 100: "一百", 101: "一百零一",
		108: "一百零八", 110: "一百一十", 1000: "一千", 1001: "一千零一", 1010: "一千零一十",
		1501: "一千五百零一", 2005: "二千零五", 12000: "12000",
	} {
		if got := chineseNumber(n); got != want {
			t.Errorf("chineseNumber(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestDoorNumbers(t *testing.T) {
	for _, tc := range []struct {
		d    door
		want string
	}{
		{door{n: 108}, "108号"},
		{door{n: 108, sub: 1}, "108号之一"},
		{door{n: 108, sub: 1, style: doorDash}, "108-1号"},
		{door{n: 108, sub: 2, style: doorZhiArabic}, "108号之2"},
		{door{n: 108, sub: 1, style: doorArabicZhi}, "108之1号"},
		{door{n: 108, style: doorHash}, "108#"},
		{door{n: 108, sub: 1, style: doorHash}, "108-1#"},
		{door{n: 108, sub: 1, cn: true}, "一百零八号之一"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.d, got, tc.want)
		}
	}
}

func TestNameStems(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{roadStem("兴发南路"), "兴发"},
		{roadStem("长安大道"), "长安"},
		{roadStem("同沙新村横三巷"), "同沙新村"},
		{roadStem("振兴七路"), "振兴"},
		{roadStem("金龙一路"), "金龙"},
		{placeStem("汇峰大厦"), "汇峰"},
		{placeStem("金域花园二期"), "金域"},
		{placeStem("长安第二工业区"), "长安"},
		{writtenTownStem("南城街道", "街道"), "南城"},
		{writtenTownStem("东莞滨海湾新区", "功能区"), "滨海湾"},
		{writtenTownStem("东莞港", "功能区"), "港"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}

func TestWithinOneEdit(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"兴发路", "兴发路", true}, {"兴发路", "星发路", true}, {"兴发路", "兴发南路", true},
		{"兴发路", "星发南路", false}, {"兴发路", "路", false}, {"塘厦镇", "塘夏镇", true},
	} {
		if got := withinOneEdit(tc.a, tc.b); got != tc.want || editDistance(tc.a, tc.b) <= 1 != tc.want {
			t.Errorf("withinOneEdit(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestCharacterTables checks that the tables map every character to
// another one, and that typos never touch numerals.
func TestCharacterTables(t *testing.T) {
	for s, tr := range toTraditional {
		if s == tr {
			t.Errorf("%c maps to itself", s)
		}
	}
	for r, alts := range confusables {
		if isNumeral(r) {
			t.Errorf("numeral %c has confusables", r)
		}
		for _, a := range alts {
			if a == r || isNumeral(a) {
				t.Errorf("%c is confused with %c", r, a)
			}
		}
	}
	const words = "广东省东莞市长安镇南城街道兴发南路一百零八号之一宿舍楼三层铺位档口厂房单元自编近对面旁边"
	if got := traditional(words); got != "廣東省東莞市長安鎮南城街道興發南路一百零八號之一宿舍樓三層鋪位檔口廠房單元自編近對面旁邊" {
		t.Errorf("traditional(%s) = %s", words, got)
	}
	// Every name of the reference has a character that can be mistyped.
	ref, err := loadReference()
	if err != nil {
		t.Fatal(err)
	}
	for _, town := range ref.Towns {
		stem := []rune(writtenTownStem(town.Name, town.Kind))
		if !slices.ContainsFunc(stem, func(r rune) bool { return len(confusables[r]) > 0 }) {
			t.Errorf("no typo for town %s", town.Name)
		}
	}
}

func BenchmarkGenerateAddressCases(b *testing.B) {
	for b.Loop() {
		cases, err := GenerateAddressCases(context.Background(), Config{Scale: ScaleDemo, Seed: 1}, 100_000)
		if err != nil || len(cases) != 100_000 {
			b.Fatal(len(cases), err)
		}
	}
}

func BenchmarkAddressCases(b *testing.B) {
	city, err := demoCity()
	if err != nil {
		b.Fatal(err)
	}
	c := city.contents[22]
	b.ResetTimer()
	for b.Loop() {
		AddressCases(city.div, c, 1, 10_000)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10_000, "ns/case")
}

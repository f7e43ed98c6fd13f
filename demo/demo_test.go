package demo

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	sf "github.com/peterstace/simplefeatures/geom"

	"github.com/gridsentry/gridsentry/addressbook"
)

func TestParseScale(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Scale
		wantErr bool
	}{
		{"demo", ScaleDemo, false},
		{"city", ScaleCity, false},
		{"", "", true},
		{"City", "", true},
		{"huge", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseScale(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseScale(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), `"demo"`) || !strings.Contains(err.Error(), `"city"`)) {
				t.Errorf("error %q does not name the valid scales", err)
			}
		})
	}
}

func ExampleParseScale() {
	_, err := ParseScale("town")
	fmt.Println(err)
	// Output: unknown scale "town": want "demo" or "city"
}

// hashSink hashes everything it is handed, field by field.
type hashSink struct {
	h hash.Hash
}

func newHashSink() *hashSink { return &hashSink{h: sha256.New()} }

func (s *hashSink) str(v string) { s.int(int64(len(v))); s.h.Write([]byte(v)) }
func (s *hashSink) int(v int64)  { _ = binary.Write(s.h, binary.LittleEndian, v) }
func (s *hashSink) float(v float64) {
	_ = binary.Write(s.h, binary.LittleEndian, math.Float64bits(v))
}
func (s *hashSink) points(ps []orb.Point) {
	s.int(int64(len(ps)))
	for _, p := range ps {
		s.float(p[0])
		s.float(p[1])
	}
}
func (s *hashSink) multiPolygon(mp orb.MultiPolygon) {
	s.int(int64(len(mp)))
	for _, p := range mp {
		s.int(int64(len(p)))
		for _, r := range p {
			s.points(r)
		}
	}
}

func (s *hashSink) Divisions(_ context.Context, d *Divisions) error {
	for _, t := range d.Towns {
		s.str(t.Code + t.Name + t.Kind)
		s.multiPolygon(t.Geom)
	}
	for _, v := range d.Villages {
		s.str(v.Code + v.TownCode + v.Name + v.Kind)
		s.multiPolygon(v.Geom)
	}
	for _, g := range d.Grids {
		s.str(g.Code + g.VillageCode + g.TownCode + g.Name)
		s.multiPolygon(g.Geom)
	}
	return nil
}

func (s *hashSink) Contents(_ context.Context, c *TownContents) error {
	s.str(c.TownCode)
	for _, r := range c.Roads {
		s.str(r.Code + r.TownCode + r.Name)
		for _, l := range r.Geom {
			s.points(l)
		}
	}
	for _, d := range c.Doorplates {
		s.str(d.Code + d.RoadCode + d.TownCode + d.VillageCode + d.GridCode)
		s.int(int64(d.Number))
		s.int(int64(d.SubNumber))
		s.int(int64(d.Version))
		s.points([]orb.Point{d.Geom})
	}
	for _, p := range c.Places {
		s.int(p.ID)
		s.str(p.Name + p.Kind + p.TownCode + p.VillageCode + p.DoorplateCode)
		s.points([]orb.Point{p.Geom})
	}
	for _, b := range c.Buildings {
		s.int(b.ID)
		s.int(b.PlaceID)
		s.str(b.DoorplateCode + b.Label + b.Use + b.Status + b.TownCode + b.VillageCode + b.GridCode)
		s.int(int64(b.Floors))
		s.int(int64(b.BasementFloors))
		s.multiPolygon(orb.MultiPolygon{b.Geom})
	}
	for _, r := range c.Rooms {
		s.str(r.Code + r.Unit + r.Label)
		s.int(r.BuildingID)
		s.int(int64(r.Floor))
	}
	return nil
}

func (s *hashSink) sum() string { return fmt.Sprintf("%x", s.h.Sum(nil)) }

func TestGenerateIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the demo city three times")
	}
	run := func(seed int64) (string, Totals) {
		s := newHashSink()
		totals, err := Generate(context.Background(), Config{Scale: ScaleDemo, Seed: seed}, s)
		if err != nil {
			t.Fatal(err)
		}
		return s.sum(), totals
	}
	h1, t1 := run(1)
	// Towns are built concurrently: the city must not depend on how many.
	procs := runtime.GOMAXPROCS(1)
	h2, t2 := run(1)
	runtime.GOMAXPROCS(procs)
	if h1 != h2 || t1 != t2 {
		t.Fatalf("same seed, different cities: %s %+v vs %s %+v", h1, t1, h2, t2)
	}
	if h3, _ := run(2); h3 == h1 {
		t.Fatalf("seeds 1 and 2 give the same city %s", h1)
	}
}

// collectSink keeps the whole city.
type collectSink struct {
	div      *Divisions
	contents []*TownContents
}

func (s *collectSink) Divisions(_ context.Context, d *Divisions) error { s.div = d; return nil }
func (s *collectSink) Contents(_ context.Context, c *TownContents) error {
	s.contents = append(s.contents, c)
	return nil
}

var demoCity = sync.OnceValues(func() (*collectSink, error) {
	s := &collectSink{}
	totals, err := Generate(context.Background(), Config{Scale: ScaleDemo, Seed: 1}, s)
	if err != nil {
		return nil, err
	}
	got := Totals{Towns: len(s.div.Towns), Villages: len(s.div.Villages), Grids: len(s.div.Grids)}
	for _, c := range s.contents {
		got.addContents(c)
	}
	if got != totals {
		return nil, fmt.Errorf("Generate returned totals %+v, the sink got %+v", totals, got)
	}
	return s, nil
})

func loadDemoCity(t *testing.T) *collectSink {
	t.Helper()
	s, err := demoCity()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var digits = func(n int) *regexp.Regexp { return regexp.MustCompile(fmt.Sprintf(`^[0-9]{%d}$`, n)) }

func TestDemoCityDivisions(t *testing.T) {
	city := loadDemoCity(t)
	d := city.div
	ref, err := loadReference()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the 36 real towns", func(t *testing.T) {
		if len(d.Towns) != 36 {
			t.Fatalf("got %d towns, want 36", len(d.Towns))
		}
		for i, tw := range d.Towns {
			rt := ref.Towns[i]
			if tw.Code != rt.Code || tw.Name != rt.Name || tw.Kind != rt.Kind {
				t.Errorf("town %d = %s %s %s, want %s %s %s", i, tw.Code, tw.Name, tw.Kind, rt.Code, rt.Name, rt.Kind)
			}
		}
		for code, name := range map[int]string{0: "441900003 东城街道", 22: "441900119 长安镇", 35: "441900404 东莞滨海湾新区"} {
			if got := d.Towns[code].Code + " " + d.Towns[code].Name; got != name {
				t.Errorf("town %d is %s, want %s", code, got, name)
			}
		}
	})

	t.Run("villages", func(t *testing.T) {
		if len(d.Villages) != 605 {
			t.Errorf("got %d villages, want 603 real and 2 synthetic", len(d.Villages))
		}
		names := map[string]bool{}
		perTown := map[string]int{}
		for _, v := range d.Villages {
			if !digits(12).MatchString(v.Code) || v.Code[:9] != v.TownCode {
				t.Errorf("village %s of town %s: bad code", v.Code, v.TownCode)
			}
			switch v.Kind {
			case addressbook.VillageKindVillage, addressbook.VillageKindCommunity, addressbook.VillageKindOther:
			default:
				t.Errorf("village %s: kind %q", v.Code, v.Kind)
			}
			if k := v.TownCode + v.Name; names[k] {
				t.Errorf("village name %s repeats in town %s", v.Name, v.TownCode)
			} else {
				names[k] = true
			}
			perTown[v.TownCode]++
		}
		for _, tw := range d.Towns {
			if perTown[tw.Code] == 0 {
				t.Errorf("town %s has no villages", tw.Code)
			}
		}
		if !names["441900003"+"同沙二社区"] || !names["441900404"+"交椅湾社区"] {
			t.Error("renamed duplicate 同沙二社区 or synthetic 交椅湾社区 missing")
		}
	})

	t.Run("grids", func(t *testing.T) {
		if n := len(d.Grids); n < 1000 || n > 1400 {
			t.Errorf("got %d grids, want about 1,200", n)
		}
		villages := map[string]string{}
		for _, v := range d.Villages {
			villages[v.Code] = v.TownCode
		}
		seen := map[string]bool{}
		for _, g := range d.Grids {
			if !digits(15).MatchString(g.Code) || g.Code[:12] != g.VillageCode || villages[g.VillageCode] != g.TownCode || seen[g.Code] {
				t.Errorf("grid %s (village %s, town %s): bad or repeated code", g.Code, g.VillageCode, g.TownCode)
			}
			seen[g.Code] = true
			if !strings.HasSuffix(g.Name, "网格") || !strings.Contains(g.Name, "第") {
				t.Errorf("grid %s: name %q", g.Code, g.Name)
			}
		}
	})

	t.Run("valid polygons", func(t *testing.T) {
		check := func(what, code string, mp orb.MultiPolygon) {
			if err := validMultiPolygon(mp); err != nil {
				t.Errorf("%s %s: %v", what, code, err)
			}
			for _, p := range mp {
				if ringArea(p[0]) <= 0 {
					t.Errorf("%s %s: outer ring is not counter-clockwise", what, code)
				}
			}
		}
		for _, x := range d.Towns {
			check("town", x.Code, x.Geom)
		}
		for _, x := range d.Villages {
			check("village", x.Code, x.Geom)
		}
		for _, x := range d.Grids {
			check("grid", x.Code, x.Geom)
		}
	})

	outline, err := Outline()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("towns tile the outline", func(t *testing.T) {
		var geoms []orb.MultiPolygon
		for _, tw := range d.Towns {
			geoms = append(geoms, tw.Geom)
		}
		checkTiling(t, "towns", orb.MultiPolygon{outline}, geoms)
	})
	t.Run("villages tile their town", func(t *testing.T) {
		for _, tw := range d.Towns {
			var geoms []orb.MultiPolygon
			for _, v := range d.Villages {
				if v.TownCode == tw.Code {
					geoms = append(geoms, v.Geom)
				}
			}
			checkTiling(t, "villages of "+tw.Code, tw.Geom, geoms)
		}
	})
	t.Run("grids tile their village", func(t *testing.T) {
		for _, v := range d.Villages {
			var geoms []orb.MultiPolygon
			for _, g := range d.Grids {
				if g.VillageCode == v.Code {
					geoms = append(geoms, g.Geom)
				}
			}
			checkTiling(t, "grids of "+v.Code, v.Geom, geoms)
		}
	})
}

// checkTiling checks that parts lie within parent, do not overlap and cover
// it, up to areas far below a square metre (1e-12 square degrees is about
// 0.01 m²).
func checkTiling(t *testing.T, what string, parent orb.MultiPolygon, parts []orb.MultiPolygon) {
	t.Helper()
	const tol = 1e-12
	pg := sfMultiPolygon(parent).AsGeometry()
	var sum float64
	for i, p := range parts {
		g := sfMultiPolygon(p).AsGeometry()
		sum += g.Area()
		out, err := sf.Difference(g, pg)
		if err != nil {
			t.Fatalf("%s: part %d: %v", what, i, err)
		}
		if a := out.Area(); a > tol {
			t.Errorf("%s: part %d reaches %g square degrees outside its parent", what, i, a)
		}
		for j := i + 1; j < len(parts); j++ {
			if !p.Bound().Intersects(parts[j].Bound()) {
				continue
			}
			in, err := sf.Intersection(g, sfMultiPolygon(parts[j]).AsGeometry())
			if err != nil {
				t.Fatalf("%s: parts %d and %d: %v", what, i, j, err)
			}
			if a := in.Area(); a > tol {
				t.Errorf("%s: parts %d and %d overlap by %g square degrees", what, i, j, a)
			}
		}
	}
	if a := pg.Area(); math.Abs(sum-a) > 1e-6*a {
		t.Errorf("%s: parts cover %g of the parent's %g square degrees", what, sum, a)
	}
}

func TestDemoCityContents(t *testing.T) {
	city := loadDemoCity(t)
	grids := map[string]*addressbook.Grid{}
	for i := range city.div.Grids {
		grids[city.div.Grids[i].Code] = &city.div.Grids[i]
	}
	if len(city.contents) != 36 {
		t.Fatalf("Contents was called %d times, want 36", len(city.contents))
	}
	var nextBuilding, nextPlace int64 = 1, 1
	roomCodes := map[string]bool{}
	doorCodes := map[string]bool{}
	var total Totals
	uses := map[string]int{}
	statuses := map[string]int{}
	for i, c := range city.contents {
		town := city.div.Towns[i].Code
		if c.TownCode != town {
			t.Fatalf("contents %d are of town %s, want %s (town-code order)", i, c.TownCode, town)
		}
		total.addContents(c)
		roads := map[string]bool{}
		roadNames := map[string]bool{}
		for _, r := range c.Roads {
			if !digits(14).MatchString(r.Code) || r.Code[:9] != town || r.TownCode != town || roads[r.Code] {
				t.Errorf("road %s of town %s: bad or repeated code", r.Code, town)
			}
			if r.Name == "" || roadNames[r.Name] {
				t.Errorf("road %s: name %q empty or repeated in town %s", r.Code, r.Name, town)
			}
			if len(r.Geom) == 0 {
				t.Errorf("road %s has no geometry", r.Code)
			}
			roads[r.Code], roadNames[r.Name] = true, true
		}
		doorplates := map[string]*addressbook.Doorplate{}
		numbers := map[string]bool{}
		for k := range c.Doorplates {
			dp := &c.Doorplates[k]
			if !digits(16).MatchString(dp.Code) || dp.Code[:9] != town || doorCodes[dp.Code] {
				t.Errorf("doorplate %s: bad or repeated code", dp.Code)
			}
			doorCodes[dp.Code] = true
			doorplates[dp.Code] = dp
			if !roads[dp.RoadCode] || dp.TownCode != town || dp.Number <= 0 || dp.SubNumber < 0 || dp.Version != 1 {
				t.Errorf("doorplate %+v: bad road, town, number or version", dp)
			}
			key := fmt.Sprint(dp.RoadCode, dp.Number, dp.SubNumber)
			if numbers[key] {
				t.Errorf("doorplate %s: number %d-%d repeats on road %s", dp.Code, dp.Number, dp.SubNumber, dp.RoadCode)
			}
			numbers[key] = true
			g := grids[dp.GridCode]
			if g == nil || g.VillageCode != dp.VillageCode || g.TownCode != town || !planar.MultiPolygonContains(g.Geom, dp.Geom) {
				t.Errorf("doorplate %s: its grid %s does not contain it", dp.Code, dp.GridCode)
			}
		}
		places := map[int64]*addressbook.Place{}
		placeNames := map[string]bool{}
		for k := range c.Places {
			p := &c.Places[k]
			if p.ID != nextPlace {
				t.Errorf("place %d, want ID %d", p.ID, nextPlace)
			}
			nextPlace = p.ID + 1
			places[p.ID] = p
			dp := doorplates[p.DoorplateCode]
			if dp == nil || dp.VillageCode != p.VillageCode || p.TownCode != town || p.Name == "" || placeNames[p.Name] {
				t.Errorf("place %+v: bad doorplate, village, or name empty or repeated", p)
			}
			placeNames[p.Name] = true
		}
		buildings := map[int64]*addressbook.Building{}
		labels := map[string]bool{}
		placeBuildings := map[int64]int{}
		for k := range c.Buildings {
			b := &c.Buildings[k]
			if b.ID != nextBuilding {
				t.Errorf("building %d, want ID %d", b.ID, nextBuilding)
			}
			nextBuilding = b.ID + 1
			buildings[b.ID] = b
			uses[b.Use]++
			statuses[b.Status]++
			dp := doorplates[b.DoorplateCode]
			if dp == nil || dp.GridCode != b.GridCode || dp.VillageCode != b.VillageCode || b.TownCode != town {
				t.Errorf("building %d: not in its doorplate's grid", b.ID)
				continue
			}
			if b.PlaceID != 0 {
				if places[b.PlaceID] == nil || places[b.PlaceID].DoorplateCode != b.DoorplateCode {
					t.Errorf("building %d: place %d is not at its doorplate", b.ID, b.PlaceID)
				}
				placeBuildings[b.PlaceID]++
			}
			if b.Label == "" || labels[b.DoorplateCode+b.Label] {
				t.Errorf("building %d: label %q empty or repeated at doorplate %s", b.ID, b.Label, b.DoorplateCode)
			}
			labels[b.DoorplateCode+b.Label] = true
			if b.Floors < 1 || b.Floors > 200 || b.BasementFloors < 0 || b.BasementFloors > 10 {
				t.Errorf("building %d: %d floors, %d below ground", b.ID, b.Floors, b.BasementFloors)
			}
			if len(b.Geom) != 1 || len(b.Geom[0]) != 5 || ringArea(b.Geom[0]) <= 0 || b.Geom[0][0] != b.Geom[0][4] {
				t.Errorf("building %d: footprint is not a closed counter-clockwise quadrilateral", b.ID)
			}
			g := grids[b.GridCode]
			if c, _ := planar.CentroidArea(b.Geom); !planar.MultiPolygonContains(g.Geom, c) {
				t.Errorf("building %d: grid %s does not contain its centroid", b.ID, b.GridCode)
			}
		}
		for _, p := range c.Places {
			if placeBuildings[p.ID] == 0 {
				t.Errorf("place %d %s has no buildings", p.ID, p.Name)
			}
		}
		roomLabels := map[string]bool{}
		for _, r := range c.Rooms {
			if !digits(18).MatchString(r.Code) || r.Code[:9] != town || roomCodes[r.Code] {
				t.Errorf("room %s: bad or repeated code", r.Code)
			}
			roomCodes[r.Code] = true
			b := buildings[r.BuildingID]
			if b == nil || r.Floor == 0 || r.Label == "" || r.Floor > b.Floors || -r.Floor > b.BasementFloors {
				t.Errorf("room %+v: bad building, floor or label", r)
			}
			key := fmt.Sprint(r.BuildingID, "/", r.Unit, "/", r.Label)
			if roomLabels[key] {
				t.Errorf("room %s: label %s repeats in building %d unit %q", r.Code, r.Label, r.BuildingID, r.Unit)
			}
			roomLabels[key] = true
		}
	}

	for _, c := range city.contents {
		checkNoOverlap(t, c.Buildings)
	}

	t.Logf("demo city: %+v", total)
	within := func(what string, got, lo, hi int) {
		if got < lo || got > hi {
			t.Errorf("%d %s, want %d to %d", got, what, lo, hi)
		}
	}
	within("doorplates", total.Doorplates, 20_000, 40_000)
	within("buildings", total.Buildings, 25_000, 45_000)
	within("rooms", total.Rooms, 150_000, 320_000)
	within("places", total.Places, 300, 3_000)
	n := total.Buildings
	within("‰ demolished buildings", 1000*statuses[addressbook.StatusDemolished]/n, 5, 40)
	within("‰ buildings slated for demolition", 1000*statuses[addressbook.StatusSlated]/n, 10, 60)
	for _, use := range []string{addressbook.UseResidential, addressbook.UseCommercial, addressbook.UseOffice,
		addressbook.UseIndustrial, addressbook.UseMixed, addressbook.UsePublic} {
		if uses[use] == 0 {
			t.Errorf("no %s buildings", use)
		}
	}
}

func TestOutline(t *testing.T) {
	o, err := Outline()
	if err != nil {
		t.Fatal(err)
	}
	if len(o) != 1 || len(o[0]) < 2500 || o[0][0] != o[0][len(o[0])-1] || ringArea(o[0]) <= 0 {
		t.Fatalf("outline: %d rings, %d points, want one closed counter-clockwise ring of about 2,700", len(o), len(o[0]))
	}
	if err := validMultiPolygon(orb.MultiPolygon{o}); err != nil {
		t.Fatal(err)
	}
	// Dongguan covers about 2,460 km².
	c := o.Bound().Center()
	km2 := ringArea(o[0]) * 111.32 * math.Cos(c[1]*math.Pi/180) * 110.57
	if km2 < 2300 || km2 > 2600 {
		t.Errorf("outline covers %.0f km², want about 2,460", km2)
	}
	// The outline was converted from GCJ-02: Dongguan's western tip lies
	// near 113.52°E in WGS84 (GCJ-02 puts it about 500 m further east).
	if b := o.Bound(); b.Min[0] < 113.4 || b.Max[0] > 114.4 || b.Min[1] < 22.5 || b.Max[1] > 23.3 {
		t.Errorf("outline bound %v is not Dongguan", b)
	}
	o[0][0][0] = 0 // a copy: changing it must not change the next call
	if o2, _ := Outline(); o2[0][0][0] == 0 {
		t.Error("Outline returns shared state")
	}
}

func TestPlan(t *testing.T) {
	if got := Plan(Config{Scale: "huge"}); got != (Totals{}) {
		t.Errorf("Plan of an unknown scale = %+v, want zero", got)
	}
	city := loadDemoCity(t)
	plan := Plan(Config{Scale: ScaleDemo, Seed: 1})
	if plan.Towns != len(city.div.Towns) || plan.Villages != len(city.div.Villages) || plan.Grids != len(city.div.Grids) {
		t.Errorf("Plan's divisions %+v differ from the city's: %d %d %d", plan, len(city.div.Towns), len(city.div.Villages), len(city.div.Grids))
	}
	var got Totals
	for _, c := range city.contents {
		got.addContents(c)
	}
	near := func(what string, plan, got int) {
		if math.Abs(float64(plan-got)) > 0.15*float64(got) {
			t.Errorf("Plan says %d %s, the city has %d", plan, what, got)
		}
	}
	near("roads", plan.Roads, got.Roads)
	near("doorplates", plan.Doorplates, got.Doorplates)
	near("buildings", plan.Buildings, got.Buildings)
	near("rooms", plan.Rooms, got.Rooms)
	near("places", plan.Places, got.Places)
	if p := Plan(Config{Scale: ScaleCity, Seed: 1}); p.Grids < 2800 || p.Grids > 3200 || p.Buildings < 900_000 || p.Rooms < 6_000_000 {
		t.Errorf("city plan %+v: want about 3,000 grids, a million buildings, six million rooms", p)
	}
}

func TestGenerateRejectsBadScale(t *testing.T) {
	_, err := Generate(context.Background(), Config{Scale: "town"}, &collectSink{})
	if err == nil || !strings.Contains(err.Error(), "unknown scale") {
		t.Fatalf("err = %v, want unknown scale", err)
	}
}

// stopSink fails or cancels after n towns.
type stopSink struct {
	n         int
	err       error
	cancel    context.CancelFunc
	cancelled bool
	after     int // towns handed over after the cancel
}

func (s *stopSink) Divisions(context.Context, *Divisions) error { return nil }
func (s *stopSink) Contents(ctx context.Context, c *TownContents) error {
	if s.cancelled {
		s.after++
		return nil
	}
	if s.n--; s.n > 0 {
		return nil
	}
	if s.cancel != nil {
		s.cancel()
		s.cancelled = true
		return nil
	}
	return s.err
}

func TestGenerateStops(t *testing.T) {
	t.Run("sink error", func(t *testing.T) {
		boom := errors.New("disk full")
		_, err := Generate(context.Background(), Config{Scale: ScaleDemo, Seed: 1}, &stopSink{n: 3, err: boom})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		// Cancelled while the next towns are being built: Generate returns
		// the cancellation and hands over nothing more.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sink := &stopSink{n: 1, cancel: cancel}
		_, err := Generate(ctx, Config{Scale: ScaleDemo, Seed: 1}, sink)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if sink.after != 0 {
			t.Errorf("%d towns were handed over after the cancel", sink.after)
		}
	})
}

// discardSink throws the city away, for benchmarks.
type discardSink struct{}

func (discardSink) Divisions(context.Context, *Divisions) error   { return nil }
func (discardSink) Contents(context.Context, *TownContents) error { return nil }

func benchmarkGenerate(b *testing.B, scale Scale) {
	var totals Totals
	for b.Loop() {
		var err error
		totals, err = Generate(context.Background(), Config{Scale: scale, Seed: 1}, discardSink{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(totals.Buildings), "buildings")
	b.ReportMetric(float64(totals.Rooms), "rooms")
}

func BenchmarkGenerateDemo(b *testing.B) { benchmarkGenerate(b, ScaleDemo) }

// BenchmarkGenerateCity generates the full city: run it alone with
// go test -run X -bench City -benchtime 1x ./demo/
func BenchmarkGenerateCity(b *testing.B) { benchmarkGenerate(b, ScaleCity) }

// checkNoOverlap checks that no two building footprints share a point.
func checkNoOverlap(t *testing.T, buildings []addressbook.Building) {
	t.Helper()
	const cell = 0.002 // degrees, larger than any footprint
	buckets := map[[2]int][]int{}
	for i, b := range buildings {
		bd := b.Geom.Bound()
		for x := int(math.Floor(bd.Min[0] / cell)); x <= int(math.Floor(bd.Max[0]/cell)); x++ {
			for y := int(math.Floor(bd.Min[1] / cell)); y <= int(math.Floor(bd.Max[1]/cell)); y++ {
				buckets[[2]int{x, y}] = append(buckets[[2]int{x, y}], i)
			}
		}
	}
	reported := map[[2]int]bool{}
	for _, ids := range buckets {
		for a := range ids {
			for b := a + 1; b < len(ids); b++ {
				i, j := ids[a], ids[b]
				if reported[[2]int{i, j}] || !buildings[i].Geom.Bound().Intersects(buildings[j].Geom.Bound()) {
					continue
				}
				if convexOverlap(buildings[i].Geom[0], buildings[j].Geom[0]) {
					reported[[2]int{i, j}] = true
					t.Errorf("buildings %d and %d overlap", buildings[i].ID, buildings[j].ID)
				}
			}
		}
	}
}

// convexOverlap reports whether two convex rings share a point: no edge of
// either is a separating axis.
func convexOverlap(a, b orb.Ring) bool {
	separates := func(r orb.Ring, other orb.Ring) bool {
		for k := 0; k+1 < len(r); k++ {
			ex, ey := r[k+1][0]-r[k][0], r[k+1][1]-r[k][1]
			// r is counter-clockwise: its interior is left of every edge.
			all := true
			for _, p := range other {
				if ex*(p[1]-r[k][1])-ey*(p[0]-r[k][0]) >= 0 {
					all = false
					break
				}
			}
			if all {
				return true
			}
		}
		return false
	}
	return !separates(a, b) && !separates(b, a)
}

func TestConvexOverlap(t *testing.T) {
	sq := func(x, y, s float64) orb.Ring {
		return orb.Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
	}
	for _, tc := range []struct {
		name string
		a, b orb.Ring
		want bool
	}{
		{"apart", sq(0, 0, 1), sq(2, 0, 1), false},
		{"overlapping", sq(0, 0, 1), sq(0.5, 0.5, 1), true},
		{"touching", sq(0, 0, 1), sq(1, 0, 1), true},
		{"inside", sq(0, 0, 3), sq(1, 1, 1), true},
		{"diagonal gap", sq(0, 0, 1), orb.Ring{{1.6, 0.5}, {2.5, 1.4}, {1.6, 2.3}, {0.7, 1.4}, {1.6, 0.5}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := convexOverlap(tc.a, tc.b); got != tc.want {
				t.Errorf("convexOverlap = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCityScaleTowns builds two dense towns at city scale, where blocks fill
// up completely, and checks their buildings.
func TestCityScaleTowns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the city's divisions")
	}
	ref, err := loadReference()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Scale: ScaleCity, Seed: 1}
	div, towns, err := buildDivisions(context.Background(), cfg, ref)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(div.Grids); n < 2800 || n > 3200 {
		t.Errorf("%d grids at city scale, want about 3,000", n)
	}
	for _, td := range towns {
		if td.ref.Code != "441900005" && td.ref.Code != "441900119" {
			continue
		}
		c, err := generateTown(context.Background(), cfg, td)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Doorplates) < td.target*8/10 {
			t.Errorf("town %s: %d doorplates for a target of %d", td.ref.Code, len(c.Doorplates), td.target)
		}
		checkNoOverlap(t, c.Buildings)
		grids := map[string]orb.MultiPolygon{}
		for _, g := range td.grids {
			grids[g.code] = g.geom
		}
		for _, b := range c.Buildings {
			for _, p := range b.Geom[0] {
				if !planar.MultiPolygonContains(grids[b.GridCode], p) {
					t.Fatalf("building %d reaches out of its grid %s", b.ID, b.GridCode)
				}
			}
		}
	}
}

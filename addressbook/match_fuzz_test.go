package addressbook_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/demo"
)

// FuzzMatch feeds the matcher (POST /v1/addresses/validate, the linking of
// registered addresses) and the type-ahead search arbitrary text against
// the demo city. Every text gets one of the four verdicts, the same each
// time; a matched address and every candidate are real standard addresses
// (codes of their length within their town, a point in the city); an
// invalid text says why; a search page holds at most limit addresses.
func FuzzMatch(f *testing.F) {
	ix := demoLibraryIndex(f)
	towns := []string{""}
	for _, code := range []string{"441900003", "441900004", "441900101", "441900121"} {
		if ix.Town(code) != nil {
			towns = append(towns, code)
		}
	}
	if len(towns) == 1 {
		f.Fatal("none of the towns is in the demo index")
	}
	// Messy addresses of the generator, existing and fabricated.
	cases, err := demo.GenerateAddressCases(context.Background(), demo.Config{Scale: demo.ScaleDemo, Seed: 1}, 60)
	if err != nil {
		f.Fatal(err)
	}
	for i, c := range cases {
		f.Add(c.Text, uint8(i))
	}
	for _, s := range []string{
		"", "   ", "东莞市", "12345", "<script>alert(1)</script>", "\xff\xfe东莞", "🏠👍", "十十十号号号",
		"广东省东莞市东莞市南城街道鸿福路88号之一汇峰大厦15楼1501（自编A区）附近",
		"东莞南城鸿福路１０８號3栋负一层B101", "塘夏镇" + strings.Repeat("路", 250), strings.Repeat("号", 801),
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, text string, town uint8) {
		townCode := towns[int(town)%len(towns)]
		r := ix.Match(text, townCode)
		switch r.Status {
		case addressbook.Matched:
			if r.Address == nil {
				t.Fatalf("Match(%q, %q): matched without an address", text, townCode)
			}
		case addressbook.Ambiguous, addressbook.NotFound:
		case addressbook.Invalid:
			if r.Address != nil || len(r.Issues) == 0 {
				t.Fatalf("Match(%q, %q): invalid with address %v and issues %v", text, townCode, r.Address, r.Issues)
			}
		default:
			t.Fatalf("Match(%q, %q): status %q", text, townCode, r.Status)
		}
		if r.Address != nil {
			checkAddress(t, text, *r.Address)
		}
		if len(r.Candidates) > 5 {
			t.Fatalf("Match(%q, %q): %d candidates", text, townCode, len(r.Candidates))
		}
		for _, c := range r.Candidates {
			checkAddress(t, text, c)
		}
		for _, is := range r.Issues {
			if is.Code == "" || is.Message == "" || !utf8.ValidString(is.Message) {
				t.Fatalf("Match(%q, %q): issue %+v", text, townCode, is)
			}
		}
		if r.Score < 0 || r.Score > 1 {
			t.Fatalf("Match(%q, %q): score %v", text, townCode, r.Score)
		}
		if again := ix.Match(text, townCode); !reflect.DeepEqual(again, r) {
			t.Fatalf("Match(%q, %q) is not deterministic:\n%+v\n%+v", text, townCode, r, again)
		}

		items, _ := ix.Search(text, townCode, 0, 5)
		if len(items) > 5 {
			t.Fatalf("Search(%q, %q) gave %d items, limit 5", text, townCode, len(items))
		}
		for _, a := range items {
			checkAddress(t, text, a)
		}
	})
}

var (
	libraryIndexOnce sync.Once
	libraryIndex     *addressbook.Index
	libraryIndexErr  error
)

// demoLibraryIndex builds the index of the demo city's library (seed 1),
// the same as demoCityIndex's, without generating the entities: every
// fuzzing process builds its own, so it had better be quick.
func demoLibraryIndex(t testing.TB) *addressbook.Index {
	t.Helper()
	libraryIndexOnce.Do(func() {
		c := &townCollector{}
		cfg := demo.Config{Scale: demo.ScaleDemo, Seed: 1, LibraryOnly: true}
		if _, libraryIndexErr = demo.Generate(context.Background(), cfg, c); libraryIndexErr != nil {
			return
		}
		towns := make([]*addressbook.TownIndex, len(c.towns))
		for i, td := range c.towns {
			towns[i] = addressbook.BuildTown(td)
		}
		libraryIndex = addressbook.NewIndex(towns)
	})
	if libraryIndexErr != nil {
		t.Fatal(libraryIndexErr)
	}
	return libraryIndex
}

// checkAddress checks that a is a standard address of the demo city: a
// room (18-digit code), a doorplate, building or place (the doorplate's 16
// digits) with its point, or a road (14 digits, no point) offered as a
// candidate.
func checkAddress(t *testing.T, text string, a addressbook.Address) {
	t.Helper()
	digits := map[addressbook.MatchLevel]int{addressbook.AtRoom: 18, addressbook.AtBuilding: 16,
		addressbook.AtDoorplate: 16, addressbook.AtPlace: 16, addressbook.AtRoad: 14}[a.Level]
	located := addressbook.DongguanExtent.Contains([2]float64{a.Lon, a.Lat})
	switch {
	case digits == 0:
		t.Fatalf("%q: address %s at level %q", text, a.Code, a.Level)
	case len(a.Code) != digits || strings.Trim(a.Code, "0123456789") != "":
		t.Fatalf("%q: address at level %s has code %q", text, a.Level, a.Code)
	case len(a.TownCode) != 9 || !strings.HasPrefix(a.Code, a.TownCode):
		t.Fatalf("%q: address %s in town %q", text, a.Code, a.TownCode)
	case a.Full == "" || !utf8.ValidString(a.Full):
		t.Fatalf("%q: address %s reads %q", text, a.Code, a.Full)
	case a.Score < 0 || a.Score > 1:
		t.Fatalf("%q: address %s scores %v", text, a.Code, a.Score)
	case a.Level == addressbook.AtRoad && (a.Lon != 0 || a.Lat != 0):
		t.Fatalf("%q: road %s has a point %v, %v", text, a.Code, a.Lon, a.Lat)
	case a.Level != addressbook.AtRoad && !located:
		t.Fatalf("%q: address %s at %v, %v", text, a.Code, a.Lon, a.Lat)
	}
}

package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// Codes of the small library the entity fixtures are linked to.
const (
	fxTown       = "441900003"
	fxVillage    = "441900003001"
	fxGrid       = "441900003001001"
	fxOtherTown  = "441900004"
	fxDoorplate  = "4419000030010001" // building 1 is behind it
	fxRoom       = "441900003000000001"
	fxDoorplate2 = "4419000030010002" // building 2
)

// fxEntity is a fixture entity; town == "" with linked leaves it unlinked.
type fxEntity struct {
	prefix     string // the first two characters: 91 enterprise, 92 individual, 93 cooperative
	status     string
	industry   string
	registered string
	linked     bool
	linkStatus string
	address    string
	building   int64
	grid       string
	village    string
	town       string
	loc        *orb.Point
	inspected  []string // inspection times
	tasks      []string // status:due, due "past" or "future"
}

// fxUSCC makes the valid code of fixture letter x: entities sort by kind
// prefix, then by letter.
func fxUSCC(t testing.TB, prefix, x string) supervision.USCC {
	t.Helper()
	first := prefix + "441900" + "MA00000" + x + x
	c, err := supervision.USCCCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	return supervision.USCC(first + string(c))
}

var fxEntities = map[string]fxEntity{
	"A": {prefix: "91", status: "active", industry: "F", registered: "2020-01-15", linked: true, linkStatus: "matched",
		address: fxRoom, building: 1, grid: fxGrid, village: fxVillage, town: fxTown, loc: &orb.Point{113.75, 23.02},
		inspected: []string{"2023-05-01T10:00:00+08:00", "2024-03-01T10:00:00+08:00"}},
	"B": {prefix: "92", status: "active", industry: "H", registered: "2021-06-01", linked: true, linkStatus: "matched",
		address: fxDoorplate, building: 1, grid: fxGrid, village: fxVillage, town: fxTown, loc: &orb.Point{113.751, 23.021},
		tasks: []string{"pushed:past", "done:past"}},
	"C": {prefix: "91", status: "cancelled", industry: "C", registered: "2019-03-03", linked: true, linkStatus: "matched",
		address: fxDoorplate2, building: 2, grid: "441900004001001", village: "441900004001", town: fxOtherTown,
		loc: &orb.Point{113.80, 23.05}, inspected: []string{"2023-01-10T09:00:00+08:00"}, tasks: []string{"done:past"}},
	"D": {prefix: "91", status: "active", registered: "2022-02-02", linked: true, linkStatus: "not_found", town: fxTown,
		tasks: []string{"pushed:future"}},
	"E": {prefix: "93", status: "active", industry: "A", registered: "2023-07-07"},
	"F": {prefix: "91", status: "revoked", industry: "F", registered: "2018-12-31", linked: true, linkStatus: "ambiguous",
		village: fxVillage, town: fxTown, inspected: []string{"2024-06-10T15:30:00+08:00"}, tasks: []string{"feedback:future", "returned:past"}},
}

// entityFixtures returns a database holding fxEntities, on a library of two
// doorplates with a building each, and the codes of the entities by letter.
func entityFixtures(t *testing.T) (*postgres.DB, map[string]supervision.USCC) {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", strings.Fields(q)[:3], err)
		}
	}
	const square = "SRID=4326;MULTIPOLYGON(((113.7 23.0,113.9 23.0,113.9 23.1,113.7 23.1,113.7 23.0)))"
	exec(`INSERT INTO towns VALUES ($1, '东城街道', '街道', $2)`, fxTown, square)
	exec(`INSERT INTO villages VALUES ($1, $2, '主山社区', '社区', $3)`, fxVillage, fxTown, square)
	exec(`INSERT INTO grids VALUES ($1, $2, $3, '主山一网格', $4)`, fxGrid, fxVillage, fxTown, square)
	exec(`INSERT INTO roads VALUES ('44190000300001', $1, '东纵路', 'SRID=4326;MULTILINESTRING((113.74 23.02,113.76 23.02))')`, fxTown)
	for i, dp := range []string{fxDoorplate, fxDoorplate2} {
		exec(`INSERT INTO doorplates (code, road_code, town_code, village_code, grid_code, number, geom)
		      VALUES ($1, '44190000300001', $2, $3, $4, $5, ST_SetSRID(ST_MakePoint(113.75, 23.02), 4326))`,
			dp, fxTown, fxVillage, fxGrid, i+1)
		exec(`INSERT INTO buildings (id, doorplate_code, label, use, floors, status, town_code, village_code, grid_code, geom)
		      VALUES ($1, $2, '1栋', 'commercial', 5, 'existing', $3, $4, $5,
		              'SRID=4326;POLYGON((113.7499 23.0199,113.7501 23.0199,113.7501 23.0201,113.7499 23.0201,113.7499 23.0199))')`,
			i+1, dp, fxTown, fxVillage, fxGrid)
	}
	codes := map[string]supervision.USCC{}
	for x, e := range fxEntities {
		u := fxUSCC(t, e.prefix, x)
		codes[x] = u
		kind, _ := u.Kind()
		exec(`INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, industry, legal_rep,
		      phone, id_number, changed_at) VALUES ($1, $2, $3, $4, $5, '东莞市东城街道东纵路1号', $6, '张三',
		      '13812345678', '44190019900101123X', '2024-01-01T00:00:00+08:00')`,
			string(u), "测试商行"+x, string(kind), e.status, e.registered, e.industry)
		if e.linked {
			var h3 []any
			var loc any
			if e.loc != nil {
				for _, c := range supervision.Cells(geo.FromPoint(*e.loc)) {
					h3 = append(h3, int64(c))
				}
				b, err := geo.MarshalEWKB(*e.loc)
				if err != nil {
					t.Fatal(err)
				}
				loc = b
			} else {
				h3 = make([]any, 5)
			}
			exec(`UPDATE entities SET link_status = $2, link_level = 'room', link_score = 0.9,
			      link_issues = '[{"code":"room_missing","message":"未写房号"}]',
			      address_code = nullif($3, ''), building_id = nullif($4, 0), grid_code = nullif($5, ''),
			      village_code = nullif($6, ''), town_code = nullif($7, ''), location = ST_GeomFromEWKB($8),
			      h3_7 = $9, h3_8 = $10, h3_9 = $11, h3_10 = $12, h3_11 = $13, linked_at = now()
			      WHERE uscc = $1`,
				append([]any{string(u), e.linkStatus, e.address, e.building, e.grid, e.village, e.town, loc}, h3...)...)
		}
		for _, at := range e.inspected {
			exec(`INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome)
			      VALUES ($1, 'inspector', $2, ST_SetSRID(ST_MakePoint(113.75, 23.02), 4326), 'wgs84', '{}', 'operating')`,
				string(u), at)
		}
		for _, task := range e.tasks {
			status, when, _ := strings.Cut(task, ":")
			due := "now() + interval '3 days'"
			if when == "past" {
				due = "now() - interval '3 days'"
			}
			exec(`INSERT INTO tasks (uscc, kind, assignee, status, pushed_at, due_at)
			      VALUES ($1, 'first_check', $2, $3, now() - interval '20 days', `+due+`)`, string(u), fxGrid, status)
		}
	}
	return db, codes
}

// sortedCodes returns the codes of letters in USCC order.
func sortedCodes(codes map[string]supervision.USCC, letters string) []supervision.USCC {
	out := []supervision.USCC{}
	for _, x := range letters {
		out = append(out, codes[string(x)])
	}
	slices.Sort(out)
	return out
}

// checkCodes checks that recs are the entities of letters, in USCC order.
func checkCodes(t *testing.T, codes map[string]supervision.USCC, letters string, recs []supervision.EntityRecord) {
	t.Helper()
	got := []supervision.USCC{}
	for _, r := range recs {
		got = append(got, r.USCC)
	}
	if diff := cmp.Diff(sortedCodes(codes, letters), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func beijingDate(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, supervision.Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

// TestEntitiesRead runs the entity reads over one set of fixtures.
func TestEntitiesRead(t *testing.T) {
	db, codes := entityFixtures(t)
	t.Run("filters", func(t *testing.T) { testEntitiesFilters(t, db, codes) })
	t.Run("pages", func(t *testing.T) { testEntitiesPages(t, db, codes) })
	t.Run("entity", func(t *testing.T) { testEntity(t, db, codes) })
	t.Run("at an address", func(t *testing.T) { testEntitiesAt(t, db, codes) })
	t.Run("invalid filters", func(t *testing.T) { testEntitiesInvalidFilter(t, db) })
}

func testEntitiesFilters(t *testing.T, db *postgres.DB, codes map[string]supervision.USCC) {
	ctx := context.Background()
	box := func(minLon, minLat, maxLon, maxLat float64) *orb.Bound {
		return &orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}
	}
	square := func(lon, lat, d float64) orb.Polygon {
		return orb.Polygon{{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}, {lon - d, lat - d}}}
	}
	for _, tc := range []struct {
		name string
		f    supervision.EntityFilter
		want string // letters
	}{
		{"no filter", supervision.EntityFilter{}, "ABCDEF"},
		{"town", supervision.EntityFilter{TownCode: fxTown}, "ABDF"},
		{"village", supervision.EntityFilter{VillageCode: fxVillage}, "ABF"},
		{"grid", supervision.EntityFilter{GridCode: fxGrid}, "AB"},
		{"building", supervision.EntityFilter{BuildingID: 2}, "C"},
		{"bbox", supervision.EntityFilter{BBox: box(113.74, 23.01, 113.76, 23.03)}, "AB"},
		{"bbox edge is inside", supervision.EntityFilter{BBox: box(113.80, 23.05, 113.81, 23.06)}, "C"},
		{"bbox of nothing", supervision.EntityFilter{BBox: box(113.0, 22.0, 113.1, 22.1)}, ""},
		{"polygon", supervision.EntityFilter{Within: square(113.80, 23.05, 0.001)}, "C"},
		{"multipolygon", supervision.EntityFilter{Within: orb.MultiPolygon{square(113.80, 23.05, 0.001), square(113.75, 23.02, 0.0005)}}, "AC"},
		{"industry", supervision.EntityFilter{Industry: "F"}, "AF"},
		{"kind", supervision.EntityFilter{Kind: supervision.Individual}, "B"},
		{"status", supervision.EntityFilter{Status: supervision.Cancelled}, "C"},
		{"registered from", supervision.EntityFilter{RegisteredFrom: beijingDate("2021-06-01")}, "BDE"},
		{"registered to is inclusive", supervision.EntityFilter{RegisteredTo: beijingDate("2019-03-03")}, "CF"},
		{"registered between", supervision.EntityFilter{RegisteredFrom: beijingDate("2019-03-04"), RegisteredTo: beijingDate("2021-06-01")}, "AB"},
		{"inspected after", supervision.EntityFilter{InspectedAfter: beijingDate("2024-01-01")}, "AF"},
		{"inspected before: the last inspection counts", supervision.EntityFilter{InspectedBefore: beijingDate("2024-01-01")}, "C"},
		{"never inspected", supervision.EntityFilter{NeverInspected: true}, "BDE"},
		{"overdue", supervision.EntityFilter{TaskStatus: supervision.TaskOverdue}, "B"},
		{"pushed excludes overdue", supervision.EntityFilter{TaskStatus: supervision.TaskPushed}, "D"},
		{"open", supervision.EntityFilter{TaskStatus: "open"}, "BDF"},
		{"done", supervision.EntityFilter{TaskStatus: supervision.TaskDone}, "BC"},
		{"feedback", supervision.EntityFilter{TaskStatus: supervision.TaskFeedback}, "F"},
		{"returned", supervision.EntityFilter{TaskStatus: supervision.TaskReturned}, "F"},
		{"room", supervision.EntityFilter{AddressCode: fxRoom}, "A"},
		{"doorplate includes its buildings' rooms", supervision.EntityFilter{AddressCode: fxDoorplate}, "AB"},
		{"unlinked", supervision.EntityFilter{LinkStatus: supervision.LinkUnlinked}, "E"},
		{"matched", supervision.EntityFilter{LinkStatus: "matched"}, "ABC"},
		{"not found", supervision.EntityFilter{LinkStatus: "not_found"}, "D"},
		{"ambiguous", supervision.EntityFilter{LinkStatus: "ambiguous"}, "F"},
		{"combined", supervision.EntityFilter{TownCode: fxTown, NeverInspected: true, Status: supervision.Active}, "BD"},
		{"after", supervision.EntityFilter{After: codes["F"]}, strings.Map(func(r rune) rune {
			if codes[string(r)] > codes["F"] {
				return r
			}
			return -1
		}, "ABCDEF")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := db.Entities(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			checkCodes(t, codes, tc.want, recs)
		})
	}
}

func testEntitiesPages(t *testing.T, db *postgres.DB, codes map[string]supervision.USCC) {
	ctx := context.Background()
	var got []supervision.USCC
	f := supervision.EntityFilter{Limit: 2}
	for pages := 1; ; pages++ {
		recs, err := db.Entities(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 3 {
			t.Fatalf("page %d has %d records, want at most limit+1 = 3", pages, len(recs))
		}
		if len(recs) <= 2 {
			for _, r := range recs {
				got = append(got, r.USCC)
			}
			break
		}
		for _, r := range recs[:2] {
			got = append(got, r.USCC)
		}
		f.After = recs[1].USCC
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if diff := cmp.Diff(sortedCodes(codes, "ABCDEF"), got); diff != "" {
		t.Errorf("paging by 2 (-want +got):\n%s", diff)
	}
}

func testEntity(t *testing.T, db *postgres.DB, codes map[string]supervision.USCC) {
	ctx := context.Background()

	a, err := db.Entity(ctx, codes["A"])
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "测试商行A" || a.Phone != "13812345678" || a.Link.AddressCode != fxRoom || a.Link.TownCode != fxTown ||
		a.Link.Location == nil || len(a.Link.H3) != 5 || a.LinkedAt == nil || len(a.Link.Issues) != 1 {
		t.Errorf("entity A = %+v", a)
	}
	if want := time.Date(2024, 3, 1, 10, 0, 0, 0, supervision.Beijing); a.LastInspectedAt == nil || !a.LastInspectedAt.Equal(want) {
		t.Errorf("last inspected at %v, want %v (the later inspection)", a.LastInspectedAt, want)
	}
	if got := a.RegisteredAt.Format(time.DateOnly); got != "2020-01-15" {
		t.Errorf("registered at %s", got)
	}

	missing := fxUSCC(t, "91", "Y")
	_, err = db.Entity(ctx, missing)
	if !errors.Is(err, derrors.NotFound) || !strings.Contains(err.Error(), "no entity with USCC "+string(missing)) {
		t.Errorf("missing entity: err = %v, want not found naming the code", err)
	}
}

func testEntitiesAt(t *testing.T, db *postgres.DB, codes map[string]supervision.USCC) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, code string
		limit      int
		want       string
	}{
		{"room", fxRoom, 10, "A"},
		{"doorplate with its building's entities", fxDoorplate, 10, "AB"},
		{"limit+1 says there is more", fxDoorplate, 1, "AB"},
		{"other doorplate", fxDoorplate2, 10, "C"},
		{"nobody there", "4419000030019999", 10, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := db.EntitiesAt(ctx, tc.code, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			checkCodes(t, codes, tc.want, recs)
		})
	}
}

func testEntitiesInvalidFilter(t *testing.T, db *postgres.DB) {
	for _, tc := range []struct {
		name  string
		f     supervision.EntityFilter
		field string
	}{
		{"limit", supervision.EntityFilter{Limit: 5000}, "limit"},
		{"address code", supervision.EntityFilter{AddressCode: "123"}, "address_code"},
		{"self-intersecting polygon", supervision.EntityFilter{Within: orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}}, "polygon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Entities(context.Background(), tc.f)
			var de *derrors.Error
			if !errors.As(err, &de) || de.Kind != derrors.Invalid || de.Field != tc.field {
				t.Errorf("err = %v, want invalid %s", err, tc.field)
			}
		})
	}
}

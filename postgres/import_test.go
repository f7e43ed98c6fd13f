package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// demoLibrary returns a fresh database holding the demo city.
func demoLibrary(t *testing.T) *postgres.DB {
	t.Helper()
	return pgtest.Demo(t)
}

// export writes the records of kind (of one town, or all) in format.
func export(t *testing.T, db *postgres.DB, format addressbook.Format, opt addressbook.ExportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := addressbook.NewWriter(&buf, format, opt.Kind)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ExportLibrary(context.Background(), opt, w.Write); err != nil {
		t.Fatalf("export: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type importArgs struct {
	kind          addressbook.LibraryKind
	format        addressbook.Format
	retireMissing bool
	dryRun        bool
}

// importFile imports file and returns the report.
func importFile(t *testing.T, db *postgres.DB, file []byte, a importArgs) addressbook.ImportReport {
	t.Helper()
	rep, err := tryImport(context.Background(), db, file, a)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func tryImport(ctx context.Context, db *postgres.DB, file []byte, a importArgs) (addressbook.ImportReport, error) {
	if a.format == "" {
		a.format = addressbook.FormatCSV
	}
	if a.kind == "" {
		a.kind = addressbook.KindAll
	}
	rd, err := addressbook.NewReader(bytes.NewReader(file), addressbook.ReadOptions{Format: a.format, Kind: a.kind})
	if err != nil {
		return addressbook.ImportReport{}, err
	}
	opt := addressbook.ImportOptions{Kind: a.kind, Source: "test", RetireMissing: a.retireMissing, DryRun: a.dryRun}
	if testing.Verbose() {
		opt.Trace = func(step string, rows int, d time.Duration) {
			if d > 200*time.Millisecond {
				fmt.Printf("    %-50s %7d rows %v\n", step, rows, d.Round(time.Millisecond))
			}
		}
	}
	return db.ImportLibrary(ctx, rd, opt)
}

// state counts what an import may touch, to prove that one touched nothing.
type state struct {
	History, Changes, Imports, ActiveDoorplates, ActiveRooms int
	VersionSum                                               int64
}

func stateOf(t *testing.T, db *postgres.DB) state {
	t.Helper()
	var s state
	err := db.Pool().QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM address_history), (SELECT count(*) FROM library_changes), (SELECT count(*) FROM imports),
		(SELECT count(*) FROM doorplates WHERE retired_at IS NULL), (SELECT count(*) FROM rooms WHERE retired_at IS NULL),
		(SELECT sum(version) FROM doorplates) + (SELECT sum(version) FROM rooms)`).
		Scan(&s.History, &s.Changes, &s.Imports, &s.ActiveDoorplates, &s.ActiveRooms, &s.VersionSum)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestImportRoundTrip exports one town and imports it back into the same
// library (nothing changes, nothing is written), then exports the whole
// city and imports it into a library holding only the divisions: the copy
// exports byte for byte like the original.
func TestImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t)
	const town = "441900003"

	for _, format := range []addressbook.Format{addressbook.FormatCSV, addressbook.FormatGeoJSON} {
		t.Run("reimport "+string(format), func(t *testing.T) {
			file := export(t, db, format, addressbook.ExportOptions{Kind: addressbook.KindAll, TownCode: town})
			before := stateOf(t, db)
			rep := importFile(t, db, file, importArgs{format: format})
			if rep.Rejected != 0 || rep.Inserted != 0 || rep.Updated != 0 || rep.Retired != 0 || rep.Unchanged == 0 {
				t.Fatalf("re-import of an export: %+v, errors %v", rep.Counts, rep.Errors)
			}
			after := stateOf(t, db)
			before.Imports++ // the import itself is recorded
			if before != after {
				t.Errorf("re-import changed the database: before %+v, after %+v", before, after)
			}
		})
	}

	// Last, as it empties the library: the town's contents refer only to
	// the town's own rows, so the town alone can be copied.
	t.Run("copy into an empty library", func(t *testing.T) {
		file := export(t, db, addressbook.FormatCSV, addressbook.ExportOptions{Kind: addressbook.KindAll, TownCode: town, IncludeRetired: true})
		if _, err := db.Pool().Exec(ctx, "DELETE FROM rooms; DELETE FROM buildings; DELETE FROM places; DELETE FROM doorplates; DELETE FROM roads"); err != nil {
			t.Fatal(err)
		}
		rep := importFile(t, db, file, importArgs{})
		if rep.Rejected != 0 || rep.Updated != 0 || rep.Unchanged != 0 || rep.Inserted < 1000 {
			t.Fatalf("import into an empty library: %+v, errors %v", rep.Counts, rep.Errors[:min(5, len(rep.Errors))])
		}
		copyFile := export(t, db, addressbook.FormatCSV, addressbook.ExportOptions{Kind: addressbook.KindAll, TownCode: town, IncludeRetired: true})
		if !bytes.Equal(file, copyFile) {
			a, b := strings.Split(string(file), "\n"), strings.Split(string(copyFile), "\n")
			t.Fatalf("the copy exports differently: %d vs %d lines; first difference:\n%s", len(a), len(b), firstDiff(a, b))
		}
	})
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return cmp.Diff(a[i], b[i])
		}
	}
	return "(one is a prefix of the other)"
}

// fixture holds real rows of the demo city the change tests build on.
type fixture struct {
	town, road     string  // a town and one of its roads
	number, sub    int     // a number taken on that road
	lon, lat       float64 // a doorplate's point, inside a grid of the town
	building       int64   // a building of the town
	buildingFloors int
}

func loadFixture(t *testing.T, db *postgres.DB) fixture {
	t.Helper()
	f := fixture{town: "441900003"}
	err := db.Pool().QueryRow(context.Background(), `
		SELECT d.road_code, d.number, d.sub_number, ST_X(d.geom), ST_Y(d.geom), b.id, b.floors
		FROM doorplates d JOIN buildings b ON b.doorplate_code = d.code
		WHERE d.town_code = $1 AND b.floors < 50 ORDER BY d.code LIMIT 1`, f.town).
		Scan(&f.road, &f.number, &f.sub, &f.lon, &f.lat, &f.building, &f.buildingFloors)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// csvFile builds a CSV file from a header and rows of values.
func csvFile(header string, rows ...string) []byte {
	return []byte(header + "\n" + strings.Join(rows, "\n") + "\n")
}

func lines(errs []addressbook.RowError) []int {
	var out []int
	for _, e := range errs {
		out = append(out, e.Line)
	}
	return out
}

func TestImportChanges(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t)
	f := loadFixture(t, db)
	road := f.town + "99001"      // new
	door1 := f.town + "9900001"   // new
	room1 := f.town + "999000001" // new
	pt := func(dx float64) string { return fmt.Sprintf("%v,%v", f.lon+dx, f.lat) }
	line := fmt.Sprintf("LINESTRING(%v %v,%v %v)", f.lon, f.lat, f.lon+0.0005, f.lat)
	const header = "type,code,road_code,number,sub_number,name,building_id,floor,label,lon,lat,wkt,replaces"
	first := csvFile(header,
		"road,"+road+",,,,测试一路,,,,,,\""+line+"\",",                                                   // 2: new road
		"doorplate,"+door1+","+road+",1,,,,,,"+pt(0)+",,",                                            // 3: new doorplate, grid derived
		"doorplate,123,"+road+",2,,,,,,"+pt(0)+",,",                                                  // 4: bad code
		"doorplate,"+f.town+"9900009,"+f.town+"99999,1,,,,,,"+pt(0)+",,",                             // 5: no such road
		"room,"+room1+",,,,,"+fmt.Sprint(f.building)+",1,9901,,,,",                                   // 6: new room
		"room,"+f.town+"999000002,,,,,"+fmt.Sprint(f.building)+",99,9902,,,,",                        // 7: floor 99 is not in the building
		fmt.Sprintf("doorplate,%s9900008,%s,%d,%d,,,,,%s,,", f.town, f.road, f.number, f.sub, pt(0)), // 8: number taken
	)
	before := stateOf(t, db)

	t.Run("good rows load, bad rows are reported", func(t *testing.T) {
		rep := importFile(t, db, first, importArgs{})
		if rep.Inserted != 3 || rep.Rejected != 4 || rep.Updated != 0 {
			t.Errorf("counts %+v, want 3 inserted and 4 rejected", rep.Counts)
		}
		if diff := cmp.Diff([]int{4, 5, 7, 8}, lines(rep.Errors)); diff != "" {
			t.Errorf("rejected lines (-want +got):\n%s\n%v", diff, rep.Errors)
		}
		for i, want := range []string{"code", "road 441900003" + "99999 does not exist", "floor 99 is not in building", "is already doorplate"} {
			if i < len(rep.Errors) && !strings.Contains(rep.Errors[i].Reason, want) {
				t.Errorf("line %d: reason %q, want it to mention %q", rep.Errors[i].Line, rep.Errors[i].Reason, want)
			}
		}
		var grid string
		if err := db.Pool().QueryRow(ctx, "SELECT grid_code FROM doorplates WHERE code = $1", door1).Scan(&grid); err != nil || grid == "" {
			t.Errorf("derived grid of the new doorplate: %q, %v", grid, err)
		}
		after := stateOf(t, db)
		if after.History != before.History || after.VersionSum != before.VersionSum+2 {
			t.Errorf("only inserts expected: before %+v, after %+v", before, after)
		}
	})

	t.Run("re-import changes nothing", func(t *testing.T) {
		before := stateOf(t, db)
		rep := importFile(t, db, first, importArgs{})
		if rep.Inserted != 0 || rep.Unchanged != 3 || rep.Rejected != 4 {
			t.Errorf("counts %+v, want 3 unchanged and 4 rejected", rep.Counts)
		}
		after := stateOf(t, db)
		before.Imports++
		if before != after {
			t.Errorf("re-import wrote: before %+v, after %+v", before, after)
		}
	})

	t.Run("changes bump versions and keep history", func(t *testing.T) {
		before := stateOf(t, db)
		changed := csvFile(header,
			"road,"+road+",,,,测试二路,,,,,,\""+line+"\",",                 // renamed
			"doorplate,"+door1+","+road+",1,,,,,,"+pt(1e-6)+",,",       // moved
			"room,"+room1+",,,,,"+fmt.Sprint(f.building)+",1,9911,,,,", // new label
		)
		rep := importFile(t, db, changed, importArgs{})
		if rep.Updated != 3 || rep.Rejected != 0 {
			t.Fatalf("counts %+v, errors %v, want 3 updated", rep.Counts, rep.Errors)
		}
		var hist []string
		rows, _ := db.Pool().Query(ctx, `SELECT kind || ' ' || code || ' v' || version || ' ' || (row_data->>'label' IS NOT NULL OR row_data->>'name' IS NOT NULL OR row_data ? 'geom')::text
			FROM address_history WHERE import_id = $1 ORDER BY kind`, rep.ImportID)
		for rows.Next() {
			var h string
			_ = rows.Scan(&h)
			hist = append(hist, h)
		}
		want := []string{"doorplate " + door1 + " v1 true", "road " + road + " v1 true", "room " + room1 + " v1 true"}
		if diff := cmp.Diff(want, hist); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
		var name string
		var v1, v2 int
		_ = db.Pool().QueryRow(ctx, `SELECT (SELECT name FROM roads WHERE code = $1), (SELECT version FROM doorplates WHERE code = $2),
			(SELECT version FROM rooms WHERE code = $3)`, road, door1, room1).Scan(&name, &v1, &v2)
		if name != "测试二路" || v1 != 2 || v2 != 2 {
			t.Errorf("after the change: road %q, doorplate v%d, room v%d; want 测试二路, v2, v2", name, v1, v2)
		}
		if after := stateOf(t, db); after.Changes <= before.Changes {
			t.Errorf("no library_changes rows for the changes")
		}
	})

	t.Run("divisions derived from the geometry", func(t *testing.T) {
		fp := fmt.Sprintf("POLYGON((%[1]v %[2]v,%[3]v %[2]v,%[3]v %[4]v,%[1]v %[4]v,%[1]v %[2]v))", f.lon, f.lat, f.lon+0.0001, f.lat+0.0001)
		file := csvFile("type,id,doorplate_code,label,use,floors,status,name,kind,lon,lat,wkt",
			"building,999999,"+door1+",1栋,office,5,existing,,,,,\""+fp+"\"",
			"place,999999,"+door1+",,,,,测试大厦,tower,"+pt(0)+",")
		rep := importFile(t, db, file, importArgs{})
		if rep.Inserted != 2 || rep.Rejected != 0 {
			t.Fatalf("counts %+v, errors %v", rep.Counts, rep.Errors)
		}
		var ok bool
		err := db.Pool().QueryRow(ctx, `SELECT
			(SELECT ST_Intersects(g.geom, ST_PointOnSurface(b.geom)) AND b.village_code = g.village_code AND b.town_code = g.town_code
			 FROM buildings b JOIN grids g ON g.code = b.grid_code WHERE b.id = 999999)
			AND (SELECT ST_Intersects(v.geom, p.geom) AND p.town_code = $1 FROM places p JOIN villages v ON v.code = p.village_code WHERE p.id = 999999)`,
			f.town).Scan(&ok)
		if err != nil || !ok {
			t.Errorf("derived divisions do not hold: %v, %v", ok, err)
		}
	})

	door2, door3 := f.town+"9900002", f.town+"9900003"
	t.Run("replaces retires the old code with its successor", func(t *testing.T) {
		// The new doorplate takes the old one's number: the old one must be
		// retired before the new one is inserted.
		file := csvFile(header, "doorplate,"+door2+","+road+",1,,,,,,"+pt(1e-6)+",,"+door1)
		rep := importFile(t, db, file, importArgs{})
		if rep.Inserted != 1 || rep.Retired != 1 || rep.Rejected != 0 {
			t.Fatalf("counts %+v, errors %v, want 1 inserted, 1 retired", rep.Counts, rep.Errors)
		}
		file2 := csvFile(header, "doorplate,"+door3+","+road+",1,,,,,,"+pt(1e-6)+",,"+door2)
		importFile(t, db, file2, importArgs{})
		res, err := db.ResolveAddress(ctx, door1)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Retired || res.RetiredAt == nil || res.Current != door3 || !slicesEqual(res.SuccessorChain, []string{door2, door3}) {
			t.Errorf("ResolveAddress(%s) = %+v, want retired, chain [%s %s]", door1, res, door2, door3)
		}
		// Again: nothing to do.
		before := stateOf(t, db)
		rep = importFile(t, db, file2, importArgs{})
		if rep.Unchanged != 1 || rep.Retired != 0 {
			t.Errorf("replaces again: %+v", rep.Counts)
		}
		if after := stateOf(t, db); after.History != before.History || after.Changes != before.Changes {
			t.Errorf("replaces again wrote: before %+v, after %+v", before, after)
		}
		// The old file names the retired code as current: refused.
		rep = importFile(t, db, csvFile(header, "doorplate,"+door1+","+road+",1,,,,,,"+pt(1e-6)+",,"), importArgs{})
		if rep.Rejected != 1 || !strings.Contains(rep.Errors[0].Reason, "retired") {
			t.Errorf("a retired code restated: %+v %v", rep.Counts, rep.Errors)
		}
	})

	t.Run("resolve", func(t *testing.T) {
		for _, c := range []struct {
			code string
			want error
		}{{"12", derrors.Invalid}, {f.town + "999999999", derrors.NotFound}, {f.town + "000000000", derrors.NotFound}} {
			if _, err := db.ResolveAddress(ctx, c.code); !errors.Is(err, c.want) {
				t.Errorf("ResolveAddress(%q): %v, want %v", c.code, err, c.want)
			}
		}
		res, err := db.ResolveAddress(ctx, road)
		if err != nil || res.Current != road || res.Kind != addressbook.TypeRoad {
			t.Errorf("ResolveAddress(road) = %+v, %v", res, err)
		}
		// A cycle written by hand ends the walk.
		if _, err := db.Pool().Exec(ctx, `UPDATE doorplates SET retired_at = now(), successor_code = $1 WHERE code = $2`, door2, door3); err != nil {
			t.Fatal(err)
		}
		res, err = db.ResolveAddress(ctx, door1)
		if err != nil || !res.Broken || res.Current != "" {
			t.Errorf("cycle: %+v, %v", res, err)
		}
		if _, err := db.Pool().Exec(ctx, `UPDATE doorplates SET retired_at = NULL, successor_code = NULL WHERE code = $1`, door3); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("retire missing", func(t *testing.T) {
		file := export(t, db, addressbook.FormatCSV, addressbook.ExportOptions{Kind: addressbook.KindAddresses, TownCode: f.town})
		var kept []string
		var dropped []string
		for i, l := range strings.Split(strings.TrimSuffix(string(file), "\n"), "\n") {
			if i > 0 && (strings.HasPrefix(l, "doorplate,") || strings.HasPrefix(l, "room,")) && len(dropped) < 4 &&
				!strings.Contains(l, door3) && !strings.Contains(l, room1) {
				if len(dropped) < 2 && strings.HasPrefix(l, "doorplate,") || len(dropped) >= 2 && strings.HasPrefix(l, "room,") {
					dropped = append(dropped, strings.Split(l, ",")[1])
					continue
				}
			}
			kept = append(kept, l)
		}
		partial := []byte(strings.Join(kept, "\n") + "\n")
		bad := append(append([]byte{}, partial...), []byte("room,bad\n")...)
		rep := importFile(t, db, bad, importArgs{kind: addressbook.KindAddresses, retireMissing: true})
		if rep.Retired != 0 || rep.RetireSkipped == "" {
			t.Errorf("with a rejected row: retired %d, skipped %q; want nothing retired", rep.Retired, rep.RetireSkipped)
		}
		before := stateOf(t, db)
		rep = importFile(t, db, partial, importArgs{kind: addressbook.KindAddresses, retireMissing: true})
		if rep.Retired != 4 || rep.Rejected != 0 || rep.Inserted != 0 || rep.Updated != 0 {
			t.Fatalf("counts %+v, errors %v, want 4 retired", rep.Counts, rep.Errors)
		}
		after := stateOf(t, db)
		if after.ActiveDoorplates != before.ActiveDoorplates-2 || after.ActiveRooms != before.ActiveRooms-2 || after.History != before.History+4 {
			t.Errorf("before %+v, after %+v", before, after)
		}
		for _, code := range dropped {
			res, err := db.ResolveAddress(ctx, code)
			if err != nil || !res.Retired || res.Current != "" || len(res.SuccessorChain) != 0 {
				t.Errorf("%s after retire-missing: %+v, %v", code, res, err)
			}
		}
	})

	t.Run("dry run writes nothing", func(t *testing.T) {
		before := stateOf(t, db)
		file := csvFile(header, "road,"+f.town+"99002,,,,测试三路,,,,,,\""+line+"\",")
		rep := importFile(t, db, file, importArgs{dryRun: true})
		if rep.Inserted != 1 || !rep.DryRun || rep.ImportID != 0 {
			t.Errorf("dry run report %+v", rep)
		}
		if after := stateOf(t, db); after != before {
			t.Errorf("dry run wrote: before %+v, after %+v", before, after)
		}
	})
}

func slicesEqual(a, b []string) bool { return cmp.Equal(a, b) }

// cancelAfter hands out records and cancels the import's context after n.
type cancelAfter struct {
	src    addressbook.RecordSource
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Next() (addressbook.Record, error) {
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	return c.src.Next()
}

// TestImportCancelled cancels an import while it streams: nothing of it may
// remain, not even its imports row.
func TestImportCancelled(t *testing.T) {
	db := demoLibrary(t)
	file := export(t, db, addressbook.FormatCSV, addressbook.ExportOptions{Kind: addressbook.KindAll, TownCode: "441900003"})
	if _, err := db.Pool().Exec(context.Background(), "DELETE FROM rooms WHERE code LIKE '441900003%'"); err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rd, err := addressbook.NewReader(bytes.NewReader(file), addressbook.ReadOptions{Format: addressbook.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ImportLibrary(ctx, &cancelAfter{src: rd, n: 2000, cancel: cancel}, addressbook.ImportOptions{Kind: addressbook.KindAll})
	if err == nil {
		t.Fatal("a cancelled import succeeded")
	}
	if after := stateOf(t, db); after != before {
		t.Errorf("a cancelled import left something: before %+v, after %+v", before, after)
	}
	// Re-running it completes the import.
	rep := importFile(t, db, file, importArgs{})
	if rep.Inserted == 0 || rep.Rejected != 0 {
		t.Errorf("the re-run: %+v", rep.Counts)
	}
}

var _ = io.EOF

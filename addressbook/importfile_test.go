package addressbook_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
)

// readAll reads every row of a file, returning the good records and the
// rejected rows.
func readAll(t *testing.T, file string, opt addressbook.ReadOptions) ([]addressbook.Record, []addressbook.RowError) {
	t.Helper()
	rd, err := addressbook.NewReader(strings.NewReader(file), opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var recs []addressbook.Record
	var bad []addressbook.RowError
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs, bad
		}
		var re *addressbook.RowError
		switch {
		case errors.As(err, &re):
			bad = append(bad, *re)
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			recs = append(recs, rec)
		}
	}
}

const (
	doorplateHeader = "type,code,road_code,number,sub_number,village_code,grid_code,lon,lat"
	goodDoorplate   = "doorplate,4419000030000001,44190000300055,88,1,,,113.80,23.04"
)

// TestReadRejects checks each reason a row is rejected for, with its line.
func TestReadRejects(t *testing.T) {
	csv := addressbook.ReadOptions{Format: addressbook.FormatCSV}
	for _, tc := range []struct {
		name   string
		file   string
		opt    addressbook.ReadOptions
		line   int
		reason string
	}{
		{"missing column", "type,code,road_code,lon,lat\n" + "doorplate,4419000030000001,44190000300055,113.8,23.04", csv, 2, "number: column missing"},
		{"empty required value", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,,,,,113.8,23.04", csv, 2, "number: empty"},
		{"bad code", doorplateHeader + "\n" + goodDoorplate + "\n" + "doorplate,44190000300001,44190000300055,88,,,,113.8,23.04", csv, 3, "not a 16-digit code"},
		{"letters in a code", doorplateHeader + "\n" + "doorplate,44190000300000A1,44190000300055,88,,,,113.8,23.04", csv, 2, "not a 16-digit code"},
		{"road of another town", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000400055,88,,,,113.8,23.04", csv, 2, "not a road of the doorplate's town"},
		{"grid not in the village", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,88,,441900003001,441900003002001,113.8,23.04", csv, 2, "does not start with village_code"},
		{"village of another town", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,88,,441900004001,,113.8,23.04", csv, 2, "is not in town 441900004"},
		{"number zero", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,0,,,,113.8,23.04", csv, 2, "number: 0 must be greater than 0"},
		{"number not a number", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,八十八,,,,113.8,23.04", csv, 2, `number: "八十八" is not an integer`},
		{"negative sub-number", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,88,-1,,,113.8,23.04", csv, 2, "sub_number: -1 is not between 0"},
		{"coordinates out of range", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,88,,,,213.8,23.04", csv, 2, "coordinates out of range"},
		{"lon and lat swapped", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,88,,,,23.04,113.8", csv, 2, "swapped?"},
		{"outside the extent", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055,88,,,,116.4,39.9", csv, 2, "outside the plausible extent"},
		{"no geometry", "type,code,road_code,number\n" + "doorplate,4419000030000001,44190000300055,88", csv, 2, "geometry: missing"},
		{"unknown type", doorplateHeader + "\n" + "shop,4419000030000001,44190000300055,88,,,,113.8,23.04", csv, 2, `unknown record type "shop"`},
		{"no type", "code,road_code,number,lon,lat\n" + "4419000030000001,44190000300055,88,113.8,23.04", csv, 2, "type: missing"},
		{"type outside the kind", doorplateHeader + "\n" + goodDoorplate,
			addressbook.ReadOptions{Format: addressbook.FormatCSV, Kind: addressbook.KindBuildings}, 2, "do not belong in a buildings import"},
		{"invalid UTF-8", doorplateHeader + "\n" + goodDoorplate + "\n" + "road,44190000300055,,,,,,,\xff", csv, 3, "invalid UTF-8"},
		{"too few fields", doorplateHeader + "\n" + "doorplate,4419000030000001,44190000300055", csv, 2, "row has 3 fields, the header has 9"},
		{"bare quote", doorplateHeader + "\n" + `doorplate,4419000030000001,44190000300055,8"8,,,,113.8,23.04`, csv, 2, "malformed CSV"},
		{"invalid WKT", "type,code,name,wkt\n" + "road,44190000300055,鸿福路,\"LINESTRING(113.8 23.04,\"", csv, 2, "wkt:"},
		{"polygon where a line is needed", "type,code,name,wkt\n" + "road,44190000300055,鸿福路,\"POLYGON((113.8 23.04,113.81 23.04,113.81 23.05,113.8 23.04))\"", csv, 2, "Polygon where a LineString or MultiLineString is needed"},
		{"self-intersecting polygon", "type,id,doorplate_code,label,use,floors,status,wkt\n" +
			"building,7,4419000030000001,1栋,office,5,existing,\"POLYGON((113.80 23.04,113.81 23.05,113.81 23.04,113.80 23.05,113.80 23.04))\"", csv, 2, "invalid Polygon"},
		{"unclosed ring", "type,id,doorplate_code,label,use,floors,status,wkt\n" +
			"building,7,4419000030000001,1栋,office,5,existing,\"POLYGON((113.80 23.04,113.81 23.04,113.81 23.05,113.80 23.05))\"", csv, 2, "invalid Polygon"},
		{"unknown use", "type,id,doorplate_code,label,use,floors,status,wkt\n" +
			"building,7,4419000030000001,1栋,castle,5,existing,\"POLYGON((113.80 23.04,113.81 23.04,113.81 23.05,113.80 23.04))\"", csv, 2, `use: "castle" is not one of`},
		{"too many floors", "type,id,doorplate_code,label,use,floors,status,wkt\n" +
			"building,7,4419000030000001,1栋,office,500,existing,\"POLYGON((113.80 23.04,113.81 23.04,113.81 23.05,113.80 23.04))\"", csv, 2, "floors: 500 is not between 1 and 200"},
		{"room on floor zero", "type,code,building_id,floor,label\n" + "room,441900003000000001,7,0,001", csv, 2, "floor: 0 is not a floor"},
		{"room with a geometry", "type,code,building_id,floor,label,lon,lat\n" + "room,441900003000000001,7,1,101,113.8,23.04", csv, 2, "rooms have none"},
		{"room code of 16 digits", "type,code,building_id,floor,label\n" + "room,4419000030000001,7,1,101", csv, 2, "not a 18-digit code"},
		{"successor without retirement", doorplateHeader + ",successor_code\n" + goodDoorplate + ",4419000030000002", csv, 2, "only a retired doorplate"},
		{"replaces itself", doorplateHeader + ",replaces\n" + goodDoorplate + ",4419000030000001", csv, 2, "cannot replace itself"},
		{"replaces on a building", "type,id,doorplate_code,label,use,floors,status,replaces,wkt\n" +
			"building,7,4419000030000001,1栋,office,5,existing,6,\"POLYGON((113.80 23.04,113.81 23.04,113.81 23.05,113.80 23.04))\"", csv, 2, "only doorplates and rooms"},
		{"bad retired_at", doorplateHeader + ",retired_at\n" + goodDoorplate + ",yesterday", csv, 2, "retired_at"},
		{"unknown crs", doorplateHeader + ",crs\n" + goodDoorplate + ",bd09", csv, 2, "unknown crs"},
		{"geojson feature index", `{"type":"FeatureCollection","features":[
			{"type":"Feature","geometry":{"type":"Point","coordinates":[113.8,23.04]},"properties":{"type":"doorplate","code":"4419000030000001","road_code":"44190000300055","number":88}},
			{"type":"Feature","geometry":{"type":"Point","coordinates":[113.8,23.04]},"properties":{"type":"doorplate","code":"4419000030000002","road_code":"44190000300055","number":-5}}]}`,
			addressbook.ReadOptions{Format: addressbook.FormatGeoJSON}, 2, "number: -5 must be greater than 0"},
		{"geojson bad geometry", `{"type":"FeatureCollection","features":[
			{"type":"Feature","geometry":{"type":"Point","coordinates":"here"},"properties":{"type":"doorplate"}}]}`,
			addressbook.ReadOptions{Format: addressbook.FormatGeoJSON}, 1, "geometry:"},
		{"geojson object property", `{"type":"FeatureCollection","features":[
			{"type":"Feature","geometry":null,"properties":{"type":"room","code":{"a":1}}}]}`,
			addressbook.ReadOptions{Format: addressbook.FormatGeoJSON}, 1, "want a string or a number"},
		{"geojson invalid UTF-8", "{\"type\":\"FeatureCollection\",\"features\":[\n" +
			"{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"type\":\"room\",\"label\":\"\xff\"}}]}",
			addressbook.ReadOptions{Format: addressbook.FormatGeoJSON}, 1, "invalid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, bad := readAll(t, tc.file, tc.opt)
			if len(bad) != 1 {
				t.Fatalf("got %d rejected rows, want 1: %v", len(bad), bad)
			}
			if bad[0].Line != tc.line || !strings.Contains(bad[0].Reason, tc.reason) {
				t.Errorf("rejected line %d: %q; want line %d, a reason containing %q", bad[0].Line, bad[0].Reason, tc.line, tc.reason)
			}
		})
	}
}

// TestReadFileErrors: files that cannot be read at all are refused whole.
func TestReadFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		format     addressbook.Format
		want       string
	}{
		{"empty CSV", "", addressbook.FormatCSV, "empty"},
		{"no known column", "a,b,c\n1,2,3\n", addressbook.FormatCSV, "names none of the library columns"},
		{"duplicate column", "code,code\n", addressbook.FormatCSV, "appears twice"},
		{"not JSON", "code,name\n", addressbook.FormatGeoJSON, "GeoJSON"},
		{"not a collection", `{"type":"Feature","geometry":null,"properties":{}}`, addressbook.FormatGeoJSON, "FeatureCollection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := addressbook.NewReader(strings.NewReader(tc.file), addressbook.ReadOptions{Format: tc.format})
			if !errors.Is(err, derrors.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want an invalid error mentioning %q", err, tc.want)
			}
		})
	}
	// A syntax error in the middle of the features stops the reading.
	rd, err := addressbook.NewReader(strings.NewReader(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"type":"room"}},{"type":`), addressbook.ReadOptions{Format: addressbook.FormatGeoJSON})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for range 5 {
		if _, last = rd.Next(); last != nil && !errors.As(last, new(*addressbook.RowError)) {
			break
		}
	}
	if !errors.Is(last, derrors.Invalid) || !strings.Contains(last.Error(), "feature 2") {
		t.Errorf("truncated GeoJSON: %v, want an invalid error at feature 2", last)
	}
}

// TestReadValues checks what good rows read to: BOM, defaults, derived
// divisions, CRS conversion, the type from the options.
func TestReadValues(t *testing.T) {
	file := "\xef\xbb\xbftype,code,road_code,number,sub_number,grid_code,lon,lat,crs\n" +
		"doorplate,4419000030000001,44190000300055,88,,441900003001002,113.8,23.04,\n" +
		"doorplate,4419000030000002,44190000300055,90,2,,113.8,23.04,gcj02\n"
	recs, bad := readAll(t, file, addressbook.ReadOptions{Format: addressbook.FormatCSV})
	if len(bad) != 0 || len(recs) != 2 {
		t.Fatalf("got %d records, rejected %v", len(recs), bad)
	}
	d := recs[0].Doorplate
	if d.TownCode != "441900003" || d.VillageCode != "441900003001" || d.GridCode != "441900003001002" || d.SubNumber != 0 || recs[0].Line != 2 {
		t.Errorf("first doorplate: %+v", d)
	}
	want := geo.GCJ02{Lon: 113.8, Lat: 23.04}.ToWGS84().Point()
	if got := recs[1].Doorplate.Geom; got != want || recs[1].Doorplate.VillageCode != "" {
		t.Errorf("gcj02 point: %v, want %v; village %q (derived later)", got, want, recs[1].Doorplate.VillageCode)
	}
	if off := math.Abs(want[0]-113.8) + math.Abs(want[1]-23.04); off < 1e-3 {
		t.Errorf("GCJ-02 conversion moved the point only %g°", off)
	}

	// A file-level CRS and type, and a GeoJSON polygon as a one-polygon MultiPolygon.
	gj := `{"features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[113.8,23.04],[113.801,23.04],[113.801,23.041],[113.8,23.04]]]]},
		"properties":{"id":7,"doorplate_code":"4419000030000001","label":"A座","use":"office","floors":12.0,"status":"existing"}}],"type":"FeatureCollection"}`
	recs, bad = readAll(t, gj, addressbook.ReadOptions{Format: addressbook.FormatGeoJSON, Type: addressbook.TypeBuilding, CRS: geo.CRSGCJ02})
	if len(bad) != 0 || len(recs) != 1 {
		t.Fatalf("geojson: %d records, rejected %v", len(recs), bad)
	}
	b := recs[0].Building
	if b.ID != 7 || b.Floors != 12 || b.Label != "A座" || len(b.Geom) != 1 || b.Geom[0][0] == (orb.Point{113.8, 23.04}) {
		t.Errorf("building %+v", b)
	}
}

// TestWriteRead writes records and reads them back, in both formats.
func TestWriteRead(t *testing.T) {
	retired := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	recs := []addressbook.Record{
		{Type: addressbook.TypeRoad, Road: addressbook.Road{Code: "44190000300055", TownCode: "441900003", Name: "鸿福路",
			Geom: orb.MultiLineString{{{113.8, 23.04}, {113.8012345678901, 23.0412345678901}}}}},
		{Type: addressbook.TypeDoorplate, Doorplate: addressbook.Doorplate{Code: "4419000030000001", RoadCode: "44190000300055",
			TownCode: "441900003", VillageCode: "441900003001", GridCode: "441900003001002", Number: 88, SubNumber: 1,
			Geom: orb.Point{113.80000000000001, 23.04}, Lifecycle: addressbook.Lifecycle{Version: 3, RetiredAt: &retired, SuccessorCode: "4419000030000002"}}},
		{Type: addressbook.TypePlace, Place: addressbook.Place{ID: 5, Name: "鸿福大厦, \"东座\"", Kind: addressbook.PlaceTower, TownCode: "441900003",
			VillageCode: "441900003001", DoorplateCode: "4419000030000001", Geom: orb.Point{113.8, 23.04}}},
		{Type: addressbook.TypeBuilding, Building: addressbook.Building{ID: 9, DoorplateCode: "4419000030000001", PlaceID: 5, Label: "1栋",
			Use: addressbook.UseMixed, Floors: 30, BasementFloors: 2, Status: addressbook.StatusExisting, TownCode: "441900003",
			VillageCode: "441900003001", GridCode: "441900003001002",
			Geom: orb.Polygon{{{113.8, 23.04}, {113.801, 23.04}, {113.801, 23.041}, {113.8, 23.04}}}}},
		{Type: addressbook.TypeRoom, Room: addressbook.Room{Code: "441900003000000001", BuildingID: 9, Unit: "2", Floor: -1, Label: "B101",
			Lifecycle: addressbook.Lifecycle{Version: 1}}},
	}
	for _, format := range []addressbook.Format{addressbook.FormatCSV, addressbook.FormatGeoJSON} {
		t.Run(string(format), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := addressbook.NewWriter(&buf, format, addressbook.KindAll)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, bad := readAll(t, buf.String(), addressbook.ReadOptions{Format: format})
			if len(bad) != 0 {
				t.Fatalf("rejected: %v\n%s", bad, buf.String())
			}
			// The version is the database's: it is written, not read.
			want := make([]addressbook.Record, len(recs))
			for i, r := range recs {
				r.Doorplate.Version, r.Room.Version = 0, 0
				want[i] = r
				got[i].Line = 0
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("read back (-want +got):\n%s\n%s", diff, buf.String())
			}
		})
	}
}

func ExampleWriter() {
	var buf bytes.Buffer
	w, _ := addressbook.NewWriter(&buf, addressbook.FormatCSV, addressbook.KindBuildings)
	_ = w.Write(addressbook.Record{Type: addressbook.TypeBuilding, Building: addressbook.Building{
		ID: 9, DoorplateCode: "4419000030000001", Label: "1栋", Use: addressbook.UseOffice, Floors: 12,
		Status: addressbook.StatusExisting, TownCode: "441900003", VillageCode: "441900003001", GridCode: "441900003001002",
		Geom: orb.Polygon{{{113.8, 23.04}, {113.801, 23.04}, {113.801, 23.041}, {113.8, 23.04}}}}})
	_ = w.Close()
	fmt.Print(buf.String())
	// Output:
	// type,id,town_code,village_code,grid_code,doorplate_code,place_id,label,use,floors,basement_floors,status,wkt
	// building,9,441900003,441900003001,441900003001002,4419000030000001,,1栋,office,12,0,existing,"POLYGON((113.8 23.04,113.801 23.04,113.801 23.041,113.8 23.04))"
}

// FuzzReadCSV feeds the reader arbitrary files: it must never panic, and
// every error must be a rejected row, the end, or an invalid file.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(doorplateHeader + "\n" + goodDoorplate + "\n"))
	f.Add([]byte("type,code,name,wkt\nroad,44190000300055,鸿福路,\"LINESTRING(113.8 23.04,113.81 23.05)\"\n"))
	f.Add([]byte("type,id,doorplate_code,label,use,floors,status,wkt\nbuilding,7,4419000030000001,1栋,office,5,existing,\"POLYGON((113.80 23.04,113.81 23.05,113.81 23.04,113.80 23.05,113.80 23.04))\"\n"))
	f.Add([]byte("\xef\xbb\xbfcode,building_id,floor,label\n441900003000000001,7,\"1\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		for _, format := range []addressbook.Format{addressbook.FormatCSV, addressbook.FormatGeoJSON} {
			rd, err := addressbook.NewReader(bytes.NewReader(file), addressbook.ReadOptions{Format: format, Type: addressbook.TypeRoom})
			if err != nil {
				if !errors.Is(err, derrors.Invalid) {
					t.Fatalf("NewReader: %v is not an invalid-file error", err)
				}
				continue
			}
			// A reader that goes on after a bad row must still reach the end:
			// no more rows than lines (CSV) or bytes (GeoJSON).
			limit := bytes.Count(file, []byte("\n")) + 2
			if format == addressbook.FormatGeoJSON {
				limit = len(file)
			}
			for n := 0; ; n++ {
				if n > limit {
					t.Fatalf("%s: more than %d rows from a file of %d bytes", format, limit, len(file))
				}
				_, err := rd.Next()
				if err == io.EOF {
					break
				}
				var re *addressbook.RowError
				if err != nil && !errors.As(err, &re) {
					if !errors.Is(err, derrors.Invalid) {
						t.Fatalf("Next: %v is neither a row error nor an invalid file", err)
					}
					break
				}
			}
		}
	})
}

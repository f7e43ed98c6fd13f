package addressbook_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	sf "github.com/peterstace/simplefeatures/geom"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
)

// FuzzReadLibrary feeds the library import reader (CSV and GeoJSON files
// of roads, doorplates, places, buildings and rooms, as uploaded to
// POST /v1/library/imports) arbitrary files. Every row is a record or a
// rejected row with its line and reason; the file as a whole fails only as
// Invalid. A record's codes have their lengths and agree with each other,
// its geometry has the shape of its type, is valid and lies within the
// city's extent, its text can be stored; and the record written by
// addressbook.Writer reads back the same.
func FuzzReadLibrary(f *testing.F) {
	const poly = `"POLYGON((113.80 23.04,113.81 23.04,113.81 23.05,113.80 23.04))"`
	for _, s := range []string{
		"type,code,town_code,name,wkt\nroad,44190000300055,441900003,鸿福路,\"LINESTRING(113.8 23.04,113.81 23.05)\"\n" +
			"road,44190000300056,,东城大道,\"SRID=4490;MULTILINESTRING((113.8 23.04,113.81 23.05),(113.82 23.04,113.83 23.05))\"\n",
		doorplateHeader + ",retired_at,successor_code,replaces,crs\n" + goodDoorplate + ",,,,\n" +
			"doorplate,4419000030000002,44190000300055,90,0,441900003001,441900003001002,113.8,23.04,2024-05-06,4419000030000003,,gcj02\n" +
			"doorplate,4419000030000004,44190000300055,12.0,,,,113.8,23.04,,,4419000030000001,cgcs2000\n",
		"type,id,name,kind,doorplate_code,town_code,village_code,lon,lat\nplace,5,\"鸿福大厦, \"\"东座\"\"\",tower,4419000030000001,,441900003001,113.8,23.04\n",
		"type,id,doorplate_code,place_id,label,use,floors,basement_floors,status,grid_code,wkt\n" +
			"building,7,4419000030000001,5,1栋,office,5,2,existing,441900003001002," + poly + "\n" +
			"building,8,4419000030000001,,2栋,mixed,200,10,slated,,\"MULTIPOLYGON(((113.80 23.04,113.81 23.04,113.81 23.05,113.80 23.04)))\"\n" +
			"building,9,4419000030000001,,3栋,office,5,,existing,,\"POLYGON((113.80 23.04,113.81 23.05,113.81 23.04,113.80 23.05,113.80 23.04))\"\n",
		"\xef\xbb\xbfTYPE , Code,building_id,floor,label,unit,retired_at,successor_code\n" +
			"room,441900003000000001,7,-1,B101,2,,\nroom,441900003000000002,7,3,301,,2024-05-06T07:08:09.123+08:00,441900003000000001\n" +
			"room,441900003000000003,7,1,\"1\x001\",,,\n",
		"type,code,road_code,number,lon,lat\ndoorplate,4419000030000001,44190000300055,88,NaN,23.04\n" +
			"doorplate,4419000030000001,44190000300055,88,113.8,\n" +
			"doorplate,4419000030000001,44190000300055,9223372036854775807,113.8,23.04\n",
		`{"type":"FeatureCollection","features":[
			{"type":"Feature","geometry":{"type":"Point","coordinates":[113.8,23.04]},"properties":{"type":"doorplate","code":"4419000030000001","road_code":"44190000300055","number":88,"sub_number":1e0}},
			{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[113.8,23.04],[113.801,23.04],[113.801,23.041],[113.8,23.04]]]]},
			 "properties":{"type":"building","id":7,"doorplate_code":"4419000030000001","label":"A座","use":"office","floors":12.0,"status":"existing","crs":"gcj02"}},
			{"type":"Feature","geometry":{"type":"LineString","coordinates":[[113.8,23.04],[113.8,23.04]]},"properties":{"type":"road","code":"44190000300055","name":"鸿福路"}},
			{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[113.8,23.04],[113.8,1e400]]]},"properties":{"type":"building"}},
			{"type":"Feature","geometry":null,"properties":{"type":"room","code":"441900003000000001","building_id":7,"floor":1,"label":"101\u0000"}}
		],"bbox":[113,22,114,23]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]},"properties":{"type":"place"}}]}`,
	} {
		f.Add([]byte(s), strings.HasPrefix(s, "{"))
	}
	f.Fuzz(func(t *testing.T, file []byte, geoJSON bool) {
		format := addressbook.FormatCSV
		if geoJSON {
			format = addressbook.FormatGeoJSON
		}
		rd, err := addressbook.NewReader(bytes.NewReader(file), addressbook.ReadOptions{Format: format})
		if err != nil {
			if !errors.Is(err, derrors.Invalid) {
				t.Fatalf("NewReader: %v is not an invalid-file error", err)
			}
			return
		}
		var recs []addressbook.Record
		last := 0
		for n := 0; ; n++ {
			if n > len(file)+1 {
				t.Fatalf("%s: more than %d rows from a file of %d bytes", format, n, len(file))
			}
			rec, err := rd.Next()
			if err == io.EOF {
				break
			}
			var re *addressbook.RowError
			if errors.As(err, &re) {
				if re.Line <= last || re.Reason == "" {
					t.Fatalf("%s: rejected row %+v after line %d: lines go up and a rejection says why", format, *re, last)
				}
				last = re.Line
				continue
			}
			if err != nil {
				if !errors.Is(err, derrors.Invalid) {
					t.Fatalf("%s: Next: %v is neither a row error nor an invalid file", format, err)
				}
				break
			}
			if rec.Line <= last {
				t.Fatalf("%s: record at line %d after line %d", format, rec.Line, last)
			}
			last = rec.Line
			checkRecord(t, rec)
			recs = append(recs, rec)
		}
		if len(recs) == 0 {
			return
		}

		// What an export writes of the records reads back the same.
		var buf bytes.Buffer
		w, err := addressbook.NewWriter(&buf, format, addressbook.KindAll)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				t.Fatalf("Write(%+v): %v", r, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rd, err = addressbook.NewReader(bytes.NewReader(buf.Bytes()), addressbook.ReadOptions{Format: format})
		if err != nil {
			t.Fatalf("reading back:\n%s\n%v", buf.Bytes(), err)
		}
		for i, want := range recs {
			got, err := rd.Next()
			if err != nil {
				t.Fatalf("reading back record %d:\n%s\n%v", i, buf.Bytes(), err)
			}
			// Line is the file's; replaces is import-only.
			want.Line, got.Line, want.Replaces = 0, 0, ""
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Fatalf("record %d read back (-want +got):\n%s\n%s", i, diff, buf.Bytes())
			}
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Fatalf("reading back: %v after the records, want EOF", err)
		}
	})
}

// checkRecord checks what an accepted library record must satisfy.
func checkRecord(t *testing.T, rec addressbook.Record) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s %s: "+format, append([]any{rec.Type, rec.Key()}, args...)...)
	}
	code := func(name, v string, n int, required bool) {
		t.Helper()
		if v == "" && !required {
			return
		}
		if len(v) != n || strings.Trim(v, "0123456789") != "" {
			fail("%s %q is not a %d-digit code", name, v, n)
		}
	}
	within := func(name, child, parent string) {
		t.Helper()
		if child != "" && parent != "" && !strings.HasPrefix(child, parent) {
			fail("%s %s is not within %s", name, child, parent)
		}
	}
	var g orb.Geometry
	switch rec.Type {
	case addressbook.TypeRoad:
		r := rec.Road
		code("code", r.Code, 14, true)
		code("town_code", r.TownCode, 9, true)
		within("code", r.Code, r.TownCode)
		g = r.Geom
	case addressbook.TypeDoorplate:
		d := rec.Doorplate
		code("code", d.Code, 16, true)
		code("road_code", d.RoadCode, 14, true)
		code("town_code", d.TownCode, 9, true)
		code("village_code", d.VillageCode, 12, false)
		code("grid_code", d.GridCode, 15, false)
		code("successor_code", d.SuccessorCode, 16, false)
		for _, c := range []string{d.Code, d.RoadCode, d.VillageCode, d.GridCode} {
			within("code", c, d.TownCode)
		}
		within("grid_code", d.GridCode, d.VillageCode)
		if d.Number < 1 || d.SubNumber < 0 {
			fail("number %d-%d", d.Number, d.SubNumber)
		}
		g = d.Geom
	case addressbook.TypePlace:
		p := rec.Place
		code("doorplate_code", p.DoorplateCode, 16, true)
		code("town_code", p.TownCode, 9, true)
		code("village_code", p.VillageCode, 12, false)
		within("village_code", p.VillageCode, p.TownCode)
		if p.ID <= 0 || p.Name == "" {
			fail("id %d, name %q", p.ID, p.Name)
		}
		g = p.Geom
	case addressbook.TypeBuilding:
		b := rec.Building
		code("doorplate_code", b.DoorplateCode, 16, true)
		code("town_code", b.TownCode, 9, false)
		code("village_code", b.VillageCode, 12, false)
		code("grid_code", b.GridCode, 15, false)
		within("village_code", b.VillageCode, b.TownCode)
		within("grid_code", b.GridCode, b.VillageCode)
		if b.ID <= 0 || b.PlaceID < 0 || b.Floors < 1 || b.Floors > 200 || b.BasementFloors < 0 || b.BasementFloors > 10 || b.Label == "" {
			fail("%+v", b)
		}
		g = b.Geom
	case addressbook.TypeRoom:
		r := rec.Room
		code("code", r.Code, 18, true)
		code("successor_code", r.SuccessorCode, 18, false)
		if r.BuildingID <= 0 || r.Floor == 0 || r.Floor < -10 || r.Floor > 200 || r.Label == "" {
			fail("%+v", r)
		}
	default:
		fail("unknown type")
	}
	noNUL(t, reflect.ValueOf(rec), string(rec.Type))
	if rec.Type == addressbook.TypeRoom {
		return
	}
	points := 0
	eachPoint(g, func(orb.Point) { points++ })
	if points == 0 {
		fail("no geometry")
	}
	var out error
	eachPoint(g, func(p orb.Point) {
		if out == nil && !addressbook.DongguanExtent.Contains(p) {
			out = errors.New("point outside the city's extent")
		}
	})
	if out != nil {
		fail("%v: %v", out, g)
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		fail("%v", err)
	}
	if _, err := sf.UnmarshalWKB(b); err != nil {
		fail("invalid geometry %v: %v", g, err)
	}
}

// noNUL fails when a string in v holds a NUL, which PostgreSQL text cannot.
func noNUL(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			t.Fatalf("%s = %q holds a NUL", path, v.String())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				noNUL(t, v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		}
	}
}

func eachPoint(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		fn(g)
	case orb.MultiLineString:
		for _, l := range g {
			for _, p := range l {
				fn(p)
			}
		}
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				fn(p)
			}
		}
	}
}

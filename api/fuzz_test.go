package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	sf "github.com/peterstace/simplefeatures/geom"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// The fuzz targets of the API's parsers of untrusted input: registration
// feed lines, entity filters (query and JSON body), GeoJSON polygons and
// points, and the query parameters of the workflow and flag lists. Each
// accepted input must give values within their documented ranges; each
// rejected one an Invalid error naming the parameter or field the client
// sent.

// jsonNames returns the JSON names of the fields of v's struct type.
func jsonNames(v any) map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}

// fieldError returns err as an Invalid *derrors.Error naming a field, or
// fails.
func fieldError(t *testing.T, in any, err error) *derrors.Error {
	t.Helper()
	var de *derrors.Error
	if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) {
		t.Fatalf("%q: %v (%T) is not an Invalid error", in, err, err)
	}
	if de.Field == "" || de.Message == "" {
		t.Fatalf("%q: %v names no field or says nothing", in, err)
	}
	return de
}

// queryError checks that err names a parameter the query has.
func queryError(t *testing.T, q url.Values, err error) {
	t.Helper()
	de := fieldError(t, q.Encode(), err)
	if _, unnamed := q[""]; de.Field == "query" && unnamed {
		return
	}
	if _, ok := q[de.Field]; !ok {
		t.Fatalf("%q: %v names %q, which the query does not have", q.Encode(), err, de.Field)
	}
}

// FuzzFeedLine feeds feedWrite (one line of POST /v1/feeds/registrations)
// arbitrary bytes: a line is a write of a valid entity, or a rejection
// that says why and, unless the line is not one JSON object, names the
// field.
func FuzzFeedLine(f *testing.F) {
	for _, s := range []string{
		`{"uscc":"91441900MA4W000011","name":"东莞市鸿福贸易有限公司","kind":"enterprise","status":"active","registered_at":"2021-03-04","address_text":"东莞市南城街道鸿福路88号3栋502室","scope":"预包装食品销售","industry":"F","legal_rep":"张三","phone":"13800138000","id_number":"441900199001011234","report_year":2023,"changed_at":"2026-11-27T09:30:00+08:00","change":"new"}`,
		`{"uscc":"92441900MA5A12345D","name":"李记小吃","registered_at":"2019-01-01","address_text":"虎门镇连升中路一百零八号","change":"change","changed_at":"2026-11-27T01:30:00Z"}`,
		`{"uscc":"91441900MA4W000011","change":"cancel","changed_at":"2026-11-27T09:30:00+08:00"}`,
		`{"uscc":"91441900MA4W000011","change":"cancel","status":"bogus","changed_at":"2026-11-27T09:30:00+08:00"}`,
		`{"uscc":"91441900MA4W000011","name":"x","registered_at":"2021-03-04","address_text":"a","changed_at":"2026-11-27T09:30:00+08:00"}`,
		`{"uscc":"91441900MA4W000011","change":"new"}`,
		`{"uscc":"91441900MA4W000011","name":"a\u0000b","registered_at":"2021-03-04","address_text":"a","change":"new","changed_at":"2026-11-27T09:30:00+08:00"}`,
		`{"uscc":"91441900MA4W000011","report_year":"2023"}`,
		`{"":1}`,
		`[1]`,
		`{"uscc":`,
		`{} {}`,
		"\xff",
	} {
		f.Add([]byte(s))
	}
	ix := addressbook.NewIndex(nil)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, supervision.Beijing)
	fields := jsonNames(supervision.EntityInput{})
	f.Fuzz(func(t *testing.T, line []byte) {
		wr, lerr := feedWrite(line, now, ix)
		if lerr != nil {
			switch {
			case lerr.Error == "":
				t.Fatalf("%q: rejected without a reason", line)
			case lerr.Field == "":
				if !strings.HasPrefix(lerr.Error, "malformed JSON") && lerr.Error != "more than one JSON value" {
					t.Fatalf("%q: %q names no field, and the line is JSON", line, lerr.Error)
				}
			case !strings.HasPrefix(lerr.Error, lerr.Field+": "):
				t.Fatalf("%q: the error %q is not about its field %q", line, lerr.Error, lerr.Field)
			case !fields[lerr.Field] && !strings.HasSuffix(lerr.Error, ": unknown field"):
				t.Fatalf("%q: %q names %q, not a field of a feed line", line, lerr.Error, lerr.Field)
			}
			return
		}
		e := wr.Entity
		switch {
		case wr.Change != "new" && wr.Change != "change" && wr.Change != "cancel":
			t.Fatalf("%q: change %q", line, wr.Change)
		case wr.Cancel != (wr.Change == "cancel" && e.Name == ""):
			t.Fatalf("%q: cancel %v of a %s change of %q", line, wr.Cancel, wr.Change, e.Name)
		case wr.Cancel == (wr.Link != nil):
			t.Fatalf("%q: cancel %v with link %v", line, wr.Cancel, wr.Link)
		case e.ChangedAt.After(now.Add(10 * time.Minute)):
			t.Fatalf("%q: changed in the future, %v", line, e.ChangedAt)
		}
		// The change time is the line's: a feed line must say when.
		in, err := supervision.DecodeEntityInput(line)
		if err != nil {
			t.Fatal(err)
		}
		if at, err := time.Parse(time.RFC3339Nano, in.ChangedAt); err != nil || !at.Equal(e.ChangedAt) {
			t.Fatalf("%q: changed at %v, not the line's %q", line, e.ChangedAt, in.ChangedAt)
		}
		if u, err := supervision.ParseUSCC(string(e.USCC)); err != nil || u != e.USCC {
			t.Fatalf("%q: code %q: %v", line, e.USCC, err)
		}
		if wr.Cancel {
			if e.Status != supervision.Cancelled && e.Status != supervision.Revoked {
				t.Fatalf("%q: a cancel line sets status %q", line, e.Status)
			}
			return
		}
		v := e
		if err := v.Validate(); err != nil || !reflect.DeepEqual(v, e) {
			t.Fatalf("%q: an accepted entity does not validate unchanged: %v", line, err)
		}
		for _, s := range []string{e.Name, e.AddressText, e.Scope, e.LegalRep, e.Phone, e.IDNumber} {
			if strings.ContainsRune(s, 0) {
				t.Fatalf("%q: %q holds a NUL, which PostgreSQL text cannot", line, s)
			}
		}
	})
}

// entityQuerySeeds are queries of GET /v1/entities, real and tricky.
var entityQuerySeeds = []string{
	"town=441900003&kind=enterprise&status=active&limit=50",
	"village=441900003001&grid=441900003001002&building=7&industry=F&task_status=overdue&link_status=unlinked",
	"bbox=113.7,22.9,113.8,23.1&crs=gcj02&registered_from=2020-01-01&registered_to=2020-12-31",
	"inspected_before=2024-01-01T00:00:00%2B08:00&inspected_after=2023-01-01&never_inspected=false",
	"polygon=" + url.QueryEscape(`{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,22]]]}`),
	"polygon=" + url.QueryEscape(`{"type":"MultiPolygon","coordinates":[[[[113,22],[114,22],[114,23],[113,22]]]]}`) + "&crs=gcj02",
	"polygon=" + url.QueryEscape(`{"type":"Polygon","coordinates":[[[113,22],[114,23],[114,22],[113,23],[113,22]]]}`),
	"polygon=" + url.QueryEscape(`{"type":"Point","coordinates":[113,22]}`),
	"polygon=null&bbox=NaN,0,1,1",
	"bbox=-180,-90,180,90&limit=1000&cursor=OTE0NDE5MDBNQTRXMDAwMDEx",
	"bbox=1,2,3&limit=0",
	"limit=1001&cursor=!!",
	"town=4419000031&town=441900003",
	"address_code=4419000030010001&never_inspected=true&inspected_after=2024-01-01",
	"building=-1",
	"building=9223372036854775808",
	"unknown=1",
	"town=%zz&kind=",
	"registered_from=2021-02-30",
	"limit=+5",
	"near=113.75,23.02,500&crs=gcj02&same_building_as=91441900MA4W000011&flag_kind=dormant&flag_status=confirmed",
	"near=113.75,23.02&shared_phone_min=1&building_entities_min=1001&has_open_flag=maybe",
	"near=NaN,23,10&same_phone_as=91441900ma4w000011&inspection_outcome=moved&never_inspected=true",
	"shared_legal_rep_min=2&same_legal_rep_as=91441900MA4W000011&has_open_flag=false&flag_kind=not_found",
}

// checkEntityFilter checks an accepted entity filter against its query
// or body.
func checkEntityFilter(t *testing.T, in any, f supervision.EntityFilter) {
	t.Helper()
	if err := f.Validate(); err != nil {
		t.Fatalf("%q gives a filter that does not validate: %v", in, err)
	}
	if f.Limit < 0 || f.Limit > supervision.MaxEntityLimit || f.PageSize() < 1 {
		t.Fatalf("%q: limit %d", in, f.Limit)
	}
	if f.BuildingID < 0 {
		t.Fatalf("%q: building %d", in, f.BuildingID)
	}
	if f.BBox != nil {
		b := *f.BBox
		if !inWorld(b.Min) || !inWorld(b.Max) || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			t.Fatalf("%q: bbox %v", in, b)
		}
	}
	if f.Within != nil {
		checkArea(t, in, f.Within)
	}
	if f.After != "" {
		if u, err := supervision.ParseUSCC(string(f.After)); err != nil || u != f.After {
			t.Fatalf("%q: cursor %q", in, f.After)
		}
	}
	if c := f.Near; c != nil && (!inWorld(c.Center) || !(c.RadiusM >= 1 && c.RadiusM <= supervision.MaxNearRadius)) {
		t.Fatalf("%q: near %v", in, *c)
	}
	for _, n := range []int{f.SharedPhoneMin, f.SharedLegalRepMin, f.BuildingEntitiesMin} {
		if n != 0 && (n < supervision.MinGroupSize || n > supervision.MaxGroupSize) {
			t.Fatalf("%q: a group size of %d", in, n)
		}
	}
}

func inWorld(p orb.Point) bool {
	return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90 // false for NaN
}

// checkArea checks that g is a valid Polygon or MultiPolygon in WGS84.
func checkArea(t *testing.T, in any, g orb.Geometry) {
	t.Helper()
	var rings []orb.Ring
	switch g := g.(type) {
	case orb.Polygon:
		rings = g
	case orb.MultiPolygon:
		for _, p := range g {
			if len(p) == 0 {
				t.Fatalf("%q: area %v has an empty polygon", in, g)
			}
			rings = append(rings, p...)
		}
	default:
		t.Fatalf("%q: area is a %T", in, g)
	}
	if len(rings) == 0 {
		t.Fatalf("%q: area %v is empty", in, g)
	}
	for _, r := range rings {
		if len(r) < 4 || r[0] != r[len(r)-1] {
			t.Fatalf("%q: ring %v is not closed", in, r)
		}
		for _, p := range r {
			if !inWorld(p) {
				t.Fatalf("%q: vertex %v is not WGS84", in, p)
			}
		}
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.UnmarshalWKB(b); err != nil {
		t.Fatalf("%q: area %v is invalid: %v", in, g, err)
	}
}

// FuzzEntityQuery feeds the query of GET /v1/entities to
// entitySearchOfQuery and the filter it makes.
func FuzzEntityQuery(f *testing.F) {
	for _, s := range entityQuerySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // as r.URL.Query() reads it
		req, err := entitySearchOfQuery(q)
		if err != nil {
			queryError(t, q, err)
			return
		}
		fl, err := req.filter()
		if err != nil {
			queryError(t, q, err)
			return
		}
		checkEntityFilter(t, raw, fl)
		for name, got := range map[string]string{"town": fl.TownCode, "village": fl.VillageCode, "grid": fl.GridCode,
			"industry": fl.Industry, "kind": string(fl.Kind), "status": string(fl.Status), "task_status": string(fl.TaskStatus),
			"address_code": fl.AddressCode, "link_status": fl.LinkStatus} {
			if want := q.Get(name); got != want {
				t.Fatalf("%q: %s is %q, not the parameter's %q", raw, name, got, want)
			}
		}
		if limit := q.Get("limit"); limit != "" && strconv.Itoa(fl.Limit) != strings.TrimLeft(strings.TrimPrefix(limit, "+"), "0") {
			t.Fatalf("%q: limit %d", raw, fl.Limit)
		}
	})
}

// FuzzEntitySearchBody feeds the body of POST /v1/entities:search to the
// JSON decoder and the filter it makes.
func FuzzEntitySearchBody(f *testing.F) {
	for _, s := range []string{
		`{"town":"441900003","kind":"enterprise","limit":50}`,
		`{"polygon":{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,22]]]},"crs":"gcj02"}`,
		`{"polygon":{"type":"MultiPolygon","coordinates":[[[[113,22],[114,22],[114,23],[113,22]]],[[[113,22],[114,22],[114,23],[113,22]]]]}}`,
		`{"polygon":null,"bbox":[113.7,22.9,113.8,23.1],"building":7,"never_inspected":true}`,
		`{"bbox":[1,2,3],"limit":-1}`,
		`{"bbox":[1e999,0,1,1]}`,
		`{"building":1.5}`,
		`{"BBOX":[0,0,1,1],"Limit":5}`,
		`{"polygon":"here"}`,
		`{"cursor":"OTE0NDE5MDBNQTRXMDAwMDEx","registered_from":"2020-01-01","inspected_after":"2023-01-01T00:00:00Z"}`,
		`{"mystery":1}`,
		`{"near":{"lon":113.75,"lat":23.02,"radius_m":500},"crs":"gcj02","shared_phone_min":3,"flag_kind":"dormant"}`,
		`{"near":{"lon":"x","lat":23,"radius_m":5},"has_open_flag":"yes"}`,
		`{"near":{"lon":113.75,"lat":23.02},"building_entities_min":1.5,"inspection_outcome":"gone"}`,
		`{"near":[113.75,23.02,500],"same_phone_as":"91441900MA4W000011","flag_status":"resolved"}`,
		`{} []`,
		`[]`,
		`"x"`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	fields := jsonNames(entitySearch{})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/v1/entities:search", bytes.NewReader(body))
		var req entitySearch
		err := decodeJSON(r, &req)
		if err == nil {
			var fl supervision.EntityFilter
			if fl, err = req.filter(); err == nil {
				checkEntityFilter(t, body, fl)
				return
			}
		}
		de := fieldError(t, body, err)
		member, _, _ := strings.Cut(de.Field, ".") // near.lon names a member of near
		// Text that is not UTF-8 is named where it is, in an unknown member too.
		typed := bytes.Contains(body, []byte(`"`+member+`"`))
		if !fields[member] && de.Field != "body" && !typed {
			t.Fatalf("%q: %v names %q, neither a member of the search nor the body", body, err, de.Field)
		}
	})
}

// FuzzPolygon feeds the GeoJSON polygon of an entity search, in each CRS,
// to the filter: no panic; an accepted area is a valid Polygon or
// MultiPolygon in WGS84; a refused one is an error naming polygon (or crs).
func FuzzPolygon(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,22]]]}`,
		`{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,23],[113,22]],[[113.2,22.2],[113.4,22.2],[113.4,22.4],[113.2,22.2]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[113,22],[114,22],[114,23],[113,22]]],[[[115,22],[116,22],[116,23],[115,22]]]]}`,
		`{"type":"Polygon","coordinates":[[[113,22],[114,23],[114,22],[113,23],[113,22]]]}`,
		`{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,23]]]}`,
		`{"type":"Polygon","coordinates":[[[179.99,89.99],[180,89.99],[180,90],[179.99,89.99]]]}`,
		`{"type":"Polygon","coordinates":[[[113,22],[113,22],[113,22],[113,22]]]}`,
		`{"type":"Polygon","coordinates":[[]]}`,
		`{"type":"Polygon","coordinates":[]}`,
		`{"type":"MultiPolygon","coordinates":[[]]}`,
		`{"type":"Polygon","coordinates":[[[1e999,0],[1,1],[0,1],[1e999,0]]]}`,
		`{"type":"Polygon","coordinates":[[[113,22,5],[114,22,5],[114,23,5],[113,22,5]]]}`,
		`{"type":"Polygon","coordinates":[[[113],[114,22],[114,23],[113]]]}`,
		`{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,22]]]}]}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,22]]]}}`,
		`{"type":"LineString","coordinates":[[113,22],[114,23]]}`,
		`{"type":"Polygon"}`,
		`{"coordinates":[[[113,22],[114,22],[114,23],[113,22]]]}`,
		`null`,
		`[]`,
	} {
		for _, crs := range []string{"", "gcj02"} {
			f.Add([]byte(s), crs)
		}
	}
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,22]]]}`), "bd09")
	f.Fuzz(func(t *testing.T, polygon []byte, crs string) {
		fl, err := entitySearch{Polygon: polygon, CRS: crs}.filter()
		_, crsErr := geo.ParseCRS(crs)
		if err != nil {
			de := fieldError(t, polygon, err)
			if crsErr != nil && de.Field != "crs" || crsErr == nil && de.Field != "polygon" {
				t.Fatalf("%q in %q: %v names %q", polygon, crs, err, de.Field)
			}
			return
		}
		if crsErr != nil {
			t.Fatalf("%q: crs %q accepted", polygon, crs)
		}
		if fl.Within != nil {
			checkArea(t, polygon, fl.Within)
		} else if p := bytes.TrimSpace(polygon); len(p) > 0 && string(p) != "null" {
			t.Fatalf("%q: a polygon is ignored", polygon)
		}
	})
}

// FuzzPointInput feeds pointInput (the GeoJSON point of an inspection, a
// lead, a check request, a plan) arbitrary JSON in each CRS: an accepted
// point is a finite WGS84 point, a refused one names the field or crs.
func FuzzPointInput(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[113.75,23.02]}`,
		`{"type":"Point","coordinates":[113.75,23.02,12.5]}`,
		`{"type":"Point","coordinates":[23.02,113.75]}`,
		`{"type":"Point","coordinates":[180,90]}`,
		`{"type":"Point","coordinates":[-180.0000001,0]}`,
		`{"type":"Point","coordinates":[1e999,0]}`,
		`{"type":"Point","coordinates":[113.75]}`,
		`{"type":"Point","coordinates":[]}`,
		`{"type":"Point"}`,
		`{"type":"MultiPoint","coordinates":[[113.75,23.02]]}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[113.75,23.02]}}`,
		`[113.75,23.02]`,
		`null`,
		``,
	} {
		for _, crs := range []string{"", "gcj02", "cgcs2000"} {
			f.Add([]byte(s), crs)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, crs string) {
		p, c, err := pointInput("location", raw, crs)
		want, crsErr := geo.ParseCRS(crs)
		if err != nil {
			de := fieldError(t, raw, err)
			if crsErr != nil && de.Field != "crs" || crsErr == nil && de.Field != "location" {
				t.Fatalf("%q in %q: %v names %q", raw, crs, err, de.Field)
			}
			return
		}
		if crsErr != nil || c != want {
			t.Fatalf("%q: crs %q read as %q", raw, crs, c)
		}
		if !p.Valid() || math.IsInf(p.Lon, 0) || math.IsInf(p.Lat, 0) {
			t.Fatalf("%q in %q: point %+v is not WGS84", raw, crs, p)
		}
	})
}

// captureFlow is a workflow store that keeps the filter of the last list.
type captureFlow struct {
	WorkflowStore
	got any
}

func (c *captureFlow) Tasks(_ context.Context, f supervision.TaskFilter) ([]supervision.Task, bool, error) {
	c.got = f
	return nil, false, nil
}

func (c *captureFlow) Inspections(_ context.Context, f supervision.InspectionFilter) ([]supervision.InspectionRecord, bool, error) {
	c.got = f
	return nil, false, nil
}

func (c *captureFlow) Leads(_ context.Context, f supervision.LeadFilter) ([]supervision.Lead, bool, error) {
	c.got = f
	return nil, false, nil
}

func (c *captureFlow) Complaints(_ context.Context, f supervision.ComplaintFilter) ([]supervision.Complaint, bool, error) {
	c.got = f
	return nil, false, nil
}

// captureFlags is a flag store that keeps the filter of the last list.
type captureFlags struct {
	FlagStore
	got any
}

func (c *captureFlags) Flags(_ context.Context, f supervision.FlagFilter) ([]supervision.Flag, bool, error) {
	c.got = f
	return nil, false, nil
}

// The lists whose query parameters FuzzListQuery reads.
var fuzzLists = []string{"tasks", "inspections", "leads", "complaints", "flags", "alerts"}

// FuzzListQuery feeds the query parameters of GET /v1/tasks, inspections,
// leads, complaints, flags and the alert stream to their handlers over
// stores that keep the filter: an accepted filter holds the parameters,
// each within its range; a refused query names a parameter it has.
func FuzzListQuery(f *testing.F) {
	cursor := url.QueryEscape(base64URL("id:42"))
	for _, s := range []string{
		"status=overdue&kind=permit&due_before=2026-12-01T00:00:00%2B08:00&town=441900003&assignee=张三&department=市场监管&limit=10&cursor=" + cursor,
		"uscc=91441900ma4w000011&grid=441900003001002&after=2026-01-01T00:00:00Z&before=2026-12-01T00:00:00Z&inspector=李四",
		"status=coordination&department=coordinator&uscc=+91441900MA4W000011+",
		"industry=F&town=441900003&limit=1000",
		"kind=off_site&status=open&min_score=50&bbox=113.5,22.6,114.3,23.2",
		"min_score=NaN",
		"min_score=1e999",
		"bbox=NaN,NaN,NaN,NaN",
		"bbox=113.5,22.6,113.5,23.2",
		"limit=0&cursor=aWQ6MA",
		"limit=1001",
		"cursor=aWQ6LTE",
		"cursor=" + url.QueryEscape(base64URL("id:9223372036854775808")),
		"town=44190000&grid=1",
		"due_before=2026-13-01T00:00:00Z",
		"status=bogus&kind=bogus",
		"town=441900003&town=441900004",
		"%zz=1&town=441900003",
	} {
		for i := range fuzzLists {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		list := fuzzLists[int(which)%len(fuzzLists)]
		q, _ := url.ParseQuery(raw)
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v1/" + list, RawQuery: raw}, Header: http.Header{}}
		r = r.WithContext(context.Background())
		flow, flags := &captureFlow{}, &captureFlags{}
		s := &Server{workflow: workflow{WorkflowStore: flow}, flags: flagger{FlagStore: flags}}
		w := httptest.NewRecorder()
		var err error
		var got any
		switch list {
		case "tasks":
			err, got = s.listTasks(w, r), flow.got
		case "inspections":
			err, got = s.listInspections(w, r), flow.got
		case "leads":
			err, got = s.listLeads(w, r), flow.got
		case "complaints":
			err, got = s.listComplaints(w, r), flow.got
		case "flags":
			err, got = s.listFlags(w, r), flags.got
		case "alerts":
			got, err = parseAlertFilter(r)
		}
		if err != nil {
			queryError(t, q, err)
			if list != "alerts" && got != nil {
				t.Fatalf("%s?%s: %v, but the store was asked", list, raw, err)
			}
			return
		}
		c := listCheck{t: t, list: list, raw: raw, q: q}
		switch fl := got.(type) {
		case supervision.TaskFilter:
			c.text("assignee", fl.Assignee)
			c.text("department", fl.Department)
			c.enum("status", string(fl.Status), func(s string) error { _, err := supervision.ParseTaskStatus(s); return err })
			c.enum("kind", string(fl.Kind), func(s string) error { _, err := supervision.ParseTaskKind(s); return err })
			c.time("due_before", fl.DueBefore)
			c.time("due_after", fl.DueAfter)
			c.code("town", fl.TownCode, 9)
			c.code("grid", fl.GridCode, 15)
			c.uscc("uscc", fl.USCC)
			c.page(fl.After, fl.Limit)
		case supervision.InspectionFilter:
			c.text("inspector", fl.Inspector)
			c.uscc("uscc", fl.USCC)
			c.code("town", fl.TownCode, 9)
			c.code("grid", fl.GridCode, 15)
			c.time("after", fl.AtAfter)
			c.time("before", fl.AtBefore)
			c.page(fl.After, fl.Limit)
		case supervision.LeadFilter:
			c.text("department", fl.Department)
			c.enum("status", string(fl.Status), func(s string) error { _, err := supervision.ParseLeadStatus(s); return err })
			c.code("town", fl.TownCode, 9)
			c.uscc("uscc", fl.USCC)
			c.page(fl.After, fl.Limit)
		case supervision.ComplaintFilter:
			c.enum("industry", fl.Industry, func(s string) error {
				if _, ok := supervision.IndustryName(s); !ok {
					return errors.New("unknown industry")
				}
				return nil
			})
			c.code("town", fl.TownCode, 9)
			c.code("grid", fl.GridCode, 15)
			c.uscc("uscc", fl.USCC)
			c.time("after", fl.AtAfter)
			c.time("before", fl.AtBefore)
			c.page(fl.After, fl.Limit)
		case supervision.FlagFilter:
			c.enum("kind", string(fl.Kind), func(s string) error { _, err := supervision.ParseFlagKind(s); return err })
			c.enum("status", string(fl.Status), func(s string) error { _, err := supervision.ParseFlagStatus(s); return err })
			c.code("town", fl.TownCode, 9)
			c.code("grid", fl.GridCode, 15)
			c.uscc("uscc", fl.USCC)
			if (fl.MinScore == nil) != (q.Get("min_score") == "") || fl.MinScore != nil && !(*fl.MinScore >= 0 && *fl.MinScore <= 100) {
				t.Fatalf("flags?%s: min_score %v", raw, *fl.MinScore)
			}
			if b := fl.BBox; (b == nil) != (q.Get("bbox") == "") ||
				b != nil && !(b[0] >= -180 && b[0] < b[2] && b[2] <= 180 && b[1] >= -90 && b[1] < b[3] && b[3] <= 90) {
				t.Fatalf("flags?%s: bbox %v", raw, fl.BBox)
			}
			c.page(fl.After, fl.Limit)
		case alertFilter:
			c.code("town", fl.town, 9)
			c.code("grid", fl.grid, 15)
			c.enum("kind", string(fl.kind), func(s string) error { _, err := supervision.ParseFlagKind(s); return err })
		default:
			t.Fatalf("%s?%s: the store was not asked (%T)", list, raw, got)
		}
	})
}

// base64URL encodes a cursor as the lists write it.
func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// listCheck checks the values of an accepted list filter against the
// query: each is the parameter's (first) value, within its range.
type listCheck struct {
	t         *testing.T
	list, raw string
	q         url.Values
}

func (c listCheck) fail(name string, got any) {
	c.t.Helper()
	c.t.Fatalf("%s?%s: %s is %v for the parameter %q", c.list, c.raw, name, got, c.q.Get(name))
}

func (c listCheck) text(name, got string) {
	c.t.Helper()
	if got != c.q.Get(name) {
		c.fail(name, got)
	}
}

func (c listCheck) code(name, got string, digits int) {
	c.t.Helper()
	if got != c.q.Get(name) || got != "" && (len(got) != digits || strings.Trim(got, "0123456789") != "") {
		c.fail(name, got)
	}
}

func (c listCheck) enum(name, got string, parse func(string) error) {
	c.t.Helper()
	if got != c.q.Get(name) || got != "" && parse(got) != nil {
		c.fail(name, got)
	}
}

func (c listCheck) uscc(name string, got supervision.USCC) {
	c.t.Helper()
	v := c.q.Get(name)
	want, err := supervision.ParseUSCC(v)
	if v == "" && got != "" || v != "" && (err != nil || got != want) {
		c.fail(name, got)
	}
}

func (c listCheck) time(name string, got *time.Time) {
	c.t.Helper()
	v := c.q.Get(name)
	if (got == nil) != (v == "") {
		c.fail(name, got)
	}
	if got != nil {
		if want, err := time.Parse(time.RFC3339Nano, v); err != nil || !want.Equal(*got) {
			c.fail(name, got)
		}
	}
}

func (c listCheck) page(after int64, limit int) {
	c.t.Helper()
	if limit < 1 || limit > maxListLimit || c.q.Get("limit") == "" && limit != defaultListLimit {
		c.fail("limit", limit)
	}
	if after < 0 || (after == 0) != (c.q.Get("cursor") == "") {
		c.fail("cursor", after)
	}
}

package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

var _ api.EntityReader = (*postgres.DB)(nil)

// readEntity is an entity as a client reads it.
type readEntity struct {
	USCC         string  `json:"uscc"`
	Kind         string  `json:"kind"`
	RegisteredAt string  `json:"registered_at"`
	Industry     *string `json:"industry"`
	IndustryName *string `json:"industry_name"`
	Phone        string  `json:"phone"`
	IDNumber     string  `json:"id_number"`
	ReportYear   *int    `json:"report_year"`
	Link         *struct {
		Status      string              `json:"status"`
		AddressCode *string             `json:"address_code"`
		TownCode    *string             `json:"town_code"`
		Issues      []map[string]string `json:"issues"`
		Location    *struct {
			Type        string     `json:"type"`
			Coordinates [2]float64 `json:"coordinates"`
		} `json:"location"`
		H3 map[string]string `json:"h3"`
	} `json:"link"`
}

type readPage struct {
	Items []readEntity `json:"items"`
	Next  *string      `json:"next"`
}

// entityServer returns a server reading five entities: P (linked, at
// 113.75,23.02, inspected), Q (linked at 113.80,23.05, with an overdue
// task), R, T and U (not linked).
func entityServer(t *testing.T) (*httptest.Server, map[string]string) {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	codes := map[string]string{}
	for _, e := range []struct {
		x, prefix, registered, phone, id, industry string
		reportYear                                 int
	}{
		{"P", "91", "2020-01-15", "13812345678", "44190019900101123X", "F", 2023},
		{"Q", "92", "2020-02-15", "", "", "", 0},
		{"R", "91", "2020-03-15", "", "", "", 0},
		{"T", "91", "2020-04-15", "", "", "", 0},
		{"U", "91", "2020-05-15", "", "", "", 0},
	} {
		first := e.prefix + "441900MA00000" + e.x + e.x
		c, err := supervision.USCCCheck(first)
		if err != nil {
			t.Fatal(err)
		}
		codes[e.x] = first + string(c)
		kind, _ := supervision.USCC(codes[e.x]).Kind()
		_, err = db.Pool().Exec(ctx, `INSERT INTO entities (uscc, name, kind, status, registered_at, address_text,
			industry, phone, id_number, report_year, changed_at)
			VALUES ($1, '测试商行', $2, 'active', $3, '东莞市东城街道东纵路1号', $4, $5, $6, nullif($7, 0), now())`,
			codes[e.x], string(kind), e.registered, e.industry, e.phone, e.id, e.reportYear)
		if err != nil {
			t.Fatal(err)
		}
	}
	for x, p := range map[string]geo.WGS84{"P": {Lon: 113.75, Lat: 23.02}, "Q": {Lon: 113.80, Lat: 23.05}} {
		args := []any{codes[x], p.Lon, p.Lat}
		for _, c := range supervision.Cells(p) {
			args = append(args, int64(c))
		}
		_, err := db.Pool().Exec(ctx, `UPDATE entities SET link_status = 'matched', link_level = 'room', link_score = 0.95,
			address_code = '441900003000000001', town_code = '441900003', location = ST_SetSRID(ST_MakePoint($2, $3), 4326),
			h3_7 = $4, h3_8 = $5, h3_9 = $6, h3_10 = $7, h3_11 = $8, linked_at = now() WHERE uscc = $1`, args...)
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := db.Pool().Exec(ctx, `INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome)
		VALUES ($1, 'inspector', now(), ST_SetSRID(ST_MakePoint(113.75, 23.02), 4326), 'wgs84', '{}', 'operating')`, codes["P"])
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Pool().Exec(ctx, `INSERT INTO tasks (uscc, kind, assignee, status, pushed_at, due_at)
		VALUES ($1, 'first_check', '441900003', 'received', now() - interval '20 days', now() - interval '1 day')`, codes["Q"])
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{}, db, db, slog.New(slog.DiscardHandler), api.WithEntityReader(db), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, codes
}

func readEntities(t *testing.T, code int, body []byte) readPage {
	t.Helper()
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var p readPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return p
}

// letters names the entities of a page by their fixture letters, in the
// page's order (USCC order: P, R, T, U, then Q, an individual business).
func letters(codes map[string]string, p readPage) string {
	var out []string
	for _, e := range p.Items {
		for x, c := range codes {
			if c == e.USCC {
				out = append(out, x)
			}
		}
	}
	return strings.Join(out, "")
}

func TestEntityReads(t *testing.T) {
	ts, codes := entityServer(t)
	all := slices.Sorted(func(yield func(string) bool) {
		for _, c := range codes {
			if !yield(c) {
				return
			}
		}
	})

	t.Run("paging by 2 gives each entity once, in order", func(t *testing.T) {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			code, body, _ := get(t, ts.URL+"/v1/entities?limit=2&cursor="+url.QueryEscape(cursor))
			p := readEntities(t, code, body)
			if len(p.Items) > 2 || pages > 5 {
				t.Fatalf("page %d: %s", pages, body)
			}
			for _, e := range p.Items {
				got = append(got, e.USCC)
			}
			if p.Next == nil {
				break
			}
			cursor = *p.Next
		}
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("search pages with the cursor in the body", func(t *testing.T) {
		code, body := post(t, ts.URL+"/v1/entities:search", "application/json", []byte(`{"limit": 3}`))
		first := readEntities(t, code, body)
		if len(first.Items) != 3 || first.Next == nil {
			t.Fatalf("first page: %s", body)
		}
		code, body = post(t, ts.URL+"/v1/entities:search", "application/json", []byte(`{"limit": 3, "cursor": "`+*first.Next+`"}`))
		second := readEntities(t, code, body)
		if len(second.Items) != 2 || second.Next != nil || second.Items[0].USCC != all[3] {
			t.Errorf("second page: %s", body)
		}
	})

	// P lies at 113.75,23.02 (WGS84); gcj is the same place on GCJ-02.
	gcj := geo.WGS84{Lon: 113.75, Lat: 23.02}.ToGCJ02()
	ftoa := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	around := func(lon, lat float64) string {
		x0, y0, x1, y1 := ftoa(lon-0.001), ftoa(lat-0.001), ftoa(lon+0.001), ftoa(lat+0.001)
		return `{"type":"Polygon","coordinates":[[[` + x0 + `,` + y0 + `],[` + x1 + `,` + y0 + `],[` + x1 + `,` + y1 + `],[` +
			x0 + `,` + y1 + `],[` + x0 + `,` + y0 + `]]]}`
	}
	for _, tc := range []struct {
		name, query, want string
	}{
		{"town", "town=441900003", "PQ"},
		{"bbox", "bbox=113.74,23.01,113.76,23.03", "P"},
		{"bbox in gcj02", "crs=gcj02&bbox=" + ftoa(gcj.Lon-0.0005) + "," + ftoa(gcj.Lat-0.0005) + "," + ftoa(gcj.Lon+0.0005) + "," + ftoa(gcj.Lat+0.0005), "P"},
		{"bbox in wgs84 at the gcj02 place misses", "bbox=" + ftoa(gcj.Lon-0.0005) + "," + ftoa(gcj.Lat-0.0005) + "," + ftoa(gcj.Lon+0.0005) + "," + ftoa(gcj.Lat+0.0005), ""},
		{"polygon", "polygon=" + url.QueryEscape(around(113.80, 23.05)), "Q"},
		{"polygon in gcj02", "crs=gcj02&polygon=" + url.QueryEscape(around(gcj.Lon, gcj.Lat)), "P"},
		{"never inspected", "never_inspected=true&link_status=matched", "Q"},
		{"overdue task", "task_status=overdue", "Q"},
		{"received excludes overdue", "task_status=received", ""},
		{"industry", "industry=F", "P"},
		{"kind", "kind=individual", "Q"},
		{"registered", "registered_from=2020-02-01&registered_to=2020-03-15", "RQ"},
		{"inspected after", "inspected_after=2020-01-01", "P"},
		{"inspected before an RFC 3339 time", "inspected_before=2020-01-01T00:00:00Z", ""},
		{"unlinked", "link_status=unlinked", "RTU"},
		{"address", "address_code=441900003000000001", "PQ"},
		{"empty parameters are absent", "town=&bbox=", "PRTUQ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := get(t, ts.URL+"/v1/entities?"+tc.query)
			if got := letters(codes, readEntities(t, code, body)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("search with a polygon in the body", func(t *testing.T) {
		code, body := post(t, ts.URL+"/v1/entities:search", "application/json",
			[]byte(`{"crs": "gcj02", "polygon": `+around(gcj.Lon, gcj.Lat)+`, "kind": "enterprise"}`))
		if got := letters(codes, readEntities(t, code, body)); got != "P" {
			t.Errorf("got %q, want P", got)
		}
	})

	t.Run("one entity, masked", func(t *testing.T) {
		code, body, _ := get(t, ts.URL+"/v1/entities/"+strings.ToLower(codes["P"]))
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		var e readEntity
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatal(err)
		}
		if e.Phone != "138****5678" || e.IDNumber != "4****************X" {
			t.Errorf("phone %q, id number %q: not masked", e.Phone, e.IDNumber)
		}
		if strings.Contains(string(body), "13812345678") || strings.Contains(string(body), "44190019900101123X") {
			t.Errorf("personal data in the answer: %s", body)
		}
		if e.USCC != codes["P"] || e.Kind != "enterprise" || e.RegisteredAt != "2020-01-15" || e.Industry == nil ||
			*e.Industry != "F" || e.IndustryName == nil || *e.IndustryName != "批发和零售业" || e.ReportYear == nil || *e.ReportYear != 2023 {
			t.Errorf("entity: %s", body)
		}
		l := e.Link
		if l == nil || l.Status != "matched" || l.Location == nil || l.Location.Type != "Point" ||
			l.Location.Coordinates != [2]float64{113.75, 23.02} || len(l.H3) != 5 || l.Issues == nil {
			t.Fatalf("link: %s", body)
		}
		for res := supervision.MinH3Res; res <= supervision.MaxH3Res; res++ {
			want := geo.WGS84{Lon: 113.75, Lat: 23.02}.Cell(res).String()
			if got := l.H3[strconv.Itoa(res)]; got != want {
				t.Errorf("h3 %d = %s, want %s", res, got, want)
			}
		}
	})

	t.Run("an unlinked entity has a null link", func(t *testing.T) {
		code, body, _ := get(t, ts.URL+"/v1/entities/"+codes["R"])
		if code != http.StatusOK || !strings.Contains(string(body), `"link":null`) ||
			!strings.Contains(string(body), `"industry":null`) || !strings.Contains(string(body), `"last_inspected_at":null`) {
			t.Errorf("status %d: %s", code, body)
		}
	})

	missing, err := supervision.USCCCheck("91441900MA0000000")
	if err != nil {
		t.Fatal(err)
	}
	badCheck := codes["P"][:17] + "0"
	if badCheck == codes["P"] {
		badCheck = codes["P"][:17] + "1"
	}
	for _, tc := range []struct {
		name, path string
		status     int
		field      string
	}{
		{"unknown entity", "/v1/entities/91441900MA0000000" + string(missing), 404, ""},
		{"bad check character", "/v1/entities/" + badCheck, 400, "uscc"},
		{"short code", "/v1/entities/9144", 400, "uscc"},
		{"bbox of 3 numbers", "/v1/entities?bbox=113,22,114", 400, "bbox"},
		{"bbox not numbers", "/v1/entities?bbox=a,b,c,d", 400, "bbox"},
		{"latitude out of range", "/v1/entities?bbox=113,22,114,95", 400, "bbox"},
		{"minLon over maxLon", "/v1/entities?bbox=114,22,113,23", 400, "bbox"},
		{"not a number", "/v1/entities?bbox=113,22,114,NaN", 400, "bbox"},
		{"unknown industry", "/v1/entities?industry=Z", 400, "industry"},
		{"unknown kind", "/v1/entities?kind=shop", 400, "kind"},
		{"unknown status", "/v1/entities?status=open", 400, "status"},
		{"bad town", "/v1/entities?town=4419", 400, "town"},
		{"bad village", "/v1/entities?village=x", 400, "village"},
		{"bad grid", "/v1/entities?grid=441900003001", 400, "grid"},
		{"bad building", "/v1/entities?building=-3", 400, "building"},
		{"bad address code", "/v1/entities?address_code=12345", 400, "address_code"},
		{"self-intersecting polygon", "/v1/entities?polygon=" + url.QueryEscape(`{"type":"Polygon","coordinates":[[[113,22],[114,23],[114,22],[113,23],[113,22]]]}`), 400, "polygon"},
		{"open ring", "/v1/entities?polygon=" + url.QueryEscape(`{"type":"Polygon","coordinates":[[[113,22],[114,22],[114,23],[113,23]]]}`), 400, "polygon"},
		{"a point is no polygon", "/v1/entities?polygon=" + url.QueryEscape(`{"type":"Point","coordinates":[113,22]}`), 400, "polygon"},
		{"polygon not JSON", "/v1/entities?polygon=113,22,114,23", 400, "polygon"},
		{"polygon without coordinates", "/v1/entities?polygon=" + url.QueryEscape(`{"type":"Polygon"}`), 400, "polygon"},
		{"unknown crs", "/v1/entities?crs=bd09&bbox=113,22,114,23", 400, "crs"},
		{"bad registration date", "/v1/entities?registered_from=2020-13-01", 400, "registered_from"},
		{"registered_to before registered_from", "/v1/entities?registered_from=2021-01-01&registered_to=2020-01-01", 400, "registered_to"},
		{"bad inspection time", "/v1/entities?inspected_before=yesterday", 400, "inspected_before"},
		{"never_inspected with inspected_after", "/v1/entities?never_inspected=true&inspected_after=2024-01-01", 400, "never_inspected"},
		{"never_inspected not a boolean", "/v1/entities?never_inspected=maybe", 400, "never_inspected"},
		{"unknown task status", "/v1/entities?task_status=late", 400, "task_status"},
		{"unknown link status", "/v1/entities?link_status=linked", 400, "link_status"},
		{"limit 0", "/v1/entities?limit=0", 400, "limit"},
		{"limit over 1000", "/v1/entities?limit=1001", 400, "limit"},
		{"limit not a number", "/v1/entities?limit=ten", 400, "limit"},
		{"cursor not base64", "/v1/entities?cursor=%21%21", 400, "cursor"},
		{"cursor of something else", "/v1/entities?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("42")), 400, "cursor"},
		{"unknown parameter", "/v1/entities?twon=441900003", 400, "twon"},
		{"repeated parameter", "/v1/entities?town=441900003&town=441900004", 400, "town"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := get(t, ts.URL+tc.path)
			checkError(t, code, body, tc.status, tc.field)
		})
	}

	for _, tc := range []struct {
		name, body, field string
	}{
		{"unknown field", `{"twon": "441900003"}`, "body"},
		{"bbox of 3", `{"bbox": [113, 22, 114]}`, "bbox"},
		{"bbox of strings", `{"bbox": "113,22,114,23"}`, "bbox"},
		{"polygon not GeoJSON", `{"polygon": {"type": "Circle"}}`, "polygon"},
		{"limit 0", `{"limit": 0}`, "limit"},
		{"not JSON", `town=441900003`, "body"},
	} {
		t.Run("search: "+tc.name, func(t *testing.T) {
			code, body := post(t, ts.URL+"/v1/entities:search", "application/json", []byte(tc.body))
			checkError(t, code, body, 400, tc.field)
		})
	}
}

// checkError checks an error answer: its status and the field it names.
func checkError(t *testing.T, code int, body []byte, status int, field string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d, body %s: %v", code, body, err)
	}
	if code != status {
		t.Errorf("status %d, want %d: %s", code, status, body)
	}
	if got, _ := e.Error.Details["field"].(string); got != field {
		t.Errorf("field %q, want %q: %s", got, field, body)
	}
}

func TestEntityReadsDisabled(t *testing.T) {
	srv := api.New(api.Config{}, nil, nil, slog.New(slog.DiscardHandler), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	code, body, _ := get(t, ts.URL+"/v1/entities")
	if code != http.StatusServiceUnavailable {
		t.Errorf("status %d: %s", code, body)
	}
}

package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

var _ api.EntityExporter = (*postgres.DB)(nil)

const (
	exportTown      = "441900003" // 东城街道: P and Q
	exportOtherTown = "441900004" // R
)

// exportFixture is a server over four entities, P and Q in exportTown, R
// in exportOtherTown and U not linked, with tokens of several roles, an
// audit log, and the entities' codes by letter.
type exportFixture struct {
	ts     *httptest.Server
	db     *postgres.DB
	codes  map[string]string
	tokens map[string]string   // by name: admin, coordinator (of exportTown), grid_manager, clerk
	ids    map[string]int64    // token ids by name
	letter map[string]string   // codes → letters
	names  map[string][]string // letters in USCC order
}

func newExportFixture(t *testing.T) *exportFixture {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	fx := &exportFixture{db: db, codes: map[string]string{}, tokens: map[string]string{}, ids: map[string]int64{},
		letter: map[string]string{}}
	for _, e := range []struct {
		x, name, status, town string
		loc                   *orb.Point
	}{
		{"P", "东莞市测试商行", "active", exportTown, &orb.Point{113.75, 23.02}},
		// A name a spreadsheet would run as a formula.
		{"Q", `=HYPERLINK("http://example.invalid","点我")`, "active", exportTown, nil},
		{"R", "长安测试五金店", "cancelled", exportOtherTown, &orb.Point{113.80, 23.05}},
		{"U", "未关联商行", "active", "", nil},
	} {
		first := "91441900MA00000" + e.x + e.x
		c, err := supervision.USCCCheck(first)
		if err != nil {
			t.Fatal(err)
		}
		code := first + string(c)
		fx.codes[e.x], fx.letter[code] = code, e.x
		_, err = db.Pool().Exec(ctx, `INSERT INTO entities (uscc, name, kind, status, registered_at, address_text,
			industry, legal_rep, phone, id_number, changed_at)
			VALUES ($1, $2, 'enterprise', $3, '2020-01-15', '东莞市东城街道东纵路1号', 'F', '张三丰', '13812345678',
			'44190019900101123X', now())`, code, e.name, e.status)
		if err != nil {
			t.Fatal(err)
		}
		if e.town == "" {
			continue
		}
		args := []any{code, e.town, nil, nil, nil, nil, nil, nil, nil}
		if e.loc != nil {
			args[2], args[3] = e.loc[0], e.loc[1]
			for i, cell := range supervision.Cells(geo.FromPoint(*e.loc)) {
				args[4+i] = int64(cell)
			}
		}
		_, err = db.Pool().Exec(ctx, `UPDATE entities SET link_status = 'matched', link_level = 'room', link_score = 0.95,
			address_code = '441900003000000001', building_id = 7, town_code = $2,
			location = ST_SetSRID(ST_MakePoint($3, $4), 4326),
			h3_7 = $5, h3_8 = $6, h3_9 = $7, h3_10 = $8, h3_11 = $9, linked_at = now() WHERE uscc = $1`, args...)
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := db.Pool().Exec(ctx, `INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome)
		VALUES ($1, 'inspector', '2024-03-01T10:00:00+08:00', ST_SetSRID(ST_MakePoint(113.75, 23.02), 4326), 'wgs84', '{}', 'operating')`,
		fx.codes["P"])
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]auth.Principal{
		"admin":        {Role: auth.Admin},
		"coordinator":  {Role: auth.Coordinator, TownCode: exportTown},
		"grid_manager": {Role: auth.GridManager, TownCode: exportTown},
		"clerk":        {Role: auth.Clerk},
	} {
		secret, id, err := db.CreateToken(ctx, p, time.Hour, "export test")
		if err != nil {
			t.Fatal(err)
		}
		fx.tokens[name], fx.ids[name] = secret, id
	}
	srv := api.New(api.Config{TokenCacheTTL: -1}, db, db, slog.New(slog.DiscardHandler),
		api.WithEntityReader(db), api.WithAuthenticator(db), api.WithAudit(db))
	fx.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(fx.ts.Close)
	return fx
}

// export GETs /v1/entities/export?query as the holder of token name ("" for
// no token).
func (fx *exportFixture) export(t *testing.T, name, query string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fx.ts.URL+"/v1/entities/export?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if name != "" {
		req.Header.Set("Authorization", "Bearer "+fx.tokens[name])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the export: %v", err)
	}
	return resp.StatusCode, b, resp.Header
}

// letters names the entities of an export by their fixture letters, in the
// order of the export.
func (fx *exportFixture) letters(codes []string) string {
	var out strings.Builder
	for _, c := range codes {
		x, ok := fx.letter[c]
		if !ok {
			x = "?"
		}
		out.WriteString(x)
	}
	return out.String()
}

const bom = "\uFEFF"

// parseCSV reads a CSV export: its header and its rows as maps.
func parseCSV(t *testing.T, body []byte) ([]string, []map[string]string) {
	t.Helper()
	if !bytes.HasPrefix(body, []byte(bom)) {
		t.Fatalf("the CSV does not start with a byte order mark: %q", body[:min(len(body), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(body[len(bom):])).ReadAll()
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(recs) == 0 {
		t.Fatal("no header row")
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			row[col] = rec[i]
		}
		rows = append(rows, row)
	}
	return recs[0], rows
}

func (fx *exportFixture) csvLetters(t *testing.T, body []byte) string {
	t.Helper()
	_, rows := parseCSV(t, body)
	var codes []string
	for _, r := range rows {
		codes = append(codes, r["uscc"])
	}
	return fx.letters(codes)
}

// exportedEntity is an NDJSON line as a client reads it.
type exportedEntity struct {
	USCC     string `json:"uscc"`
	Name     string `json:"name"`
	LegalRep string `json:"legal_rep"`
	Phone    string `json:"phone"`
	IDNumber string `json:"id_number"`
	Link     *struct {
		TownCode *string           `json:"town_code"`
		Location *geojson.Geometry `json:"location"`
	} `json:"link"`
}

func parseNDJSON(t *testing.T, body []byte) []exportedEntity {
	t.Helper()
	var out []exportedEntity
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var e exportedEntity
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d: %v: %s", len(out)+1, err, sc.Bytes())
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEntityExport runs the export tests over one fixture.
func TestEntityExport(t *testing.T) {
	fx := newExportFixture(t)
	t.Run("formats", func(t *testing.T) { testExportFormats(t, fx) })
	t.Run("filters", func(t *testing.T) { testExportFilters(t, fx) })
	t.Run("access", func(t *testing.T) { testExportAccess(t, fx) })
}

func testExportFormats(t *testing.T, fx *exportFixture) {
	filename := regexp.MustCompile(`^attachment; filename=entities-20[0-9]{6}\.(csv|ndjson|geojson)$`)
	masked := map[string]string{"legal_rep": "张**", "phone": "138****5678", "id_number": "4****************X"}

	t.Run("csv", func(t *testing.T) {
		code, body, hdr := fx.export(t, "admin", "")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		if ct := hdr.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := hdr.Get("Content-Disposition"); !filename.MatchString(cd) || !strings.HasSuffix(cd, ".csv") {
			t.Errorf("Content-Disposition %q", cd)
		}
		header, rows := parseCSV(t, body)
		wantHeader := []string{"uscc", "name", "kind", "status", "registered_at", "address_text", "industry",
			"legal_rep", "phone", "id_number", "link_status", "address_code", "town_code", "village_code", "grid_code",
			"building_id", "lon", "lat", "last_inspected_at"}
		if diff := cmp.Diff(wantHeader, header); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		if got := fx.csvLetters(t, body); got != "PQRU" {
			t.Fatalf("rows %s, want PQRU", got)
		}
		p := map[string]string{"uscc": fx.codes["P"], "name": "东莞市测试商行", "kind": "enterprise", "status": "active",
			"registered_at": "2020-01-15", "address_text": "东莞市东城街道东纵路1号", "industry": "F",
			"legal_rep": masked["legal_rep"], "phone": masked["phone"], "id_number": masked["id_number"],
			"link_status": "matched", "address_code": "441900003000000001", "town_code": exportTown, "village_code": "",
			"grid_code": "", "building_id": "7", "lon": "113.75", "lat": "23.02", "last_inspected_at": "2024-03-01T10:00:00+08:00"}
		if diff := cmp.Diff(p, rows[0]); diff != "" {
			t.Errorf("row P (-want +got):\n%s", diff)
		}
		if q := rows[1]; q["name"] != `'=HYPERLINK("http://example.invalid","点我")` || q["lon"] != "" || q["town_code"] != exportTown {
			t.Errorf("row Q (a formula for a name, no location) = %v", q)
		}
		if u := rows[3]; u["link_status"] != "unlinked" || u["town_code"] != "" || u["building_id"] != "" || u["lat"] != "" {
			t.Errorf("row U (not linked) = %v", u)
		}
	})

	t.Run("ndjson", func(t *testing.T) {
		code, body, hdr := fx.export(t, "admin", "format=ndjson")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		if ct, cd := hdr.Get("Content-Type"), hdr.Get("Content-Disposition"); ct != "application/x-ndjson" ||
			!filename.MatchString(cd) || !strings.HasSuffix(cd, ".ndjson") {
			t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
		}
		es := parseNDJSON(t, body)
		var codes []string
		for _, e := range es {
			codes = append(codes, e.USCC)
		}
		if got := fx.letters(codes); got != "PQRU" {
			t.Fatalf("lines %s, want PQRU", got)
		}
		p := es[0]
		if p.LegalRep != masked["legal_rep"] || p.Phone != masked["phone"] || p.IDNumber != masked["id_number"] {
			t.Errorf("P's personal data %q %q %q, want it masked", p.LegalRep, p.Phone, p.IDNumber)
		}
		if p.Link == nil || p.Link.Location == nil || p.Link.Location.Coordinates != (orb.Point{113.75, 23.02}) {
			t.Errorf("P's link = %+v, want its location", p.Link)
		}
		if es[3].Link != nil {
			t.Errorf("U's link = %+v, want null", es[3].Link)
		}
	})

	t.Run("geojson", func(t *testing.T) {
		code, body, hdr := fx.export(t, "admin", "format=geojson")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		if ct, cd := hdr.Get("Content-Type"), hdr.Get("Content-Disposition"); ct != "application/geo+json" ||
			!filename.MatchString(cd) || !strings.HasSuffix(cd, ".geojson") {
			t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
		}
		fc, err := geojson.UnmarshalFeatureCollection(body)
		if err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		var codes []string
		for _, f := range fc.Features {
			codes = append(codes, f.ID.(string))
			if f.Properties.MustString("uscc") != f.ID {
				t.Errorf("feature %v has uscc %v", f.ID, f.Properties["uscc"])
			}
		}
		if got := fx.letters(codes); got != "PQRU" {
			t.Fatalf("features %s, want PQRU", got)
		}
		want := []orb.Geometry{orb.Point{113.75, 23.02}, nil, orb.Point{113.80, 23.05}, nil}
		for i, f := range fc.Features {
			if !cmp.Equal(want[i], f.Geometry) {
				t.Errorf("feature %d: geometry %v, want %v", i, f.Geometry, want[i])
			}
		}
		props := fc.Features[0].Properties
		if props["phone"] != masked["phone"] || props["town_code"] != exportTown || props["building_id"] != 7.0 {
			t.Errorf("P's properties = %v", props)
		}
		if props := fc.Features[3].Properties; props["link_status"] != "unlinked" || props["town_code"] != nil {
			t.Errorf("U's properties = %v", props)
		}
	})

	t.Run("unmasked for a holder of unmask, and audited", func(t *testing.T) {
		for _, format := range []string{"csv", "ndjson", "geojson"} {
			code, body, _ := fx.export(t, "admin", "unmask=true&town="+exportTown+"&format="+format)
			if code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", format, code, body)
			}
			var phone any
			switch format {
			case "csv":
				_, rows := parseCSV(t, body)
				phone = rows[0]["phone"]
				if rows[0]["legal_rep"] != "张三丰" || rows[0]["id_number"] != "44190019900101123X" {
					t.Errorf("csv: P = %v, want its personal data in full", rows[0])
				}
			case "ndjson":
				phone = parseNDJSON(t, body)[0].Phone
			case "geojson":
				fc, err := geojson.UnmarshalFeatureCollection(body)
				if err != nil {
					t.Fatal(err)
				}
				phone = fc.Features[0].Properties["phone"]
			}
			if phone != "13812345678" {
				t.Errorf("%s: P's phone %v, want it in full", format, phone)
			}
		}
		entries := fx.audit(t, audit.Unmask)
		if len(entries) != 3 {
			t.Fatalf("%d unmask entries, want one per export: %+v", len(entries), entries)
		}
		if e := entries[0]; e.TokenID != fx.ids["admin"] || e.Route != "/v1/entities/export" || e.Status != http.StatusOK {
			t.Errorf("unmask entry = %+v", e)
		}
	})
}

// audit returns the entries of action in the fixture's audit log, newest first.
func (fx *exportFixture) audit(t *testing.T, action string) []audit.Entry {
	t.Helper()
	entries, _, err := fx.db.AuditLog(context.Background(), audit.Filter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func testExportFilters(t *testing.T, fx *exportFixture) {
	for _, tc := range []struct {
		name, query, want string
	}{
		{"everything", "", "PQRU"},
		{"town", "town=" + exportOtherTown, "R"},
		{"status", "status=cancelled", "R"},
		{"bbox", "bbox=113.74,23.01,113.76,23.03", "P"},
		{"not linked", "link_status=unlinked", "U"},
		{"never inspected in a town", "town=" + exportTown + "&never_inspected=true", "Q"},
		{"nothing", "town=441900099", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"csv", "ndjson", "geojson"} {
				code, body, _ := fx.export(t, "admin", tc.query+"&format="+format)
				if code != http.StatusOK {
					t.Fatalf("%s: status %d: %s", format, code, body)
				}
				var got string
				switch format {
				case "csv":
					got = fx.csvLetters(t, body)
				case "ndjson":
					var codes []string
					for _, e := range parseNDJSON(t, body) {
						codes = append(codes, e.USCC)
					}
					got = fx.letters(codes)
				case "geojson":
					fc, err := geojson.UnmarshalFeatureCollection(body)
					if err != nil {
						t.Fatalf("%v: %s", err, body)
					}
					var codes []string
					for _, f := range fc.Features {
						codes = append(codes, f.ID.(string))
					}
					got = fx.letters(codes)
				}
				if got != tc.want {
					t.Errorf("%s: %q, want %q", format, got, tc.want)
				}
			}
		})
	}

	t.Run("bad parameters are a 400 naming them", func(t *testing.T) {
		for _, tc := range []struct{ query, field string }{
			{"format=xlsx", "format"},
			{"format=csv&format=ndjson", "format"},
			{"limit=10", "limit"},
			{"cursor=abc", "cursor"},
			{"town=dongcheng", "town"},
			{"twon=441900003", "twon"},
			{"unmask=yes", "unmask"},
		} {
			code, body, _ := fx.export(t, "admin", tc.query)
			var e errorBody
			if err := json.Unmarshal(body, &e); err != nil || code != http.StatusBadRequest || e.Error.Details["field"] != tc.field {
				t.Errorf("%s: status %d %s, want 400 naming %s", tc.query, code, body, tc.field)
			}
		}
	})
}

func testExportAccess(t *testing.T, fx *exportFixture) {

	t.Run("a town's coordinator and grid manager export their town only", func(t *testing.T) {
		for _, who := range []string{"coordinator", "grid_manager"} {
			for _, query := range []string{"", "town=" + exportTown} {
				code, body, _ := fx.export(t, who, query)
				if code != http.StatusOK {
					t.Fatalf("%s %q: status %d: %s", who, query, code, body)
				}
				if got := fx.csvLetters(t, body); got != "PQ" {
					t.Errorf("%s %q: rows %s, want PQ (the entities of town %s)", who, query, got, exportTown)
				}
			}
			code, body, _ := fx.export(t, who, "town="+exportOtherTown)
			if code != http.StatusForbidden {
				t.Errorf("%s, another town: status %d %s, want 403", who, code, body)
			}
		}
	})

	t.Run("roles without the export permission", func(t *testing.T) {
		for _, tc := range []struct {
			token string
			code  int
		}{
			{"clerk", http.StatusForbidden},
			{"", http.StatusUnauthorized},
		} {
			if code, body, _ := fx.export(t, tc.token, "town="+exportTown); code != tc.code {
				t.Errorf("%q: status %d %s, want %d", tc.token, code, body, tc.code)
			}
		}
	})

	t.Run("every export is in the audit log", func(t *testing.T) {
		var mine []audit.Entry
		for _, e := range fx.audit(t, audit.Export) {
			if e.TokenID == fx.ids["coordinator"] {
				mine = append(mine, e)
			}
		}
		slices.Reverse(mine)
		var got []string
		for _, e := range mine {
			query, _ := e.Detail["query"].(string)
			got = append(got, e.Method+" "+e.Route+" "+e.TownCode+" "+itoa(int64(e.Status))+" "+query)
		}
		want := []string{
			"GET /v1/entities/export 441900003 200 ",
			"GET /v1/entities/export 441900003 200 town=441900003",
			"GET /v1/entities/export 441900003 403 town=441900004",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the coordinator's exports (-want +got):\n%s", diff)
		}
	})
}

// failingExporter yields n copies of an entity, then fails.
type failingExporter struct {
	api.EntityReader
	n int
}

func (x failingExporter) EachEntity(_ context.Context, _ supervision.EntityFilter, fn func(supervision.EntityRecord) error) error {
	first := "91441900MA00000PP"
	c, err := supervision.USCCCheck(first)
	if err != nil {
		return err
	}
	rec := supervision.EntityRecord{Entity: supervision.Entity{USCC: supervision.USCC(first + string(c)), Name: "东莞市测试商行",
		Kind: supervision.Enterprise, Status: supervision.Active, RegisteredAt: time.Date(2020, 1, 15, 0, 0, 0, 0, supervision.Beijing)}}
	for range x.n {
		if err := fn(rec); err != nil {
			return err
		}
	}
	return &derrors.Error{Kind: derrors.Unavailable, Message: "the database is unavailable", Err: errors.New("connection reset")}
}

// TestEntityExportFailure: a store failing before the first row is an
// error response; after it, a broken transfer, never a file that merely
// looks short.
func TestEntityExportFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows int
	}{
		{"before the first row", 0},
		{"after a row still in the buffer", 1},
		{"after rows already sent", 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &memoryAudit{}
			srv := api.New(api.Config{}, nil, nil, slog.New(slog.DiscardHandler),
				api.WithEntityReader(failingExporter{n: tc.rows}), api.WithAudit(log), asAdmin)
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			// Whatever became of the export, it is in the audit log, an
			// export broken mid-stream marked aborted.
			defer func() {
				ts.Close() // waits for the handler, and so for its entry
				if len(log.entries) != 1 || log.entries[0].Action != audit.Export ||
					tc.rows > 0 && log.entries[0].Detail["aborted"] != true ||
					tc.rows == 0 && log.entries[0].Status != http.StatusServiceUnavailable {
					t.Errorf("audit entries %+v, want one export entry (aborted: %v)", log.entries, tc.rows > 0)
				}
			}()
			resp, err := ts.Client().Get(ts.URL + "/v1/entities/export?format=ndjson")
			if err != nil {
				if tc.rows == 0 {
					t.Fatal(err)
				}
				return // broken before the status line: the client knows
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if tc.rows == 0 {
				var e errorBody
				if resp.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
					t.Errorf("status %d %s, want a 503 error body", resp.StatusCode, body)
				}
				return
			}
			if err == nil {
				t.Errorf("status %d and %d bytes read without error: the transfer looks complete", resp.StatusCode, len(body))
			}
		})
	}
}

// memoryAudit keeps the entries appended to it.
type memoryAudit struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (m *memoryAudit) AppendAudit(ctx context.Context, e audit.Entry) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, e)
	return int64(len(m.entries)), nil
}

func (m *memoryAudit) AuditLog(ctx context.Context, f audit.Filter) ([]audit.Entry, bool, error) {
	return nil, false, nil
}

// blockingExporter holds every export open until release is closed,
// saying on started when one began.
type blockingExporter struct {
	api.EntityReader
	started chan struct{}
	release chan struct{}
}

func (x blockingExporter) EachEntity(ctx context.Context, _ supervision.EntityFilter, fn func(supervision.EntityRecord) error) error {
	x.started <- struct{}{}
	select {
	case <-x.release:
	case <-ctx.Done():
	}
	return nil
}

// TestExportSlots: exports beyond Config.MaxExports are refused at once
// with 503 and Retry-After, and the slots free up when exports end.
func TestExportSlots(t *testing.T) {
	x := blockingExporter{started: make(chan struct{}, 4), release: make(chan struct{})}
	srv := api.New(api.Config{MaxExports: 2}, nil, nil, slog.New(slog.DiscardHandler), api.WithEntityReader(x), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	get := func() *http.Response {
		resp, err := ts.Client().Get(ts.URL + "/v1/entities/export?format=ndjson")
		if err != nil {
			t.Error(err)
			return nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	done := make(chan int, 2)
	for range 2 {
		go func() {
			if resp := get(); resp != nil {
				done <- resp.StatusCode
			}
		}()
	}
	<-x.started
	<-x.started
	if resp := get(); resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a third export while two run: %v, want 503 with Retry-After", resp)
	}
	close(x.release)
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Errorf("a running export ended with %d", code)
		}
	}
	if resp := get(); resp == nil || resp.StatusCode != http.StatusOK {
		t.Errorf("an export once the others ended: %v, want 200", resp)
	}
}

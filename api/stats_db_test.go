package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// statsServer is the demo city, with the entities of one town (a) linked
// to their true buildings and the rollups refreshed, behind a server that
// checks real tokens.
type statsServer struct {
	db       *postgres.DB
	ts       *httptest.Server
	a, b     string // two towns
	villageA string // a village of a with entities
	villageB string // a village of b
}

func newStatsServer(t *testing.T) *statsServer {
	t.Helper()
	ctx := context.Background()
	s := &statsServer{db: pgtest.Demo(t)}
	pool := s.db.Pool()
	if err := pool.QueryRow(ctx, `SELECT min(code), max(code) FROM towns`).Scan(&s.a, &s.b); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE entities e SET link_status = 'matched', building_id = b.id, town_code = b.town_code,
			village_code = b.village_code, grid_code = b.grid_code, linked_at = now()
		FROM demo_entity_truth d JOIN buildings b ON b.id = d.true_building_id
		WHERE d.uscc = e.uscc AND b.town_code = $1`, s.a); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT village_code FROM entities WHERE town_code = $1 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
		s.a).Scan(&s.villageA); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT min(code) FROM villages WHERE town_code = $1`, s.b).Scan(&s.villageB); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.RefreshStats(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{TokenCacheTTL: -1}, s.db, s.db, slog.New(slog.DiscardHandler),
		api.WithStats(s.db), api.WithAuthenticator(s.db))
	s.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(s.ts.Close)
	return s
}

func (s *statsServer) token(t *testing.T, p auth.Principal) string {
	t.Helper()
	secret, _, err := s.db.CreateToken(context.Background(), p, time.Hour, "stats test")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// get sends a GET with token and returns the status, the content type and
// the body.
func (s *statsServer) get(t *testing.T, token, path string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// getJSON expects a 200 and decodes the answer into out.
func (s *statsServer) getJSON(t *testing.T, token, path string, out any) {
	t.Helper()
	code, _, b := s.get(t, token, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

type statsArea struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Entities struct {
		Total  int64            `json:"total"`
		Active int64            `json:"active"`
		ByKind map[string]int64 `json:"by_kind"`
	} `json:"entities"`
	NewRegistrations int64 `json:"new_registrations"`
	Tasks            struct {
		Pushed       int64    `json:"pushed"`
		ReceivedRate *float64 `json:"received_rate"`
	} `json:"tasks"`
	Inspections struct {
		Count int64 `json:"count"`
	} `json:"inspections"`
	Complaints struct {
		Count int64 `json:"count"`
	} `json:"complaints"`
}

type statsAreas struct {
	AsOf   *time.Time `json:"as_of"`
	Period struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"period"`
	Total statsArea   `json:"total"`
	Items []statsArea `json:"items"`
}

func TestStatsAPI(t *testing.T) {
	s := newStatsServer(t)
	admin := s.token(t, auth.Principal{Role: auth.Admin})
	current := supervision.MonthOf(time.Now())

	t.Run("towns of the city", func(t *testing.T) {
		var r statsAreas
		s.getJSON(t, admin, "/v1/stats/towns", &r)
		if r.AsOf == nil || time.Since(*r.AsOf) > time.Hour {
			t.Errorf("as_of = %v, want the last refresh", r.AsOf)
		}
		if want := current.Add(-11).String(); r.Period.From != want || r.Period.To != current.String() {
			t.Errorf("default period %+v, want %s to %s", r.Period, want, current)
		}
		var towns int
		if err := s.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM towns`).Scan(&towns); err != nil {
			t.Fatal(err)
		}
		last := r.Items[len(r.Items)-1]
		if len(r.Items) != towns+1 || r.Items[0].Code != s.a || last.Code != "" || last.Name != "未关联" {
			t.Fatalf("items: %d, first %q, last %q %q; want the %d towns in order, then the entities not linked",
				len(r.Items), r.Items[0].Code, last.Code, last.Name, towns)
		}
		var sum int64
		for _, it := range r.Items {
			sum += it.Entities.Total
		}
		if r.Total.Code != supervision.CityCode || r.Total.Entities.Total != sum || sum == 0 {
			t.Errorf("total %s: %d entities; the items hold %d", r.Total.Code, r.Total.Entities.Total, sum)
		}
		if len(r.Items[0].Entities.ByKind) != 3 {
			t.Errorf("by_kind = %v, want every kind", r.Items[0].Entities.ByKind)
		}
	})

	t.Run("the levels add up", func(t *testing.T) {
		var towns, villages, grids statsAreas
		s.getJSON(t, admin, "/v1/stats/towns?from=2025-01&to=2026-10", &towns)
		s.getJSON(t, admin, "/v1/stats/towns/"+s.a+"/villages?from=2025-01&to=2026-10", &villages)
		s.getJSON(t, admin, "/v1/stats/villages/"+s.villageA+"/grids?from=2025-01&to=2026-10", &grids)
		town := towns.Items[0]
		if diff := compareAreas(town, villages.Total); diff != "" {
			t.Errorf("town %s among the towns and as the total of its villages: %s", s.a, diff)
		}
		var village statsArea
		for _, v := range villages.Items {
			if v.Code == s.villageA {
				village = v
			}
		}
		if diff := compareAreas(village, grids.Total); diff != "" {
			t.Errorf("village %s among the villages and as the total of its grids: %s", s.villageA, diff)
		}
		if village.Entities.Total == 0 || village.Tasks.Pushed == 0 {
			t.Errorf("village %s counts nothing: %+v", s.villageA, village)
		}
	})

	t.Run("CSV rows are the JSON items", func(t *testing.T) {
		for _, path := range []string{
			"/v1/stats/towns", "/v1/stats/towns/" + s.a + "/villages", "/v1/stats/villages/" + s.villageA + "/grids",
			"/v1/stats/departments", "/v1/stats/trend?town=" + s.a, "/v1/stats/industries",
			"/v1/stats/complaints", "/v1/stats/leads?town=" + s.a,
		} {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			path += sep + "from=2025-05&to=2026-10"
			code, ctype, body := s.get(t, admin, path+"&format=csv")
			if code != http.StatusOK || ctype != "text/csv; charset=utf-8" || !bytes.HasPrefix(body, []byte("\uFEFF")) {
				t.Fatalf("%s as CSV: %d %q, BOM %v", path, code, ctype, bytes.HasPrefix(body, []byte("\uFEFF")))
			}
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var doc map[string]json.RawMessage
			s.getJSON(t, admin, path, &doc)
			var items []json.RawMessage
			for _, key := range []string{"items", "months", "flows"} {
				if raw, ok := doc[key]; ok {
					if err := json.Unmarshal(raw, &items); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(recs) != len(items)+1 || len(items) == 0 {
				t.Fatalf("%s: %d CSV rows, %d JSON items (and a header)", path, len(recs), len(items))
			}
			header := recs[0]
			for i, raw := range items {
				want := flatten(t, raw)
				got := map[string]string{}
				for j, col := range header {
					got[col] = recs[i+1][j]
				}
				for col, v := range want {
					if got[col] != v {
						t.Errorf("%s: row %d: %s = %q in the CSV, %q in the JSON", path, i+1, col, got[col], v)
					}
				}
			}
			if !strings.Contains(strings.Join(header, ","), "code") && !strings.Contains(strings.Join(header, ","), "month") &&
				!strings.Contains(strings.Join(header, ","), "from") && !strings.Contains(strings.Join(header, ","), "industry") {
				t.Errorf("%s: header %v", path, header)
			}
		}
		_, _, body := s.get(t, admin, "/v1/stats/towns?format=csv")
		if first, _, _ := bytes.Cut(bytes.TrimPrefix(body, []byte("\uFEFF")), []byte("\n")); !bytes.Contains(first, []byte("tasks_pushed")) ||
			!bytes.Contains(first, []byte("entities_by_kind_enterprise")) {
			t.Errorf("header %s: want nested fields flattened as tasks_pushed", first)
		}
	})

	t.Run("periods", func(t *testing.T) {
		var r statsAreas
		s.getJSON(t, admin, "/v1/stats/towns?from=2025-01&to=2025-03", &r)
		if r.Period.From != "2025-01" || r.Period.To != "2025-03" {
			t.Errorf("period %+v", r.Period)
		}
		var trend struct {
			Months []struct {
				Month string `json:"month"`
			} `json:"months"`
		}
		s.getJSON(t, admin, "/v1/stats/trend?from=2016-11&to=2026-10", &trend)
		if len(trend.Months) != 120 || trend.Months[0].Month != "2016-11" || trend.Months[119].Month != "2026-10" {
			t.Errorf("120 months: %d, %v", len(trend.Months), trend.Months[:1])
		}
		for _, tc := range []struct{ query, field string }{
			{"from=2025-04&to=2025-03", "to"},
			{"from=2016-10&to=2026-10", "from"},
			{"from=2025-1", "from"},
			{"to=2025-13", "to"},
			{"from=x", "from"},
			{"format=xml", "format"},
			{"twon=" + s.a, "twon"},
		} {
			expectError(t, s, admin, "/v1/stats/towns?"+tc.query, http.StatusBadRequest, tc.field)
		}
		expectError(t, s, admin, "/v1/stats/towns/4419/villages", http.StatusBadRequest, "code")
		expectError(t, s, admin, "/v1/stats/trend?village=44190", http.StatusBadRequest, "village")
	})

	t.Run("unknown areas", func(t *testing.T) {
		for _, path := range []string{
			"/v1/stats/towns/441900999/villages", "/v1/stats/villages/441900999001/grids",
			"/v1/stats/trend?town=441900999", "/v1/stats/trend?village=441900999001", "/v1/stats/industries?village=" + s.villageB + "&town=" + s.a,
			"/v1/stats/complaints?town=441900999", "/v1/stats/departments?town=441900999", "/v1/stats/leads?town=441900999",
		} {
			expectError(t, s, admin, path, http.StatusNotFound, "")
		}
	})

	t.Run("a town's token", func(t *testing.T) {
		manager := s.token(t, auth.Principal{Role: auth.GridManager, TownCode: s.a})
		var r statsAreas
		s.getJSON(t, manager, "/v1/stats/towns", &r)
		if len(r.Items) != 1 || r.Items[0].Code != s.a || r.Total.Code != s.a || r.Total.Entities.Total != r.Items[0].Entities.Total {
			t.Errorf("towns for a grid manager of %s: %d items, total %s", s.a, len(r.Items), r.Total.Code)
		}
		var trend struct {
			Area struct{ Code string } `json:"area"`
		}
		s.getJSON(t, manager, "/v1/stats/trend", &trend)
		if trend.Area.Code != s.a {
			t.Errorf("trend without a town for a town's token: area %q, want %s", trend.Area.Code, s.a)
		}
		var hot struct {
			Level string `json:"level"`
		}
		s.getJSON(t, manager, "/v1/stats/complaints", &hot)
		if hot.Level != "village" {
			t.Errorf("complaints for a town's token: level %q, want its villages", hot.Level)
		}
		s.getJSON(t, manager, "/v1/stats/villages/"+s.villageA+"/grids", &r)
		for _, path := range []string{
			"/v1/stats/towns/" + s.b + "/villages", "/v1/stats/villages/" + s.villageB + "/grids",
			"/v1/stats/trend?town=" + s.b, "/v1/stats/trend?village=" + s.villageB, "/v1/stats/industries?town=" + s.b,
			"/v1/stats/complaints?town=" + s.b, "/v1/stats/departments?town=" + s.b, "/v1/stats/leads?town=" + s.b,
		} {
			expectError(t, s, manager, path, http.StatusForbidden, "")
		}
	})

	t.Run("a department's token", func(t *testing.T) {
		officer := s.token(t, auth.Principal{Role: auth.Department, Department: "amr_food"})
		var d struct {
			Items []struct {
				Code  string `json:"code"`
				Tasks struct {
					Pushed int64 `json:"pushed"`
				} `json:"tasks"`
				Median *float64 `json:"median_answer_days"`
			} `json:"items"`
		}
		s.getJSON(t, officer, "/v1/stats/departments?from=2025-01&to=2026-10", &d)
		if len(d.Items) != 1 || d.Items[0].Code != "amr_food" || d.Items[0].Tasks.Pushed == 0 || d.Items[0].Median == nil {
			t.Errorf("departments for amr_food's officer: %+v", d.Items)
		}
		var l struct {
			Flows []struct{ From, To string } `json:"flows"`
		}
		s.getJSON(t, officer, "/v1/stats/leads?from=2025-01&to=2026-10", &l)
		if len(l.Flows) == 0 {
			t.Error("no lead flow for amr_food")
		}
		for _, f := range l.Flows {
			if f.From != "amr_food" && f.To != "amr_food" {
				t.Errorf("flow %s → %s shown to amr_food's officer", f.From, f.To)
			}
		}
		expectError(t, s, s.token(t, auth.Principal{Role: auth.Clerk}), "/v1/stats/towns", http.StatusForbidden, "")
	})
}

// compareAreas reports how two views of one area differ, "" when they agree.
func compareAreas(a, b statsArea) string {
	if a.Code != b.Code || a.Name != b.Name || a.Name == "" || a.Entities.Total != b.Entities.Total || a.Entities.Active != b.Entities.Active || a.NewRegistrations != b.NewRegistrations ||
		a.Tasks.Pushed != b.Tasks.Pushed || a.Inspections.Count != b.Inspections.Count || a.Complaints.Count != b.Complaints.Count {
		return fmt.Sprintf("%+v vs %+v", a, b)
	}
	return ""
}

// expectError checks an error answer: its status, and the field it names.
func expectError(t *testing.T, s *statsServer, token, path string, status int, field string) {
	t.Helper()
	code, _, body := s.get(t, token, path)
	var e struct {
		Error struct {
			Code    string         `json:"code"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || code != status || e.Error.Code == "" {
		t.Errorf("GET %s: %d %s, want %d in the error shape", path, code, body, status)
		return
	}
	if field != "" && e.Error.Details["field"] != field {
		t.Errorf("GET %s: %s, want the field %s named", path, body, field)
	}
}

// flatten lists a JSON item's leaves as the CSV names them: nested keys
// and 1-based list positions joined with "_", null as "".
func flatten(t *testing.T, raw json.RawMessage) map[string]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		join := func(k string) string {
			if prefix == "" {
				return k
			}
			return prefix + "_" + k
		}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(join(k), e)
			}
		case []any:
			for i, e := range x {
				walk(join(fmt.Sprint(i+1)), e)
			}
		case nil:
			out[prefix] = ""
		default:
			out[prefix] = fmt.Sprint(x)
		}
	}
	walk("", v)
	return out
}

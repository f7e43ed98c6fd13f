package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// Two towns of the scope tests: a grid manager of 虎门镇 must not read
// 长安镇's rows.
const (
	humen   = "441900121" // 虎门镇
	changan = "441900122" // 长安镇
)

// scopeCity holds one entity in each town, each with a task, an
// inspection and a flag.
type scopeCity struct {
	db                *postgres.DB
	entity, task, flg map[string]string // town → uscc, task id, flag id
	inspection        map[string]string
}

func newScopeCity(t *testing.T) *scopeCity {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	c := &scopeCity{db: db, entity: map[string]string{}, task: map[string]string{}, flg: map[string]string{}, inspection: map[string]string{}}
	for i, town := range []string{humen, changan} {
		first := "91441900MA0000" + strconv.Itoa(i) + "UT"
		check, err := supervision.USCCCheck(first)
		if err != nil {
			t.Fatal(err)
		}
		uscc := first + string(check)
		c.entity[town] = uscc
		exec := func(sql string, args ...any) {
			t.Helper()
			if _, err := db.Pool().Exec(ctx, sql, args...); err != nil {
				t.Fatal(err)
			}
		}
		at := geo.WGS84{Lon: 113.7 + float64(i)*0.01, Lat: 22.85}
		args := []any{uscc, town, at.Lon, at.Lat}
		for _, cell := range supervision.Cells(at) {
			args = append(args, int64(cell))
		}
		exec(`INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, legal_rep, phone, id_number, changed_at,
				link_status, link_level, link_score, town_code, location, h3_7, h3_8, h3_9, h3_10, h3_11, linked_at)
			VALUES ($1, '测试商行', 'enterprise', 'active', '2024-01-02', '东莞市某镇某路1号', '张三丰', '13812345678', '44190019900101123X', now(),
				'matched', 'room', 0.9, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, $7, $8, $9, now())`, args...)
		var id int64
		if err := db.Pool().QueryRow(ctx, `INSERT INTO tasks (uscc, kind, assignee, town_code, status, pushed_at, due_at)
			VALUES ($1, 'first_check', $2, $2, 'pushed', now(), now() + interval '10 days') RETURNING id`, uscc, town).Scan(&id); err != nil {
			t.Fatal(err)
		}
		c.task[town] = strconv.FormatInt(id, 10)
		if err := db.Pool().QueryRow(ctx, `INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome, town_code)
			VALUES ($1, 'inspector', now(), ST_SetSRID(ST_MakePoint(113.7, 22.85), 4326), 'wgs84', '{}', 'operating', $2) RETURNING id`,
			uscc, town).Scan(&id); err != nil {
			t.Fatal(err)
		}
		c.inspection[town] = strconv.FormatInt(id, 10)
		if err := db.Pool().QueryRow(ctx, `INSERT INTO flags (kind, subject, uscc, usccs, town_code, score, title, evidence, fingerprint,
				status, raised_at, opened_at, updated_at)
			VALUES ('dormant', 'entity:' || $1, $1, ARRAY[$1], $2, 60, '疑似未开业', '{}', 'f', 'open', now(), now(), now()) RETURNING id`,
			uscc, town).Scan(&id); err != nil {
			t.Fatal(err)
		}
		c.flg[town] = strconv.FormatInt(id, 10)
	}
	return c
}

// server serves c with real tokens and the real audit log; auditLog
// replaces the audit log when not nil.
func (c *scopeCity) server(t *testing.T, auditLog api.AuditLog) *httptest.Server {
	t.Helper()
	if auditLog == nil {
		auditLog = c.db
	}
	srv := api.New(api.Config{TokenCacheTTL: -1}, c.db, c.db, slog.New(slog.DiscardHandler),
		api.WithEntityReader(c.db), api.WithWorkflow(c.db), api.WithFlags(c.db, supervision.FlagConfig{}),
		api.WithAuthenticator(c.db), api.WithAudit(auditLog), api.WithTokens(c.db))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func (c *scopeCity) token(t *testing.T, p auth.Principal) (string, int64) {
	t.Helper()
	secret, id, err := c.db.CreateToken(context.Background(), p, time.Hour, "test "+string(p.Role))
	if err != nil {
		t.Fatal(err)
	}
	return secret, id
}

// call sends a request with token and returns the status and body.
func call(t *testing.T, ts *httptest.Server, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAccessControl runs the access tests over one database.
func TestAccessControl(t *testing.T) {
	c := newScopeCity(t)
	t.Run("town scope", func(t *testing.T) { testTownScope(t, c) })
	t.Run("unmask audited", func(t *testing.T) { testUnmaskAudited(t, c) })
	t.Run("writes audited", func(t *testing.T) { testWritesAudited(t, c) })
	t.Run("token lifecycle", func(t *testing.T) { testTokenLifecycle(t, c) })
	t.Run("entity detail by role", func(t *testing.T) { testEntityDetailByRole(t, c) })
}

// testEntityDetailByRole: an entity's page holds only what the role may
// read: a clerk sees the entity and its public records, not its tasks,
// inspections, leads, complaints or flags.
func testEntityDetailByRole(t *testing.T, c *scopeCity) {
	ts := c.server(t, nil)
	clerk, _ := c.token(t, auth.Principal{Role: auth.Clerk})
	coord, _ := c.token(t, auth.Principal{Role: auth.Coordinator})
	read := func(token string) map[string]json.RawMessage {
		t.Helper()
		// 长安镇's: its flag is still open (the writes test confirmed 虎门镇's).
		code, body := call(t, ts, "GET", "/v1/entities/"+c.entity[changan], token, "")
		var out map[string]json.RawMessage
		if code != 200 || json.Unmarshal([]byte(body), &out) != nil {
			t.Fatalf("%d %s", code, body)
		}
		return out
	}
	asClerk, asCoord := read(clerk), read(coord)
	for _, k := range []string{"tasks", "inspections", "leads", "complaints"} {
		if string(asClerk[k]) != "null" {
			t.Errorf("a clerk sees %s: %s", k, asClerk[k])
		}
		if !strings.HasPrefix(string(asCoord[k]), "[") {
			t.Errorf("the coordinator does not see %s: %s", k, asCoord[k])
		}
	}
	if _, ok := asClerk["flags"]; ok {
		t.Error("a clerk sees the entity's flags")
	}
	if !strings.Contains(string(asCoord["flags"]), `"id":`+c.flg[changan]) || !strings.Contains(string(asCoord["tasks"]), `"id":`+c.task[changan]) {
		t.Errorf("the coordinator misses the flag or the task: %s %s", asCoord["flags"], asCoord["tasks"])
	}
	if string(asClerk["violations"]) != "[]" {
		t.Errorf("violations as a clerk: %s, want []", asClerk["violations"])
	}
}

// testTownScope: a grid manager of 虎门镇 reads 虎门镇's entities, tasks,
// inspections and flags and none of 长安镇's, whether listing, filtering by
// town, reading by id or acting on one.
func testTownScope(t *testing.T, c *scopeCity) {
	ts := c.server(t, nil)
	gm, _ := c.token(t, auth.Principal{Role: auth.GridManager, TownCode: humen})
	coord, _ := c.token(t, auth.Principal{Role: auth.Coordinator})

	lists := map[string]string{"entities": "/v1/entities", "tasks": "/v1/tasks", "inspections": "/v1/inspections", "flags": "/v1/flags"}
	for name, path := range lists {
		code, body := call(t, ts, "GET", path, gm, "")
		if code != 200 || !strings.Contains(body, c.entity[humen]) || strings.Contains(body, c.entity[changan]) {
			t.Errorf("%s as 虎门镇's grid manager: %d %s, want 虎门镇's only", name, code, body)
		}
		if code, body := call(t, ts, "GET", path+"?town="+changan, gm, ""); code != 403 || !strings.Contains(body, changan) {
			t.Errorf("%s?town=长安镇 as 虎门镇's grid manager: %d %s, want 403 naming the town", name, code, body)
		}
		code, body = call(t, ts, "GET", path, coord, "")
		if code != 200 || !strings.Contains(body, c.entity[humen]) || !strings.Contains(body, c.entity[changan]) {
			t.Errorf("%s as the city's coordinator: %d, want both towns", name, code)
		}
	}
	byID := map[string]string{
		"entity": "/v1/entities/", "task": "/v1/tasks/", "inspection": "/v1/inspections/", "flag": "/v1/flags/",
	}
	ids := map[string]map[string]string{"entity": c.entity, "task": c.task, "inspection": c.inspection, "flag": c.flg}
	for name, prefix := range byID {
		if code, body := call(t, ts, "GET", prefix+ids[name][humen], gm, ""); code != 200 {
			t.Errorf("虎门镇's %s: %d %s", name, code, body)
		}
		if code, body := call(t, ts, "GET", prefix+ids[name][changan], gm, ""); code != 404 {
			t.Errorf("长安镇's %s as 虎门镇's grid manager: %d %s, want 404", name, code, body)
		}
	}
	// Acting on another town's rows: as if they did not exist, and nothing changes.
	for _, w := range []struct{ path, body string }{
		{"/v1/tasks/" + c.task[changan] + "/receive", `{"actor":"gm"}`},
		{"/v1/flags/" + c.flg[changan] + "/review", `{"decision":"dismiss","reviewer":"gm","reason":"no"}`},
		{"/v1/inspections", `{"uscc":"` + c.entity[changan] + `","inspector":"gm","at":"2026-11-27T10:00:00+08:00","location":{"type":"Point","coordinates":[113.71,22.85]},"items":{},"outcome":"operating"}`},
	} {
		if code, body := call(t, ts, "POST", w.path, gm, w.body); code != 404 {
			t.Errorf("POST %s as 虎门镇's grid manager: %d %s, want 404", w.path, code, body)
		}
	}
	var status, flagStatus string
	if err := c.db.Pool().QueryRow(context.Background(), `SELECT (SELECT status FROM tasks WHERE id = $1), (SELECT status FROM flags WHERE id = $2)`,
		c.task[changan], c.flg[changan]).Scan(&status, &flagStatus); err != nil {
		t.Fatal(err)
	}
	if status != "pushed" || flagStatus != "open" {
		t.Errorf("长安镇's task %s and flag %s changed", status, flagStatus)
	}
}

// testUnmaskAudited: personal data is masked; unmasking needs the unmask
// permission and leaves an audit entry saying who, what, when and from
// where; without a working audit log nothing is unmasked.
func testUnmaskAudited(t *testing.T, c *scopeCity) {
	ts := c.server(t, nil)
	gm, _ := c.token(t, auth.Principal{Role: auth.GridManager, TownCode: humen})
	coord, coordID := c.token(t, auth.Principal{Role: auth.Coordinator})
	path := "/v1/entities/" + c.entity[humen]

	code, body := call(t, ts, "GET", path, coord, "")
	if code != 200 || !strings.Contains(body, `"phone":"138****5678"`) || !strings.Contains(body, `"legal_rep":"张**"`) ||
		strings.Contains(body, "44190019900101123X") {
		t.Errorf("masked by default: %d %s", code, body)
	}
	if code, body := call(t, ts, "GET", path+"?unmask=true", gm, ""); code != 403 || !strings.Contains(body, "unmask") {
		t.Errorf("unmask as a grid manager: %d %s, want 403", code, body)
	}
	before := time.Now().Add(-time.Second)
	code, body = call(t, ts, "GET", path+"?unmask=true", coord, "")
	if code != 200 || !strings.Contains(body, `"phone":"13812345678"`) || !strings.Contains(body, `"legal_rep":"张三丰"`) ||
		!strings.Contains(body, "44190019900101123X") {
		t.Errorf("unmask as the coordinator: %d %s", code, body)
	}
	es, _, err := c.db.AuditLog(context.Background(), audit.Filter{TokenID: coordID, Action: audit.Unmask, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("%d unmask entries, want 1: %+v", len(es), es)
	}
	e := es[0]
	if e.Role != "coordinator" || e.Route != "/v1/entities/{uscc}" || e.Object != "uscc="+c.entity[humen] ||
		e.Remote != "127.0.0.1" || e.At.Before(before) || e.Method != "GET" {
		t.Errorf("the unmask entry: %+v", e)
	}

	// An audit log that cannot be written: no personal data leaves.
	broken := c.server(t, failingAudit{c.db})
	code, body = call(t, broken, "GET", path+"?unmask=true", coord, "")
	if code != 503 || strings.Contains(body, "13812345678") {
		t.Errorf("unmask without an audit log: %d %s, want 503 and no data", code, body)
	}
}

type failingAudit struct{ *postgres.DB }

func (failingAudit) AppendAudit(ctx context.Context, e audit.Entry) (int64, error) {
	return 0, errors.New("disk full")
}

// testWritesAudited: a write leaves an entry with its status, even when
// refused by the store; the log is for admins only.
func testWritesAudited(t *testing.T, c *scopeCity) {
	ts := c.server(t, nil)
	admin, adminID := c.token(t, auth.Principal{Role: auth.Admin})
	gm, _ := c.token(t, auth.Principal{Role: auth.GridManager, TownCode: humen})

	if code, body := call(t, ts, "POST", "/v1/flags/"+c.flg[humen]+"/review", gm, `{"decision":"confirm","reviewer":"王五","reason":"现场核实"}`); code != 200 {
		t.Fatalf("review: %d %s", code, body)
	}
	if code, _ := call(t, ts, "POST", "/v1/tasks/999999/receive", gm, `{"actor":"王五"}`); code != 404 {
		t.Fatalf("a missing task: %d", code)
	}
	if code, _ := call(t, ts, "GET", "/v1/audit", gm, ""); code != 403 {
		t.Errorf("the audit log as a grid manager: %d, want 403", code)
	}
	code, body := call(t, ts, "GET", "/v1/audit?action=write", admin, "")
	if code != 200 {
		t.Fatalf("the audit log as admin: %d %s", code, body)
	}
	var page struct {
		Items []struct {
			Role, Route, Object, Remote string
			Status                      int
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range page.Items {
		if e.Role != "grid_manager" || e.Remote != "127.0.0.1" {
			t.Errorf("entry %+v", e)
		}
		got[e.Route+" "+e.Object] = e.Status
	}
	for k, want := range map[string]int{
		"/v1/flags/{id}/review id=" + c.flg[humen]: 200,
		"/v1/tasks/{id}/receive id=999999":         404,
	} {
		if got[k] != want {
			t.Errorf("audit of %s: status %d, want %d (all: %v)", k, got[k], want, got)
		}
	}
	// Reading the log is itself logged.
	es, _, err := c.db.AuditLog(context.Background(), audit.Filter{TokenID: adminID, Action: audit.ReadAudit, Limit: 10})
	if err != nil || len(es) != 1 {
		t.Errorf("read_audit entries %v %v, want 1", es, err)
	}
}

// testTokenLifecycle: tokens issued over the API work, are listed without
// their secret, and stop working once revoked; expired and malformed ones
// never work.
func testTokenLifecycle(t *testing.T, c *scopeCity) {
	ts := c.server(t, nil)
	admin, _ := c.token(t, auth.Principal{Role: auth.Admin})

	code, body := call(t, ts, "POST", "/v1/tokens", admin, `{"role":"grid_manager","town_code":"`+humen+`","ttl":"2h","note":"王五, 虎门镇"}`)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	var made struct {
		ID    int64
		Token string
	}
	if err := json.Unmarshal([]byte(body), &made); err != nil || !strings.HasPrefix(made.Token, "gs_") {
		t.Fatalf("%s: %v", body, err)
	}
	if code, body := call(t, ts, "GET", "/v1/me", made.Token, ""); code != 200 || !strings.Contains(body, `"town_code":"`+humen+`"`) {
		t.Errorf("me: %d %s", code, body)
	}
	if code, body := call(t, ts, "GET", "/v1/tokens", admin, ""); code != 200 || strings.Contains(body, made.Token) || !strings.Contains(body, "王五") {
		t.Errorf("list: %d, secret shown %v", code, strings.Contains(body, made.Token))
	}
	if code, body := call(t, ts, "POST", "/v1/tokens", admin, `{"role":"grid_manager","note":"no town"}`); code != 400 || !strings.Contains(body, "town") {
		t.Errorf("a grid manager without a town: %d %s", code, body)
	}
	if code, _ := call(t, ts, "POST", "/v1/tokens/"+strconv.FormatInt(made.ID, 10)+"/revoke", admin, ""); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := call(t, ts, "GET", "/v1/me", made.Token, ""); code != 401 {
		t.Errorf("a revoked token: %d, want 401", code)
	}
	expired, id := c.token(t, auth.Principal{Role: auth.Admin})
	if _, err := c.db.Pool().Exec(context.Background(), `UPDATE api_tokens SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"expired": expired, "malformed": "gs_short", "other scheme": ""} {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if name == "other scheme" {
			req.Header.Set("Authorization", "Basic YWRtaW46YWRtaW4=")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s token: %d, want 401", name, resp.StatusCode)
		}
	}
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

var _ api.WorkflowStore = (*postgres.DB)(nil)

// flowCity is the demo city with the workflow routes, the default
// departments, rules and items, a town item of its own for townA, and three
// entities: e1 and e2 in one building of townA, e3 in townB.
type flowCity struct {
	url          string
	db           *postgres.DB
	townA, townB string
	building     int64
	gridA        string
	e1, e2, e3   string
	address      string // a standard address that matches
}

func newFlowCity(t *testing.T) *flowCity {
	t.Helper()
	ts, db, ix := addressCity(t)
	srv := api.New(api.Config{}, db, db, slog.New(slog.DiscardHandler), api.WithAddresses(ix, db),
		api.WithWorkflow(db), api.WithTaskPolicy(supervision.Policy{}), asAdmin)
	ts.Config.Handler = srv.Handler()
	c := &flowCity{url: ts.URL, db: db}
	ctx := context.Background()
	seedWorkflowDefaults(t, db)
	q := func(sql string, args []any, dest ...any) {
		t.Helper()
		if err := db.Pool().QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`SELECT id, town_code, grid_code FROM buildings WHERE status = 'existing' ORDER BY id LIMIT 1`, nil, &c.building, &c.townA, &c.gridA)
	var other int64
	q(`SELECT id, town_code FROM buildings WHERE status = 'existing' AND town_code <> $1 ORDER BY id LIMIT 1`,
		[]any{c.townA}, &other, &c.townB)
	c.e1 = insertEntity(t, db, 1, "东莞甲餐饮店", c.building)
	c.e2 = insertEntity(t, db, 2, "东莞乙药店", c.building)
	c.e3 = insertEntity(t, db, 3, "东莞丙商行", other)
	q(`SELECT d.code FROM doorplates d WHERE d.retired_at IS NULL ORDER BY d.code LIMIT 1`, nil, &c.address)
	a, ok := ix.Index().Doorplate(c.address)
	if !ok {
		t.Fatalf("doorplate %s not in the index", c.address)
	}
	c.address = a.Full
	if _, err := db.Pool().Exec(ctx, `INSERT INTO inspection_items (code, town_code, label, answers, position)
		VALUES ('fire_safety', $1, '消防安全', '{ok,hazard}', 0)`, c.townA); err != nil {
		t.Fatal(err)
	}
	return c
}

// seedWorkflowDefaults stores supervision's default departments, rules and
// "4+2" items.
func seedWorkflowDefaults(t *testing.T, db *postgres.DB) {
	t.Helper()
	// The demo load seeds them; seeding again changes nothing.
	if err := db.SeedDefaults(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// insertEntity stores an active entity linked to a building, at a point of it.
func insertEntity(t *testing.T, db *postgres.DB, n int, name string, building int64) string {
	t.Helper()
	code := flowUSCC(t, n)
	_, err := db.Pool().Exec(context.Background(), `INSERT INTO entities (uscc, name, kind, status, registered_at,
			address_text, changed_at, link_status, town_code, village_code, grid_code, building_id, location, h3_11, linked_at)
		SELECT $1, $2, 'enterprise', 'active', '2026-01-05', '东莞市某路1号', now(), 'matched', town_code, village_code,
			grid_code, id, ST_PointOnSurface(geom), 1, now()
		FROM buildings WHERE id = $3`, code, name, building)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// insertTask stores a task as the push would, with its push event.
func insertTask(t *testing.T, db *postgres.DB, uscc string, kind supervision.TaskKind, assignee, dept string, items []string, due time.Time) int64 {
	t.Helper()
	var id int64
	err := db.Pool().QueryRow(context.Background(), `INSERT INTO tasks (uscc, kind, assignee, department_code, town_code,
			village_code, grid_code, building_id, reason, items, status, pushed_at, due_at)
		SELECT $1, $2, $3, $4, town_code, village_code, grid_code, building_id, 'test', $5, 'pushed', now(), $6
		FROM entities WHERE uscc = $1 RETURNING id`, uscc, string(kind), assignee, nullable(dept), items, due).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(context.Background(), `INSERT INTO task_events (task_id, action, actor, status) VALUES ($1, 'push', 'test', 'pushed')`, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// do sends body as JSON (nil: no body) and decodes the answer into out
// (when not nil).
func (c *flowCity) do(t *testing.T, method, path string, body, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, b
}

// want checks the status and, for a 400, the field at fault.
func want(t *testing.T, what string, code int, body []byte, status int, field string) {
	t.Helper()
	if code != status {
		t.Fatalf("%s: status %d, want %d: %s", what, code, status, body)
	}
	if field == "" {
		return
	}
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if got := e.Error.Details["field"]; got != field {
		t.Errorf("%s: field %v, want %s (%s)", what, got, field, e.Error.Message)
	}
}

type taskOut struct {
	ID           int64     `json:"id"`
	Status       string    `json:"status"`
	Assignee     string    `json:"assignee"`
	Department   *string   `json:"department"`
	DueAt        time.Time `json:"due_at"`
	ReturnReason *string   `json:"return_reason"`
	InspectionID *int64    `json:"inspection_id"`
	Feedback     string    `json:"feedback"`
	History      []struct {
		Action string `json:"action"`
		Status string `json:"status"`
		Actor  string `json:"actor"`
	} `json:"history"`
}

func (t taskOut) actions() []string {
	var out []string
	for _, e := range t.History {
		out = append(out, e.Action)
	}
	return out
}

type page[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
}

func (c *flowCity) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := c.db.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// point returns the entity's stored location.
func (c *flowCity) point(t *testing.T, uscc string) geo.WGS84 {
	t.Helper()
	var p geo.WGS84
	if err := c.db.Pool().QueryRow(context.Background(), `SELECT ST_X(location), ST_Y(location) FROM entities WHERE uscc = $1`,
		uscc).Scan(&p.Lon, &p.Lat); err != nil {
		t.Fatal(err)
	}
	return p
}

func allItems(extra ...string) map[string]string {
	m := map[string]string{"address": "consistent", "operation": "operating", "permit": "obtained",
		"unlicensed": "none", "licence_display": "displayed", "annual_report": "filed"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func TestWorkflow(t *testing.T) {
	c := newFlowCity(t)
	tomorrow := time.Now().Add(24 * time.Hour)

	t.Run("departments and scope rules", func(t *testing.T) {
		var ds page[supervision.Department]
		code, body := c.do(t, "GET", "/v1/departments", nil, &ds)
		want(t, "departments", code, body, 200, "")
		if len(ds.Items) != len(supervision.DefaultDepartments()) || !ds.Items[len(ds.Items)-1].Coordinator || ds.Next != nil {
			t.Errorf("departments = %+v", ds)
		}
		for _, tc := range []struct {
			name  string
			rules []supervision.ScopeRule
			field string
		}{
			{"unknown department", []supervision.ScopeRule{{Department: "amr_food", Keywords: []string{"餐饮"}}, {Department: "nobody", Keywords: []string{"x"}}}, "rules[1].department"},
			{"the coordinator", []supervision.ScopeRule{{Department: "coordinator", Keywords: []string{"x"}}}, "rules[0].department"},
			{"no keywords", []supervision.ScopeRule{{Department: "amr_food", Keywords: nil}}, "rules[0].keywords"},
			{"keyword twice", []supervision.ScopeRule{{Department: "amr_food", Keywords: []string{"餐饮", "餐饮"}}}, "rules[0].keywords[1]"},
		} {
			code, body := c.do(t, "PUT", "/v1/rules/scope", map[string]any{"rules": tc.rules}, nil)
			want(t, tc.name, code, body, 400, tc.field)
		}
		got, err := c.db.ScopeRules(context.Background())
		if err != nil || len(got) != len(supervision.DefaultRules()) {
			t.Fatalf("a refused PUT changed the rules: %d rules, %v", len(got), err)
		}
		edited := append(supervision.DefaultRules(), supervision.ScopeRule{Department: "amr_food", Keywords: []string{"奶茶"}})
		var out struct{ Rules []supervision.ScopeRule }
		code, body = c.do(t, "PUT", "/v1/rules/scope", map[string]any{"rules": edited}, &out)
		want(t, "put rules", code, body, 200, "")
		if len(out.Rules) != len(edited) || out.Rules[len(edited)-1].Keywords[0] != "奶茶" {
			t.Errorf("rules after PUT = %+v", out.Rules)
		}
	})

	t.Run("inspection items", func(t *testing.T) {
		var items page[supervision.Item]
		code, body := c.do(t, "GET", "/v1/inspection-items?town="+c.townA, nil, &items)
		want(t, "items", code, body, 200, "")
		codes := supervision.ItemCodes(items.Items)
		if len(codes) != 7 || codes[0] != "address" || codes[6] != "fire_safety" {
			t.Errorf("town items = %v", codes)
		}
		code, body = c.do(t, "GET", "/v1/inspection-items?town=441900999", nil, nil)
		want(t, "unknown town", code, body, 404, "")
		for _, tc := range []struct {
			name  string
			items []supervision.Item
			field string
		}{
			{"a city code", []supervision.Item{{Code: "permit", Label: "x", Answers: []string{"a", "b"}}}, "items[0].code"},
			{"one answer", []supervision.Item{{Code: "ads", Label: "广告", Answers: []string{"a"}}}, "items[0].answers"},
			{"twice", []supervision.Item{{Code: "ads", Label: "广告", Answers: []string{"a", "b"}}, {Code: "ads", Label: "广告", Answers: []string{"a", "b"}}}, "items[1].code"},
		} {
			code, body := c.do(t, "PUT", "/v1/towns/"+c.townB+"/inspection-items", map[string]any{"items": tc.items}, nil)
			want(t, tc.name, code, body, 400, tc.field)
		}
		code, body = c.do(t, "PUT", "/v1/towns/441900999/inspection-items", map[string]any{"items": []any{}}, nil)
		want(t, "unknown town", code, body, 404, "")
	})

	t.Run("a returned task reaches the coordinator and is re-assigned", func(t *testing.T) {
		id := insertTask(t, c.db, c.e1, supervision.TaskPermit, "amr_food", "amr_food", []string{"permit"}, tomorrow)
		path := fmt.Sprintf("/v1/tasks/%d", id)
		var tk taskOut
		code, body := c.do(t, "POST", path+"/receive", map[string]any{"actor": "amr_food"}, &tk)
		want(t, "receive", code, body, 200, "")
		code, body = c.do(t, "POST", path+"/return", map[string]any{"actor": "amr_food", "reason": "nonsense"}, nil)
		want(t, "bad reason", code, body, 400, "reason")
		code, body = c.do(t, "POST", path+"/return", map[string]any{"actor": "amr_food", "reason": "wrong_department", "note": "是美容院"}, &tk)
		want(t, "return", code, body, 200, "")
		if tk.Status != "returned" || tk.Assignee != supervision.CoordinatorCode || tk.ReturnReason == nil || *tk.ReturnReason != "wrong_department" {
			t.Errorf("returned task = %+v", tk)
		}
		code, body = c.do(t, "POST", path+"/assign", map[string]any{"actor": "coordinator", "assignee": c.gridA}, nil)
		want(t, "permit task to a grid", code, body, 400, "assignee")
		code, body = c.do(t, "POST", path+"/assign", map[string]any{"actor": "coordinator", "assignee": "nobody"}, nil)
		want(t, "unknown assignee", code, body, 400, "assignee")
		code, body = c.do(t, "POST", path+"/assign", map[string]any{"actor": "coordinator", "assignee": "health"}, &tk)
		want(t, "assign", code, body, 200, "")
		if tk.Status != "pushed" || tk.Assignee != "health" || tk.Department == nil || *tk.Department != "health" || !tk.DueAt.After(time.Now().Add(7*24*time.Hour)) {
			t.Errorf("re-assigned task = %+v", tk)
		}
		code, body = c.do(t, "GET", path, nil, &tk)
		want(t, "get", code, body, 200, "")
		if got := tk.actions(); !slices.Equal(got, []string{"push", "receive", "return", "assign"}) {
			t.Errorf("history = %v", got)
		}
		if tk.History[2].Status != "returned" || tk.History[2].Actor != "amr_food" {
			t.Errorf("return event = %+v", tk.History[2])
		}
	})

	t.Run("an illegal step is a 409 and changes nothing", func(t *testing.T) {
		id := insertTask(t, c.db, c.e2, supervision.TaskPermit, "amr_drug", "amr_drug", []string{"permit"}, tomorrow)
		path := fmt.Sprintf("/v1/tasks/%d", id)
		code, body := c.do(t, "POST", path+"/feedback", map[string]any{"actor": "amr_drug"}, nil)
		want(t, "feedback without text", code, body, 400, "feedback")
		code, body = c.do(t, "POST", path+"/feedback", map[string]any{"actor": "amr_drug", "feedback": "已办证", "done": true}, nil)
		want(t, "feedback done", code, body, 200, "")
		events := c.count(t, `SELECT count(*) FROM task_events WHERE task_id = $1`, id)
		for _, step := range []struct {
			path string
			body map[string]any
		}{
			{"/feedback", map[string]any{"actor": "amr_drug", "feedback": "again"}},
			{"/receive", map[string]any{}},
			{"/complete", map[string]any{"note": "x"}},
			{"/return", map[string]any{"reason": "wrong_department"}},
			{"/assign", map[string]any{"assignee": "health"}},
		} {
			code, body := c.do(t, "POST", path+step.path, step.body, nil)
			want(t, step.path+" on a done task", code, body, 409, "")
		}
		var tk taskOut
		c.do(t, "GET", path, nil, &tk)
		if tk.Status != "done" || tk.Feedback != "已办证" || tk.Assignee != "amr_drug" {
			t.Errorf("after refused steps: %+v", tk)
		}
		if n := c.count(t, `SELECT count(*) FROM task_events WHERE task_id = $1`, id); n != events {
			t.Errorf("refused steps wrote events: %d, want %d", n, events)
		}
		code, body = c.do(t, "POST", path+"/receive", map[string]any{"actor": "x", "done": true}, nil)
		want(t, "a field of another step", code, body, 400, "done")
	})

	t.Run("overdue is computed, never stored", func(t *testing.T) {
		id := insertTask(t, c.db, c.e3, supervision.TaskPermit, "police", "police", []string{"permit"}, time.Now().Add(-24*time.Hour))
		var tk taskOut
		c.do(t, "GET", fmt.Sprintf("/v1/tasks/%d", id), nil, &tk)
		if tk.Status != "overdue" {
			t.Errorf("status = %s, want overdue", tk.Status)
		}
		has := func(status string) bool {
			var p page[taskOut]
			code, body := c.do(t, "GET", "/v1/tasks?assignee=police&status="+status, nil, &p)
			want(t, status, code, body, 200, "")
			return slices.ContainsFunc(p.Items, func(x taskOut) bool { return x.ID == id })
		}
		if !has("overdue") || !has("open") || has("pushed") {
			t.Errorf("filters: overdue %v, open %v, pushed %v; want true, true, false", has("overdue"), has("open"), has("pushed"))
		}
		if n := c.count(t, `SELECT count(*) FROM tasks WHERE id = $1 AND status = 'pushed'`, id); n != 1 {
			t.Error("the stored status changed")
		}
		code, body := c.do(t, "GET", "/v1/tasks?status=late", nil, nil)
		want(t, "bad status", code, body, 400, "status")
	})

	t.Run("unknown ids are 404", func(t *testing.T) {
		for _, r := range []struct{ method, path string }{
			{"GET", "/v1/tasks/999999"}, {"POST", "/v1/tasks/999999/receive"}, {"GET", "/v1/leads/999999"},
			{"POST", "/v1/leads/999999/accept"}, {"GET", "/v1/inspections/999999"},
		} {
			code, body := c.do(t, r.method, r.path, map[string]any{}, nil)
			want(t, r.method+" "+r.path, code, body, 404, "")
		}
		code, body := c.do(t, "GET", "/v1/tasks/abc", nil, nil)
		want(t, "bad id", code, body, 400, "id")
	})

	t.Run("one visit for two departments' checks in one building", func(t *testing.T) {
		var t1, t2 taskOut
		code, body := c.do(t, "POST", "/v1/tasks", map[string]any{"uscc": c.e1, "department": "amr_food",
			"items": []string{"address", "operation"}, "reason": "食品经营核查"}, &t1)
		want(t, "request check", code, body, 201, "")
		code, body = c.do(t, "POST", "/v1/tasks", map[string]any{"uscc": c.e2, "department": "amr_drug",
			"items": []string{"licence_display", "fire_safety"}, "reason": "药店亮照", "due_in_days": 3}, &t2)
		want(t, "request check", code, body, 201, "")
		if t1.Assignee != c.gridA || t2.Assignee != c.gridA {
			t.Fatalf("checks went to %s and %s, want grid %s", t1.Assignee, t2.Assignee, c.gridA)
		}
		code, body = c.do(t, "POST", "/v1/tasks", map[string]any{"uscc": c.e3, "department": "amr_food",
			"items": []string{"fire_safety"}, "reason": "x"}, nil)
		want(t, "another town's item", code, body, 400, "items[0]")
		code, body = c.do(t, "POST", "/v1/tasks", map[string]any{"uscc": c.e3, "department": "nobody",
			"items": []string{"address"}, "reason": "x"}, nil)
		want(t, "unknown department", code, body, 400, "department")

		var visits page[struct {
			BuildingID *int64          `json:"building_id"`
			Location   json.RawMessage `json:"location"`
			Entities   []struct {
				USCC  string   `json:"uscc"`
				Tasks []int64  `json:"tasks"`
				Items []string `json:"items"`
			} `json:"entities"`
			Items []string  `json:"items"`
			DueAt time.Time `json:"due_at"`
		}]
		code, body = c.do(t, "GET", "/v1/tasks/visits?assignee="+c.gridA, nil, &visits)
		want(t, "visits", code, body, 200, "")
		if len(visits.Items) != 1 {
			t.Fatalf("%d visits, want 1: %s", len(visits.Items), body)
		}
		v := visits.Items[0]
		if v.BuildingID == nil || *v.BuildingID != c.building || len(v.Entities) != 2 || string(v.Location) == "null" {
			t.Errorf("visit = %s", body)
		}
		if !v.DueAt.Equal(t2.DueAt) || v.Entities[0].USCC != c.e2 {
			t.Errorf("visit due %v first %s, want the 3-day check of %s first (%v)", v.DueAt, v.Entities[0].USCC, c.e2, t2.DueAt)
		}
		slices.Sort(v.Items)
		if !slices.Equal(v.Items, []string{"address", "fire_safety", "licence_display", "operation"}) {
			t.Errorf("visit items = %v", v.Items)
		}
	})

	t.Run("an inspection closes the on-site tasks it answers, not the permit ones", func(t *testing.T) {
		permit := insertTask(t, c.db, c.e1, supervision.TaskPermit, "amr_food", "amr_food", []string{"permit"}, tomorrow)
		first := insertTask(t, c.db, c.e1, supervision.TaskFirstCheck, c.gridA, "", []string{"address", "operation", "fire_safety"}, tomorrow)
		bigger := insertTask(t, c.db, c.e1, supervision.TaskChangeCheck, c.gridA, "", []string{"address", "annual_report"}, tomorrow)
		p := c.point(t, c.e1)
		var out struct {
			Inspection struct {
				ID      int64   `json:"id"`
				TaskIDs []int64 `json:"task_ids"`
			} `json:"inspection"`
			Closed []int64 `json:"closed_tasks"`
		}
		body := map[string]any{"uscc": c.e1, "inspector": "网格员张三", "at": time.Now().Format(time.RFC3339),
			"location": map[string]any{"type": "Point", "coordinates": []float64{p.Lon, p.Lat}},
			"items":    map[string]string{"address": "consistent", "operation": "operating", "fire_safety": "ok"},
			"outcome":  "operating", "photos": []string{"oss://a.jpg"}}
		code, b := c.do(t, "POST", "/v1/inspections", body, &out)
		want(t, "inspection", code, b, 201, "")
		var requested []int64 // the amr_food check of the visits case asks for address and operation
		rows, _ := c.db.Pool().Query(context.Background(), `SELECT id FROM tasks WHERE uscc = $1 AND kind = 'check'`, c.e1)
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			requested = append(requested, id)
		}
		wantClosed := append(requested, first)
		slices.Sort(wantClosed)
		if !slices.Equal(out.Closed, wantClosed) || !slices.Equal(out.Inspection.TaskIDs, wantClosed) {
			t.Errorf("closed %v, want %v", out.Closed, wantClosed)
		}
		for id, status := range map[int64]string{permit: "pushed", first: "done", bigger: "pushed"} {
			var tk taskOut
			c.do(t, "GET", fmt.Sprintf("/v1/tasks/%d", id), nil, &tk)
			if tk.Status != status {
				t.Errorf("task %d: %s, want %s", id, tk.Status, status)
			}
			if status == "done" && (tk.InspectionID == nil || *tk.InspectionID != out.Inspection.ID || tk.actions()[len(tk.History)-1] != "inspect") {
				t.Errorf("closed task %d = %+v", id, tk)
			}
		}
		body["task_ids"] = []int64{bigger}
		code, b = c.do(t, "POST", "/v1/inspections", body, nil)
		want(t, "an explicit task it does not answer", code, b, 409, "")
		body["task_ids"] = []int64{permit + 100000}
		code, b = c.do(t, "POST", "/v1/inspections", body, nil)
		want(t, "an explicit task of nobody", code, b, 400, "task_ids[0]")
	})

	t.Run("town items belong to their town", func(t *testing.T) {
		check := func(uscc string) (int, []byte) {
			p := c.point(t, uscc)
			return c.do(t, "POST", "/v1/inspections", map[string]any{"uscc": uscc, "inspector": "李四",
				"at": time.Now().Format(time.RFC3339), "location": map[string]any{"type": "Point", "coordinates": []float64{p.Lon, p.Lat}},
				"items": allItems("fire_safety", "ok"), "outcome": "operating"}, nil)
		}
		code, body := check(c.e2)
		want(t, "own town", code, body, 201, "")
		code, body = check(c.e3)
		want(t, "another town", code, body, 400, "items.fire_safety")
	})

	t.Run("a GCJ-02 check-in is stored in WGS84", func(t *testing.T) {
		p := c.point(t, c.e3)
		g := p.ToGCJ02()
		var out struct {
			Inspection struct {
				ID       int64 `json:"id"`
				CRS      string
				Location struct{ Coordinates []float64 } `json:"location"`
			} `json:"inspection"`
		}
		code, body := c.do(t, "POST", "/v1/inspections", map[string]any{"uscc": c.e3, "inspector": "王五",
			"at": time.Now().Add(-time.Hour).Format(time.RFC3339), "crs": "gcj02",
			"location": map[string]any{"type": "Point", "coordinates": []float64{g.Lon, g.Lat}},
			"items":    allItems(), "outcome": "operating"}, &out)
		want(t, "gcj02", code, body, 201, "")
		wantP := g.ToWGS84()
		var lon, lat float64
		var crs string
		if err := c.db.Pool().QueryRow(context.Background(), `SELECT ST_X(location), ST_Y(location), crs FROM inspections WHERE id = $1`,
			out.Inspection.ID).Scan(&lon, &lat, &crs); err != nil {
			t.Fatal(err)
		}
		if math.Abs(lon-wantP.Lon) > 1e-6 || math.Abs(lat-wantP.Lat) > 1e-6 || crs != "gcj02" {
			t.Errorf("stored (%v, %v) %s, want (%v, %v) gcj02", lon, lat, crs, wantP.Lon, wantP.Lat)
		}
		if math.Abs(lon-g.Lon) < 1e-4 {
			t.Error("the GCJ-02 point was stored unconverted")
		}
		if cs := out.Inspection.Location.Coordinates; len(cs) != 2 || math.Abs(cs[0]-wantP.Lon) > 1e-6 {
			t.Errorf("answered location %v", cs)
		}
	})

	t.Run("points outside the city or the planet are refused", func(t *testing.T) {
		before := c.count(t, `SELECT count(*) FROM inspections`)
		for _, tc := range []struct {
			name   string
			coords any
			crs    string
			field  string
		}{
			{"null island", []float64{0, 0}, "", "location"},
			{"Guangzhou", []float64{113.26, 23.13}, "wgs84", "location"},
			{"off the planet", []float64{200, 23}, "", "location"},
			{"latitude over 90", []float64{113.7, 91}, "", "location"},
			{"lat, lon swapped", []float64{23.0, 113.7}, "", "location"},
			{"not a point", nil, "", "location"},
			{"unknown crs", []float64{113.7, 23}, "bd09", "crs"},
		} {
			loc := map[string]any{"type": "Point", "coordinates": tc.coords}
			if tc.coords == nil {
				loc = map[string]any{"type": "LineString", "coordinates": [][]float64{{113.7, 23}, {113.8, 23}}}
			}
			code, body := c.do(t, "POST", "/v1/inspections", map[string]any{"uscc": c.e3, "inspector": "王五",
				"at": time.Now().Format(time.RFC3339), "crs": tc.crs, "location": loc, "items": allItems(), "outcome": "operating"}, nil)
			want(t, tc.name, code, body, 400, tc.field)
		}
		if n := c.count(t, `SELECT count(*) FROM inspections`); n != before {
			t.Errorf("%d inspections stored by refused requests", n-before)
		}
		unknown := flowUSCC(t, 99)
		code, body := c.do(t, "POST", "/v1/inspections", map[string]any{"uscc": unknown, "inspector": "王五",
			"at": time.Now().Format(time.RFC3339), "location": map[string]any{"type": "Point", "coordinates": []float64{113.7, 23}},
			"items": allItems(), "outcome": "operating"}, nil)
		want(t, "unknown entity", code, body, 404, "")
	})

	t.Run("leads move between departments with their history", func(t *testing.T) {
		type leadOut struct {
			ID         int64   `json:"id"`
			Status     string  `json:"status"`
			Department *string `json:"department"`
			Result     string  `json:"result"`
			History    []struct {
				Action     string `json:"action"`
				Department string `json:"department"`
				Status     string `json:"status"`
			} `json:"history"`
		}
		var l leadOut
		code, body := c.do(t, "POST", "/v1/leads", map[string]any{"uscc": c.e1, "from_department": c.gridA,
			"department": "amr_food", "category": "无证经营", "description": "后厨无健康证"}, &l)
		want(t, "create", code, body, 201, "")
		path := fmt.Sprintf("/v1/leads/%d", l.ID)
		code, body = c.do(t, "POST", path+"/transfer", map[string]any{"actor": "amr_food", "department": "nobody"}, nil)
		want(t, "transfer to nobody", code, body, 400, "department")
		code, body = c.do(t, "POST", path+"/decide", map[string]any{"actor": "coordinator", "department": "health"}, nil)
		want(t, "decide while assigned", code, body, 409, "")
		for _, step := range []struct {
			action, dept, status string
		}{
			{"transfer", "health", "assigned"},
			{"escalate", "", "coordination"},
			{"decide", "police", "assigned"},
			{"accept", "", "accepted"},
		} {
			b := map[string]any{"actor": "someone"}
			if step.dept != "" {
				b["department"] = step.dept
			}
			code, body := c.do(t, "POST", path+"/"+step.action, b, &l)
			want(t, step.action, code, body, 200, "")
			if l.Status != step.status {
				t.Errorf("after %s: %s, want %s", step.action, l.Status, step.status)
			}
		}
		code, body = c.do(t, "POST", path+"/close", map[string]any{"actor": "police"}, nil)
		want(t, "close without result", code, body, 400, "result")
		code, body = c.do(t, "POST", path+"/close", map[string]any{"actor": "police", "result": "已立案"}, &l)
		want(t, "close", code, body, 200, "")
		code, body = c.do(t, "GET", path, nil, &l)
		want(t, "get", code, body, 200, "")
		var got []string
		for _, e := range l.History {
			got = append(got, e.Action+":"+e.Department+":"+e.Status)
		}
		if w := []string{"create:amr_food:assigned", "transfer:health:assigned", "escalate::coordination",
			"decide:police:assigned", "accept:police:accepted", "close:police:closed"}; !slices.Equal(got, w) {
			t.Errorf("history = %v\nwant %v", got, w)
		}
		if l.Result != "已立案" || l.Department == nil || *l.Department != "police" {
			t.Errorf("closed lead = %+v", l)
		}
		code, body = c.do(t, "POST", path+"/accept", map[string]any{}, nil)
		want(t, "accept a closed lead", code, body, 409, "")

		code, body = c.do(t, "POST", "/v1/leads", map[string]any{"from_department": "amr_food", "category": "疑似无照",
			"location": map[string]any{"type": "Point", "coordinates": []float64{0, 0}}}, nil)
		want(t, "a lead outside the city", code, body, 400, "location")
		p := c.point(t, c.e3).ToGCJ02()
		code, body = c.do(t, "POST", "/v1/leads", map[string]any{"from_department": "amr_food", "category": "疑似无照",
			"crs": "gcj02", "location": map[string]any{"type": "Point", "coordinates": []float64{p.Lon, p.Lat}}}, &l)
		want(t, "a lead for the coordinator", code, body, 201, "")
		if l.Status != "coordination" || l.Department != nil {
			t.Errorf("lead without department = %+v", l)
		}
		// The demo's history has coordination leads of its own: the new
		// one is the last of town B's.
		var ls page[leadOut]
		c.do(t, "GET", "/v1/leads?department=coordinator&town="+c.townB+"&limit=1000", nil, &ls)
		if n := len(ls.Items); n == 0 || ls.Items[n-1].ID != l.ID {
			t.Errorf("coordinator's leads in town B end with %+v, want lead %d", ls.Items[max(0, n-1):], l.ID)
		}
		for _, x := range ls.Items {
			if x.Status != "coordination" {
				t.Errorf("lead %d with the coordinator is %s", x.ID, x.Status)
			}
		}
	})

	t.Run("complaints are idempotent and linked", func(t *testing.T) {
		type complaintOut struct {
			ID   int64 `json:"id"`
			Link struct {
				Status   *string `json:"status"`
				TownCode *string `json:"town_code"`
			} `json:"link"`
		}
		body := map[string]any{"source": "12345", "external_id": "GD-2026-0001", "at": "2026-11-01T10:00:00+08:00",
			"category": "report", "address_text": c.address, "summary": "无证经营"}
		var a, b complaintOut
		code, resp := c.do(t, "POST", "/v1/complaints", body, &a)
		want(t, "new", code, resp, 201, "")
		if a.Link.Status == nil || *a.Link.Status != "matched" || a.Link.TownCode == nil {
			t.Errorf("complaint link = %s", resp)
		}
		code, resp = c.do(t, "POST", "/v1/complaints", body, &b)
		want(t, "repeat", code, resp, 200, "")
		if a.ID != b.ID || c.count(t, `SELECT count(*) FROM complaints WHERE external_id = 'GD-2026-0001'`) != 1 {
			t.Errorf("repeat stored again: %d, %d", a.ID, b.ID)
		}
		code, resp = c.do(t, "POST", "/v1/complaints", map[string]any{"source": "12315", "at": "2026-11-01T10:00:00+08:00",
			"category": "complaint", "uscc": c.e3}, &a)
		want(t, "by entity", code, resp, 201, "")
		if a.Link.TownCode == nil || *a.Link.TownCode != c.townB {
			t.Errorf("a complaint naming an entity takes its town: %s", resp)
		}
		code, resp = c.do(t, "POST", "/v1/complaints", map[string]any{"source": "110", "at": "2026-11-01T10:00:00+08:00", "category": "report", "uscc": c.e3}, nil)
		want(t, "bad source", code, resp, 400, "source")
		var cs page[complaintOut]
		c.do(t, "GET", "/v1/complaints?town="+c.townB+"&uscc="+c.e3, nil, &cs)
		if len(cs.Items) != 1 {
			t.Errorf("complaints of town B about e3: %d, want 1", len(cs.Items))
		}
	})

	t.Run("violations and the abnormal list", func(t *testing.T) {
		v := map[string]any{"uscc": c.e2, "external_id": "东市监罚〔2026〕1号", "at": "2026-10-01T00:00:00+08:00",
			"kind": "penalty", "authority": "东莞市市场监督管理局", "amount": 5000}
		code, body := c.do(t, "POST", "/v1/violations", v, nil)
		want(t, "new", code, body, 201, "")
		code, body = c.do(t, "POST", "/v1/violations", v, nil)
		want(t, "repeat", code, body, 200, "")
		var vs page[struct{ Amount float64 }]
		c.do(t, "GET", "/v1/violations?uscc="+c.e2, nil, &vs)
		if len(vs.Items) != 1 || vs.Items[0].Amount != 5000 {
			t.Errorf("violations = %+v", vs)
		}
		path := "/v1/entities/" + c.e2 + "/abnormal"
		listing := map[string]any{"reason": "unreachable", "listed_at": "2026-06-01", "authority": "东莞市市场监督管理局"}
		code, body = c.do(t, "POST", path, listing, nil)
		want(t, "list", code, body, 201, "")
		code, body = c.do(t, "POST", path, listing, nil)
		want(t, "list again", code, body, 200, "")
		listing["listed_at"] = "2026-07-01"
		code, body = c.do(t, "POST", path, listing, nil)
		want(t, "listed already", code, body, 409, "")
		code, body = c.do(t, "POST", path+"/remove", map[string]any{"reason": "unreachable", "removed_at": "2026-05-01"}, nil)
		want(t, "removed before listed", code, body, 400, "removed_at")
		code, body = c.do(t, "POST", path+"/remove", map[string]any{"reason": "unreachable", "removed_at": "2026-09-01"}, nil)
		want(t, "remove", code, body, 200, "")
		code, body = c.do(t, "POST", path+"/remove", map[string]any{"reason": "unreachable", "removed_at": "2026-09-01"}, nil)
		want(t, "not listed", code, body, 409, "")
		as, err := c.db.EntityAbnormal(context.Background(), supervision.USCC(c.e2))
		if err != nil || len(as) != 1 || as[0].RemovedAt == nil || as[0].RemovedAt.Format(time.DateOnly) != "2026-09-01" {
			t.Errorf("EntityAbnormal = %+v, %v", as, err)
		}
	})

	t.Run("pages", func(t *testing.T) {
		// The demo city's history holds thousands of tasks: the first
		// five, then the same five as pages of two and three.
		var all, p1, p2 page[taskOut]
		c.do(t, "GET", "/v1/tasks?limit=5", nil, &all)
		if len(all.Items) != 5 || all.Next == nil {
			t.Fatalf("first five tasks: %d, next %v", len(all.Items), all.Next)
		}
		c.do(t, "GET", "/v1/tasks?limit=2", nil, &p1)
		if len(p1.Items) != 2 || p1.Next == nil {
			t.Fatalf("first page: %d items, next %v", len(p1.Items), p1.Next)
		}
		c.do(t, "GET", "/v1/tasks?limit=3&cursor="+*p1.Next, nil, &p2)
		if len(p2.Items) != 3 || p2.Items[0].ID != all.Items[2].ID || p2.Items[2].ID != all.Items[4].ID {
			t.Errorf("second page %+v, want tasks 3 to 5 of %+v", p2.Items, all.Items)
		}
		for _, q := range []string{"limit=0", "limit=1001", "cursor=zzz", "due_before=yesterday", "town=12"} {
			code, body := c.do(t, "GET", "/v1/tasks?"+q, nil, nil)
			want(t, q, code, body, 400, "")
		}
	})
}

// flowUSCC is a valid code, the n-th of the workflow tests.
func flowUSCC(t *testing.T, n int) string {
	first := fmt.Sprintf("91441900MW%07d", n)
	c, err := supervision.USCCCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

func TestWorkflowDisabled(t *testing.T) {
	srv := api.New(api.Config{}, nil, nil, slog.New(slog.DiscardHandler), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := &flowCity{url: ts.URL}
	code, body := c.do(t, "GET", "/v1/tasks", nil, nil)
	want(t, "no store", code, body, 503, "")
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

// entityCity serves the demo city with the entity routes.
func entityCity(t *testing.T) (string, *postgres.DB, string) {
	t.Helper()
	ts, db, ix := addressCity(t)
	srv := api.New(api.Config{}, db, db, slog.New(slog.DiscardHandler), api.WithAddresses(ix, db),
		api.WithEntities(&postgres.EntityWriter{DB: db}), api.WithEntityReader(db), api.WithWorkflow(db), asAdmin)
	ts.Config.Handler = srv.Handler()
	var address string
	err := db.Pool().QueryRow(context.Background(), `
		SELECT t.name || r.name || d.number || '号' || b.label || m.label
		FROM rooms m JOIN buildings b ON b.id = m.building_id JOIN doorplates d ON d.code = b.doorplate_code
		JOIN roads r ON r.code = d.road_code JOIN towns t ON t.code = b.town_code
		WHERE m.unit = '' AND d.sub_number = 0 AND b.status = 'existing' AND m.retired_at IS NULL
		  AND (SELECT count(*) FROM buildings b2 WHERE b2.doorplate_code = d.code) = 1
		ORDER BY m.code LIMIT 1`).Scan(&address)
	if err != nil {
		t.Fatal(err)
	}
	return ts.URL, db, address
}

func uscc(t *testing.T, n int) string {
	first := fmt.Sprintf("91441900MA%07d", n)
	c, err := supervision.USCCCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

func put(t *testing.T, url, body string, header map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestPutEntity(t *testing.T) {
	base, _, address := entityCity(t)
	u := uscc(t, 1)
	body := func(name, changed string) string {
		return fmt.Sprintf(`{"name": %q, "registered_at": "2026-11-02", "address_text": %q,
			"scope": "餐饮服务", "industry": "H", "phone": "13812345678", "id_number": "44190019900101123X", "changed_at": %q}`,
			name, address, changed)
	}
	var res struct {
		Outcome string  `json:"outcome"`
		Version int     `json:"version"`
		Tasks   []int64 `json:"tasks"`
		Entity  struct {
			Kind  string `json:"kind"`
			Phone string `json:"phone"`
			Link  struct {
				Status   string `json:"status"`
				Level    string `json:"level"`
				GridCode string `json:"grid_code"`
			} `json:"link"`
		} `json:"entity"`
	}
	code, b := put(t, base+"/v1/entities/"+u, body("东莞市甲餐饮有限公司", "2026-11-02T09:00:00+08:00"), nil)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Version != 1 || len(res.Tasks) != 2 || res.Entity.Kind != "enterprise" || res.Entity.Link.Status != "matched" ||
		res.Entity.Link.Level != "room" || res.Entity.Link.GridCode == "" || res.Entity.Phone != "138****5678" {
		t.Errorf("create: %s", b)
	}

	// The entity page shows the tasks the write pushed.
	code, b, h := get(t, base+"/v1/entities/"+u)
	var detail struct {
		Tasks []struct {
			ID       int64  `json:"id"`
			Kind     string `json:"kind"`
			Assignee string `json:"assignee"`
			DueAt    string `json:"due_at"`
		} `json:"tasks"`
		Inspections []any `json:"inspections"`
	}
	if err := json.Unmarshal(b, &detail); err != nil || code != http.StatusOK {
		t.Fatalf("GET entity: %d %s", code, b)
	}
	if len(detail.Tasks) != 2 || detail.Tasks[0].Assignee != "amr_food" || detail.Tasks[1].Kind != "first_check" ||
		detail.Inspections == nil || h.Get("ETag") != `"1"` ||
		!strings.HasSuffix(detail.Tasks[0].DueAt, "T00:00:00+08:00") { // the end of a working day, Beijing time
		t.Errorf("GET entity: tasks %+v, inspections %v, ETag %q", detail.Tasks, detail.Inspections, h.Get("ETag"))
	}

	tests := []struct {
		name    string
		path    string
		body    string
		header  map[string]string
		want    int
		mention string
	}{
		{"same change again", u, body("东莞市甲餐饮有限公司", "2026-11-02T09:00:00+08:00"), nil, http.StatusOK, `"unchanged"`},
		{"bad check character", u[:17] + map[bool]string{true: "1", false: "0"}[u[17] == '0'], body("x", "2026-11-02T09:00:00+08:00"), nil, http.StatusBadRequest, "check character"},
		{"older change", u, body("旧名", "2026-11-01T09:00:00+08:00"), nil, http.StatusConflict, "newer change"},
		{"wrong If-Match", u, body("新名", "2026-11-03T09:00:00+08:00"), map[string]string{"If-Match": `"7"`}, http.StatusConflict, "version 1, not 7"},
		{"unknown field", u, `{"name": "x", "nme": "y"}`, nil, http.StatusBadRequest, "nme"},
		{"missing address", u, `{"name": "x", "registered_at": "2026-11-02"}`, nil, http.StatusBadRequest, "address_text"},
		{"body names another entity", u, `{"uscc": "` + uscc(t, 2) + `", "name": "x"}`, nil, http.StatusBadRequest, "uscc"},
		{"kind disagrees with the code", u, strings.Replace(body("x", "2026-11-04T09:00:00+08:00"), `{`, `{"kind": "individual",`, 1), nil, http.StatusBadRequest, "kind"},
		{"If-Match right", u, body("新名", "2026-11-03T09:00:00+08:00"), map[string]string{"If-Match": `"1"`}, http.StatusOK, `"version":2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, b := put(t, base+"/v1/entities/"+tc.path, tc.body, tc.header)
			if code != tc.want || !strings.Contains(string(b), tc.mention) {
				t.Errorf("status %d %s; want %d mentioning %q", code, b, tc.want, tc.mention)
			}
		})
	}
}

func TestRegistrationFeed(t *testing.T) {
	base, db, address := entityCity(t)
	a, b := uscc(t, 11), uscc(t, 12)
	line := func(u, change, changed, name string) string {
		return fmt.Sprintf(`{"uscc": %q, "change": %q, "changed_at": %q, "name": %q, "registered_at": "2026-11-02", "address_text": %q, "scope": "预包装食品销售（不含冷藏冷冻食品）"}`,
			u, change, changed, name, address)
	}
	feed := strings.Join([]string{
		line(a, "new", "2026-11-02T09:00:00+08:00", "甲商行"),
		`{"uscc": "91441900MA0000000X", "change": "new", "changed_at": "2026-11-02T09:00:00+08:00"}`, // bad check character
		line(b, "change", "2026-11-02T11:00:00+08:00", "乙商行（新）"),
		`not json`,
		line(b, "new", "2026-11-02T10:00:00+08:00", "乙商行"), // older than the line before
		`{"uscc": "` + a + `", "change": "cancel", "changed_at": "2026-11-02T12:00:00+08:00"}`,
		"",
	}, "\n")
	type report struct {
		Lines, Created, Updated, Unchanged, Stale, Replayed, Rejected int
		TasksPushed                                                   int `json:"tasks_pushed"`
		Rejections                                                    []struct {
			Line  int
			Field string
			Error string
		}
	}
	send := func() report {
		code, body := post(t, base+"/v1/feeds/registrations", "application/x-ndjson", []byte(feed))
		if code != http.StatusOK {
			t.Fatalf("feed: %d %s", code, body)
		}
		var r report
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := send()
	if r.Lines != 6 || r.Created != 2 || r.Updated != 2 || r.Rejected != 2 || len(r.Rejections) != 2 ||
		r.Rejections[0].Line != 2 || r.Rejections[0].Field != "uscc" || r.Rejections[1].Line != 4 {
		t.Errorf("first feed: %+v", r)
	}
	var name, status string
	_ = db.Pool().QueryRow(context.Background(), `SELECT name FROM entities WHERE uscc = $1`, b).Scan(&name)
	_ = db.Pool().QueryRow(context.Background(), `SELECT status FROM entities WHERE uscc = $1`, a).Scan(&status)
	if name != "乙商行（新）" || status != "cancelled" {
		t.Errorf("after the feed: b is %q, a is %s; want the latest change of each", name, status)
	}
	r2 := send()
	if r2.Created != 0 || r2.Updated != 0 || r2.TasksPushed != 0 || r2.Replayed != 4 {
		t.Errorf("replayed feed: %+v, want nothing applied", r2)
	}
	code, body := post(t, base+"/v1/feeds/registrations", "application/x-ndjson", []byte("\n\n"))
	if code != http.StatusBadRequest || !strings.Contains(string(body), "empty") {
		t.Errorf("empty feed: %d %s", code, body)
	}
}

package api_test

import (
	"bufio"
	"context"
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
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

var _ api.FlagStore = (*postgres.DB)(nil)

// listeningHub is the alert hub, telling when the listener listens.
type listeningHub struct {
	*api.AlertHub
	listening chan struct{}
}

func (h listeningHub) Resync() {
	h.AlertHub.Resync()
	select {
	case h.listening <- struct{}{}:
	default:
	}
}

// TestOffSiteOnTheStream: a check-in 800 m from the registered building
// answers with the off-site flag and sends it on the alert stream of its
// town; check-ins at the door, in WGS84 or in GCJ-02, send nothing. Then
// the flag's routes: list, detail, review, and their bad input.
func TestOffSiteOnTheStream(t *testing.T) {
	c := newFlowCity(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := listeningHub{api.NewAlertHub(0), make(chan struct{}, 1)}
	log := slog.New(slog.DiscardHandler)
	go postgres.NewAlertListener(c.db, hub, log).Run(ctx)
	select {
	case <-hub.listening:
	case <-time.After(10 * time.Second):
		t.Fatal("the alert listener did not start listening")
	}
	srv := api.New(api.Config{}, c.db, c.db, log, api.WithWorkflow(c.db), api.WithTaskPolicy(supervision.Policy{}),
		api.WithFlags(c.db, supervision.FlagConfig{}), api.WithAlerts(hub), asAdmin)
	ts := httptestServer(t, srv)

	// The stream of townA, read in the background.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts+"/v1/alerts/stream?town="+c.townA, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("open the stream: %v %v", err, resp)
	}
	defer resp.Body.Close()
	events := make(chan map[string]string, 8)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		ev := map[string]string{}
		for sc.Scan() {
			if sc.Text() == "" {
				if ev["event"] != "" {
					events <- ev
				}
				ev = map[string]string{}
				continue
			}
			k, v, _ := strings.Cut(sc.Text(), ":")
			ev[k] = strings.TrimPrefix(v, " ")
		}
	}()
	// The handler subscribes before it answers: the headers mean it hears.

	var door geo.WGS84
	if err := c.db.Pool().QueryRow(ctx, `SELECT ST_X(location), ST_Y(location) FROM entities WHERE uscc = $1`, c.e1).
		Scan(&door.Lon, &door.Lat); err != nil {
		t.Fatal(err)
	}
	checkIn := func(lon, lat float64, crs string) []map[string]any {
		t.Helper()
		body := fmt.Sprintf(`{"uscc": %q, "inspector": "张三", "at": %q, "crs": %q,
			"location": {"type": "Point", "coordinates": [%.8f, %.8f]}, "items": {"address": "consistent"}, "outcome": "operating"}`,
			c.e1, time.Now().Format(time.RFC3339), crs, lon, lat)
		code, b := postJSON(t, ts+"/v1/inspections", body)
		if code != http.StatusCreated {
			t.Fatalf("check-in: %d %s", code, b)
		}
		var out struct {
			Flags []map[string]any `json:"flags"`
		}
		if err := json.Unmarshal(b, &out); err != nil || out.Flags == nil {
			t.Fatalf("check-in answer %s: flags missing (%v)", b, err)
		}
		return out.Flags
	}
	if fs := checkIn(door.Lon, door.Lat, "wgs84"); len(fs) != 0 {
		t.Errorf("at the door: flags %v", fs)
	}
	gcj := door.ToGCJ02()
	if fs := checkIn(gcj.Lon, gcj.Lat, "gcj02"); len(fs) != 0 {
		t.Errorf("the door in GCJ-02: flags %v", fs)
	}
	fs := checkIn(door.Lon, door.Lat+800/110574.0, "wgs84")
	if len(fs) != 1 || fs[0]["kind"] != "off_site" || fs[0]["status"] != "open" {
		t.Fatalf("800 m away: flags %v, want one open off_site flag", fs)
	}
	id := int64(fs[0]["id"].(float64))

	// The first event on the stream is this flag: the door check-ins sent none.
	select {
	case ev := <-events:
		var a struct {
			FlagID int64  `json:"flag_id"`
			Kind   string `json:"kind"`
			Town   string `json:"town_code"`
		}
		if err := json.Unmarshal([]byte(ev["data"]), &a); err != nil || ev["event"] != "flag" || a.FlagID != id ||
			a.Kind != "off_site" || a.Town != c.townA {
			t.Errorf("stream event %v, want flag %d off_site in %s", ev, id, c.townA)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no alert on the stream")
	}

	get := func(path string) (int, map[string]any) {
		t.Helper()
		r, err := http.Get(ts + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return r.StatusCode, m
	}
	if code, m := get("/v1/flags?kind=off_site&uscc=" + c.e1); code != 200 || len(m["items"].([]any)) != 1 {
		t.Errorf("list: %d %v", code, m)
	}
	if code, m := get(fmt.Sprintf("/v1/flags/%d", id)); code != 200 || len(m["events"].([]any)) != 1 {
		t.Errorf("detail: %d %v", code, m)
	}
	for _, bad := range []struct {
		path string
		want int
	}{
		{"/v1/flags/999999999", 404}, {"/v1/flags/abc", 400}, {"/v1/flags?kind=fraud", 400},
		{"/v1/flags?bbox=1,2,3", 400}, {"/v1/flags?min_score=200", 400}, {"/v1/flags?status=closed", 400},
	} {
		if code, m := get(bad.path); code != bad.want {
			t.Errorf("GET %s: %d %v, want %d", bad.path, code, m, bad.want)
		}
	}
	review := func(id int64, body string) (int, []byte) {
		return postJSON(t, fmt.Sprintf("%s/v1/flags/%d/review", ts, id), body)
	}
	for _, bad := range []struct {
		id   int64
		body string
		want int
	}{
		{id, `{"decision": "reopen", "reviewer": "陈科长", "reason": "复核"}`, 409},
		{id, `{"decision": "approve", "reviewer": "陈科长", "reason": "复核"}`, 400},
		{id, `{"decision": "confirm", "reviewer": "陈科长"}`, 400},
		{999999999, `{"decision": "confirm", "reviewer": "陈科长", "reason": "复核"}`, 404},
	} {
		if code, b := review(bad.id, bad.body); code != bad.want {
			t.Errorf("review %s: %d %s, want %d", bad.body, code, b, bad.want)
		}
	}
	code, b := review(id, `{"decision": "confirm", "reviewer": "陈科长", "reason": "现场核实异地经营"}`)
	if code != 200 || !strings.Contains(string(b), `"status":"confirmed"`) {
		t.Errorf("confirm: %d %s", code, b)
	}
	if code, b := review(id, `{"decision": "dismiss", "reviewer": "陈科长", "reason": "改判"}`); code != 409 {
		t.Errorf("dismissing a confirmed flag: %d %s, want 409", code, b)
	}
}

func httptestServer(t *testing.T, srv *api.Server) string {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestClusterHosts: an approved host spares its address the cluster flag;
// withdrawing the approval raises it again.
func TestClusterHosts(t *testing.T) {
	c := newFlowCity(t)
	ctx := context.Background()
	srv := api.New(api.Config{}, c.db, c.db, slog.New(slog.DiscardHandler), api.WithFlags(c.db, supervision.FlagConfig{}), asAdmin)
	ts := httptestServer(t, srv)
	var door string
	if err := c.db.Pool().QueryRow(ctx, `SELECT code FROM doorplates WHERE retired_at IS NULL ORDER BY code LIMIT 1`).Scan(&door); err != nil {
		t.Fatal(err)
	}
	var first string
	for i := range 13 {
		u := insertEntity(t, c.db, 100+i, fmt.Sprintf("东莞众创%d号商行", i), c.building)
		if _, err := c.db.Pool().Exec(ctx, `UPDATE entities SET address_code = $2, link_level = 'doorplate' WHERE uscc = $1`, u, door); err != nil {
			t.Fatal(err)
		}
		first = u
	}
	evaluate := func() string {
		t.Helper()
		for {
			run, err := c.db.EvaluateQueued(ctx, time.Now(), 1000)
			if err != nil {
				t.Fatal(err)
			}
			if run.Entities == 0 {
				break
			}
		}
		fs, _, err := c.db.Flags(ctx, supervision.FlagFilter{Kind: supervision.FlagCluster, USCC: supervision.USCC(first), Limit: 10})
		if err != nil || len(fs) != 1 {
			t.Fatalf("cluster flags about %s: %d (%v), want one", first, len(fs), err)
		}
		return string(fs[0].Status)
	}
	if st := evaluate(); st != "open" {
		t.Fatalf("13 entities naming one doorplate: flag %s, want open", st)
	}
	put := func(code, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, ts+"/v1/rules/cluster-hosts/"+code, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, bad := range []struct{ code, body string }{
		{"12345", `{"name": "众创空间", "approved_at": "2026-01-05"}`},
		{"9999999999999999", `{"name": "众创空间", "approved_at": "2026-01-05"}`},
		{door, `{"name": "众创空间", "approved_at": "5 January"}`},
		{door, `{"approved_at": "2026-01-05"}`},
	} {
		if code := put(bad.code, bad.body); code != http.StatusBadRequest {
			t.Errorf("PUT host %s %s: %d, want 400", bad.code, bad.body, code)
		}
	}
	if code := put(door, `{"name": "松山湖众创空间", "approved_at": "2026-01-05", "approved_by": "东莞市市场监督管理局"}`); code != http.StatusOK {
		t.Fatalf("PUT host: %d", code)
	}
	if st := evaluate(); st != "resolved" {
		t.Errorf("at an approved host: flag %s, want resolved", st)
	}
	del := func() int {
		req, _ := http.NewRequest(http.MethodDelete, ts+"/v1/rules/cluster-hosts/"+door, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := del(); code != http.StatusNoContent {
		t.Fatalf("DELETE host: %d", code)
	}
	if code := del(); code != http.StatusNotFound {
		t.Errorf("DELETE again: %d, want 404", code)
	}
	if st := evaluate(); st != "open" {
		t.Errorf("approval withdrawn: flag %s, want open again", st)
	}
}

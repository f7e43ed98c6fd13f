package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

var _ api.PlanStore = (*postgres.DB)(nil)

// planCity is the demo city with the plan and workflow routes and eight
// entities of its own, each in a building of one grid (the demo's own
// entities are not linked, so they are no candidates).
type planCity struct {
	flowCity
	grid     string
	entities []string
}

func newPlanCity(t *testing.T) *planCity {
	t.Helper()
	db := pgtest.Demo(t)
	srv := api.New(api.Config{}, db, db, slog.New(slog.DiscardHandler), api.WithWorkflow(db),
		api.WithTaskPolicy(supervision.Policy{}), api.WithPlans(db), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := &planCity{flowCity: flowCity{url: ts.URL, db: db}}
	ctx := context.Background()
	if err := db.Pool().QueryRow(ctx, `SELECT grid_code FROM buildings WHERE status = 'existing'
		GROUP BY 1 HAVING count(*) >= 8 ORDER BY 1 LIMIT 1`).Scan(&c.grid); err != nil {
		t.Fatal(err)
	}
	rows, _ := db.Pool().Query(ctx, `SELECT id FROM buildings WHERE grid_code = $1 AND status = 'existing' ORDER BY id LIMIT 8`, c.grid)
	var buildings []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		buildings = append(buildings, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i, b := range buildings {
		c.entities = append(c.entities, insertEntity(t, db, 700+i, fmt.Sprintf("东莞抽查%d号店", i), b))
	}
	return c
}

type campaignOut struct {
	ID       int64 `json:"id"`
	Seed     int64 `json:"seed"`
	Counts   struct{ Candidates, New, Drawn, Tasks int }
	Entities []struct {
		USCC     string  `json:"uscc"`
		GridCode *string `json:"grid_code"`
		Quota    string  `json:"quota"`
		Reason   string  `json:"reason"`
		Weight   float64 `json:"weight"`
		Factors  struct {
			Inspection            float64 `json:"inspection"`
			MonthsSinceInspection *int    `json:"months_since_inspection"`
		} `json:"factors"`
		Task struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"task"`
	} `json:"entities"`
}

func (c campaignOut) usccs() []string {
	var out []string
	for _, e := range c.Entities {
		out = append(out, e.USCC)
	}
	slices.Sort(out)
	return out
}

func TestCampaignAPI(t *testing.T) {
	c := newPlanCity(t)
	body := func(count int) map[string]any {
		return map[string]any{"name": "十一月双随机", "seed": 11, "due_days": 5,
			"quotas": []map[string]any{{"grid": c.grid, "count": count}}}
	}
	var first campaignOut
	code, raw := c.do(t, "POST", "/v1/campaigns", body(3), &first)
	want(t, "create", code, raw, http.StatusCreated, "")
	if first.Counts.Candidates != 8 || first.Counts.Drawn != 3 || len(first.Entities) != 3 {
		t.Fatalf("counts %+v, %d entities: want 3 drawn of 8", first.Counts, len(first.Entities))
	}
	for _, e := range first.Entities {
		if e.Reason != "drawn" || e.Quota != c.grid || e.Task.ID == 0 || e.Task.Status != "pushed" ||
			e.Factors.Inspection != 3 || e.Factors.MonthsSinceInspection != nil || e.Weight != 4 {
			t.Errorf("entity %+v: want drawn, a pushed task, never inspected (weight 4)", e)
		}
	}

	t.Run("get returns what was drawn", func(t *testing.T) {
		var got campaignOut
		code, raw := c.do(t, "GET", fmt.Sprintf("/v1/campaigns/%d", first.ID), nil, &got)
		want(t, "get", code, raw, http.StatusOK, "")
		if !slices.Equal(got.usccs(), first.usccs()) || got.Seed != 11 {
			t.Errorf("got %v, created %v", got.usccs(), first.usccs())
		}
	})

	t.Run("the same seed draws the same", func(t *testing.T) {
		var again campaignOut
		code, raw := c.do(t, "POST", "/v1/campaigns", body(3), &again)
		want(t, "again", code, raw, http.StatusCreated, "")
		if !slices.Equal(again.usccs(), first.usccs()) || again.ID == first.ID {
			t.Errorf("seed 11 drew %v, then %v", first.usccs(), again.usccs())
		}
	})

	t.Run("bad campaigns are 400s naming the field", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			edit  func(map[string]any)
			field string
		}{
			{"more than the grid holds", func(b map[string]any) { b["quotas"] = []map[string]any{{"grid": c.grid, "count": 9}} }, "quotas[0].count"},
			{"a negative count", func(b map[string]any) { b["quotas"] = []map[string]any{{"grid": c.grid, "count": -1}} }, "quotas[0].count"},
			{"an unknown town", func(b map[string]any) { b["quotas"] = []map[string]any{{"town": "441900999", "count": 1}} }, "quotas[0].town"},
			{"a town and a grid in one quota", func(b map[string]any) {
				b["quotas"] = []map[string]any{{"town": c.grid[:9], "grid": c.grid, "count": 1}}
			}, "quotas[0]"},
			{"no quota", func(b map[string]any) { delete(b, "quotas") }, "quotas"},
			{"too many in all", func(b map[string]any) {
				b["quotas"] = []map[string]any{{"grid": c.grid, "count": 60000}, {"town": c.grid[:9], "count": 60000}}
			}, "quotas"},
			{"no seed", func(b map[string]any) { delete(b, "seed") }, "seed"},
			{"a seed out of range", func(b map[string]any) { b["seed"] = -5 }, "seed"},
			{"no name", func(b map[string]any) { b["name"] = " " }, "name"},
			{"a count that is not a number", func(b map[string]any) { b["quotas"] = []map[string]any{{"grid": c.grid, "count": "3"}} }, "quotas.count"},
			{"a deadline not a time", func(b map[string]any) { b["due_at"] = "tomorrow"; delete(b, "due_days") }, "due_at"},
			{"both deadlines", func(b map[string]any) { b["due_at"] = "2099-01-01T00:00:00+08:00" }, "due_at"},
			{"an unknown kind filter", func(b map[string]any) { b["filters"] = map[string]any{"kind": []string{"bank"}} }, "filters.kind[0]"},
			{"an unknown field", func(b map[string]any) { b["quota"] = 3 }, "body"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := body(3)
				tc.edit(b)
				code, raw := c.do(t, "POST", "/v1/campaigns", b, nil)
				want(t, tc.name, code, raw, http.StatusBadRequest, tc.field)
			})
		}
	})

	t.Run("unknown campaigns", func(t *testing.T) {
		code, raw := c.do(t, "GET", "/v1/campaigns/987654", nil, nil)
		want(t, "unknown id", code, raw, http.StatusNotFound, "")
		code, raw = c.do(t, "GET", "/v1/campaigns/first", nil, nil)
		want(t, "malformed id", code, raw, http.StatusBadRequest, "id")
	})
}

func TestPlanAPI(t *testing.T) {
	c := newPlanCity(t)
	var camp campaignOut
	code, raw := c.do(t, "POST", "/v1/campaigns", map[string]any{"name": "路线", "seed": 3,
		"quotas": []map[string]any{{"grid": c.grid, "count": 8}}}, &camp)
	want(t, "create", code, raw, http.StatusCreated, "")

	var centre geo.WGS84
	if err := c.db.Pool().QueryRow(context.Background(), `SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM grids WHERE code = $1`, c.grid).
		Scan(&centre.Lon, &centre.Lat); err != nil {
		t.Fatal(err)
	}
	start := fmt.Sprintf("%.6f,%.6f", centre.Lon, centre.Lat)

	resp, err := http.Get(c.url + "/v1/plans/" + c.grid + "?start=" + start)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("content type %q, want application/geo+json", ct)
	}

	plan := func(t *testing.T, query string) *geojson.FeatureCollection {
		t.Helper()
		code, raw := c.do(t, "GET", "/v1/plans/"+c.grid+query, nil, nil)
		want(t, "plan", code, raw, http.StatusOK, "")
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			t.Fatal(err)
		}
		return fc
	}

	t.Run("stops in route order, then the route", func(t *testing.T) {
		fc := plan(t, "?start="+start)
		// The demo's history may have left open checks in the grid too.
		n := len(fc.Features) - 1
		if n < 8 {
			t.Fatalf("%d features, want at least 8 stops (one per building) and the route", len(fc.Features))
		}
		tasks := map[int64]bool{}
		legs := 0.0
		for i, f := range fc.Features[:n] {
			if f.Properties["kind"] != "stop" || f.Properties.MustInt("order") != i+1 || f.Geometry == nil || f.Geometry.GeoJSONType() != "Point" {
				t.Fatalf("feature %d: %v %v", i, f.Geometry, f.Properties)
			}
			legs += f.Properties.MustFloat64("distance_metres")
			for _, e := range f.Properties["entities"].([]any) {
				for _, id := range e.(map[string]any)["tasks"].([]any) {
					tasks[int64(id.(float64))] = true
				}
			}
		}
		for _, e := range camp.Entities {
			if !tasks[e.Task.ID] {
				t.Errorf("task %d of %s is not in the plan", e.Task.ID, e.USCC)
			}
		}
		route := fc.Features[n]
		length := route.Properties.MustFloat64("length_metres")
		if route.Properties["kind"] != "route" || route.Geometry.GeoJSONType() != "LineString" || math.Abs(length-legs) > 1 {
			t.Errorf("route %v %v, legs %.1f m", route.Geometry, route.Properties, legs)
		}
		if got := fc.ExtraMembers.MustFloat64("length_metres"); got != length || fc.ExtraMembers["assignee"] != c.grid {
			t.Errorf("collection members %v", fc.ExtraMembers)
		}
	})

	t.Run("a GCJ-02 start is converted", func(t *testing.T) {
		gcj := centre.ToGCJ02()
		fc := plan(t, fmt.Sprintf("?crs=gcj02&start=%.7f,%.7f", gcj.Lon, gcj.Lat))
		s := fc.ExtraMembers["start"].(map[string]any)["coordinates"].([]any)
		if math.Abs(s[0].(float64)-centre.Lon) > 1e-5 || math.Abs(s[1].(float64)-centre.Lat) > 1e-5 {
			t.Errorf("start %v, want %v", s, centre)
		}
	})

	t.Run("without a start the route begins at the most urgent visit", func(t *testing.T) {
		fc := plan(t, "")
		if fc.Features[0].Properties.MustFloat64("distance_metres") != 0 || fc.ExtraMembers["start"] != nil {
			t.Errorf("first stop %v, start %v", fc.Features[0].Properties, fc.ExtraMembers["start"])
		}
	})

	t.Run("bad plans", func(t *testing.T) {
		for _, tc := range []struct {
			name, path string
			status     int
			field      string
		}{
			{"an unknown grid", "/v1/plans/441900999001001", http.StatusNotFound, ""},
			{"not a code", "/v1/plans/grid-7", http.StatusBadRequest, "assignee"},
			{"three numbers", "/v1/plans/" + c.grid + "?start=113.7,23,5", http.StatusBadRequest, "start"},
			{"not a number", "/v1/plans/" + c.grid + "?start=113.7,north", http.StatusBadRequest, "start"},
			{"off the planet", "/v1/plans/" + c.grid + "?start=223.7,23", http.StatusBadRequest, "start"},
			{"an unknown crs", "/v1/plans/" + c.grid + "?crs=bd09&start=113.7,23", http.StatusBadRequest, "crs"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, raw := c.do(t, "GET", tc.path, nil, nil)
				want(t, tc.name, code, raw, tc.status, tc.field)
			})
		}
	})
}

func TestPlansDisabled(t *testing.T) {
	srv := api.New(api.Config{}, nil, nil, slog.New(slog.DiscardHandler), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := &flowCity{url: ts.URL}
	for _, path := range []string{"/v1/campaigns/1", "/v1/plans/441900003001001"} {
		code, raw := c.do(t, "GET", path, nil, nil)
		want(t, path, code, raw, http.StatusServiceUnavailable, "")
	}
}

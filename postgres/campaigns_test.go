package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// campaignCity is the demo city with the entities of its smallest town
// linked to their true buildings (the demo load links nothing), and the
// town's largest grid.
type campaignCity struct {
	db     *postgres.DB
	town   string
	grid   string
	active int // active entities in the town
	inGrid int // active entities in the grid
}

func newCampaignCity(t *testing.T) *campaignCity {
	t.Helper()
	ctx := context.Background()
	c := &campaignCity{db: pgtest.Demo(t)}
	pool := c.db.Pool()
	if err := pool.QueryRow(ctx, `SELECT b.town_code FROM demo_entity_truth d JOIN entities e USING (uscc)
		JOIN buildings b ON b.id = d.true_building_id WHERE e.status = 'active'
		GROUP BY 1 HAVING count(DISTINCT b.grid_code) >= 3 ORDER BY count(*), 1 LIMIT 1`).Scan(&c.town); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE entities e SET link_status = 'matched', building_id = b.id, town_code = b.town_code,
			village_code = b.village_code, grid_code = b.grid_code, location = ST_PointOnSurface(b.geom), h3_11 = 1, linked_at = now()
		FROM demo_entity_truth d JOIN buildings b ON b.id = d.true_building_id
		WHERE d.uscc = e.uscc AND b.town_code = $1`, c.town); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT grid_code, count(*) FROM entities WHERE status = 'active' AND town_code = $1
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`, c.town).Scan(&c.grid, &c.inGrid); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM entities WHERE status = 'active' AND town_code = $1`, c.town).Scan(&c.active); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *campaignCity) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := c.db.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestCampaignStore(t *testing.T) {
	ctx := context.Background()
	c := newCampaignCity(t)
	pool := c.db.Pool()

	// One entity of the grid with an open flag and a recent complaint.
	var flagged string
	if err := pool.QueryRow(ctx, `SELECT uscc FROM entities WHERE grid_code = $1 AND status = 'active' ORDER BY uscc LIMIT 1`, c.grid).Scan(&flagged); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO flags (kind, subject, uscc, usccs, score, title, evidence, fingerprint, status,
			raised_at, opened_at, updated_at)
		VALUES ('blind_spot', 'entity:' || $1, $1, ARRAY[$1], 90, 'test', '{}', 'x', 'open', now(), now(), now())`, flagged); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO complaints (source, at, category, uscc) VALUES ('12345', now() - interval '3 days', 'complaint', $1)`, flagged); err != nil {
		t.Fatal(err)
	}

	// The grid gives all it has (so the flagged entity is in); the rest of
	// the town gives 10.
	req := supervision.CampaignRequest{Name: "四季度抽查", Seed: 2026, CreatedBy: "统筹员",
		Quotas: []supervision.Quota{{Town: c.town, Count: 10}, {Grid: c.grid, Count: 0}}}
	news := c.count(t, `SELECT count(*) FROM entities WHERE grid_code = $1 AND status = 'active'
		AND last_inspected_at IS NULL AND registered_at > now() - interval '90 days'`, c.grid)
	req.Quotas[1].Count = c.inGrid - news
	camp, err := c.db.CreateCampaign(ctx, req, supervision.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if camp.ID == 0 || camp.Counts.Drawn != 10+c.inGrid-news || camp.Counts.Tasks != len(camp.Entities) {
		t.Fatalf("counts %+v with %d entities", camp.Counts, len(camp.Entities))
	}
	if q := camp.Counts.Quotas[1]; q.Candidates != c.inGrid || q.New != news {
		t.Errorf("grid quota %+v, want %d candidates, %d new", q, c.inGrid, news)
	}
	if camp.Params.NewEntityDays != 90 || len(camp.Params.Items) != 6 {
		t.Errorf("params %+v, want the default 90 days and the six city items", camp.Params)
	}

	t.Run("each entity has a pushed check for its grid", func(t *testing.T) {
		for _, e := range camp.Entities {
			task, events, err := c.db.Task(ctx, e.TaskID)
			if err != nil {
				t.Fatal(err)
			}
			if task.Kind != supervision.TaskCheck || task.Assignee != e.GridCode || task.USCC != e.USCC ||
				task.Reason != "双随机抽查：四季度抽查" || len(task.Items) != 6 || !task.DueAt.Equal(camp.DueAt) {
				t.Fatalf("task %+v for %+v", task, e)
			}
			if len(events) != 1 || events[0].Action != "push" || events[0].Actor != "统筹员" {
				t.Fatalf("events %+v, want one push by the campaign's creator", events)
			}
			if e.TaskStatus != supervision.TaskPushed {
				t.Fatalf("task status %s", e.TaskStatus)
			}
		}
	})

	t.Run("the weight explains the flag and the complaint", func(t *testing.T) {
		i := slices.IndexFunc(camp.Entities, func(e supervision.CampaignEntity) bool { return string(e.USCC) == flagged })
		if i < 0 {
			t.Fatalf("the flagged entity %s is not in the campaign", flagged)
		}
		w := camp.Entities[i].Weight
		if w.OpenFlagScore != 90 || w.Flags != 0.9 || w.ComplaintsLastYear < 1 || w.Weight <= 1.9 {
			t.Errorf("weight %+v, want the flag's 90 points and the complaint", w)
		}
	})

	t.Run("the same seed draws the same entities", func(t *testing.T) {
		again, err := c.db.CreateCampaign(ctx, req, supervision.Policy{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(usccsOf(again), usccsOf(camp)) {
			t.Errorf("the second draw differs")
		}
		req2 := req
		req2.Seed = 2027
		other, err := c.db.CreateCampaign(ctx, req2, supervision.Policy{})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(usccsOf(other), usccsOf(camp)) {
			t.Errorf("seeds 2026 and 2027 drew the same")
		}
	})

	t.Run("bad requests store nothing", func(t *testing.T) {
		before := c.count(t, `SELECT count(*) FROM tasks`) + c.count(t, `SELECT count(*) FROM campaigns`)
		due := time.Now().Add(-time.Hour)
		for _, tc := range []struct {
			name  string
			edit  func(*supervision.CampaignRequest)
			field string
		}{
			{"more than the town holds", func(r *supervision.CampaignRequest) {
				r.Quotas = []supervision.Quota{{Town: c.town, Count: c.active + 1}}
			}, "quotas[0].count"},
			{"an unknown town", func(r *supervision.CampaignRequest) {
				r.Quotas = []supervision.Quota{{Town: "441900999", Count: 1}}
			}, "quotas[0].town"},
			{"an unknown grid", func(r *supervision.CampaignRequest) {
				r.Quotas = []supervision.Quota{{Grid: "441900999001001", Count: 1}}
			}, "quotas[0].grid"},
			{"no quota", func(r *supervision.CampaignRequest) { r.Quotas = nil }, "quotas"},
			{"a deadline past", func(r *supervision.CampaignRequest) { r.DueAt = &due }, "due_at"},
			{"an unknown department", func(r *supervision.CampaignRequest) { r.Department = "nobody" }, "department"},
			{"a town item", func(r *supervision.CampaignRequest) { r.Items = []string{"fire_safety"} }, "items[0]"},
			{"filters leave too few", func(r *supervision.CampaignRequest) {
				r.Quotas = []supervision.Quota{{Town: c.town, Count: 1}}
				r.Industries = []string{"T"}
			}, "quotas[0].count"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := req
				r.Quotas = slices.Clone(req.Quotas)
				tc.edit(&r)
				_, err := c.db.CreateCampaign(ctx, r, supervision.Policy{})
				var de *derrors.Error
				if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) || de.Field != tc.field {
					t.Fatalf("err = %v, want a 400 on %s", err, tc.field)
				}
			})
		}
		if after := c.count(t, `SELECT count(*) FROM tasks`) + c.count(t, `SELECT count(*) FROM campaigns`); after != before {
			t.Errorf("bad requests stored %d rows", after-before)
		}
	})

	t.Run("an unknown campaign is not found", func(t *testing.T) {
		if _, err := c.db.Campaign(ctx, 987654); !errors.Is(err, derrors.NotFound) {
			t.Errorf("err = %v, want not found", err)
		}
	})

	t.Run("the grid's plan visits every building with a campaign task", func(t *testing.T) {
		var start geo.WGS84
		if err := pool.QueryRow(ctx, `SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM grids WHERE code = $1`, c.grid).
			Scan(&start.Lon, &start.Lat); err != nil {
			t.Fatal(err)
		}
		plan, err := c.db.Plan(ctx, c.grid, &start)
		if err != nil {
			t.Fatal(err)
		}
		tasks := map[int64]bool{}
		legs := 0.0
		for _, s := range plan.Stops {
			legs += s.LegMetres
			for _, e := range s.Entities {
				for _, id := range e.Tasks {
					tasks[id] = true
				}
			}
			if !s.Routed {
				t.Errorf("stop %d has no location", s.Order)
			}
		}
		for _, e := range camp.Entities {
			if e.GridCode == c.grid && !tasks[e.TaskID] {
				t.Errorf("task %d of %s is not in the plan", e.TaskID, e.USCC)
			}
		}
		if plan.Metres <= 0 || plan.Metres-legs > 1e-6 || legs-plan.Metres > 1e-6 {
			t.Errorf("route %.0f m, legs %.0f m", plan.Metres, legs)
		}
		if _, err := c.db.Plan(ctx, "441900999001001", nil); !errors.Is(err, derrors.NotFound) {
			t.Errorf("unknown grid: err = %v, want not found", err)
		}
	})
}

func usccsOf(c supervision.Campaign) []string {
	var out []string
	for _, e := range c.Entities {
		out = append(out, string(e.USCC))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

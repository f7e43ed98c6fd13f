package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/tiles"
)

// tileFeed follows the tile change feed of a test database from where it
// stood when made, so that each step sees only the changes it caused.
type tileFeed struct {
	t   *testing.T
	ctx context.Context
	db  *postgres.DB
	pos *feedPosition // shared with the feeds of subtests
}

// feedPosition is where a reader of the feed stands.
type feedPosition struct {
	horizon uint64
	seen    map[int64]bool
}

func newTileFeed(t *testing.T, db *postgres.DB) *tileFeed {
	f := &tileFeed{t: t, ctx: context.Background(), db: db, pos: &feedPosition{}}
	f.skip()
	return f
}

// in returns the feed for a subtest.
func (f *tileFeed) in(t *testing.T) *tileFeed {
	c := *f
	c.t = t
	return &c
}

func (f *tileFeed) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Pool().Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// skip moves past every change recorded so far.
func (f *tileFeed) skip() {
	f.t.Helper()
	f.changes()
}

// changes returns the changes recorded since the last call, reading the
// feed as tiles.Follower does: by horizon, skipping what it read before.
func (f *tileFeed) changes() []tiles.Change {
	f.t.Helper()
	cs, next, err := f.db.TileChangesSince(f.ctx, f.pos.horizon)
	if err != nil {
		f.t.Fatal(err)
	}
	var fresh []tiles.Change
	seen := map[int64]bool{}
	for _, c := range cs {
		if !f.pos.seen[c.ID] {
			fresh = append(fresh, c)
		}
		seen[c.ID] = true
	}
	f.pos.horizon, f.pos.seen = next, seen
	return fresh
}

// one returns the one change recorded since the last call, of source.
func (f *tileFeed) one(source string) tiles.Change {
	f.t.Helper()
	cs := f.changes()
	if len(cs) != 1 || cs[0].Source != source {
		f.t.Fatalf("recorded %s, want one change of %s", sources(cs), source)
	}
	return cs[0]
}

// none checks that nothing was recorded since the last call.
func (f *tileFeed) none() {
	f.t.Helper()
	if cs := f.changes(); len(cs) > 0 {
		f.t.Errorf("recorded %s, want no change", sources(cs))
	}
}

func sources(cs []tiles.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Source
	}
	return out
}

// placedEntity is a demo entity put at a point of its true building.
type placedEntity struct {
	uscc string
	at   orb.Point
	cell h3.Cell
	// bucket is its h3_7 cell, the coverage index's bucket.
	bucket h3.Cell
	grid   string
}

// place puts n demo entities, each of another grid, at a point of their
// true building, with the h3_11 cell of that point, as the linker would
// (the demo template is not linked).
func (f *tileFeed) place(n int) []placedEntity {
	f.t.Helper()
	rows, err := f.db.Pool().Query(f.ctx, `
		SELECT DISTINCT ON (b.grid_code) e.uscc, ST_X(p), ST_Y(p), b.grid_code, b.id
		FROM demo_entity_truth tr JOIN entities e USING (uscc) JOIN buildings b ON b.id = tr.true_building_id,
			ST_PointOnSurface(b.geom) p
		WHERE tr.exists AND b.status = 'existing'
		ORDER BY b.grid_code, e.uscc LIMIT $1`, n)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []placedEntity
	var buildings []int64
	for rows.Next() {
		var e placedEntity
		var building int64
		if err := rows.Scan(&e.uscc, &e.at[0], &e.at[1], &e.grid, &building); err != nil {
			f.t.Fatal(err)
		}
		e.cell, e.bucket = geo.FromPoint(e.at).Cell(11), geo.FromPoint(e.at).Cell(7)
		out = append(out, e)
		buildings = append(buildings, building)
	}
	if err := rows.Err(); err != nil || len(out) != n {
		f.t.Fatalf("placed %d entities of %d: %v", len(out), n, err)
	}
	for i, e := range out {
		f.move(e.uscc, e.at, buildings[i])
	}
	f.skip()
	return out
}

// move links entity uscc to building at p, with the cell of p.
func (f *tileFeed) move(uscc string, p orb.Point, building int64) {
	f.t.Helper()
	f.exec(`UPDATE entities e SET location = ST_SetSRID(ST_MakePoint($2, $3), 4326), h3_11 = $4, h3_7 = $6,
			building_id = b.id, grid_code = b.grid_code, village_code = b.village_code, town_code = b.town_code
		FROM buildings b WHERE e.uscc = $1 AND b.id = $5`,
		uscc, p[0], p[1], int64(geo.FromPoint(p).Cell(11)), building, int64(geo.FromPoint(p).Cell(7)))
}

// extent returns the WGS84 extent of the geometries query selects.
func (f *tileFeed) extent(query string, args ...any) orb.Bound {
	f.t.Helper()
	var b orb.Bound
	err := f.db.Pool().QueryRow(f.ctx, `SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x)
		FROM (SELECT ST_Extent(g) AS x FROM (`+query+`) q (g)) s`, args...).
		Scan(&b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1])
	if err != nil {
		f.t.Fatalf("extent of %s: %v", query, err)
	}
	return b
}

// boundsNear reports whether a and b are the same box but for the float4
// rounding of the boxes PostGIS keeps with polygons (under 1e-5 degree).
func boundsNear(a, b orb.Bound) bool {
	return math.Abs(a.Min[0]-b.Min[0]) < 1e-5 && math.Abs(a.Min[1]-b.Min[1]) < 1e-5 &&
		math.Abs(a.Max[0]-b.Max[0]) < 1e-5 && math.Abs(a.Max[1]-b.Max[1]) < 1e-5
}

// wantPlaces checks that c concerns exactly the cells and grids of es and
// that its extent holds their points and extra.
func wantPlaces(t *testing.T, c tiles.Change, es []placedEntity, extra ...orb.Point) {
	t.Helper()
	var cells, buckets []h3.Cell
	var grids []string
	var points []orb.Point
	for _, e := range es {
		cells = append(cells, e.cell)
		buckets = append(buckets, e.bucket)
		grids = append(grids, e.grid)
		points = append(points, e.at)
	}
	slices.Sort(cells)
	slices.Sort(buckets)
	slices.Sort(grids)
	cells, buckets, grids = slices.Compact(cells), slices.Compact(buckets), slices.Compact(grids)
	if !slices.Equal(c.Cells, cells) || c.ManyCells {
		t.Errorf("cells %v (many: %v), want %v", c.Cells, c.ManyCells, cells)
	}
	if !slices.Equal(c.Buckets, buckets) {
		t.Errorf("buckets %v, want %v", c.Buckets, buckets)
	}
	if !slices.Equal(c.Grids, grids) || c.ManyGrids {
		t.Errorf("grids %v (many: %v), want %v", c.Grids, c.ManyGrids, grids)
	}
	if !c.Located {
		t.Fatalf("change %d has no extent", c.ID)
	}
	for _, p := range append(points, extra...) {
		if !c.Extent.Contains(p) {
			t.Errorf("extent %v does not hold %v", c.Extent, p)
		}
	}
}

// TestTileChangesEntities: a change to what the entities layer or the
// coverage reads is recorded once per statement, with the cells, grids and
// extent of the entities before and after; other changes are not.
func TestTileChangesEntities(t *testing.T) {
	feed := newTileFeed(t, pgtest.Demo(t))
	es := feed.place(4)

	t.Run("inspection", func(t *testing.T) {
		f := feed.in(t)
		// The inspection's trigger sets the entity's last_inspected_at.
		f.exec(`INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome)
			SELECT uscc, '李四', now(), location, 'wgs84', '{}', 'operating' FROM entities WHERE uscc = $1`, es[0].uscc)
		wantPlaces(t, f.one("entities"), es[:1])
	})
	t.Run("last inspected", func(t *testing.T) {
		f := feed.in(t)
		f.exec(`UPDATE entities SET last_inspected_at = now() - interval '1 day' WHERE uscc = $1`, es[1].uscc)
		wantPlaces(t, f.one("entities"), es[1:2])
	})
	t.Run("name only", func(t *testing.T) {
		f := feed.in(t)
		f.exec(`UPDATE entities SET name = name || '（分店）', updated_at = now() WHERE uscc = $1`, es[1].uscc)
		f.none()
	})
	t.Run("no row", func(t *testing.T) {
		f := feed.in(t)
		f.exec(`UPDATE entities SET status = 'revoked' WHERE uscc = 'nobody'`)
		f.exec(`DELETE FROM entities WHERE uscc = 'nobody'`)
		f.none()
	})
	t.Run("moved", func(t *testing.T) {
		f := feed.in(t)
		// es[2] moves to where es[3] is: both places change.
		var building int64
		if err := f.db.Pool().QueryRow(f.ctx, `SELECT building_id FROM entities WHERE uscc = $1`, es[3].uscc).Scan(&building); err != nil {
			t.Fatal(err)
		}
		f.move(es[2].uscc, es[3].at, building)
		wantPlaces(t, f.one("entities"), es[2:4])
	})
	t.Run("insert and delete", func(t *testing.T) {
		f := feed.in(t)
		const uscc = "92441900MT00000001"
		f.exec(`INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, changed_at,
				grid_code, town_code, location, h3_11, h3_7)
			SELECT $1, '测试商行', kind, 'active', registered_at, address_text, now(), grid_code, town_code, location, h3_11, h3_7
			FROM entities WHERE uscc = $2`, uscc, es[0].uscc)
		wantPlaces(t, f.one("entities"), es[:1])
		f.exec(`DELETE FROM entity_versions WHERE uscc = $1`, uscc)
		f.exec(`DELETE FROM entities WHERE uscc = $1`, uscc)
		wantPlaces(t, f.one("entities"), es[:1])
	})
	t.Run("registered, not linked", func(t *testing.T) {
		// An entity without a location or grid is on no tile yet.
		f := feed.in(t)
		f.exec(`INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, changed_at)
			VALUES ('92441900MT00000002', '新登记商行', 'individual', 'active', now(), '测试路2号', now())`)
		f.none()
	})
	t.Run("many", func(t *testing.T) {
		f := feed.in(t)
		// Link 3000 entities not yet linked in one statement, each in a
		// cell of its own (made up, negative: the cells need not be real here).
		f.exec(`UPDATE entities e SET location = ST_PointOnSurface(b.geom), h3_11 = -tr.n,
				grid_code = b.grid_code, town_code = b.town_code
			FROM (SELECT uscc, true_building_id, row_number() OVER (ORDER BY uscc) AS n
				FROM demo_entity_truth JOIN entities USING (uscc)
				WHERE exists AND location IS NULL ORDER BY uscc LIMIT 3000) tr
			JOIN buildings b ON b.id = tr.true_building_id
			WHERE tr.uscc = e.uscc`)
		c := f.one("entities")
		if !c.ManyCells || c.Cells != nil {
			t.Errorf("cells %d (many: %v), want none and many", len(c.Cells), c.ManyCells)
		}
		var grids int
		if err := f.db.Pool().QueryRow(f.ctx, `SELECT count(DISTINCT grid_code) FROM entities WHERE h3_11 < 0`).Scan(&grids); err != nil {
			t.Fatal(err)
		}
		if c.ManyGrids != (grids > 1000) || (!c.ManyGrids && len(c.Grids) != grids) {
			t.Errorf("%d grids (many: %v), want %d", len(c.Grids), c.ManyGrids, grids)
		}
		if want := f.extent(`SELECT location FROM entities WHERE h3_11 < 0`); !boundsNear(c.Extent, want) {
			t.Errorf("extent %v, want that of the entities linked, %v", c.Extent, want)
		}
	})
}

// TestTileChangesFlagsAndTasks: a flag's change concerns its place and
// those of the entities it names; a task's, its entity's.
func TestTileChangesFlagsAndTasks(t *testing.T) {
	feed := newTileFeed(t, pgtest.Demo(t))
	es := feed.place(3)
	elsewhere := orb.Point{113.80001, 23.00002}

	for _, tc := range []struct {
		name, sql string
		args      []any
		recorded  bool
	}{
		{"flag raised", `INSERT INTO flags (kind, subject, uscc, usccs, location, score, title, evidence, fingerprint,
				status, raised_at, opened_at, updated_at)
			VALUES ('linked_parties', 'phone:x', $1, ARRAY[$1, $2], ST_SetSRID(ST_MakePoint($3, $4), 4326), 60, '同一电话',
				'{}', 'a', 'open', now(), now(), now())`,
			[]any{es[0].uscc, es[1].uscc, elsewhere[0], elsewhere[1]}, true},
		{"flag evidence only", `UPDATE flags SET evidence = '{"n": 2}', fingerprint = 'b', updated_at = now()`, nil, false},
		{"flag dismissed", `UPDATE flags SET status = 'dismissed', reviewed_at = now()`, nil, true},
		{"flag deleted", `DELETE FROM flags`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := feed.in(t)
			f.exec(tc.sql, tc.args...)
			if !tc.recorded {
				f.none()
				return
			}
			wantPlaces(t, f.one("flags"), es[:2], elsewhere)
		})
	}

	var task int64
	t.Run("task pushed", func(t *testing.T) {
		f := feed.in(t)
		if err := f.db.Pool().QueryRow(f.ctx, `INSERT INTO tasks (uscc, kind, assignee, status, pushed_at, due_at)
			VALUES ($1, 'check', 'grid', 'pushed', now(), now() + interval '7 days') RETURNING id`, es[2].uscc).Scan(&task); err != nil {
			t.Fatal(err)
		}
		wantPlaces(t, f.one("tasks"), es[2:3])
	})
	t.Run("task feedback text", func(t *testing.T) {
		f := feed.in(t)
		f.exec(`UPDATE tasks SET feedback = '已核查' WHERE id = $1`, task)
		f.none()
	})
	t.Run("task moved to another entity", func(t *testing.T) {
		f := feed.in(t)
		f.exec(`UPDATE tasks SET uscc = $2 WHERE id = $1`, task, es[0].uscc)
		wantPlaces(t, f.one("tasks"), []placedEntity{es[0], es[2]})
	})
	t.Run("task done", func(t *testing.T) {
		f := feed.in(t)
		f.exec(`UPDATE tasks SET status = 'done', done_at = now() WHERE id = $1`, task)
		wantPlaces(t, f.one("tasks"), es[:1])
	})
}

// TestTileChangesLibrary: a change to a library table is recorded with the
// extent of the old and new geometries; grids name their codes.
func TestTileChangesLibrary(t *testing.T) {
	feed := newTileFeed(t, pgtest.Demo(t))

	t.Run("building moved", func(t *testing.T) {
		f := feed.in(t)
		var id int64
		if err := f.db.Pool().QueryRow(f.ctx, `SELECT min(id) FROM buildings`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		before := f.extent(`SELECT geom FROM buildings WHERE id = $1`, id)
		f.exec(`UPDATE buildings SET geom = ST_Translate(geom, 0.001, 0.0005) WHERE id = $1`, id)
		after := f.extent(`SELECT geom FROM buildings WHERE id = $1`, id)
		c := f.one("buildings")
		if want := before.Union(after); !c.Located || !boundsNear(c.Extent, want) {
			t.Errorf("extent %v, want %v (before and after)", c.Extent, want)
		}
		if c.Cells != nil || c.ManyCells || c.Grids != nil || c.ManyGrids {
			t.Errorf("cells %v (many: %v), grids %v (many: %v); want none", c.Cells, c.ManyCells, c.Grids, c.ManyGrids)
		}
	})
	t.Run("grid renamed", func(t *testing.T) {
		f := feed.in(t)
		var code string
		if err := f.db.Pool().QueryRow(f.ctx, `SELECT min(code) FROM grids`).Scan(&code); err != nil {
			t.Fatal(err)
		}
		f.exec(`UPDATE grids SET name = name || '（调整）' WHERE code = $1`, code)
		c := f.one("grids")
		if !slices.Equal(c.Grids, []string{code}) || c.ManyGrids {
			t.Errorf("grids %v (many: %v), want [%s]", c.Grids, c.ManyGrids, code)
		}
		if want := f.extent(`SELECT geom FROM grids WHERE code = $1`, code); !boundsNear(c.Extent, want) {
			t.Errorf("extent %v, want the grid's %v", c.Extent, want)
		}
	})
	t.Run("road renamed", func(t *testing.T) {
		// The doorplates' labels carry the road's name: their places count.
		f := feed.in(t)
		var code string
		if err := f.db.Pool().QueryRow(f.ctx, `SELECT road_code FROM doorplates WHERE retired_at IS NULL
			GROUP BY road_code ORDER BY count(*) DESC, road_code LIMIT 1`).Scan(&code); err != nil {
			t.Fatal(err)
		}
		f.exec(`UPDATE roads SET name = name || '（新）' WHERE code = $1`, code)
		c := f.one("roads")
		want := f.extent(`SELECT geom FROM roads WHERE code = $1 UNION ALL
			SELECT geom FROM doorplates WHERE road_code = $1 AND retired_at IS NULL`, code)
		if !boundsNear(c.Extent, want) {
			t.Errorf("extent %v, want the road's and its doorplates' %v", c.Extent, want)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		// No transition table says what went: everything did. The
		// buildings go with their doorplates.
		f := feed.in(t)
		f.exec(`TRUNCATE doorplates, tasks CASCADE`)
		got := map[string]tiles.Change{}
		for _, c := range f.changes() {
			got[c.Source] = c
		}
		for _, source := range []string{"doorplates", "buildings", "tasks"} {
			c, ok := got[source]
			if !ok {
				t.Errorf("no change of %s recorded (got %v)", source, got)
				continue
			}
			if !c.Located || c.Extent != (orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}) {
				t.Errorf("%s: extent %v, want the world", source, c.Extent)
			}
			if many := source == "tasks"; c.ManyCells != many || c.ManyGrids != many {
				t.Errorf("%s: many cells %v, many grids %v; want %v", source, c.ManyCells, c.ManyGrids, many)
			}
		}
	})
}

// TestTileChangesFeed reads the feed by horizon: in id order, a change
// that committed after later ids were read is not lost, and pruning
// deletes by age.
func TestTileChangesFeed(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	if cs, _, err := db.TileChangesSince(ctx, 0); err != nil || len(cs) != 0 {
		t.Fatalf("an empty feed: %d changes, %v", len(cs), err)
	}
	f := newTileFeed(t, db)
	town := func(i int) string {
		return fmt.Sprintf(`INSERT INTO towns VALUES ('44190000%d', '测试镇%d', '镇',
			ST_Multi(ST_MakeEnvelope(%f, 23.0, %f, 23.005, 4326)))`, i, i, 113.7+float64(i)/100, 113.7+float64(i)/100+0.005)
	}
	for i := range 5 {
		f.exec(town(i + 1))
	}
	all := f.changes()
	if len(all) != 5 {
		t.Fatalf("recorded %d changes, want 5", len(all))
	}
	for i, c := range all {
		if i > 0 && c.ID <= all[i-1].ID {
			t.Fatalf("ids %v, want them in order", ids(all))
		}
		if c.Source != "towns" || !c.Located || c.Cells != nil || c.Buckets != nil || c.Grids != nil {
			t.Errorf("change %d: %+v, want a located towns change without cells or grids", i, c)
		}
		if x := 113.7 + float64(i+1)/100; math.Abs(c.Extent.Min[0]-x) > 1e-5 || math.Abs(c.Extent.Max[0]-x-0.005) > 1e-5 {
			t.Errorf("change %d: extent %v, want the town from %.3f", i, c.Extent, x)
		}
	}
	f.none()

	// A transaction takes an id, another takes a later one and commits,
	// the reader reads; then the first commits. Read by id, its change
	// would be lost.
	late, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Rollback(ctx)
	if _, err := late.Exec(ctx, town(6)); err != nil {
		t.Fatal(err)
	}
	f.exec(town(7))
	early := f.changes()
	if len(early) != 1 || !strings.Contains(fmt.Sprint(early[0].Extent), "113.77") {
		t.Fatalf("before the late commit: %+v, want town 7 only", early)
	}
	if err := late.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	after := f.changes()
	if len(after) != 1 || after[0].ID >= early[0].ID || !strings.Contains(fmt.Sprint(after[0].Extent), "113.76") {
		t.Fatalf("after the late commit: %+v, want town 6, with the lower id", after)
	}
	f.none()

	var third time.Time
	if err := db.Pool().QueryRow(ctx, `SELECT changed_at FROM tile_changes WHERE id = $1`, all[2].ID).Scan(&third); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneTileChanges(ctx, third)
	if err != nil || n != 2 {
		t.Fatalf("PruneTileChanges = %d, %v; want 2", n, err)
	}
	left, _, err := db.TileChangesSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 5 || left[0].ID != all[2].ID {
		t.Errorf("after pruning, ids %v, want 5 from %d", ids(left), all[2].ID)
	}
}

func ids(cs []tiles.Change) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// TestTileChangeListener: the listener calls onListen when it listens, at
// start and after its backend is killed, and onNotify when a change
// commits (not when it rolls back).
func TestTileChangeListener(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	listening, notified := make(chan struct{}, 16), make(chan struct{}, 16)
	runListener(t, postgres.NewTileChangeListener(db, slog.New(slog.DiscardHandler),
		func() { listening <- struct{}{} }, func() { notified <- struct{}{} }).Run)
	f := newTileFeed(t, db)
	town := func(code string, commit bool) {
		t.Helper()
		tx, err := db.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO towns VALUES ($1, $1, '镇',
			ST_Multi(ST_MakeEnvelope(113.7, 23.0, 113.8, 23.1, 4326)))`, code); err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}

	waitFor(t, "the listener to listen", listening)
	town("441900001", false)
	town("441900002", true)
	waitFor(t, "the notification of a committed change", notified)
	if cs := f.changes(); len(cs) != 1 {
		t.Errorf("after one committed and one rolled-back insert, %d changes; want 1", len(cs))
	}
	select {
	case <-notified:
		t.Error("notified of a change that was rolled back")
	default:
	}

	killListener(t, db, "gridsentry tiles")
	waitFor(t, "the listener to listen again", listening)
	town("441900003", true)
	waitFor(t, "a notification after reconnecting", notified)
}

// TestTileChangesDemoLoad: the demo load keeps the triggers off and
// records once that everything its tables show changed.
func TestTileChangesDemoLoad(t *testing.T) {
	db := pgtest.Demo(t)
	cs, _, err := db.TileChangesSince(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"towns", "villages", "grids", "roads", "doorplates", "buildings", "entities", "tasks"}
	if got := sources(cs); !slices.Equal(got, want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	for _, c := range cs {
		entity := c.Source == "entities" || c.Source == "tasks"
		if !c.Located || c.Extent != world || c.ManyCells != entity || c.ManyGrids != (entity || c.Source == "grids") {
			t.Errorf("%s: %+v, want the world, many cells and grids for the entity sources", c.Source, c)
		}
	}
}

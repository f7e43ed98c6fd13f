package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

// entityFixture is the demo city with its address index and a room that
// exists, written as a clerk would.
type entityFixture struct {
	db       *postgres.DB
	ix       *addressbook.Index
	index    *postgres.AddressIndex
	address  string // a registered address naming room
	room     string // its room code
	building int64
	grid     string
	town     string
}

func newEntityFixture(t *testing.T) *entityFixture {
	t.Helper()
	ctx := context.Background()
	f := &entityFixture{db: demoLibrary(t)}
	var townName, road, label, roomLabel string
	var number, sub int
	err := f.db.Pool().QueryRow(ctx, `
		SELECT t.name, r.name, d.number, d.sub_number, b.label, m.label, m.code, b.id, b.grid_code, b.town_code
		FROM rooms m JOIN buildings b ON b.id = m.building_id JOIN doorplates d ON d.code = b.doorplate_code
		JOIN roads r ON r.code = d.road_code JOIN towns t ON t.code = b.town_code
		WHERE m.unit = '' AND b.status = 'existing' AND m.retired_at IS NULL AND b.town_code = '441900003'
		  AND (SELECT count(*) FROM buildings b2 WHERE b2.doorplate_code = d.code) = 1
		ORDER BY m.code LIMIT 1`).Scan(&townName, &road, &number, &sub, &label, &roomLabel, &f.room, &f.building, &f.grid, &f.town)
	if err != nil {
		t.Fatal(err)
	}
	num := fmt.Sprint(number)
	if sub > 0 {
		num += fmt.Sprintf("-%d", sub)
	}
	f.address = fmt.Sprintf("东莞市%s%s%s号%s%s", townName, road, num, label, roomLabel)
	f.index = postgres.NewAddressIndex(f.db, slog.New(slog.DiscardHandler))
	if err := f.index.Load(ctx); err != nil {
		t.Fatal(err)
	}
	f.ix = f.index.Index()
	if r := f.ix.Match(f.address, ""); r.Status != addressbook.Matched || r.Address.Code != f.room {
		t.Fatalf("fixture address %q does not match room %s: %+v", f.address, f.room, r)
	}
	return f
}

// usccN returns a valid, made-up USCC numbered n.
func usccN(t *testing.T, n int) supervision.USCC {
	first := fmt.Sprintf("92441900MA%07d", n)
	c, err := supervision.USCCCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	u, err := supervision.ParseUSCC(first + string(c))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *entityFixture) entity(t *testing.T, n int, changed time.Time) supervision.Entity {
	return supervision.Entity{USCC: usccN(t, n), Name: fmt.Sprintf("东莞市测试%d餐饮店", n), Kind: supervision.Individual,
		Status: supervision.Active, RegisteredAt: time.Date(2026, 11, 2, 0, 0, 0, 0, supervision.Beijing),
		AddressText: f.address, Scope: "餐饮服务；烟草制品零售", Industry: "H", LegalRep: "张三", Phone: "13812345678",
		IDNumber: "44190019900101123X", ChangedAt: changed}
}

func (f *entityFixture) write(t *testing.T, e supervision.Entity) supervision.WriteResult {
	t.Helper()
	l := supervision.LinkOf(f.ix.Match(e.AddressText, ""))
	res, err := f.db.WriteEntities(context.Background(), []supervision.Write{{Entity: e, Link: &l}},
		postgres.WriteOptions{Source: "test", Push: true})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func (f *entityFixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriteEntities(t *testing.T) {
	f := newEntityFixture(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, supervision.Beijing)
	e := f.entity(t, 1, t0)

	t.Run("a new entity is linked and pushed", func(t *testing.T) {
		res := f.write(t, e)
		if res.Outcome != supervision.Created || res.Version != 1 {
			t.Fatalf("result %+v, want created at version 1", res)
		}
		// 餐饮 → food, 烟草 → tobacco, and a first check for the grid.
		if len(res.Tasks) != 3 {
			t.Fatalf("pushed %d tasks, want 3", len(res.Tasks))
		}
		var assignees []string
		rows, _ := f.db.Pool().Query(ctx, `SELECT assignee FROM tasks WHERE uscc = $1 ORDER BY id`, string(e.USCC))
		for rows.Next() {
			var a string
			_ = rows.Scan(&a)
			assignees = append(assignees, a)
		}
		if fmt.Sprint(assignees) != fmt.Sprint([]string{"amr_food", "tobacco", f.grid}) {
			t.Errorf("assignees %v, want amr_food, tobacco and grid %s", assignees, f.grid)
		}
		var code, grid string
		var building int64
		var h3 int64
		if err := f.db.Pool().QueryRow(ctx, `SELECT address_code, building_id, grid_code, h3_11 FROM entities WHERE uscc = $1`,
			string(e.USCC)).Scan(&code, &building, &grid, &h3); err != nil {
			t.Fatal(err)
		}
		if code != f.room || building != f.building || grid != f.grid || h3 == 0 {
			t.Errorf("link %s %d %s h3 %x, want %s %d %s", code, building, grid, h3, f.room, f.building, f.grid)
		}
	})

	t.Run("a replayed change changes nothing", func(t *testing.T) {
		tasks := f.count(t, `SELECT count(*) FROM tasks WHERE uscc = $1`, string(e.USCC))
		res := f.write(t, e)
		if res.Outcome != supervision.Unchanged || res.Version != 1 || len(res.Tasks) != 0 {
			t.Errorf("replay: %+v, want unchanged at version 1 with no tasks", res)
		}
		if n := f.count(t, `SELECT count(*) FROM tasks WHERE uscc = $1`, string(e.USCC)); n != tasks {
			t.Errorf("replay pushed tasks: %d, had %d", n, tasks)
		}
	})

	t.Run("an older change does not overwrite a newer one", func(t *testing.T) {
		newer := e
		newer.Name, newer.ChangedAt = "东莞市测试一号餐饮店", t0.Add(2*time.Hour)
		if res := f.write(t, newer); res.Outcome != supervision.Updated || res.Version != 2 {
			t.Fatalf("newer: %+v, want updated at version 2", res)
		}
		older := e
		older.Name, older.ChangedAt = "旧名称", t0.Add(time.Hour)
		if res := f.write(t, older); res.Outcome != supervision.Stale || res.Version != 2 {
			t.Errorf("older: %+v, want stale at version 2", res)
		}
		var name string
		_ = f.db.Pool().QueryRow(ctx, `SELECT name FROM entities WHERE uscc = $1`, string(e.USCC)).Scan(&name)
		if name != newer.Name {
			t.Errorf("stored name %q, want %q", name, newer.Name)
		}
	})

	t.Run("a changed scope pushes only the new department", func(t *testing.T) {
		changed := e
		changed.Scope, changed.ChangedAt = "餐饮服务；烟草制品零售；住宿服务", t0.Add(3*time.Hour)
		res := f.write(t, changed)
		if res.Outcome != supervision.Updated || len(res.Tasks) != 1 {
			t.Fatalf("%+v, want updated with one task", res)
		}
		var a string
		_ = f.db.Pool().QueryRow(ctx, `SELECT assignee FROM tasks WHERE id = $1`, res.Tasks[0]).Scan(&a)
		if a != "police" {
			t.Errorf("pushed to %s, want police (住宿)", a)
		}
	})
}

func TestWriteEntitiesConcurrently(t *testing.T) {
	f := newEntityFixture(t)
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, supervision.Beijing)
	// Twenty writers each change the same (new) entity at their own time:
	// every change is kept as a version, and the newest wins.
	const writers = 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := f.entity(t, 7, t0.Add(time.Duration(i)*time.Minute))
			e.Name = fmt.Sprintf("并发写入%02d", i)
			l := supervision.LinkOf(f.ix.Match(e.AddressText, ""))
			if _, err := f.db.WriteEntities(context.Background(), []supervision.Write{{Entity: e, Link: &l}},
				postgres.WriteOptions{Source: "test"}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	u := usccN(t, 7)
	versions, err := f.db.EntityVersions(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	var version int
	_ = f.db.Pool().QueryRow(context.Background(), `SELECT name, version FROM entities WHERE uscc = $1`, string(u)).Scan(&name, &version)
	// A writer that came after a newer one is stale, so versions ≤ writers;
	// but none is lost: every applied write has its own version, 1..n.
	for i, v := range versions {
		if v.Version != i+1 {
			t.Fatalf("versions %d..: got version %d at %d", 1, v.Version, i)
		}
	}
	if version != len(versions) {
		t.Errorf("entity at version %d, %d versions stored", version, len(versions))
	}
	if want := fmt.Sprintf("并发写入%02d", writers-1); name != want {
		t.Errorf("stored %q, want the newest change %q", name, want)
	}
}

func TestApplyFeed(t *testing.T) {
	f := newEntityFixture(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, supervision.Beijing)
	a, b := f.entity(t, 11, t0), f.entity(t, 12, t0)
	bChanged := b
	bChanged.Scope, bChanged.ChangedAt = "软件开发", t0.Add(time.Hour)
	cancel := supervision.Entity{USCC: usccN(t, 13), Status: supervision.Cancelled, ChangedAt: t0}
	feed := func() []supervision.Write {
		var ws []supervision.Write
		for i, e := range []supervision.Entity{bChanged, a, b} { // out of order
			l := supervision.LinkOf(f.ix.Match(e.AddressText, ""))
			ws = append(ws, supervision.Write{Entity: e, Link: &l, Change: "new", Line: i + 1})
		}
		return append(ws, supervision.Write{Entity: cancel, Change: "cancel", Cancel: true, Line: 4})
	}
	rep, err := f.db.ApplyFeed(ctx, "test", feed(), supervision.FeedReport{Lines: 4}, postgres.WriteOptions{Source: "feed", Push: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 2 || rep.Updated != 1 || rep.Rejected != 1 || rep.Replayed != 0 {
		t.Errorf("first run %+v, want 2 created, 1 updated, 1 rejected", rep)
	}
	var scope string
	_ = f.db.Pool().QueryRow(ctx, `SELECT scope FROM entities WHERE uscc = $1`, string(b.USCC)).Scan(&scope)
	if scope != "软件开发" {
		t.Errorf("b's scope %q: the later change must win whatever the order of the lines", scope)
	}
	tasks := f.count(t, `SELECT count(*) FROM tasks`)
	versions := f.count(t, `SELECT count(*) FROM entity_versions`)
	rep2, err := f.db.ApplyFeed(ctx, "test", feed(), supervision.FeedReport{Lines: 4}, postgres.WriteOptions{Source: "feed", Push: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Created != 0 || rep2.Updated != 0 || rep2.Replayed != 4 {
		t.Errorf("replay %+v, want nothing created or updated and 4 replayed", rep2)
	}
	if n := f.count(t, `SELECT count(*) FROM tasks`); n != tasks {
		t.Errorf("replay pushed %d tasks", n-tasks)
	}
	if n := f.count(t, `SELECT count(*) FROM entity_versions`); n != versions {
		t.Errorf("replay wrote %d versions", n-versions)
	}
}

func TestLinkEntitiesAndRelink(t *testing.T) {
	f := newEntityFixture(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, supervision.Beijing)
	// Written without a link, as while the index loads.
	e := f.entity(t, 21, t0)
	missing := f.entity(t, 22, t0)
	missing.AddressText = f.address + "之9" // not a room of the library
	if _, err := f.db.WriteEntities(ctx, []supervision.Write{{Entity: e}, {Entity: missing}}, postgres.WriteOptions{Source: "test"}); err != nil {
		t.Fatal(err)
	}
	stats, err := f.db.LinkEntities(ctx, f.ix, postgres.LinkScope{Pending: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Changed < 2 {
		t.Errorf("linked %d, want at least the 2 written", stats.Changed)
	}
	if n := f.count(t, `SELECT count(*) FROM entities WHERE uscc = $1 AND address_code = $2`, string(e.USCC), f.room); n != 1 {
		t.Error("the pending entity was not linked to its room")
	}
	again, err := f.db.LinkEntities(ctx, f.ix, postgres.LinkScope{Towns: []string{f.town}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed != 0 || again.Read == 0 {
		t.Errorf("re-link of an unchanged library: %+v, want nothing changed", again)
	}
}

// TestRelinkOnLibraryChange changes the library under a running index and
// relinker: the entity whose room changed is re-linked, the entities of
// other towns are not touched.
func TestRelinkOnLibraryChange(t *testing.T) {
	f := newEntityFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := f.entity(t, 31, time.Date(2026, 11, 2, 9, 0, 0, 0, supervision.Beijing))
	f.write(t, e)
	relinker := postgres.NewRelinker(f.db, f.index, slog.New(slog.DiscardHandler))
	go f.index.Run(ctx)
	go relinker.Run(ctx)
	wait := func(what string) postgres.LinkStats {
		t.Helper()
		select {
		case s := <-relinker.Done():
			return s
		case <-time.After(2 * time.Minute):
			t.Fatalf("no relink run after %s", what)
		}
		return postgres.LinkStats{}
	}
	first := wait("start") // the demo's entities, unlinked until now
	if first.Read == 0 {
		t.Fatalf("the first run linked nothing: %+v", first)
	}
	var changedAt time.Time
	if err := f.db.Pool().QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&changedAt); err != nil {
		t.Fatal(err)
	}
	// The room is renamed: the registered text no longer names a room.
	if _, err := f.db.Pool().Exec(ctx, `UPDATE rooms SET label = label || '9' WHERE code = $1`, f.room); err != nil {
		t.Fatal(err)
	}
	var s postgres.LinkStats
	for s.Changed == 0 {
		s = wait("the library change")
	}
	var status, code string
	if err := f.db.Pool().QueryRow(ctx, `SELECT link_status, coalesce(address_code, '') FROM entities WHERE uscc = $1`,
		string(e.USCC)).Scan(&status, &code); err != nil {
		t.Fatal(err)
	}
	if status == "matched" && code == f.room {
		t.Errorf("the entity is still linked to the renamed room %s", f.room)
	}
	if n := f.count(t, `SELECT count(*) FROM entities WHERE town_code <> $1 AND linked_at >= $2`, f.town, changedAt); n != 0 {
		t.Errorf("%d entities of other towns were re-linked", n)
	}
	if n := f.count(t, `SELECT count(*) FROM entities WHERE town_code = $1`, f.town); s.Read > n+f.count(t, `SELECT count(*) FROM entities WHERE town_code IS NULL`) {
		t.Errorf("the relink read %d entities, more than the town's %d and the unclaimed ones", s.Read, n)
	}
}

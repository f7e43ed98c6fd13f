package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// flagWorld builds flag fixtures on a copy of the demo city: entities
// linked by hand to chosen buildings, so each rule can be shown a case it
// must flag and one it must not.
type flagWorld struct {
	t   *testing.T
	ctx context.Context
	db  *postgres.DB
	seq *int
}

// in returns the world for a subtest.
func (w *flagWorld) in(t *testing.T) *flagWorld {
	c := *w
	c.t = t
	return &c
}

func newFlagWorld(t *testing.T) *flagWorld {
	w := &flagWorld{t: t, ctx: context.Background(), db: pgtest.Demo(t), seq: new(int)}
	// Start from a quiet queue and no flags of the demo's own, so that each
	// case sees only what it wrote.
	w.exec(`DELETE FROM flag_queue`)
	return w
}

func (w *flagWorld) exec(sql string, args ...any) {
	w.t.Helper()
	if _, err := w.db.Pool().Exec(w.ctx, sql, args...); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
}

// building returns a building of the demo with the given status and use
// ("" for any use).
func (w *flagWorld) building(status, use string) int64 {
	w.t.Helper()
	var id int64
	err := w.db.Pool().QueryRow(w.ctx, `SELECT id FROM buildings WHERE status = $1 AND ($2 = '' OR use = $2)
		ORDER BY id OFFSET $3 LIMIT 1`, status, use, *w.seq%5).Scan(&id)
	if err != nil {
		w.t.Fatalf("a %s %s building: %v", status, use, err)
	}
	return id
}

// flagFixture is an entity to insert: linked at level to address in building.
type flagFixture struct {
	scope, phone, legalRep, idNumber string
	building                         int64
	address, level, linkStatus       string
	issues                           string // JSON array of issues
	registered                       time.Time
	reportYear                       int
	industry                         string
}

// entity inserts an active entity and returns its code.
func (w *flagWorld) entity(f flagFixture) supervision.USCC {
	w.t.Helper()
	*w.seq++
	first := fmt.Sprintf("92441900MT%07d", 9000000+*w.seq)
	c, err := supervision.USCCCheck(first)
	if err != nil {
		w.t.Fatal(err)
	}
	u := supervision.USCC(first + string(c))
	if f.linkStatus == "" {
		f.linkStatus = "matched"
	}
	if f.level == "" {
		f.level = "room"
	}
	if f.address == "" {
		f.address = fmt.Sprintf("9%017d", *w.seq)
	}
	if f.issues == "" {
		f.issues = "[]"
	}
	if f.registered.IsZero() {
		f.registered = time.Now().AddDate(0, -3, 0)
	}
	if f.building == 0 {
		f.building = w.building("existing", "commercial")
	}
	if f.industry == "" {
		f.industry = "F"
	}
	w.exec(`INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, scope, industry, legal_rep,
			phone, id_number, report_year, changed_at, link_status, link_level, link_score, link_issues, address_code,
			building_id, town_code, village_code, grid_code, location, h3_11, linked_at)
		SELECT $1, '测试商行' || $2, 'individual', 'active', $3, '测试路1号', $4, $5, $6, $7, $8, $9, now(), $10, $11, 0.9,
			$12::jsonb, $13, CASE WHEN $10 = 'matched' THEN id END, town_code, village_code, grid_code,
			CASE WHEN $10 = 'matched' THEN ST_PointOnSurface(geom) END, CASE WHEN $10 = 'matched' THEN 1 END, now()
		FROM buildings WHERE id = $14`,
		string(u), fmt.Sprint(*w.seq), f.registered, f.scope, f.industry, f.legalRep, f.phone, f.idNumber, nullYear(f.reportYear),
		f.linkStatus, f.level, f.issues, nullIf(f.address, f.linkStatus != "matched"), f.building)
	return u
}

func nullYear(y int) any {
	if y == 0 {
		return nil
	}
	return y
}

func nullIf(s string, null bool) any {
	if null {
		return nil
	}
	return s
}

// visit inserts an inspection of u at p with outcome, days ago.
func (w *flagWorld) visit(u supervision.USCC, outcome supervision.Outcome, daysAgo int) {
	w.t.Helper()
	w.exec(`INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome)
		SELECT uscc, '李四', now() - make_interval(days => $2), location, 'wgs84', '{"address": "consistent"}', $3
		FROM entities WHERE uscc = $1`, string(u), daysAgo, string(outcome))
}

// evaluate drains the queue and returns the open flags of kind about u
// (as subject or member).
func (w *flagWorld) evaluate() {
	w.t.Helper()
	for {
		run, err := w.db.EvaluateQueued(w.ctx, time.Now(), 5000)
		if err != nil {
			w.t.Fatalf("evaluate: %v", err)
		}
		if run.Entities == 0 {
			return
		}
	}
}

func (w *flagWorld) flags(kind supervision.FlagKind, u supervision.USCC) []supervision.Flag {
	w.t.Helper()
	fs, _, err := w.db.Flags(w.ctx, supervision.FlagFilter{Kind: kind, USCC: u, Status: supervision.FlagOpen, Limit: 100})
	if err != nil {
		w.t.Fatal(err)
	}
	return fs
}

// want checks that u has exactly n open flags of kind and returns the first.
func (w *flagWorld) want(kind supervision.FlagKind, u supervision.USCC, n int) supervision.Flag {
	w.t.Helper()
	fs := w.flags(kind, u)
	if len(fs) != n {
		w.t.Fatalf("%s flags about %s: got %d (%v), want %d", kind, u, len(fs), titles(fs), n)
	}
	if n == 0 {
		return supervision.Flag{}
	}
	return fs[0]
}

func titles(fs []supervision.Flag) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Title)
	}
	return out
}

func TestFlagRules(t *testing.T) {
	w := newFlagWorld(t)
	shop := w.building("existing", "commercial")
	home := w.building("existing", "residential")
	gone := w.building("demolished", "")

	t.Run("address not in the library, and matched only at road level", func(t *testing.T) {
		w := w.in(t)
		fake := w.entity(flagFixture{linkStatus: "not_found", level: "building",
			issues: `[{"code": "room_not_found", "message": "no room 2808"}]`})
		coarse := w.entity(flagFixture{level: "road"})
		good := w.entity(flagFixture{building: shop})
		w.evaluate()
		if f := w.want(supervision.FlagAddress, fake, 1); f.Evidence["reason"] != "no_such_room" {
			t.Errorf("reason %v, want no_such_room", f.Evidence["reason"])
		}
		if f := w.want(supervision.FlagAddress, coarse, 1); f.Evidence["reason"] != "coarse_match" {
			t.Errorf("reason %v, want coarse_match", f.Evidence["reason"])
		}
		w.want(supervision.FlagAddress, good, 0)
	})

	t.Run("demolished building", func(t *testing.T) {
		w := w.in(t)
		in := w.entity(flagFixture{building: gone})
		out := w.entity(flagFixture{building: shop})
		w.evaluate()
		if f := w.want(supervision.FlagBuilding, in, 1); f.Evidence["reason"] != "demolished" {
			t.Errorf("reason %v", f.Evidence["reason"])
		}
		w.want(supervision.FlagBuilding, out, 0)
	})

	t.Run("cluster registration, except at an approved host", func(t *testing.T) {
		w := w.in(t)
		var crowd, host, few []supervision.USCC
		for range 6 {
			crowd = append(crowd, w.entity(flagFixture{building: shop, address: "910000000000000001"}))
			host = append(host, w.entity(flagFixture{building: shop, address: "910000000000000002"}))
		}
		for range 5 {
			few = append(few, w.entity(flagFixture{building: shop, address: "910000000000000003"}))
		}
		w.exec(`INSERT INTO cluster_hosts (address_code, name, approved_at) VALUES ('910000000000000002', '众创空间', '2025-01-01')`)
		w.evaluate()
		f := w.want(supervision.FlagCluster, crowd[0], 1)
		if f.Subject != "address:910000000000000001" || len(f.USCCs) != 6 {
			t.Errorf("subject %s with %d entities, want the room with 6", f.Subject, len(f.USCCs))
		}
		w.want(supervision.FlagCluster, host[0], 0)
		w.want(supervision.FlagCluster, few[0], 0)

		// One leaves the crowded room: at five the flag resolves.
		w.exec(`UPDATE entities SET address_code = '910000000000000009' WHERE uscc = $1`, string(crowd[5]))
		w.evaluate()
		w.want(supervision.FlagCluster, crowd[0], 0)
		got, _, err := w.db.Flag(w.ctx, f.ID)
		if err != nil || got.Status != supervision.FlagResolved {
			t.Errorf("after one left: status %s (%v), want resolved", got.Status, err)
		}
	})

	t.Run("restricted trade in a residential building, negations respected", func(t *testing.T) {
		w := w.in(t)
		bad := w.entity(flagFixture{building: home, scope: "餐饮服务；食品销售"})
		negated := w.entity(flagFixture{building: home, scope: "日用百货销售（不含餐饮服务）"})
		elsewhere := w.entity(flagFixture{building: shop, scope: "餐饮服务"})
		w.evaluate()
		w.want(supervision.FlagRestricted, bad, 1)
		w.want(supervision.FlagRestricted, negated, 0)
		w.want(supervision.FlagRestricted, elsewhere, 0)

		// The trades are data: without catering and with barbers, the
		// queue brings both entities back and their flags follow.
		barber := w.entity(flagFixture{building: home, scope: "理发服务"})
		w.evaluate()
		w.want(supervision.FlagRestricted, barber, 0)
		if err := w.db.ReplaceRestrictedTrades(w.ctx, []supervision.RestrictedTrade{
			{Code: "barber", Label: "理发", Keywords: []string{"理发"}, Uses: []string{"residential"}},
		}); err != nil {
			t.Fatal(err)
		}
		w.evaluate()
		w.want(supervision.FlagRestricted, bad, 0)
		w.want(supervision.FlagRestricted, barber, 1)
		if err := w.db.ReplaceRestrictedTrades(w.ctx, supervision.DefaultRestrictedTrades()); err != nil {
			t.Fatal(err)
		}
		w.evaluate()
		w.want(supervision.FlagRestricted, bad, 1)
		w.want(supervision.FlagRestricted, barber, 0)
	})

	t.Run("linked parties: one phone or one legal representative behind many", func(t *testing.T) {
		w := w.in(t)
		var phone, person, fewer []supervision.USCC
		for i := range 6 {
			phone = append(phone, w.entity(flagFixture{phone: "138 0000 1111"}))
			person = append(person, w.entity(flagFixture{legalRep: "王五", idNumber: "44190019800101123X", phone: fmt.Sprintf("1390000%04d", i)}))
		}
		for range 5 {
			fewer = append(fewer, w.entity(flagFixture{phone: "13800002222"}))
		}
		w.evaluate()
		f := w.want(supervision.FlagParties, phone[0], 1)
		if f.Evidence["phone"] != "138****1111" || len(f.USCCs) != 6 {
			t.Errorf("evidence %v with %d entities", f.Evidence["phone"], len(f.USCCs))
		}
		if f := w.want(supervision.FlagParties, person[0], 1); f.Evidence["link"] != "legal_rep" {
			t.Errorf("link %v, want legal_rep", f.Evidence["link"])
		}
		w.want(supervision.FlagParties, fewer[0], 0)
	})

	t.Run("not found on the latest visit", func(t *testing.T) {
		w := w.in(t)
		ghost := w.entity(flagFixture{building: shop})
		w.visit(ghost, supervision.OutcomeOperating, 100)
		w.visit(ghost, supervision.OutcomeNotFound, 3)
		there := w.entity(flagFixture{building: shop})
		w.visit(there, supervision.OutcomeNotFound, 100)
		w.visit(there, supervision.OutcomeOperating, 3)
		w.evaluate()
		if f := w.want(supervision.FlagNotFound, ghost, 1); f.Evidence["ground"] != supervision.AbnormalGround {
			t.Errorf("ground %v", f.Evidence["ground"])
		}
		w.want(supervision.FlagNotFound, there, 0)
	})

	t.Run("complaint hot spot", func(t *testing.T) {
		w := w.in(t)
		hot := w.entity(flagFixture{building: shop})
		cool := w.entity(flagFixture{building: shop})
		for i := range 3 {
			w.exec(`INSERT INTO complaints (source, external_id, at, category, industry, uscc)
				VALUES ('12345', $1, now() - interval '10 days', 'complaint', 'F', $2)`, fmt.Sprintf("hot-%d", i), string(hot))
		}
		for i := range 2 {
			w.exec(`INSERT INTO complaints (source, external_id, at, category, industry, uscc)
				VALUES ('12345', $1, now() - interval '10 days', 'complaint', 'F', $2)`, fmt.Sprintf("cool-%d", i), string(cool))
		}
		w.evaluate()
		w.want(supervision.FlagHotspot, hot, 1)
		w.want(supervision.FlagHotspot, cool, 0)
	})

	t.Run("dormant: found closed without its annual report", func(t *testing.T) {
		w := w.in(t)
		old := time.Now().AddDate(-4, 0, 0)
		due := supervision.ReportDue(time.Now())
		dead := w.entity(flagFixture{building: shop, registered: old, reportYear: due - 2})
		w.visit(dead, supervision.OutcomeClosed, 20)
		resting := w.entity(flagFixture{building: shop, registered: old, reportYear: due})
		w.visit(resting, supervision.OutcomeClosed, 20)
		w.evaluate()
		w.want(supervision.FlagDormant, dead, 1)
		w.want(supervision.FlagDormant, resting, 0)
	})

	t.Run("blind spot: never inspected, or first check overdue", func(t *testing.T) {
		w := w.in(t)
		forgotten := w.entity(flagFixture{building: shop, registered: time.Now().AddDate(-2, 0, 0)})
		seen := w.entity(flagFixture{building: shop, registered: time.Now().AddDate(-2, 0, 0)})
		w.visit(seen, supervision.OutcomeOperating, 30)
		late := w.entity(flagFixture{building: shop, registered: time.Now().AddDate(0, 0, -30)})
		w.exec(`INSERT INTO tasks (uscc, kind, assignee, status, pushed_at, due_at)
			VALUES ($1, 'first_check', '441900001001001', 'pushed', now() - interval '30 days', now() - interval '15 days')`, string(late))
		w.evaluate()
		if f := w.want(supervision.FlagBlindSpot, forgotten, 1); f.Evidence["reason"] != "not_inspected" {
			t.Errorf("reason %v", f.Evidence["reason"])
		}
		w.want(supervision.FlagBlindSpot, seen, 0)
		if f := w.want(supervision.FlagBlindSpot, late, 1); f.Evidence["reason"] != "first_check_overdue" {
			t.Errorf("reason %v", f.Evidence["reason"])
		}
	})
}

// TestOffSiteCheckIn: a check-in 800 m from the registered building comes
// back with the off-site flag in the same answer; one at the door does
// not, nor the door's coordinates as a GCJ-02 phone map gives them.
func TestOffSiteCheckIn(t *testing.T) {
	w := newFlagWorld(t)
	b := w.building("existing", "commercial")
	u := w.entity(flagFixture{building: b})
	var door geo.WGS84
	if err := w.db.Pool().QueryRow(w.ctx, `SELECT ST_X(location), ST_Y(location) FROM entities WHERE uscc = $1`,
		string(u)).Scan(&door.Lon, &door.Lat); err != nil {
		t.Fatal(err)
	}
	checkIn := func(p geo.WGS84, crs string, outcome supervision.Outcome) supervision.InspectionRecord {
		t.Helper()
		rec, err := w.db.RecordInspection(w.ctx, supervision.Inspection{USCC: u, Inspector: "张三", At: time.Now(),
			Location: p, CRS: crs, Items: map[string]string{"address": "consistent"}, Outcome: outcome}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}

	if rec := checkIn(door, "wgs84", supervision.OutcomeOperating); len(rec.Flags) != 0 {
		t.Errorf("at the door: flags %v, want none", titles(rec.Flags))
	}
	// The phone app reports the door in GCJ-02: about 500 m off until
	// converted at the API boundary, which hands the store WGS84.
	gcj := door.ToGCJ02()
	if rec := checkIn(geo.ToWGS84(geo.CRSGCJ02, gcj.Lon, gcj.Lat), "gcj02", supervision.OutcomeOperating); len(rec.Flags) != 0 {
		t.Errorf("the door in GCJ-02: flags %v, want none", titles(rec.Flags))
	}
	// 800 m due north of the door.
	far := geo.WGS84{Lon: door.Lon, Lat: door.Lat + 800/110574.0}
	rec := checkIn(far, "wgs84", supervision.OutcomeOperating)
	if len(rec.Flags) != 1 {
		t.Fatalf("800 m away: flags %v, want the off-site flag", titles(rec.Flags))
	}
	f := rec.Flags[0]
	d, _ := f.Evidence["distance_m"].(float64)
	if f.Kind != supervision.FlagOffSite || f.Status != supervision.FlagOpen || d < 700 || d > 810 {
		t.Errorf("flag %s %s at %v m, want an open off_site one 700–810 m from the footprint", f.Kind, f.Status, f.Evidence["distance_m"])
	}
	if id := f.Evidence["inspection"].(map[string]any)["id"]; id != float64(rec.ID) {
		t.Errorf("evidence cites inspection %v, want %d", id, rec.ID)
	}
	// Back at the door: the flag resolves.
	if rec := checkIn(door, "wgs84", supervision.OutcomeOperating); len(rec.Flags) != 0 {
		t.Errorf("back at the door: flags %v", titles(rec.Flags))
	}
	if got, _, _ := w.db.Flag(w.ctx, f.ID); got.Status != supervision.FlagResolved {
		t.Errorf("after a check-in at the door the flag is %s, want resolved", got.Status)
	}
	// The inspector reports it operating elsewhere: flagged at the door.
	if rec := checkIn(door, "wgs84", supervision.OutcomeMoved); len(rec.Flags) != 1 || rec.Flags[0].Evidence["reason"] != "reported_elsewhere" {
		t.Errorf("outcome moved: flags %v, want reported_elsewhere", titles(rec.Flags))
	}
}

// TestFlagLifecycle: reviews, their illegal steps, and re-opening when the
// facts change.
func TestFlagLifecycle(t *testing.T) {
	w := newFlagWorld(t)
	var crowd []supervision.USCC
	for range 6 {
		crowd = append(crowd, w.entity(flagFixture{address: "910000000000000005"}))
	}
	w.evaluate()
	f := w.want(supervision.FlagCluster, crowd[0], 1)
	review := func(id int64, d supervision.ReviewDecision) (supervision.Flag, error) {
		return w.db.ReviewFlag(w.ctx, id, supervision.Review{Decision: d, Reviewer: "陈科长", Reason: "已核实"})
	}
	if _, err := review(f.ID, supervision.ReviewReopen); !errors.Is(err, derrors.Conflict) {
		t.Errorf("re-opening an open flag: %v, want a conflict", err)
	}
	got, err := review(f.ID, supervision.ReviewDismiss)
	if err != nil || got.Status != supervision.FlagDismissed || got.Reviewer != "陈科长" || got.ReviewedAt == nil {
		t.Fatalf("dismiss: %+v, %v", got.Status, err)
	}
	if _, err := review(f.ID, supervision.ReviewConfirm); !errors.Is(err, derrors.Conflict) {
		t.Errorf("confirming a dismissed flag: %v, want a conflict", err)
	}
	if _, err := review(1<<40, supervision.ReviewConfirm); !errors.Is(err, derrors.NotFound) {
		t.Errorf("unknown flag: %v, want not found", err)
	}
	if _, err := w.db.ReviewFlag(w.ctx, f.ID, supervision.Review{Decision: "approve", Reviewer: "x", Reason: "y"}); !errors.Is(err, derrors.Invalid) {
		t.Errorf("unknown decision: %v, want invalid", err)
	}

	// Same facts: a dismissed flag stays dismissed.
	w.exec(`INSERT INTO flag_queue (uscc) VALUES ($1)`, string(crowd[0]))
	w.evaluate()
	if got, _, _ := w.db.Flag(w.ctx, f.ID); got.Status != supervision.FlagDismissed {
		t.Errorf("re-evaluated with the same facts: %s, want dismissed", got.Status)
	}
	// A seventh registers at the room: the facts changed, the flag re-opens.
	seventh := w.entity(flagFixture{address: "910000000000000005"})
	w.evaluate()
	got, events, err := w.db.Flag(w.ctx, f.ID)
	if err != nil || got.Status != supervision.FlagOpen || !slices.Contains(got.USCCs, seventh) {
		t.Fatalf("after a seventh registered: %s with %d entities (%v), want open with the seventh", got.Status, len(got.USCCs), err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	if want := []string{"raise", "dismiss", "reopen"}; !slices.Equal(actions, want) {
		t.Errorf("history %v, want %v", actions, want)
	}
	if got, err := review(f.ID, supervision.ReviewConfirm); err != nil || got.Status != supervision.FlagConfirmed {
		t.Errorf("confirm the re-opened flag: %s, %v", got.Status, err)
	}
	if math.IsNaN(got.Score) || got.Score <= 0 {
		t.Errorf("score %v", got.Score)
	}
}

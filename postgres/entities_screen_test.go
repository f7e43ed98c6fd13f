package postgres_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// screenRow is an entity as the screening tests read it, straight from the
// table, to work out what each criterion should select without the store.
type screenRow struct {
	uscc                                    supervision.USCC
	status, phone, idNumber, legalRep, town string
	building                                int64
	loc                                     *orb.Point
}

// screenCity is the demo city's entities, flags and inspections, read
// plainly.
type screenCity struct {
	db       *postgres.DB
	rows     []screenRow // in USCC order
	byCode   map[supervision.USCC]screenRow
	flags    []screenFlag
	lastSeen map[supervision.USCC]string // the outcome of the latest inspection, by (at, id)
}

type screenFlag struct {
	kind, status string
	usccs        []string // flags.uscc and flags.usccs
}

// readScreenEntities reads the entities alone.
func readScreenEntities(t *testing.T, db *postgres.DB) *screenCity {
	t.Helper()
	ctx := context.Background()
	c := &screenCity{db: db, byCode: map[supervision.USCC]screenRow{}, lastSeen: map[supervision.USCC]string{}}
	rows, err := db.Pool().Query(ctx, `SELECT uscc, status, phone, id_number, legal_rep, coalesce(town_code, ''),
		coalesce(building_id, 0), ST_X(location), ST_Y(location) FROM entities ORDER BY uscc`)
	if err != nil {
		t.Fatal(err)
	}
	var r screenRow
	var uscc string
	var lon, lat *float64
	if _, err := pgx.ForEachRow(rows, []any{&uscc, &r.status, &r.phone, &r.idNumber, &r.legalRep, &r.town, &r.building, &lon, &lat}, func() error {
		r.uscc, r.loc = supervision.USCC(uscc), nil
		if lon != nil {
			r.loc = &orb.Point{*lon, *lat}
		}
		c.rows = append(c.rows, r)
		c.byCode[r.uscc] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// readScreenCity reads the entities, the flags and the inspections.
func readScreenCity(t *testing.T, db *postgres.DB) *screenCity {
	t.Helper()
	ctx := context.Background()
	c := readScreenEntities(t, db)
	rows, err := db.Pool().Query(ctx, `SELECT kind, status, coalesce(uscc, ''), usccs FROM flags`)
	if err != nil {
		t.Fatal(err)
	}
	var f screenFlag
	var one string
	var many []string
	if _, err := pgx.ForEachRow(rows, []any{&f.kind, &f.status, &one, &many}, func() error {
		f.usccs = many
		if one != "" {
			f.usccs = append(slices.Clone(many), one)
		}
		c.flags = append(c.flags, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows, err = db.Pool().Query(ctx, `SELECT uscc, outcome FROM inspections ORDER BY uscc, at, id`)
	if err != nil {
		t.Fatal(err)
	}
	var uscc, outcome string
	if _, err := pgx.ForEachRow(rows, []any{&uscc, &outcome}, func() error {
		c.lastSeen[supervision.USCC(uscc)] = outcome // the last one of each entity wins
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// where returns the codes of the entities for which keep holds, in order.
func (c *screenCity) where(keep func(screenRow) bool) []supervision.USCC {
	var out []supervision.USCC
	for _, r := range c.rows {
		if keep(r) {
			out = append(out, r.uscc)
		}
	}
	return out
}

// groupSizes counts the active entities behind each key.
func (c *screenCity) groupSizes(key func(screenRow) string) map[string]int {
	n := map[string]int{}
	for _, r := range c.rows {
		if k := key(r); k != "" && r.status == "active" {
			n[k]++
		}
	}
	return n
}

func phoneKey(r screenRow) string { return supervision.NormalizePhone(r.phone) }
func idKey(r screenRow) string    { return strings.ToUpper(r.idNumber) }
func buildingKey(r screenRow) string {
	if r.building == 0 {
		return ""
	}
	return strconv.FormatInt(r.building, 10)
}

// flagged returns the entities a flag for which keep holds concerns.
func (c *screenCity) flagged(keep func(screenFlag) bool) map[supervision.USCC]bool {
	out := map[supervision.USCC]bool{}
	for _, f := range c.flags {
		if keep(f) {
			for _, u := range f.usccs {
				out[supervision.USCC(u)] = true
			}
		}
	}
	return out
}

// selected returns what the store selects for f: every entity through
// EachEntity. It checks that EntityCount agrees, and that the first page of
// Entities is the start of the selection.
func selected(t *testing.T, db *postgres.DB, f supervision.EntityFilter) []supervision.USCC {
	t.Helper()
	ctx := context.Background()
	var got []supervision.USCC
	if err := db.EachEntity(ctx, f, func(rec supervision.EntityRecord) error {
		got = append(got, rec.USCC)
		return nil
	}); err != nil {
		t.Fatalf("EachEntity: %v", err)
	}
	n, err := db.EntityCount(ctx, f)
	if err != nil {
		t.Fatalf("EntityCount: %v", err)
	}
	if n != len(got) {
		t.Errorf("EntityCount = %d, but EachEntity gave %d", n, len(got))
	}
	f.Limit = 20
	page, err := db.Entities(ctx, f)
	if err != nil {
		t.Fatalf("Entities: %v", err)
	}
	var first []supervision.USCC
	for _, rec := range page {
		first = append(first, rec.USCC)
	}
	if want := got[:min(len(got), 21)]; !slices.Equal(first, want) {
		t.Errorf("the first page %v is not the start of the selection %v", first, want)
	}
	return got
}

// checkSelection compares what the store selects with want, which must be
// neither empty nor everything, so that the criterion is seen to select.
func (c *screenCity) checkSelection(t *testing.T, f supervision.EntityFilter, want []supervision.USCC) {
	t.Helper()
	if len(want) == 0 || len(want) == len(c.rows) {
		t.Fatalf("the expectation holds %d of %d entities: pick a criterion that selects some", len(want), len(c.rows))
	}
	got := selected(t, c.db, f)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("selection (-want +got), %d wanted, %d got:\n%s", len(want), len(got), diff)
	}
}

// pick returns the first entity of the city for which keep holds.
func (c *screenCity) pick(t *testing.T, what string, keep func(screenRow) bool) screenRow {
	t.Helper()
	for _, r := range c.rows {
		if keep(r) {
			return r
		}
	}
	t.Fatalf("the demo city has no %s", what)
	return screenRow{}
}

// screenDemo returns a copy of the demo city with its entities linked and
// its flags raised, as a service that has run for a while holds it.
func screenDemo(t *testing.T) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db := pgtest.Demo(t)
	start := time.Now()
	ix := postgres.NewAddressIndex(db, slog.New(slog.DiscardHandler))
	if err := ix.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LinkEntities(ctx, ix.Index(), postgres.LinkScope{Pending: true}, nil); err != nil {
		t.Fatal(err)
	}
	linked := time.Since(start)
	if _, err := db.RecomputeFlags(ctx, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo city linked in %v, flagged in %v", linked.Round(time.Millisecond), (time.Since(start) - linked).Round(time.Millisecond))
	return db
}

func TestEntityScreening(t *testing.T) {
	db := screenDemo(t)
	// Reviewers have been at work: flags of each status beside open.
	for _, r := range []struct{ kind, status string }{
		{"blind_spot", "confirmed"}, {"restricted_trade", "dismissed"}, {"blind_spot", "resolved"}, {"address_unverified", "resolved"},
	} {
		if _, err := db.Pool().Exec(context.Background(), `UPDATE flags SET status = $2
			WHERE id IN (SELECT id FROM flags WHERE kind = $1 AND status = 'open' ORDER BY id LIMIT 40)`, r.kind, r.status); err != nil {
			t.Fatal(err)
		}
	}
	c := readScreenCity(t, db)
	phones, ids, buildings := c.groupSizes(phoneKey), c.groupSizes(idKey), c.groupSizes(buildingKey)

	t.Run("near", func(t *testing.T) {
		centre := *c.pick(t, "located entity", func(r screenRow) bool { return r.loc != nil && r.building != 0 }).loc
		const radius = 600.0
		f := supervision.EntityFilter{Near: &supervision.Circle{Center: centre, RadiusM: radius}}
		got := selected(t, db, f)
		in := map[supervision.USCC]bool{}
		for _, u := range got {
			in[u] = true
		}
		// The store measures on the spheroid, this test on the sphere: they
		// differ by under 0.6%, so entities that close to the rim may go
		// either way.
		inside, outside := 0, 0
		for _, r := range c.rows {
			if r.loc == nil {
				if in[r.uscc] {
					t.Errorf("%s has no location but is near", r.uscc)
				}
				continue
			}
			d := orbgeo.Distance(centre, *r.loc)
			switch {
			case d < radius*0.994 && !in[r.uscc]:
				t.Errorf("%s is %.1f m away, not selected", r.uscc, d)
			case d > radius*1.006 && in[r.uscc]:
				t.Errorf("%s is %.1f m away, selected", r.uscc, d)
			case d < radius:
				inside++
			default:
				outside++
			}
		}
		if inside < 10 || outside == 0 {
			t.Fatalf("%d entities within %v m: pick a busier centre", inside, radius)
		}
	})

	t.Run("the box of a circle holds its rim on the spheroid", func(t *testing.T) {
		for _, radius := range []float64{1, 250, 5000} {
			circle := supervision.Circle{Center: orb.Point{113.75, 23.02}, RadiusM: radius}
			b := circle.Bound()
			for az := 0; az < 360; az += 15 {
				var lon, lat float64
				if err := db.Pool().QueryRow(context.Background(), `SELECT ST_X(p::geometry), ST_Y(p::geometry)
					FROM ST_Project(ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3, radians($4)) p`,
					circle.Center[0], circle.Center[1], radius, float64(az)).Scan(&lon, &lat); err != nil {
					t.Fatal(err)
				}
				if !b.Contains(orb.Point{lon, lat}) {
					t.Errorf("radius %v m: the rim at %d° (%v, %v) is outside the box %v", radius, az, lon, lat, b)
				}
			}
		}
	})

	t.Run("same building as", func(t *testing.T) {
		target := c.pick(t, "building of 5 entities", func(r screenRow) bool { return buildings[buildingKey(r)] >= 5 })
		c.checkSelection(t, supervision.EntityFilter{SameBuildingAs: target.uscc}, c.where(func(r screenRow) bool {
			return r.building == target.building && r.uscc != target.uscc
		}))
	})

	t.Run("same phone as", func(t *testing.T) {
		target := c.pick(t, "shared phone", func(r screenRow) bool { return phones[phoneKey(r)] >= 3 })
		c.checkSelection(t, supervision.EntityFilter{SamePhoneAs: target.uscc}, c.where(func(r screenRow) bool {
			return phoneKey(r) == phoneKey(target) && r.uscc != target.uscc
		}))
	})

	t.Run("same legal representative as, by ID number", func(t *testing.T) {
		target := c.pick(t, "shared ID number", func(r screenRow) bool { return ids[idKey(r)] >= 3 })
		c.checkSelection(t, supervision.EntityFilter{SameLegalRepAs: target.uscc}, c.where(func(r screenRow) bool {
			return r.idNumber != "" && idKey(r) == idKey(target) && r.uscc != target.uscc
		}))
	})

	t.Run("shared phone", func(t *testing.T) {
		c.checkSelection(t, supervision.EntityFilter{SharedPhoneMin: 8}, c.where(func(r screenRow) bool { return phones[phoneKey(r)] >= 8 }))
	})
	t.Run("shared legal representative", func(t *testing.T) {
		c.checkSelection(t, supervision.EntityFilter{SharedLegalRepMin: 10}, c.where(func(r screenRow) bool { return ids[idKey(r)] >= 10 }))
	})
	t.Run("building entities", func(t *testing.T) {
		c.checkSelection(t, supervision.EntityFilter{BuildingEntitiesMin: 40}, c.where(func(r screenRow) bool { return buildings[buildingKey(r)] >= 40 }))
	})
	t.Run("building entities, so many that lists test each entity", func(t *testing.T) {
		members := 0
		for _, n := range buildings {
			if n >= 2 {
				members += n
			}
		}
		if members <= 20000 { // postgres.denseGroupMembers
			t.Fatalf("buildings of 2 or more hold %d entities: too few to be dense", members)
		}
		c.checkSelection(t, supervision.EntityFilter{BuildingEntitiesMin: 2}, c.where(func(r screenRow) bool { return buildings[buildingKey(r)] >= 2 }))
	})

	t.Run("flag kind, open by default", func(t *testing.T) {
		in := c.flagged(func(f screenFlag) bool { return f.kind == "linked_parties" && f.status == "open" })
		c.checkSelection(t, supervision.EntityFilter{FlagKind: supervision.FlagParties}, c.where(func(r screenRow) bool { return in[r.uscc] }))
	})
	t.Run("flag kind and status", func(t *testing.T) {
		for _, k := range []struct {
			kind   supervision.FlagKind
			status supervision.FlagStatus
		}{{supervision.FlagBlindSpot, supervision.FlagConfirmed}, {supervision.FlagRestricted, supervision.FlagDismissed},
			{supervision.FlagBlindSpot, supervision.FlagResolved}} {
			in := c.flagged(func(f screenFlag) bool { return f.kind == string(k.kind) && f.status == string(k.status) })
			c.checkSelection(t, supervision.EntityFilter{FlagKind: k.kind, FlagStatus: k.status},
				c.where(func(r screenRow) bool { return in[r.uscc] }))
		}
	})
	t.Run("flag status of any kind", func(t *testing.T) {
		in := c.flagged(func(f screenFlag) bool { return f.status == "resolved" })
		c.checkSelection(t, supervision.EntityFilter{FlagStatus: supervision.FlagResolved}, c.where(func(r screenRow) bool { return in[r.uscc] }))
	})
	t.Run("has an open flag", func(t *testing.T) {
		open := c.flagged(func(f screenFlag) bool { return f.status == "open" })
		yes, no := true, false
		c.checkSelection(t, supervision.EntityFilter{HasOpenFlag: &yes}, c.where(func(r screenRow) bool { return open[r.uscc] }))
		c.checkSelection(t, supervision.EntityFilter{HasOpenFlag: &no}, c.where(func(r screenRow) bool { return !open[r.uscc] }))
	})
	t.Run("last inspection outcome", func(t *testing.T) {
		for _, o := range []supervision.Outcome{supervision.OutcomeNotFound, supervision.OutcomeMoved} {
			c.checkSelection(t, supervision.EntityFilter{InspectionOutcome: o}, c.where(func(r screenRow) bool { return c.lastSeen[r.uscc] == string(o) }))
		}
	})

	t.Run("criteria combine with AND", func(t *testing.T) {
		busy := c.pick(t, "town with a big building", func(r screenRow) bool { return r.town != "" && buildings[buildingKey(r)] >= 20 })
		open := c.flagged(func(f screenFlag) bool { return f.status == "open" })
		yes := true
		f := supervision.EntityFilter{TownCode: busy.town, Status: supervision.Active, BuildingEntitiesMin: 20, HasOpenFlag: &yes}
		c.checkSelection(t, f, c.where(func(r screenRow) bool {
			return r.town == busy.town && r.status == "active" && buildings[buildingKey(r)] >= 20 && open[r.uscc]
		}))
		// Two links at once: the building's neighbours that share a phone
		// with someone.
		f = supervision.EntityFilter{SameBuildingAs: busy.uscc, SharedPhoneMin: 2}
		want := c.where(func(r screenRow) bool {
			return r.building == busy.building && r.uscc != busy.uscc && phones[phoneKey(r)] >= 2
		})
		got := selected(t, db, f)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("same building and shared phone (-want +got):\n%s", diff)
		}
	})

	t.Run("an entity to compare with that does not exist", func(t *testing.T) {
		ghost := fxUSCC(t, "91", "W")
		for _, f := range []struct {
			field string
			f     supervision.EntityFilter
		}{
			{"same_building_as", supervision.EntityFilter{SameBuildingAs: ghost}},
			{"same_phone_as", supervision.EntityFilter{SamePhoneAs: ghost}},
			{"same_legal_rep_as", supervision.EntityFilter{SameLegalRepAs: ghost}},
		} {
			_, err := db.EntityCount(context.Background(), f.f)
			var de *derrors.Error
			if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) || de.Field != f.field {
				t.Errorf("%s of no entity: %v, want a bad-input error naming %s", f.field, err, f.field)
			}
		}
	})

	t.Run("an entity without a building has no neighbours", func(t *testing.T) {
		lone := c.pick(t, "entity without a building", func(r screenRow) bool { return r.building == 0 })
		if got := selected(t, db, supervision.EntityFilter{SameBuildingAs: lone.uscc}); len(got) != 0 {
			t.Errorf("same building as %s (none): %d entities", lone.uscc, len(got))
		}
	})

	// Last: these change the city.
	t.Run("same legal representative as, by name", func(t *testing.T) { sameLegalRepByName(t, db) })
	t.Run("group sizes follow writes", func(t *testing.T) { groupsFollowWrites(t, db) })
}

// sameLegalRepByName checks the fallback of same_legal_rep_as: when
// either entity lacks an ID number, the same name within the same town.
func sameLegalRepByName(t *testing.T, db *postgres.DB) {
	ctx := context.Background()
	c := readScreenCity(t, db)
	// Three entities of one town take the target's name: one without an ID
	// number (matches), one with another ID number (does not: both have
	// one), and one of another town without an ID number (does not).
	target := c.pick(t, "entity in a town", func(r screenRow) bool { return r.town != "" && r.legalRep != "" })
	var sameTown, otherTown []screenRow
	for _, r := range c.rows {
		switch {
		case r.uscc == target.uscc || r.legalRep == target.legalRep:
		case r.town == target.town && len(sameTown) < 2:
			sameTown = append(sameTown, r)
		case r.town != "" && r.town != target.town && len(otherTown) < 1:
			otherTown = append(otherTown, r)
		}
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE entities SET legal_rep = $2, id_number = '' WHERE uscc = $1`, string(sameTown[0].uscc), target.legalRep)
	exec(`UPDATE entities SET legal_rep = $2, id_number = '44190019800101999X' WHERE uscc = $1`, string(sameTown[1].uscc), target.legalRep)
	exec(`UPDATE entities SET legal_rep = $2, id_number = '' WHERE uscc = $1`, string(otherTown[0].uscc), target.legalRep)
	// The ID number typed in lower case is the same person.
	exec(`UPDATE entities SET id_number = lower(id_number) WHERE uscc = (
		SELECT uscc FROM entities WHERE upper(id_number) = upper($1) AND uscc <> $2 ORDER BY uscc LIMIT 1)`,
		target.idNumber, string(target.uscc))
	c = readScreenCity(t, db)
	target = c.byCode[target.uscc]

	want := func(target screenRow) []supervision.USCC {
		return c.where(func(r screenRow) bool {
			if r.uscc == target.uscc {
				return false
			}
			if r.idNumber != "" && target.idNumber != "" {
				return strings.EqualFold(r.idNumber, target.idNumber)
			}
			return r.legalRep == target.legalRep && r.town == target.town && r.town != ""
		})
	}
	w := want(target)
	if !slices.Contains(w, sameTown[0].uscc) || slices.Contains(w, sameTown[1].uscc) || slices.Contains(w, otherTown[0].uscc) {
		t.Fatalf("the fixture is not what the test means: %v", w)
	}
	c.checkSelection(t, supervision.EntityFilter{SameLegalRepAs: target.uscc}, w)

	// From the side of the entity without an ID number: everyone of the
	// town with the name, ID number or not.
	noID := c.byCode[sameTown[0].uscc]
	c.checkSelection(t, supervision.EntityFilter{SameLegalRepAs: noID.uscc}, want(noID))
}

// groupsFollowWrites checks the group sizes the triggers keep (migration
// 00015) against a count of the entities after writes of every kind: a new
// entity, a changed phone, ID number and building, a cancellation, a
// deletion.
func groupsFollowWrites(t *testing.T, db *postgres.DB) {
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	check := func(step string) {
		t.Helper()
		c := readScreenEntities(t, db)
		want := map[string]int{}
		for link, key := range map[string]func(screenRow) string{"phone": phoneKey, "legal_rep": idKey, "building": buildingKey} {
			for k, n := range c.groupSizes(key) {
				want[link+" "+k] = n
			}
		}
		rows, err := db.Pool().Query(ctx, `SELECT 'phone ' || key, n FROM phone_groups WHERE n <> 0
			UNION ALL SELECT 'legal_rep ' || key, n FROM legal_rep_groups WHERE n <> 0
			UNION ALL SELECT 'building ' || building_id, n FROM building_groups WHERE n <> 0`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		var k string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error { got[k] = n; return nil }); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s: group sizes (-counted +kept):\n%s", step, diff)
		}
	}
	check("the demo city as loaded")

	// a and b: active, in different buildings; shared: a phone of a group.
	c := readScreenCity(t, db)
	phones := c.groupSizes(phoneKey)
	sharer := c.pick(t, "shared phone", func(r screenRow) bool { return r.status == "active" && phones[phoneKey(r)] >= 2 })
	first := c.pick(t, "active entity in a building", func(r screenRow) bool { return r.status == "active" && r.building != 0 })
	other := c.pick(t, "active entity in another building", func(r screenRow) bool {
		return r.status == "active" && r.building != 0 && r.building != first.building
	})
	a, b, shared := string(first.uscc), string(other.uscc), sharer.phone
	fresh := fxUSCC(t, "91", "Y")
	exec(`INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, phone, id_number, changed_at)
		VALUES ($1, '东莞新开商行', 'enterprise', 'active', '2024-05-01', '东莞市某路1号', $2, '44190019900101777x', now())`,
		string(fresh), "+86 "+shared)
	check("a new entity sharing a phone")
	exec(`UPDATE entities SET phone = '0769-22223333', id_number = upper(id_number) WHERE uscc = $1`, string(fresh))
	check("its phone and ID number changed")
	exec(`UPDATE entities SET building_id = (SELECT building_id FROM entities WHERE uscc = $2) WHERE uscc = $1`, a, b)
	check("an entity moved to another's building")
	exec(`UPDATE entities SET status = 'cancelled' WHERE uscc = $1`, b)
	check("an entity cancelled")
	exec(`UPDATE entities SET last_inspected_at = now() WHERE town_code = (SELECT town_code FROM entities WHERE uscc = $1)`, a)
	check("a town's entities inspected (no key changed)")
	exec(`DELETE FROM entities WHERE uscc = $1`, string(fresh))
	check("an entity deleted")

	// Many rows in one statement, two groups touched in each direction.
	exec(`UPDATE entities SET phone = CASE WHEN phone = '' THEN '13800000000' ELSE phone || '' END,
		status = CASE status WHEN 'active' THEN 'revoked' ELSE 'active' END
		WHERE uscc IN (SELECT uscc FROM entities ORDER BY uscc LIMIT 500)`)
	check("500 entities changed in one statement")
}

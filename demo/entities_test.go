package demo

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/supervision"
)

// historyHash hashes the entities, their history, the hosts and the flag
// truth as JSON, town by town.
func historyHash(t *testing.T, contents []*TownContents) string {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, c := range contents {
		for _, v := range []any{c.Entities, c.EntityTruth, c.Inspections, c.Tasks, c.TaskEvents, c.Leads,
			c.Complaints, c.Violations, c.AbnormalListings, c.Hosts, c.FlagTruth} {
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// historySink hashes the library and keeps the history hash of each town.
type historySink struct {
	library *hashSink
	towns   []*TownContents
}

func (s *historySink) Divisions(ctx context.Context, d *Divisions) error {
	return s.library.Divisions(ctx, d)
}

func (s *historySink) Contents(ctx context.Context, c *TownContents) error {
	// Keep the history only: the library goes into the hash.
	s.towns = append(s.towns, &TownContents{Entities: c.Entities, EntityTruth: c.EntityTruth,
		Inspections: c.Inspections, Tasks: c.Tasks, TaskEvents: c.TaskEvents, Leads: c.Leads,
		Complaints: c.Complaints, Violations: c.Violations, AbnormalListings: c.AbnormalListings,
		Hosts: c.Hosts, FlagTruth: c.FlagTruth})
	return s.library.Contents(ctx, c)
}

func TestEntitiesAreDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the demo city twice more")
	}
	city := loadDemoCity(t)
	want := historyHash(t, city.contents)
	lib := newHashSink()
	if err := lib.Divisions(context.Background(), city.div); err != nil {
		t.Fatal(err)
	}
	for _, c := range city.contents {
		if err := lib.Contents(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	run := func(cfg Config) (library, history string) {
		s := &historySink{library: newHashSink()}
		tot, err := Generate(context.Background(), cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if (tot.Entities == 0) != cfg.LibraryOnly {
			t.Errorf("%+v: %d entities", cfg, tot.Entities)
		}
		return s.library.sum(), historyHash(t, s.towns)
	}
	// Towns are built concurrently: the history must not depend on how many.
	procs := runtime.GOMAXPROCS(1)
	gotLib, got := run(Config{Scale: ScaleDemo, Seed: 1, Until: DefaultUntil.Add(15 * time.Hour)})
	runtime.GOMAXPROCS(procs)
	if got != want || gotLib != lib.sum() {
		t.Errorf("same config, different cities: history %s vs %s, library %s vs %s", got, want, gotLib, lib.sum())
	}
	// Another day gives another history on the same library.
	gotLib, got = run(Config{Scale: ScaleDemo, Seed: 1, Until: DefaultUntil.AddDate(0, 0, 1)})
	if got == want || gotLib != lib.sum() {
		t.Errorf("a day later: history changed %v (want true), library changed %v (want false)", got != want, gotLib != lib.sum())
	}
	// The library alone is the same library.
	if gotLib, _ = run(Config{Scale: ScaleDemo, Seed: 1, LibraryOnly: true}); gotLib != lib.sum() {
		t.Error("the library alone differs from the library of the city")
	}
}

func TestConfigUntil(t *testing.T) {
	utc := time.Date(2026, 3, 4, 20, 30, 0, 0, time.UTC) // 04:30 on 5 March in Beijing
	for _, tc := range []struct {
		in   time.Time
		want time.Time
	}{
		{time.Time{}, DefaultUntil},
		{utc, time.Date(2026, 3, 5, 0, 0, 0, 0, supervision.Beijing)},
		{DefaultUntil.Add(23 * time.Hour), DefaultUntil},
	} {
		if got := (Config{Until: tc.in}).until(); !got.Equal(tc.want) {
			t.Errorf("Config{Until: %s}.until() = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// cityTotals sums the contents of the demo city.
func cityTotals(city *collectSink) Totals {
	var tot Totals
	for _, c := range city.contents {
		tot.addContents(c)
	}
	return tot
}

func between(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %.4g, want %g to %g", what, got, lo, hi)
	}
}

var (
	phoneRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	idRE    = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)
)

func TestEntities(t *testing.T) {
	city := loadDemoCity(t)
	tot := cityTotals(city)
	until := DefaultUntil
	from := until.AddDate(-historyYears, 0, 0)
	seen := map[supervision.USCC]bool{}
	kinds := map[supervision.Kind]int{}
	var gone, recent, fabricated, rooms, routed, demolished int
	for _, c := range city.contents {
		if len(c.EntityTruth) != len(c.Entities) {
			t.Fatalf("town %s: %d entities, %d truths", c.TownCode, len(c.Entities), len(c.EntityTruth))
		}
		doors := map[string]bool{}
		for _, d := range c.Doorplates {
			doors[d.Code] = true
		}
		bldgDoor := map[int64]string{}
		bldgStatus := map[int64]string{}
		for _, b := range c.Buildings {
			bldgDoor[b.ID], bldgStatus[b.ID] = b.DoorplateCode, b.Status
		}
		roomBldg := map[string]int64{}
		for _, r := range c.Rooms {
			roomBldg[r.Code] = r.BuildingID
		}
		for i, e := range c.Entities {
			u, err := supervision.ParseUSCC(string(e.USCC))
			if err != nil || u != e.USCC || e.USCC[2:8] != "441900" {
				t.Errorf("entity %q: %v", e.USCC, err)
			}
			if k, ok := e.USCC.Kind(); !ok || k != e.Kind {
				t.Errorf("entity %s: the code registers a %s, the entity is a %s", e.USCC, k, e.Kind)
			}
			if seen[e.USCC] {
				t.Errorf("USCC %s repeats", e.USCC)
			}
			seen[e.USCC] = true
			if err := e.Validate(); err != nil {
				t.Errorf("entity %s does not validate: %v", e.USCC, err)
			}
			if !phoneRE.MatchString(e.Phone) || !idRE.MatchString(e.IDNumber) || idCheck(e.IDNumber[:17]) != e.IDNumber[17] {
				t.Errorf("entity %s: phone %q or identity number %q", e.USCC, e.Phone, e.IDNumber)
			}
			reg := e.RegisteredAt.In(supervision.Beijing)
			if reg.Hour() != 0 || reg.Minute() != 0 || !reg.Before(until) || e.ChangedAt.Before(reg) || !e.ChangedAt.Before(until) {
				t.Errorf("entity %s registered %s, changed %s", e.USCC, e.RegisteredAt, e.ChangedAt)
			}
			kinds[e.Kind]++
			if e.Status != supervision.Active {
				gone++
			}
			if !reg.Before(from) {
				recent++
			}
			if len(supervision.Route(supervision.DefaultRules(), e.Scope)) > 0 {
				routed++
			}

			tr := c.EntityTruth[i]
			if tr.USCC != e.USCC {
				t.Fatalf("truth %d of town %s is of %s, not %s", i, c.TownCode, tr.USCC, e.USCC)
			}
			if !tr.Exists {
				fabricated++
				if !slices.Contains(FabricatedKinds(), tr.Noise) || tr.TrueCode != "" {
					t.Errorf("made-up address of %s: %+v", e.USCC, tr)
				}
				continue
			}
			if !slices.Contains(NoiseKinds(), tr.Noise) || !doors[tr.TrueDoorplate] {
				t.Errorf("entity %s: truth %+v names no doorplate of the town", e.USCC, tr)
			}
			if tr.TrueBuildingID != 0 && bldgDoor[tr.TrueBuildingID] != tr.TrueDoorplate {
				t.Errorf("entity %s: building %d does not stand at %s", e.USCC, tr.TrueBuildingID, tr.TrueDoorplate)
			}
			if tr.TrueCode != "" {
				rooms++
				if b, ok := roomBldg[tr.TrueCode]; !ok || b != tr.TrueBuildingID {
					t.Errorf("entity %s: room %s is not in building %d", e.USCC, tr.TrueCode, tr.TrueBuildingID)
				}
			}
			if bldgStatus[tr.TrueBuildingID] == "demolished" {
				demolished++
			}
		}
	}
	n := float64(tot.Entities)
	between(t, "entities per building", n/float64(tot.Buildings), 1.6, 2.4)
	between(t, "share of enterprises", float64(kinds[supervision.Enterprise])/n, 0.25, 0.35)
	between(t, "share of individual businesses", float64(kinds[supervision.Individual])/n, 0.62, 0.74)
	between(t, "share of cooperatives", float64(kinds[supervision.Cooperative])/n, 0.01, 0.03)
	between(t, "share cancelled or revoked", float64(gone)/n, 0.04, 0.08)
	between(t, "share registered in the last two years", float64(recent)/n, 0.25, 0.35)
	between(t, "share of made-up addresses", float64(fabricated)/n, 0.03, 0.05)
	between(t, "share naming a room", float64(rooms)/n, 0.6, 0.85)
	between(t, "share in demolished buildings", float64(demolished)/n, 0.0005, 0.01)
	between(t, "share pushed to a department", float64(routed)/n, 0.3, 0.6)
}

func TestPlanEntities(t *testing.T) {
	got := cityTotals(loadDemoCity(t))
	plan := Plan(Config{Scale: ScaleDemo, Seed: 1})
	for _, c := range []struct {
		what      string
		plan, got int
	}{
		{"entities", plan.Entities, got.Entities}, {"inspections", plan.Inspections, got.Inspections},
		{"tasks", plan.Tasks, got.Tasks}, {"task events", plan.TaskEvents, got.TaskEvents},
		{"leads", plan.Leads, got.Leads}, {"lead events", plan.LeadEvents, got.LeadEvents},
		{"complaints", plan.Complaints, got.Complaints}, {"violations", plan.Violations, got.Violations},
		{"abnormal listings", plan.AbnormalListings, got.AbnormalListings},
	} {
		if math.Abs(float64(c.plan-c.got)) > 0.15*float64(c.got) {
			t.Errorf("Plan says %d %s, the city has %d", c.plan, c.what, c.got)
		}
	}
	if lib := Plan(Config{Scale: ScaleDemo, Seed: 1, LibraryOnly: true}); lib.Entities != 0 || lib.Rooms != plan.Rooms {
		t.Errorf("Plan of the library only: %+v", lib)
	}
	if p := Plan(Config{Scale: ScaleCity, Seed: 1}); p.Entities < 1_800_000 || p.Inspections < 9_000_000 {
		t.Errorf("city plan %+v: want about two million entities and ten million inspections", p)
	}
}

// TestRouteCache checks that routing a scope item by item, as the
// generator does, routes as supervision.Route does the whole scope.
func TestRouteCache(t *testing.T) {
	g := &entityGen{r: newRand(1, "test"), routes: newRouteCache(), stem: "长安"}
	rules := supervision.DefaultRules()
	for i := range formats {
		f := &formats[i]
		for k := range 40 {
			registered := time.Date(2012+k%14, 5, 1, 0, 0, 0, 0, supervision.Beijing)
			scope, items := g.scope(f, f.kind, registered, hazardItems[k%len(hazardItems)])
			got, routed := g.routes.route(items)
			if want := supervision.Route(rules, scope); !cmp.Equal(got, want) {
				t.Fatalf("scope %q: routed %v, supervision.Route says %v", scope, got, want)
			}
			if again := supervision.Route(rules, routed); !cmp.Equal(again, got) {
				t.Fatalf("the routed clauses %q of %q route as %v, the scope as %v", routed, scope, again, got)
			}
		}
	}
}

func TestInspections(t *testing.T) {
	city := loadDemoCity(t)
	tot := cityTotals(city)
	until := DefaultUntil
	from := until.AddDate(-historyYears, 0, 0)
	items := supervision.DefaultItems()
	crs := map[string]int{}
	outcomes := map[supervision.Outcome]int{}
	away := 0
	next := int64(1)
	for _, c := range city.contents {
		ents := map[supervision.USCC]*supervision.Entity{}
		for i := range c.Entities {
			ents[c.Entities[i].USCC] = &c.Entities[i]
		}
		bldg := map[int64]int{}
		for i, b := range c.Buildings {
			bldg[b.ID] = i
		}
		for _, in := range c.Inspections {
			if in.ID != next {
				t.Fatalf("inspection %d follows %d", in.ID, next-1)
			}
			next++
			e := ents[in.USCC]
			if e == nil {
				t.Fatalf("inspection %d of %s, not an entity of town %s", in.ID, in.USCC, c.TownCode)
			}
			if err := in.Validate(items, until); err != nil {
				t.Errorf("inspection %d: %v", in.ID, err)
			}
			at := in.At.In(supervision.Beijing)
			if at.Before(from) || !at.Before(until) || at.Before(e.RegisteredAt) || at.Hour() < 9 || at.Hour() >= 17 ||
				at.Weekday() == time.Saturday || at.Weekday() == time.Sunday {
				t.Errorf("inspection %d at %s (entity registered %s)", in.ID, at, e.RegisteredAt)
			}
			if e.Status != supervision.Active && !at.Before(e.ChangedAt) {
				t.Errorf("inspection %d at %s of %s, %s at %s", in.ID, at, e.USCC, e.Status, e.ChangedAt)
			}
			bi, ok := bldg[in.BuildingID]
			if !ok || in.TownCode != c.TownCode || c.Buildings[bi].GridCode != in.GridCode {
				t.Fatalf("inspection %d: building %d, grid %s of town %s", in.ID, in.BuildingID, in.GridCode, in.TownCode)
			}
			// GPS noise stays near the building; an entity operating
			// elsewhere is checked in where it operates, far away.
			switch d := distanceM(in.Location.Point(), centroid(&c.Buildings[bi])); {
			case d >= awayMinMetres && d < awayMaxMetres+200 && in.Outcome == supervision.OutcomeOperating:
				away++
			case d > 31:
				t.Errorf("inspection %d: %.0f m from its building", in.ID, d)
			}
			if !strings.Contains(in.Inspector, in.GridCode) || len(in.Photos) == 0 {
				t.Errorf("inspection %d: inspector %q, photos %v", in.ID, in.Inspector, in.Photos)
			}
			crs[in.CRS]++
			outcomes[in.Outcome]++
		}
	}
	n := float64(tot.Inspections)
	between(t, "inspections per entity", n/float64(tot.Entities), 2, 4)
	between(t, "share declared in GCJ-02", float64(crs["gcj02"])/n, 0.4, 0.6)
	if crs["wgs84"] == 0 || crs["cgcs2000"] == 0 || len(crs) != 3 {
		t.Errorf("declared CRS: %v", crs)
	}
	between(t, "share operating", float64(outcomes[supervision.OutcomeOperating])/n, 0.75, 0.92)
	between(t, "share checked in far from the building", float64(away)/n, 0.002, 0.02)
	for _, o := range []supervision.Outcome{supervision.OutcomeNotFound, supervision.OutcomeMoved, supervision.OutcomeClosed} {
		between(t, "share "+string(o), float64(outcomes[o])/n, 0.005, 0.12)
	}
}

// TestCoverageIsUneven checks that villages differ in how many of their
// entities were inspected in the last 180 days, as coverage maps should.
func TestCoverageIsUneven(t *testing.T) {
	city := loadDemoCity(t)
	since := DefaultUntil.AddDate(0, 0, -180)
	var ratios []float64
	for _, c := range city.contents {
		village := map[int64]string{}
		for _, b := range c.Buildings {
			village[b.ID] = b.VillageCode
		}
		inspected := map[supervision.USCC]string{} // → village
		last := map[supervision.USCC]time.Time{}
		for _, in := range c.Inspections {
			inspected[in.USCC] = village[in.BuildingID]
			if in.At.After(last[in.USCC]) {
				last[in.USCC] = in.At
			}
		}
		all := map[string]int{}
		recent := map[string]int{}
		for i, e := range c.Entities {
			v := village[c.EntityTruth[i].TrueBuildingID]
			if w, ok := inspected[e.USCC]; ok {
				v = w
			}
			if v == "" || e.Status != supervision.Active || e.RegisteredAt.After(since) {
				continue
			}
			all[v]++
			if last[e.USCC].After(since) {
				recent[v]++
			}
		}
		for v, n := range all {
			if n >= 30 {
				ratios = append(ratios, float64(recent[v])/float64(n))
			}
		}
	}
	sort.Float64s(ratios)
	if len(ratios) < 100 {
		t.Fatalf("only %d villages with 30 entities", len(ratios))
	}
	q := func(p float64) float64 { return ratios[int(p*float64(len(ratios)-1))] }
	t.Logf("villages inspected within 180 days: min %.2f, p10 %.2f, median %.2f, p90 %.2f, max %.2f",
		ratios[0], q(0.1), q(0.5), q(0.9), ratios[len(ratios)-1])
	if q(0.1) > 0.2 || q(0.9) < 0.6 || ratios[len(ratios)-1] < 0.8 {
		t.Errorf("coverage is too even: p10 %.2f (want at most 0.2), p90 %.2f (want at least 0.6), max %.2f (want at least 0.8)",
			q(0.1), q(0.9), ratios[len(ratios)-1])
	}
}

func TestTasks(t *testing.T) {
	city := loadDemoCity(t)
	until := DefaultUntil
	from := until.AddDate(-historyYears, 0, 0)
	rules := supervision.DefaultRules()
	codes := supervision.ItemCodes(supervision.DefaultItems())
	var tasks, overdue, done, returned int
	next := int64(1)
	for _, c := range city.contents {
		byUSCC := map[supervision.USCC][]supervision.Task{}
		for _, tk := range c.Tasks {
			if tk.ID != next {
				t.Fatalf("task %d follows %d", tk.ID, next-1)
			}
			next++
			byUSCC[tk.USCC] = append(byUSCC[tk.USCC], tk)
		}
		inspections := map[int64]Inspection{}
		for _, in := range c.Inspections {
			inspections[in.ID] = in
		}
		events := map[int64][]TaskEvent{}
		for _, e := range c.TaskEvents {
			events[e.TaskID] = append(events[e.TaskID], e)
		}
		for i, e := range c.Entities {
			got := byUSCC[e.USCC]
			if e.RegisteredAt.Before(from.AddDate(0, 0, -1)) {
				if len(got) > 0 {
					t.Errorf("entity %s registered %s has tasks", e.USCC, e.RegisteredAt)
				}
				continue
			}
			if len(got) == 0 {
				if !e.RegisteredAt.Before(from) {
					t.Errorf("entity %s registered %s has no tasks", e.USCC, e.RegisteredAt)
				}
				continue
			}
			// The tasks are what Plan makes of the registration, at the
			// time and with the link they were pushed with.
			check := got[len(got)-1]
			link := supervision.Link{TownCode: check.TownCode, VillageCode: check.VillageCode, GridCode: check.GridCode, BuildingID: check.BuildingID}
			if c.EntityTruth[i].Exists != (link.GridCode != "") {
				t.Errorf("entity %s: address exists %v, check pushed to %s", e.USCC, c.EntityTruth[i].Exists, check.Assignee)
			}
			reg := e
			reg.Status = supervision.Active
			want := (supervision.Policy{}).Plan(supervision.Change{New: reg, Link: link}, rules, codes, check.PushedAt)
			plan := func(ts []supervision.Task) []supervision.Task {
				out := make([]supervision.Task, len(ts))
				for k, x := range ts {
					out[k] = supervision.Task{USCC: x.USCC, Kind: x.Kind, Assignee: x.Assignee, Department: x.Department,
						TownCode: x.TownCode, VillageCode: x.VillageCode, GridCode: x.GridCode, BuildingID: x.BuildingID,
						Reason: x.Reason, Keywords: x.Keywords, Items: x.Items, PushedAt: x.PushedAt, DueAt: x.DueAt}
				}
				return out
			}
			if diff := cmp.Diff(plan(want), plan(got)); diff != "" {
				t.Errorf("tasks of %s differ from Plan's (-plan +generated):\n%s", e.USCC, diff)
			}
			for _, tk := range got {
				tasks++
				switch tk.StatusAt(until) {
				case supervision.TaskOverdue:
					overdue++
				case supervision.TaskDone:
					done++
				case supervision.TaskReturned:
					returned++
				}
				checkTask(t, tk, events[tk.ID], inspections, until)
			}
		}
	}
	between(t, "share done", float64(done)/float64(tasks), 0.8, 0.95)
	between(t, "share returned", float64(returned)/float64(tasks), 0.01, 0.08)
	between(t, "share overdue", float64(overdue)/float64(tasks), 0.01, 0.1)
}

// checkTask checks a task against its events and the inspection that
// closed it.
func checkTask(t *testing.T, tk supervision.Task, events []TaskEvent, inspections map[int64]Inspection, until time.Time) {
	t.Helper()
	if len(events) == 0 || events[0].Action != "push" || !events[0].At.Equal(tk.PushedAt) {
		t.Errorf("task %d: events %+v do not start with its push", tk.ID, events)
		return
	}
	for k, e := range events {
		if !e.At.Before(until) || k > 0 && e.At.Before(events[k-1].At) {
			t.Errorf("task %d: event %d at %s out of order", tk.ID, k, e.At)
		}
	}
	if last := events[len(events)-1]; last.Status != tk.Status {
		t.Errorf("task %d is %s, its last event says %s", tk.ID, tk.Status, last.Status)
	}
	switch tk.Status {
	case supervision.TaskDone:
		if tk.DoneAt == nil {
			t.Errorf("task %d done without a time", tk.ID)
		}
		if tk.Kind.OnSite() && tk.InspectionID != nil {
			in, ok := inspections[*tk.InspectionID]
			if !ok || in.USCC != tk.USCC || !in.At.Equal(*tk.DoneAt) || !slices.Contains(in.TaskIDs, tk.ID) {
				t.Errorf("task %d closed by inspection %d: %+v", tk.ID, *tk.InspectionID, in)
			}
			if !in.Answers(&supervision.Task{Kind: tk.Kind, Items: tk.Items, Status: supervision.TaskReceived}) {
				t.Errorf("inspection %d does not answer task %d", in.ID, tk.ID)
			}
		}
	case supervision.TaskReturned:
		if tk.ReturnedAt == nil || tk.ReturnReason == "" {
			t.Errorf("task %d returned without a time or reason", tk.ID)
		}
	}
}

func TestLeads(t *testing.T) {
	city := loadDemoCity(t)
	tot := cityTotals(city)
	depts := map[string]bool{}
	for _, d := range supervision.DefaultDepartments() {
		depts[d.Code] = true
	}
	coordinated := 0
	next := int64(1)
	for _, c := range city.contents {
		inspections := map[int64]Inspection{}
		for _, in := range c.Inspections {
			inspections[in.ID] = in
		}
		for _, l := range c.Leads {
			if l.ID != next {
				t.Fatalf("lead %d follows %d", l.ID, next-1)
			}
			next++
			in, ok := inspections[*l.InspectionID]
			if !ok || l.USCC != "" && l.USCC != in.USCC || l.FromDepartment != in.GridCode || l.TownCode != c.TownCode {
				t.Errorf("lead %d from inspection %d: %+v", l.ID, *l.InspectionID, l.Lead)
			}
			var status supervision.LeadStatus
			holder := ""
			for k, e := range l.History {
				to := e.Department
				next, h, err := supervision.NextLead(status, e.Action, holder, to)
				if err != nil || next != e.Status || h != e.Department || k > 0 && e.At.Before(l.History[k-1].At) {
					t.Errorf("lead %d step %d %+v after %s: %v", l.ID, k, e, status, err)
				}
				if e.Action == supervision.LeadDecide {
					coordinated++
				}
				status, holder = e.Status, e.Department
			}
			if status != l.Status || holder != l.Department || (holder != "" && !depts[holder]) ||
				!l.UpdatedAt.Equal(l.History[len(l.History)-1].At) || !l.CreatedAt.Equal(l.History[0].At) {
				t.Errorf("lead %d: %s with %q, history ends %s with %q", l.ID, l.Status, l.Department, status, holder)
			}
			if (l.Status == supervision.LeadClosed) != (l.Result != "") {
				t.Errorf("lead %d: %s with result %q", l.ID, l.Status, l.Result)
			}
		}
	}
	between(t, "leads per inspection", float64(tot.Leads)/float64(tot.Inspections), 0.01, 0.03)
	between(t, "share decided by the coordinator", float64(coordinated)/float64(tot.Leads), 0.05, 0.5)
}

func TestRecords(t *testing.T) {
	city := loadDemoCity(t)
	tot := cityTotals(city)
	tickets := map[string]bool{}
	decisions := map[string]bool{}
	industries := map[string]int{}
	reasons := map[supervision.AbnormalReason]int{}
	for _, c := range city.contents {
		ents := map[supervision.USCC]bool{}
		for _, e := range c.Entities {
			ents[e.USCC] = true
		}
		for _, m := range c.Complaints {
			if err := m.Validate(); err != nil {
				t.Errorf("complaint %d: %v", m.ID, err)
			}
			if k := string(m.Source) + m.ExternalID; tickets[k] {
				t.Errorf("complaint %d: ticket %s repeats", m.ID, m.ExternalID)
			} else {
				tickets[k] = true
			}
			if m.USCC != "" && !ents[m.USCC] || m.Link.TownCode != c.TownCode || m.Link.AddressCode == "" || m.Link.Location == nil {
				t.Errorf("complaint %d: %+v", m.ID, m)
			}
			industries[m.Industry]++
		}
		for _, v := range c.Violations {
			if err := v.Validate(); err != nil || !ents[v.USCC] || decisions[v.ExternalID] || v.Authority == "" {
				t.Errorf("violation %d: %+v: %v", v.ID, v, err)
			}
			decisions[v.ExternalID] = true
		}
		open := map[string]bool{}
		for _, a := range c.AbnormalListings {
			if _, err := supervision.ParseAbnormalReason(string(a.Reason)); err != nil || !ents[a.USCC] ||
				!a.ListedAt.Before(DefaultUntil) || a.RemovedAt != nil && a.RemovedAt.Before(a.ListedAt) {
				t.Errorf("abnormal listing %+v: %v", a, err)
			}
			if a.RemovedAt == nil {
				k := string(a.USCC) + string(a.Reason)
				if open[k] {
					t.Errorf("%s is listed twice for %s", a.USCC, a.Reason)
				}
				open[k] = true
			}
			reasons[a.Reason]++
		}
	}
	n := float64(tot.Entities)
	between(t, "complaints per entity and year", float64(tot.Complaints)/n/historyYears, 0.03, 0.08)
	hot := industries["H"] + industries["F"] + industries["O"] + industries["P"]
	between(t, "share of complaints about eateries, shops, services and training", float64(hot)/float64(tot.Complaints), 0.7, 0.95)
	between(t, "violations per entity", float64(tot.Violations)/n, 0.02, 0.04)
	between(t, "abnormal listings per entity", float64(tot.AbnormalListings)/n, 0.03, 0.08)
	if reasons[supervision.AbnormalNoReport] <= tot.AbnormalListings/2 || reasons[supervision.AbnormalUnreachable] == 0 {
		t.Errorf("abnormal listings by reason: %v; want mostly no_annual_report, some unreachable", reasons)
	}
}

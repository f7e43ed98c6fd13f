package demo

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/supervision"
)

// Scale is the size of the generated city.
type Scale string

// The scales: demo loads in seconds; city is Dongguan's size (about a million
// buildings and doorplates, six million rooms, 3,000 grids).
const (
	ScaleDemo Scale = "demo"
	ScaleCity Scale = "city"
)

// ParseScale parses a scale name.
func ParseScale(s string) (Scale, error) {
	switch Scale(s) {
	case ScaleDemo, ScaleCity:
		return Scale(s), nil
	}
	return "", fmt.Errorf("unknown scale %q: want %q or %q", s, ScaleDemo, ScaleCity)
}

// Config says which city to generate. The same Config always gives the same
// city, byte for byte.
type Config struct {
	Scale Scale
	Seed  int64
	// Until is the day the city's history runs up to: entities are
	// registered before it, and inspections, tasks, leads and records fill
	// the two years before it. Only its day in Beijing time counts. It is
	// part of what makes the city: loading "today's" city gives another
	// history tomorrow. Zero means DefaultUntil.
	Until time.Time
	// LibraryOnly leaves out the market entities and their history, for
	// tools that need the address library only. The library is the same.
	LibraryOnly bool
}

// until returns the start of the day of Until in Beijing time, or
// DefaultUntil.
func (c Config) until() time.Time {
	if c.Until.IsZero() {
		return DefaultUntil
	}
	t := c.Until.In(supervision.Beijing)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, supervision.Beijing)
}

// Sink receives the generated city. Divisions is called once, first; then
// Contents once per town, in town-code order. The sink may keep what it is
// handed but must not modify the divisions: the generator reads them while it
// builds the contents.
type Sink interface {
	Divisions(ctx context.Context, d *Divisions) error
	Contents(ctx context.Context, c *TownContents) error
}

// Divisions are the towns, villages and grids of the city, each in code order.
type Divisions struct {
	Towns    []addressbook.Town
	Villages []addressbook.Village
	Grids    []addressbook.Grid
}

// TownContents is the standard address library of one town, its market
// entities with the truth about their registered addresses, and two years
// of their supervision. Building, place, inspection, task, lead, complaint
// and violation IDs are unique across the city, counted from 1 in
// town-code order; a task event names its task, a lead event is part of
// its lead. Entities are not linked: linking them is the service's job,
// which EntityTruth measures.
type TownContents struct {
	TownCode   string
	Roads      []addressbook.Road
	Doorplates []addressbook.Doorplate
	Places     []addressbook.Place
	Buildings  []addressbook.Building
	Rooms      []addressbook.Room

	Entities         []supervision.Entity
	EntityTruth      []EntityTruth // one per entity, in the same order
	Inspections      []Inspection
	Tasks            []supervision.Task
	TaskEvents       []TaskEvent
	Leads            []Lead
	Complaints       []supervision.Complaint
	Violations       []supervision.Violation
	AbnormalListings []supervision.AbnormalListing

	Hosts     []Host      // approved cluster-registration hosts
	FlagTruth []FlagTruth // the entities each kind of flag should concern, by kind and USCC
}

// Totals counts what a city holds.
type Totals struct {
	Towns, Villages, Grids, Roads, Doorplates, Places, Buildings, Rooms int

	Entities, Inspections, Tasks, TaskEvents, Leads, LeadEvents, Complaints, Violations, AbnormalListings int

	Hosts, FlagTruth int
}

// Rows returns the rows a loader writes for the city: one per item counted,
// and the ground truth of each entity.
func (t Totals) Rows() int {
	return t.Towns + t.Villages + t.Grids + t.Roads + t.Doorplates + t.Places + t.Buildings + t.Rooms +
		2*t.Entities + t.Inspections + t.Tasks + t.TaskEvents + t.Leads + t.LeadEvents + t.Complaints +
		t.Violations + t.AbnormalListings + t.Hosts + t.FlagTruth
}

func (t *Totals) addContents(c *TownContents) {
	t.Roads += len(c.Roads)
	t.Doorplates += len(c.Doorplates)
	t.Places += len(c.Places)
	t.Buildings += len(c.Buildings)
	t.Rooms += len(c.Rooms)
	t.Entities += len(c.Entities)
	t.Inspections += len(c.Inspections)
	t.Tasks += len(c.Tasks)
	t.TaskEvents += len(c.TaskEvents)
	t.Leads += len(c.Leads)
	for _, l := range c.Leads {
		t.LeadEvents += len(l.History)
	}
	t.Complaints += len(c.Complaints)
	t.Violations += len(c.Violations)
	t.AbnormalListings += len(c.AbnormalListings)
	t.Hosts += len(c.Hosts)
	t.FlagTruth += len(c.FlagTruth)
}

// Plan returns the totals to expect from Generate(cfg), without generating:
// exact for the divisions, estimates (measured with seed 1, within a few per
// cent for other seeds) for the rest. It returns zero totals for an invalid
// Config.
func Plan(cfg Config) Totals {
	sp, ok := scales[cfg.Scale]
	ref, err := loadReference()
	if !ok || err != nil {
		return Totals{}
	}
	t := sp.expect
	if cfg.LibraryOnly {
		t = Totals{Roads: t.Roads, Doorplates: t.Doorplates, Places: t.Places, Buildings: t.Buildings, Rooms: t.Rooms}
	}
	t.Towns = len(ref.Towns)
	for i, counts := range gridCounts(cfg, ref) {
		t.Villages += len(ref.Towns[i].Villages)
		for _, n := range counts {
			t.Grids += n
		}
	}
	return t
}

// Outline returns the outline of the city in WGS84: the real boundary of
// Dongguan, converted from GCJ-02 and rounded to 1e-7 degrees. Every town
// lies within it.
func Outline() (orb.Polygon, error) {
	ref, err := loadReference()
	if err != nil {
		return nil, err
	}
	return orb.Clone(ref.Outline).(orb.Polygon), nil
}

// Generate builds the city for cfg and hands it to sink: the divisions, then
// the contents town by town. Towns are built concurrently, one or two ahead
// of the town the sink is writing; the sink is called from the calling
// goroutine only. It returns the totals handed over.
//
// The city is built in stages, each drawing random numbers from its own
// stream (see newRand): divisions (towns, villages, grids), then per town the
// street grid, blocks and plots (doorplates, buildings, rooms, places), then
// the market entities and their history. A later stage can be added without
// changing what the earlier ones produce.
func Generate(ctx context.Context, cfg Config, sink Sink) (Totals, error) {
	var totals Totals
	if _, ok := scales[cfg.Scale]; !ok {
		_, err := ParseScale(string(cfg.Scale))
		return totals, fmt.Errorf("demo: %w", err)
	}
	ref, err := loadReference()
	if err != nil {
		return totals, err
	}
	div, towns, err := buildDivisions(ctx, cfg, ref)
	if err != nil {
		return totals, err
	}
	totals.Towns, totals.Villages, totals.Grids = len(div.Towns), len(div.Villages), len(div.Grids)
	if err := ctx.Err(); err != nil {
		return totals, err
	}
	if err := sink.Divisions(ctx, div); err != nil {
		return totals, err
	}

	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		c   *TownContents
		err error
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	results := make([]chan result, len(towns))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	// A token is taken before a town is started and given back when the sink
	// is done with it, so at most workers+1 towns are held in memory.
	tokens := make(chan struct{}, workers+1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var running sync.WaitGroup
		defer running.Wait()
		for i, td := range towns {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			running.Add(1)
			go func() {
				defer running.Done()
				c, err := generateTown(ctx, cfg, td)
				if err == nil && !cfg.LibraryOnly {
					err = addEntities(ctx, cfg, div, i, c)
				}
				results[i] <- result{c, err}
			}()
		}
	}()
	defer func() {
		cancel()
		wg.Wait()
	}()

	var base idBase
	for i := range towns {
		var res result
		select {
		case res = <-results[i]:
		case <-ctx.Done():
			return totals, ctx.Err()
		}
		if res.err != nil {
			return totals, fmt.Errorf("demo: town %s: %w", towns[i].ref.Code, res.err)
		}
		// A town and the cancellation can be ready at once, and select
		// picks either: hand nothing over once cancelled.
		if err := ctx.Err(); err != nil {
			return totals, err
		}
		c := res.c
		renumber(c, &base)
		if err := sink.Contents(ctx, c); err != nil {
			return totals, err
		}
		totals.addContents(c)
		<-tokens
	}
	return totals, nil
}

// idBase holds the IDs the towns before have taken.
type idBase struct {
	building, place, inspection, task, lead, complaint, violation int64
}

// renumber shifts the town-local IDs of c to city-wide ones, and advances
// base past them.
func renumber(c *TownContents, base *idBase) {
	shift := func(id *int64, by int64) {
		if *id != 0 {
			*id += by
		}
	}
	for i := range c.Places {
		c.Places[i].ID += base.place
	}
	for i := range c.Buildings {
		b := &c.Buildings[i]
		b.ID += base.building
		shift(&b.PlaceID, base.place)
	}
	for i := range c.Rooms {
		c.Rooms[i].BuildingID += base.building
	}
	for i := range c.EntityTruth {
		shift(&c.EntityTruth[i].TrueBuildingID, base.building)
	}
	for i := range c.Inspections {
		in := &c.Inspections[i]
		in.ID += base.inspection
		shift(&in.BuildingID, base.building)
		for k := range in.TaskIDs {
			in.TaskIDs[k] += base.task
		}
	}
	for i := range c.Tasks {
		t := &c.Tasks[i]
		t.ID += base.task
		shift(&t.BuildingID, base.building)
		if t.InspectionID != nil {
			*t.InspectionID += base.inspection
		}
	}
	for i := range c.TaskEvents {
		c.TaskEvents[i].TaskID += base.task
	}
	for i := range c.Leads {
		l := &c.Leads[i]
		l.ID += base.lead
		if l.InspectionID != nil {
			*l.InspectionID += base.inspection
		}
	}
	for i := range c.Complaints {
		c.Complaints[i].ID += base.complaint
		shift(&c.Complaints[i].Link.BuildingID, base.building)
	}
	for i := range c.Violations {
		c.Violations[i].ID += base.violation
	}
	base.building += int64(len(c.Buildings))
	base.place += int64(len(c.Places))
	base.inspection += int64(len(c.Inspections))
	base.task += int64(len(c.Tasks))
	base.lead += int64(len(c.Leads))
	base.complaint += int64(len(c.Complaints))
	base.violation += int64(len(c.Violations))
}

// parallel runs fn(0) ... fn(n-1) on GOMAXPROCS goroutines and returns the
// first error. It stops starting new calls once one fails or ctx is done.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					cancel()
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

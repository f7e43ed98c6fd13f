package demo

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
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

// TownContents is the standard address library of one town. Building and
// place IDs are unique across the city, counted from 1 in town-code order.
type TownContents struct {
	TownCode   string
	Roads      []addressbook.Road
	Doorplates []addressbook.Doorplate
	Places     []addressbook.Place
	Buildings  []addressbook.Building
	Rooms      []addressbook.Room
}

// Totals counts what a city holds.
type Totals struct {
	Towns, Villages, Grids, Roads, Doorplates, Places, Buildings, Rooms int
}

func (t *Totals) addContents(c *TownContents) {
	t.Roads += len(c.Roads)
	t.Doorplates += len(c.Doorplates)
	t.Places += len(c.Places)
	t.Buildings += len(c.Buildings)
	t.Rooms += len(c.Rooms)
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
// street grid, blocks and plots (doorplates, buildings, rooms, places). A
// later stage can be added without changing what the earlier ones produce.
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
				results[i] <- result{c, err}
			}()
		}
	}()
	defer func() {
		cancel()
		wg.Wait()
	}()

	var buildingBase, placeBase int64
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
		c := res.c
		renumber(c, buildingBase, placeBase)
		buildingBase += int64(len(c.Buildings))
		placeBase += int64(len(c.Places))
		if err := sink.Contents(ctx, c); err != nil {
			return totals, err
		}
		totals.addContents(c)
		<-tokens
	}
	return totals, nil
}

// renumber shifts the town-local building and place IDs of c to city-wide
// ones.
func renumber(c *TownContents, buildingBase, placeBase int64) {
	for i := range c.Places {
		c.Places[i].ID += placeBase
	}
	for i := range c.Buildings {
		b := &c.Buildings[i]
		b.ID += buildingBase
		if b.PlaceID != 0 {
			b.PlaceID += placeBase
		}
	}
	for i := range c.Rooms {
		c.Rooms[i].BuildingID += buildingBase
	}
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

package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
)

// Empty reports whether the database holds no city yet (no towns).
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var exists bool
	err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM towns)").Scan(&exists)
	return !exists, translate(err, "check for data")
}

// LoadDemo generates the demo city for cfg and bulk-loads it with COPY in one
// transaction, so an interrupted load leaves the database as it was. It
// refuses a database that already holds a city. progress, if not nil, is
// called with the number of rows written after each COPY.
func (db *DB) LoadDemo(ctx context.Context, cfg demo.Config, progress func(rows int)) (demo.Totals, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return demo.Totals{}, translate(err, "begin demo load")
	}
	defer tx.Rollback(ctx)
	// Serialize loaders and check emptiness inside the transaction.
	if _, err := tx.Exec(ctx, "LOCK TABLE towns IN EXCLUSIVE MODE"); err != nil {
		return demo.Totals{}, translate(err, "lock towns")
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM towns)").Scan(&exists); err != nil {
		return demo.Totals{}, translate(err, "check for data")
	}
	if exists {
		return demo.Totals{}, derrors.New(derrors.Conflict,
			"the database already holds a city; load the demo into an empty database")
	}
	// A bulk load is no API query: lift the statement timeout for it.
	if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off; SET LOCAL statement_timeout = 0"); err != nil {
		return demo.Totals{}, translate(err, "set bulk-load settings")
	}
	sink := &copySink{tx: tx, progress: progress}
	totals, err := demo.Generate(ctx, cfg, sink)
	if err != nil {
		return totals, err
	}
	counts, _ := json.Marshal(totals)
	if _, err := tx.Exec(ctx, `INSERT INTO datasets (name, seed, scale, counts) VALUES ('demo', $1, $2, $3)`,
		cfg.Seed, string(cfg.Scale), counts); err != nil {
		return totals, translate(err, "record dataset")
	}
	if err := tx.Commit(ctx); err != nil {
		return totals, translate(err, "commit demo load")
	}
	for _, t := range []string{"towns", "villages", "grids", "roads", "doorplates", "places", "buildings", "rooms"} {
		if _, err := db.pool.Exec(ctx, "ANALYZE "+t); err != nil {
			return totals, translate(err, "analyze "+t)
		}
	}
	return totals, nil
}

// copySink writes what the generator hands it with COPY, table by table.
type copySink struct {
	tx       pgx.Tx
	progress func(rows int)
}

var _ demo.Sink = (*copySink)(nil)

func (s *copySink) Divisions(ctx context.Context, d *demo.Divisions) error {
	towns := make([][]any, len(d.Towns))
	for i, t := range d.Towns {
		g, err := ewkb(t.Geom)
		if err != nil {
			return fmt.Errorf("town %s: %w", t.Code, err)
		}
		towns[i] = []any{t.Code, t.Name, t.Kind, g}
	}
	villages := make([][]any, len(d.Villages))
	for i, v := range d.Villages {
		g, err := ewkb(v.Geom)
		if err != nil {
			return fmt.Errorf("village %s: %w", v.Code, err)
		}
		villages[i] = []any{v.Code, v.TownCode, v.Name, v.Kind, g}
	}
	grids := make([][]any, len(d.Grids))
	for i, r := range d.Grids {
		g, err := ewkb(r.Geom)
		if err != nil {
			return fmt.Errorf("grid %s: %w", r.Code, err)
		}
		grids[i] = []any{r.Code, r.VillageCode, r.TownCode, r.Name, g}
	}
	return s.copyAll(ctx, []copyTable{
		{"towns", []string{"code", "name", "kind", "geom"}, towns},
		{"villages", []string{"code", "town_code", "name", "kind", "geom"}, villages},
		{"grids", []string{"code", "village_code", "town_code", "name", "geom"}, grids},
	})
}

func (s *copySink) Contents(ctx context.Context, c *demo.TownContents) error {
	roads := make([][]any, len(c.Roads))
	for i, r := range c.Roads {
		g, err := ewkb(r.Geom)
		if err != nil {
			return fmt.Errorf("road %s: %w", r.Code, err)
		}
		roads[i] = []any{r.Code, r.TownCode, r.Name, g}
	}
	doorplates := make([][]any, len(c.Doorplates))
	for i, d := range c.Doorplates {
		g, err := ewkb(d.Geom)
		if err != nil {
			return fmt.Errorf("doorplate %s: %w", d.Code, err)
		}
		doorplates[i] = []any{d.Code, d.RoadCode, d.TownCode, d.VillageCode, d.GridCode, d.Number, d.SubNumber, g}
	}
	places := make([][]any, len(c.Places))
	for i, p := range c.Places {
		g, err := ewkb(p.Geom)
		if err != nil {
			return fmt.Errorf("place %d: %w", p.ID, err)
		}
		places[i] = []any{p.ID, p.Name, p.Kind, p.TownCode, p.VillageCode, p.DoorplateCode, g}
	}
	buildings := make([][]any, len(c.Buildings))
	for i, b := range c.Buildings {
		g, err := ewkb(b.Geom)
		if err != nil {
			return fmt.Errorf("building %d: %w", b.ID, err)
		}
		var place *int64
		if b.PlaceID != 0 {
			place = &b.PlaceID
		}
		buildings[i] = []any{b.ID, b.DoorplateCode, place, b.Label, b.Use, b.Floors, b.BasementFloors,
			b.Status, b.TownCode, b.VillageCode, b.GridCode, g}
	}
	rooms := make([][]any, len(c.Rooms))
	for i, r := range c.Rooms {
		rooms[i] = []any{r.Code, r.BuildingID, r.Unit, r.Floor, r.Label}
	}
	return s.copyAll(ctx, []copyTable{
		{"roads", []string{"code", "town_code", "name", "geom"}, roads},
		{"doorplates", []string{"code", "road_code", "town_code", "village_code", "grid_code", "number", "sub_number", "geom"}, doorplates},
		{"places", []string{"id", "name", "kind", "town_code", "village_code", "doorplate_code", "geom"}, places},
		{"buildings", []string{"id", "doorplate_code", "place_id", "label", "use", "floors", "basement_floors",
			"status", "town_code", "village_code", "grid_code", "geom"}, buildings},
		{"rooms", []string{"code", "building_id", "unit", "floor", "label"}, rooms},
	})
}

type copyTable struct {
	name    string
	columns []string
	rows    [][]any
}

func (s *copySink) copyAll(ctx context.Context, tables []copyTable) error {
	for _, t := range tables {
		if len(t.rows) == 0 {
			continue
		}
		n, err := s.tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, pgx.CopyFromRows(t.rows))
		if err != nil {
			return translate(err, "copy "+t.name)
		}
		if s.progress != nil {
			s.progress(int(n))
		}
	}
	return nil
}

func ewkb(g orb.Geometry) ([]byte, error) { return geo.MarshalEWKB(g) }

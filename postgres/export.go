package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/geo"
)

var _ addressbook.Exporter = (*DB)(nil)

// ExportLibrary streams the records of opt.Kind to fn, type by type in load
// order and by code or id within a type, from one snapshot (a repeatable
// read transaction), so a copy of a library being imported into is
// consistent. Rows are scanned one at a time from the server: memory does
// not grow with the library.
func (db *DB) ExportLibrary(ctx context.Context, opt addressbook.ExportOptions, fn func(addressbook.Record) error) error {
	if opt.Kind == "" {
		opt.Kind = addressbook.KindAll
	}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return translate(err, "begin export")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// The client reads as fast as it can; that may take longer than an API query.
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return translate(err, "configure export")
	}
	for _, t := range opt.Kind.Types() {
		if err := exportType(ctx, tx, t, opt, fn); err != nil {
			return err
		}
	}
	return nil
}

// exportQueries select each type; $1 is the town (” for all), $2 whether
// retired rows are included.
var exportQueries = map[addressbook.RecordType]string{
	addressbook.TypeRoad: `SELECT code, town_code, name, geom FROM roads
		WHERE ($1 = '' OR town_code = $1) AND $2::boolean IS NOT NULL ORDER BY code`,
	addressbook.TypeDoorplate: `SELECT code, road_code, town_code, village_code, grid_code, number, sub_number, geom,
		version, retired_at, coalesce(successor_code, '') FROM doorplates
		WHERE ($1 = '' OR town_code = $1) AND ($2 OR retired_at IS NULL) ORDER BY code`,
	addressbook.TypePlace: `SELECT id, name, kind, town_code, village_code, doorplate_code, geom FROM places
		WHERE ($1 = '' OR town_code = $1) AND $2::boolean IS NOT NULL ORDER BY id`,
	addressbook.TypeBuilding: `SELECT id, doorplate_code, coalesce(place_id, 0), label, use, floors, basement_floors, status,
		town_code, village_code, grid_code, geom FROM buildings
		WHERE ($1 = '' OR town_code = $1) AND $2::boolean IS NOT NULL ORDER BY id`,
	// A room's town is its building's; its code starts with it too.
	addressbook.TypeRoom: `SELECT code, building_id, unit, floor, label, version, retired_at, coalesce(successor_code, '') FROM rooms
		WHERE ($1 = '' OR building_id IN (SELECT id FROM buildings WHERE town_code = $1)) AND ($2 OR retired_at IS NULL)
		ORDER BY code`,
}

func exportType(ctx context.Context, tx pgx.Tx, t addressbook.RecordType, opt addressbook.ExportOptions, fn func(addressbook.Record) error) error {
	rows, err := tx.Query(ctx, exportQueries[t], opt.TownCode, opt.IncludeRetired)
	if err != nil {
		return translate(err, "export "+string(t)+"s")
	}
	defer rows.Close()
	var g []byte
	var floors, basement, floor int16
	var retiredAt *time.Time
	for rows.Next() {
		rec := addressbook.Record{Type: t}
		var geom orb.Geometry
		switch t {
		case addressbook.TypeRoad:
			r := &rec.Road
			err = rows.Scan(&r.Code, &r.TownCode, &r.Name, &g)
			if err == nil {
				geom, err = geo.UnmarshalEWKB(g)
				r.Geom, _ = geom.(orb.MultiLineString)
			}
		case addressbook.TypeDoorplate:
			d := &rec.Doorplate
			err = rows.Scan(&d.Code, &d.RoadCode, &d.TownCode, &d.VillageCode, &d.GridCode, &d.Number, &d.SubNumber, &g,
				&d.Version, &retiredAt, &d.SuccessorCode)
			d.RetiredAt = retiredAt
			if err == nil {
				geom, err = geo.UnmarshalEWKB(g)
				d.Geom, _ = geom.(orb.Point)
			}
		case addressbook.TypePlace:
			p := &rec.Place
			err = rows.Scan(&p.ID, &p.Name, &p.Kind, &p.TownCode, &p.VillageCode, &p.DoorplateCode, &g)
			if err == nil {
				geom, err = geo.UnmarshalEWKB(g)
				p.Geom, _ = geom.(orb.Point)
			}
		case addressbook.TypeBuilding:
			b := &rec.Building
			err = rows.Scan(&b.ID, &b.DoorplateCode, &b.PlaceID, &b.Label, &b.Use, &floors, &basement, &b.Status,
				&b.TownCode, &b.VillageCode, &b.GridCode, &g)
			b.Floors, b.BasementFloors = int(floors), int(basement)
			if err == nil {
				geom, err = geo.UnmarshalEWKB(g)
				b.Geom, _ = geom.(orb.Polygon)
			}
		case addressbook.TypeRoom:
			r := &rec.Room
			err = rows.Scan(&r.Code, &r.BuildingID, &r.Unit, &floor, &r.Label, &r.Version, &retiredAt, &r.SuccessorCode)
			r.Floor, r.RetiredAt = int(floor), retiredAt
		}
		if err != nil {
			return translate(err, "export "+string(t)+"s")
		}
		retiredAt = nil
		if err := fn(rec); err != nil {
			return fmt.Errorf("export %s %s: %w", t, rec.Key(), err)
		}
	}
	return translate(rows.Err(), "export "+string(t)+"s")
}

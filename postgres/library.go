package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
)

var _ addressbook.Library = (*DB)(nil)

// Divisions lists the towns, villages or grids (optionally of one town) in
// code order.
func (db *DB) Divisions(ctx context.Context, f addressbook.DivisionFilter) ([]addressbook.Division, error) {
	var q string
	switch f.Level {
	case addressbook.LevelTown:
		q = `SELECT code, name, kind, '' AS town_code, '' AS village_code, geom
		     FROM towns WHERE ($1 = '' OR code = $1) ORDER BY code`
	case addressbook.LevelVillage:
		q = `SELECT code, name, kind, town_code, '' AS village_code, geom
		     FROM villages WHERE ($1 = '' OR town_code = $1) ORDER BY code`
	case addressbook.LevelGrid:
		q = `SELECT code, name, '' AS kind, town_code, village_code, geom
		     FROM grids WHERE ($1 = '' OR town_code = $1) ORDER BY code`
	default:
		return nil, derrors.Field("level", "must be town, village or grid, not %q", f.Level)
	}
	rows, err := db.pool.Query(ctx, q, f.TownCode)
	if err != nil {
		return nil, translate(err, "list divisions")
	}
	defer rows.Close()
	var out []addressbook.Division
	for rows.Next() {
		d := addressbook.Division{Level: f.Level}
		var g []byte
		if err := rows.Scan(&d.Code, &d.Name, &d.Kind, &d.TownCode, &d.VillageCode, &g); err != nil {
			return nil, translate(err, "scan division")
		}
		if d.Geom, err = multiPolygon(g); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, translate(rows.Err(), "list divisions")
}

// Town returns one town with the number of villages, grids and buildings in it.
func (db *DB) Town(ctx context.Context, code string) (addressbook.TownDetail, error) {
	var t addressbook.TownDetail
	var g []byte
	err := db.pool.QueryRow(ctx, `
		SELECT t.code, t.name, t.kind, t.geom,
		       (SELECT count(*) FROM villages v WHERE v.town_code = t.code),
		       (SELECT count(*) FROM grids r WHERE r.town_code = t.code),
		       (SELECT count(*) FROM buildings b WHERE b.town_code = t.code)
		FROM towns t WHERE t.code = $1`, code).
		Scan(&t.Code, &t.Name, &t.Kind, &g, &t.Villages, &t.Grids, &t.Buildings)
	if err != nil {
		return t, notFound(err, "town", code)
	}
	t.Geom, err = multiPolygon(g)
	return t, err
}

// Grid returns one grid with its village and town names.
func (db *DB) Grid(ctx context.Context, code string) (addressbook.GridDetail, error) {
	var d addressbook.GridDetail
	var g []byte
	err := db.pool.QueryRow(ctx, `
		SELECT r.code, r.name, r.village_code, r.town_code, r.geom, v.name, t.name,
		       (SELECT count(*) FROM buildings b WHERE b.grid_code = r.code)
		FROM grids r
		JOIN villages v ON v.code = r.village_code
		JOIN towns t ON t.code = r.town_code
		WHERE r.code = $1`, code).
		Scan(&d.Code, &d.Name, &d.VillageCode, &d.TownCode, &g, &d.VillageName, &d.TownName, &d.Buildings)
	if err != nil {
		return d, notFound(err, "grid", code)
	}
	d.Geom, err = multiPolygon(g)
	return d, err
}

// Building returns one building with its doorplate, place and divisions.
func (db *DB) Building(ctx context.Context, id int64) (addressbook.BuildingDetail, error) {
	var b addressbook.BuildingDetail
	var g []byte
	var placeID *int64
	var placeName *string
	err := db.pool.QueryRow(ctx, `
		SELECT b.id, b.doorplate_code, b.place_id, b.label, b.use, b.floors, b.basement_floors,
		       b.status, b.town_code, b.village_code, b.grid_code, b.geom,
		       r.name, d.number, d.sub_number, p.name, v.name, t.name,
		       (SELECT count(*) FROM rooms m WHERE m.building_id = b.id AND m.retired_at IS NULL)
		FROM buildings b
		JOIN doorplates d ON d.code = b.doorplate_code
		JOIN roads r ON r.code = d.road_code
		JOIN villages v ON v.code = b.village_code
		JOIN towns t ON t.code = b.town_code
		LEFT JOIN places p ON p.id = b.place_id
		WHERE b.id = $1`, id).
		Scan(&b.ID, &b.DoorplateCode, &placeID, &b.Label, &b.Use, &b.Floors, &b.BasementFloors,
			&b.Status, &b.TownCode, &b.VillageCode, &b.GridCode, &g,
			&b.RoadName, &b.Number, &b.SubNumber, &placeName, &b.VillageName, &b.TownName, &b.Rooms)
	if err != nil {
		return b, notFound(err, "building", fmt.Sprint(id))
	}
	if placeID != nil {
		b.PlaceID = *placeID
	}
	if placeName != nil {
		b.PlaceName = *placeName
	}
	geom, err := geo.UnmarshalEWKB(g)
	if err != nil {
		return b, err
	}
	poly, ok := geom.(orb.Polygon)
	if !ok {
		return b, fmt.Errorf("postgres: building %d: geometry is %T, want polygon", id, geom)
	}
	b.Geom = poly
	return b, nil
}

// notFound translates err, naming the missing thing when there was no row.
func notFound(err error, what, key string) error {
	if err == pgx.ErrNoRows {
		return derrors.New(derrors.NotFound, "%s %s does not exist", what, key)
	}
	return translate(err, "get "+what)
}

func multiPolygon(ewkb []byte) (orb.MultiPolygon, error) {
	g, err := geo.UnmarshalEWKB(ewkb)
	if err != nil {
		return nil, err
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("postgres: geometry is %T, want multipolygon", g)
}

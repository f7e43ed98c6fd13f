package postgres

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

// tileLayerSQL is the query of one layer of one tile; tileSources fill in
// its table-specific parts.
//
//go:embed tile_layer.sql
var tileLayerSQL string

// tileSource is where a table layer's features come from: the tables
// (alias and joins), the geometry column, extra conditions, the column of
// a row's town, and one SQL expression per field of the layer in the
// catalogue.
type tileSource struct {
	from  string
	geom  string
	where string // "AND …", or empty
	// town is the column of the row's town, for the layers a town-scoped
	// reader sees its town's part of (tiles.Layer.Scoped); empty for the
	// map's layers, which every reader sees whole.
	town       string
	attributes map[string]string // field name → expression
	// late are the fields computed after the cap, from the kept row k
	// (expressions with look-ups, which the candidates cut by the cap
	// would pay for in vain).
	late map[string]string
	rank string // the order of points under the cap; lines and polygons go by size
}

// tileSources are the table layers. Their fields are the catalogue's
// (tiles.TableLayers); a test keeps the two in step.
var tileSources = map[string]tileSource{
	"towns": {from: "towns t", geom: "t.geom",
		attributes: map[string]string{"code": "t.code", "name": "t.name", "kind": "t.kind"}},
	"villages": {from: "villages v", geom: "v.geom",
		attributes: map[string]string{"code": "v.code", "town_code": "v.town_code", "name": "v.name", "kind": "v.kind"}},
	"grids": {from: "grids g", geom: "g.geom",
		attributes: map[string]string{"code": "g.code", "village_code": "g.village_code", "town_code": "g.town_code", "name": "g.name"}},
	"roads": {from: "roads r", geom: "r.geom",
		attributes: map[string]string{"code": "r.code", "town_code": "r.town_code", "name": "r.name"}},
	"buildings": {from: "buildings b", geom: "b.geom",
		attributes: map[string]string{"id": "b.id", "label": "b.label", "use": "b.use", "floors": "b.floors::int",
			"status": "b.status", "doorplate_code": "b.doorplate_code", "grid_code": "b.grid_code"}},
	"doorplates": {from: "doorplates d JOIN roads r ON r.code = d.road_code", geom: "d.geom",
		where: "AND d.retired_at IS NULL",
		attributes: map[string]string{"code": "d.code", "road_code": "d.road_code", "number": "d.number", "sub_number": "d.sub_number",
			"label": "r.name || d.number || '号' || CASE WHEN d.sub_number > 0 THEN '之' || d.sub_number ELSE '' END"},
		rank: "code"},
	// Under the cap, the blind spots first: never inspected, then the
	// longest since. An entity's open flags (about it or naming it among
	// others) are counted by a trigger (entity_open_flags, migration
	// 00011), looked up for the kept entities only.
	"entities": {from: "entities e", geom: "e.location", town: "e.town_code",
		attributes: map[string]string{"uscc": "e.uscc", "status": "e.status", "kind": "e.kind",
			"industry":          "NULLIF(e.industry, '')",
			"last_inspected_at": "extract(epoch FROM e.last_inspected_at)::bigint"},
		late: map[string]string{"open_flags": `coalesce((SELECT n FROM entity_open_flags c WHERE c.uscc = k.uscc), 0)`},
		rank: "last_inspected_at ASC NULLS FIRST, uscc"},
	// The current flags: open and confirmed (flags_current_location_idx);
	// dismissed and resolved ones are history, in the API.
	"flags": {from: "flags f", geom: "f.location", town: "f.town_code", where: "AND f.status IN ('open', 'confirmed')",
		attributes: map[string]string{"id": "f.id", "kind": "f.kind", "status": "f.status", "score": "f.score", "title": "f.title"},
		rank:       "(status = 'open') DESC, score DESC, id"},
}

// tileQueries are the queries of the table layers, built once: the whole
// city's, and for the Scoped layers the town's (townTileQueries), which
// takes the town as $7.
var tileQueries, townTileQueries = func() (city, town map[string]string) {
	city, town = map[string]string{}, map[string]string{}
	for _, l := range tiles.TableLayers() {
		src, ok := tileSources[l.Name]
		if !ok {
			panic("postgres: no tile source for table layer " + l.Name)
		}
		q, err := src.query(l, false)
		if err != nil {
			panic("postgres: tile layer " + l.Name + ": " + err.Error())
		}
		city[l.Name] = q
		if l.Scoped {
			if town[l.Name], err = src.query(l, true); err != nil {
				panic("postgres: tile layer " + l.Name + ": " + err.Error())
			}
		}
	}
	return city, town
}()

// query returns the tile query of layer l from s: of a town's view
// (narrowed to the town given as $7) when ofTown.
func (s tileSource) query(l tiles.Layer, ofTown bool) (string, error) {
	if l.Scoped != (s.town != "") {
		return "", fmt.Errorf("scoped %v, but town column %q", l.Scoped, s.town)
	}
	scope := ""
	if ofTown {
		if s.town == "" {
			return "", fmt.Errorf("no town column for a town's view")
		}
		scope = "AND " + s.town + " = $7"
	}
	if len(s.attributes)+len(s.late) != len(l.Fields) {
		return "", fmt.Errorf("%d attributes for %d fields", len(s.attributes)+len(s.late), len(l.Fields))
	}
	var attrs, late, names []string
	for _, f := range l.Fields {
		id := pgx.Identifier{f.Name}.Sanitize()
		names = append(names, id)
		if expr, ok := s.attributes[f.Name]; ok {
			attrs = append(attrs, expr+" AS "+id)
		} else if expr, ok := s.late[f.Name]; ok {
			late = append(late, ", "+expr+" AS "+id)
		} else {
			return "", fmt.Errorf("no attribute for field %s", f.Name)
		}
	}
	measure, generalize, keep, rank := "", "ST_Transform(g, 3857)", "true", s.rank
	switch l.Geometry {
	case tiles.Polygon:
		measure, keep, rank = ", ST_Area("+s.geom+") * tile.k AS size", "size >= tile.px * tile.px", "size DESC"
		generalize = "ST_Simplify(ST_ClipByBox2D(ST_Transform(g, 3857), tile.clip), tile.px, true)"
	case tiles.Line:
		measure, keep, rank = ", ST_Length(ST_Transform("+s.geom+", 3857)) AS size", "size >= tile.px", "size DESC"
		generalize = "ST_Simplify(ST_ClipByBox2D(ST_Transform(g, 3857), tile.clip), tile.px, true)"
	}
	if rank == "" {
		return "", fmt.Errorf("no rank for %s layer", l.Geometry)
	}
	return strings.NewReplacer(
		"{{attributes}}", strings.Join(attrs, ", "),
		"{{late}}", strings.Join(late, ""),
		"{{measure}}", measure,
		"{{names}}", strings.Join(names, ", "),
		"{{geom}}", s.geom,
		"{{from}}", s.from,
		"{{where}}", s.where,
		"{{scope}}", scope,
		"{{generalize}}", generalize,
		"{{keep}}", keep,
		"{{rank}}", rank,
	).Replace(tileLayerSQL), nil
}

// BuildTile returns the MVT of the table layers at t: one query per layer,
// sent together in one round trip, the blobs concatenated in order. In a
// town's scope, the Scoped layers (entities, flags) hold that town's rows
// only; the others are the whole city's. The context cancels the queries
// when the client hangs up.
func (db *DB) BuildTile(ctx context.Context, t tiles.Tile, layers []tiles.Layer, _ supervision.CoverageFilter, s tiles.Scope) ([]byte, error) {
	var batch pgx.Batch
	for _, l := range layers {
		q, ok := tileQueries[l.Name]
		if !ok {
			return nil, fmt.Errorf("postgres: %s is not a table layer", l.Name)
		}
		args := []any{int(t.Z), int(t.X), int(t.Y), t.Pixel(), l.Cap(int(t.Z)), l.Name}
		if l.Scoped && s != tiles.WholeCity {
			if q, ok = townTileQueries[l.Name]; !ok {
				return nil, fmt.Errorf("postgres: no town's view of tile layer %s", l.Name)
			}
			args = append(args, s.Town())
		}
		batch.Queue(q, args...)
	}
	br := db.pool.SendBatch(ctx, &batch)
	defer br.Close()
	var out []byte
	for _, l := range layers {
		var blob []byte
		if err := br.QueryRow().Scan(&blob); err != nil {
			return nil, translate(err, "tile "+l.Name+" "+t.String())
		}
		out = append(out, blob...)
	}
	return out, translate(br.Close(), "tile "+t.String())
}

var _ tiles.Builder = (*DB)(nil)

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
// (alias and joins), the geometry column, extra conditions, and one SQL
// expression per field of the layer in the catalogue.
type tileSource struct {
	from       string
	geom       string
	where      string            // "AND …", or empty
	attributes map[string]string // field name → expression
	rank       string            // the order of points under the cap; lines and polygons go by size
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
	// An entity's open flags are those about it (uscc) and those that
	// concern it among others (usccs); each side has its index
	// (flags_uscc_idx, the GIN flags_usccs_idx), hence the two counts'
	// union rather than an OR.
	"entities": {from: "entities e", geom: "e.location",
		attributes: map[string]string{"uscc": "e.uscc", "status": "e.status", "kind": "e.kind",
			"industry": "NULLIF(e.industry, '')",
			"open_flags": `(SELECT count(*)::int FROM (
				SELECT id FROM flags f WHERE f.uscc = e.uscc AND f.status = 'open'
				UNION SELECT id FROM flags f WHERE f.usccs @> ARRAY[e.uscc] AND f.status = 'open') o)`,
			"last_inspected_at": "extract(epoch FROM e.last_inspected_at)::bigint"},
		rank: "open_flags DESC, uscc"},
	"flags": {from: "flags f", geom: "f.location",
		attributes: map[string]string{"id": "f.id", "kind": "f.kind", "status": "f.status", "score": "f.score", "title": "f.title"},
		rank:       "(status = 'open') DESC, score DESC, id"},
}

// tileQueries are the queries of the table layers, built once.
var tileQueries = func() map[string]string {
	out := map[string]string{}
	for _, l := range tiles.TableLayers() {
		src, ok := tileSources[l.Name]
		if !ok {
			panic("postgres: no tile source for table layer " + l.Name)
		}
		q, err := src.query(l)
		if err != nil {
			panic("postgres: tile layer " + l.Name + ": " + err.Error())
		}
		out[l.Name] = q
	}
	return out
}()

// query returns the tile query of layer l from s.
func (s tileSource) query(l tiles.Layer) (string, error) {
	if len(s.attributes) != len(l.Fields) {
		return "", fmt.Errorf("%d attributes for %d fields", len(s.attributes), len(l.Fields))
	}
	var attrs, names []string
	for _, f := range l.Fields {
		expr, ok := s.attributes[f.Name]
		if !ok {
			return "", fmt.Errorf("no attribute for field %s", f.Name)
		}
		id := pgx.Identifier{f.Name}.Sanitize()
		attrs = append(attrs, expr+" AS "+id)
		names = append(names, id)
	}
	generalize, keep, rank := "merc", "true", s.rank
	switch l.Geometry {
	case tiles.Polygon:
		generalize, keep, rank = "ST_SimplifyPreserveTopology(merc, tile.px)", "ST_Area(merc) >= tile.px * tile.px", "ST_Area(merc) DESC"
	case tiles.Line:
		generalize, keep, rank = "ST_SimplifyPreserveTopology(merc, tile.px)", "ST_Length(merc) >= tile.px", "ST_Length(merc) DESC"
	}
	if rank == "" {
		return "", fmt.Errorf("no rank for %s layer", l.Geometry)
	}
	return strings.NewReplacer(
		"{{attributes}}", strings.Join(attrs, ", "),
		"{{names}}", strings.Join(names, ", "),
		"{{geom}}", s.geom,
		"{{from}}", s.from,
		"{{where}}", s.where,
		"{{generalize}}", generalize,
		"{{keep}}", keep,
		"{{rank}}", rank,
	).Replace(tileLayerSQL), nil
}

// BuildTile returns the MVT of the table layers at t: one query per layer,
// sent together in one round trip, the blobs concatenated in order. The
// context cancels the queries when the client hangs up.
func (db *DB) BuildTile(ctx context.Context, t tiles.Tile, layers []tiles.Layer, _ supervision.CoverageFilter) ([]byte, error) {
	var batch pgx.Batch
	for _, l := range layers {
		q, ok := tileQueries[l.Name]
		if !ok {
			return nil, fmt.Errorf("postgres: %s is not a table layer", l.Name)
		}
		batch.Queue(q, int(t.Z), int(t.X), int(t.Y), t.Pixel(), l.MaxFeatures, l.Name)
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

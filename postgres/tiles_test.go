package postgres_test

import (
	"context"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/project"

	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
	"github.com/gridsentry/gridsentry/tiles/tilestest"
)

// tileBuilding is a demo building that lies wholly inside one z16 tile.
type tileBuilding struct {
	id   int64
	geom orb.Polygon // EPSG:3857
	tile tiles.Tile
}

// findTileBuilding returns the first existing building (by id) where an
// entity truly is, that lies inside the z16 tile of its centroid, away
// from the edges.
func findTileBuilding(t *testing.T, db *postgres.DB) tileBuilding {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(),
		`SELECT id, ST_AsText(geom) FROM buildings
		WHERE status = 'existing' AND id IN (SELECT true_building_id FROM demo_entity_truth WHERE exists)
		ORDER BY id LIMIT 200`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b tileBuilding
		var text string
		if err := rows.Scan(&b.id, &text); err != nil {
			t.Fatal(err)
		}
		g, err := wkt.Unmarshal(text)
		if err != nil {
			t.Fatal(err)
		}
		ll := g.(orb.Polygon)
		c, _ := planar.CentroidArea(ll)
		mt := maptile.At(c, 16)
		b.tile, err = tiles.NewTile(16, int(mt.X), int(mt.Y))
		if err != nil {
			t.Fatal(err)
		}
		b.geom = project.Polygon(ll.Clone(), project.WGS84.ToMercator)
		inner := b.tile.MercatorBound().Pad(-b.tile.Pixel() * 8)
		if inner.Contains(b.geom.Bound().Min) && inner.Contains(b.geom.Bound().Max) {
			return b
		}
	}
	t.Fatal("no demo building lies inside a z16 tile")
	return tileBuilding{}
}

// placeEntities puts the demo entities whose true building is in tile at
// that building, as the linker would (the demo template is not linked),
// and raises two open flags there: one about an entity, one that names
// another among several (usccs).
func placeEntities(t *testing.T, db *postgres.DB, tile tiles.Tile) {
	t.Helper()
	ctx := context.Background()
	tag, err := db.Pool().Exec(ctx, `
		UPDATE entities e SET location = ST_PointOnSurface(b.geom), building_id = b.id, h3_11 = 0
		FROM demo_entity_truth tr JOIN buildings b ON b.id = tr.true_building_id
		WHERE tr.uscc = e.uscc AND tr.exists
		  AND b.geom && ST_Transform(ST_TileEnvelope($1, $2, $3), 4326)`, int(tile.Z), int(tile.X), int(tile.Y))
	if err != nil || tag.RowsAffected() < 2 {
		t.Fatalf("place entities in %s: %d placed, %v", tile, tag.RowsAffected(), err)
	}
	_, err = db.Pool().Exec(ctx, `
		WITH two AS (SELECT uscc, location, row_number() OVER (ORDER BY uscc) AS n
			FROM entities WHERE location IS NOT NULL
			  AND location && ST_Transform(ST_TileEnvelope($1, $2, $3), 4326) ORDER BY uscc LIMIT 2)
		INSERT INTO flags (kind, subject, uscc, usccs, location, score, title, evidence, fingerprint, status,
			raised_at, opened_at, updated_at)
		SELECT CASE n WHEN 1 THEN 'test_about' ELSE 'test_among' END, 'entity:' || uscc, CASE n WHEN 1 THEN uscc END, ARRAY[uscc], location, 50 + n,
			'test flag', '{}', 'f', 'open', now(), now(), now()
		FROM two`, int(tile.Z), int(tile.X), int(tile.Y))
	if err != nil {
		t.Fatalf("raise flags: %v", err)
	}
}

func layers(t *testing.T, names string) []tiles.Layer {
	t.Helper()
	ls, err := tiles.DefaultCatalogue().Lookup(names)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestTileBuildingAtItsPixel: a known building is in its z16 tile, read
// back by GDAL, with its attributes and at the right pixel: the centroid
// of the decoded footprint is within a pixel (16 of 4096 units) of the
// stored one's, and every decoded vertex within a pixel of the footprint.
func TestTileBuildingAtItsPixel(t *testing.T) {
	db := pgtest.Demo(t)
	b := findTileBuilding(t, db)
	blob, err := db.BuildTile(context.Background(), b.tile, layers(t, "buildings"), supervision.CoverageFilter{}, tiles.WholeCity)
	if err != nil {
		t.Fatal(err)
	}
	decoded := tilestest.Decode(t, b.tile, blob)
	var found *tilestest.Feature
	for i, f := range decoded["buildings"] {
		if f.Attrs["id"] == strconv.FormatInt(b.id, 10) {
			found = &decoded["buildings"][i]
		}
	}
	if found == nil {
		t.Fatalf("building %d is not in tile %s (%d buildings decoded)", b.id, b.tile, len(decoded["buildings"]))
	}
	for _, name := range []string{"label", "use", "floors", "status", "doorplate_code", "grid_code"} {
		if found.Attrs[name] == "" {
			t.Errorf("building %d lacks %s: %v", b.id, name, found.Attrs)
		}
	}
	got, ok := found.Geom.(orb.Polygon)
	if !ok {
		t.Fatalf("building %d decodes as %T", b.id, found.Geom)
	}
	px := b.tile.Pixel()
	wantC, _ := planar.CentroidArea(b.geom)
	gotC, _ := planar.CentroidArea(got)
	if d := planar.Distance(wantC, gotC); d > px {
		t.Errorf("centroid at pixel %v, want %v (%.2f m apart, a pixel is %.2f m)",
			b.tile.PixelOf(gotC), b.tile.PixelOf(wantC), d, px)
	}
	for _, p := range got[0] {
		if d := planar.DistanceFrom(b.geom[0], p); d > px {
			t.Errorf("decoded vertex %v is %.2f m from the footprint", b.tile.PixelOf(p), d)
		}
	}
}

// TestTileCompositeAndFields: the composite tile of every table layer
// decodes with each layer that has features there, and every attribute
// of every feature is a field of its layer in the catalogue.
func TestTileCompositeAndFields(t *testing.T) {
	db := pgtest.Demo(t)
	b := findTileBuilding(t, db)
	// A z14 tile, where every table layer but doorplates is drawn.
	parent, _ := tiles.NewTile(14, int(b.tile.X/4), int(b.tile.Y/4))
	all := layers(t, "towns,villages,grids,roads,buildings,doorplates,entities,flags")
	at14 := tiles.AtZoom(all, 14)
	placeEntities(t, db, parent)
	blob, err := db.BuildTile(context.Background(), parent, at14, supervision.CoverageFilter{}, tiles.WholeCity)
	if err != nil {
		t.Fatal(err)
	}
	if len(blob) > 500<<10 {
		t.Errorf("tile %s is %d bytes, over 500 KB", parent, len(blob))
	}
	decoded := tilestest.Decode(t, parent, blob)
	for _, l := range at14 {
		fields := map[string]bool{}
		for _, f := range l.Fields {
			fields[f.Name] = true
		}
		if len(decoded[l.Name]) == 0 {
			t.Errorf("layer %s has no features in %s", l.Name, parent)
		}
		for _, f := range decoded[l.Name] {
			for name := range f.Attrs {
				if !fields[name] {
					t.Errorf("%s feature has attribute %s, not a field of the layer", l.Name, name)
				}
			}
		}
	}
	flagged, inspected := 0, 0
	for _, f := range decoded["entities"] {
		if n, _ := strconv.Atoi(f.Attrs["open_flags"]); n > 0 {
			flagged++
		}
		if s, _ := strconv.ParseInt(f.Attrs["last_inspected_at"], 10, 64); s > 1e9 {
			inspected++
		}
	}
	if flagged != 2 || inspected == 0 {
		t.Errorf("of %d entities, %d have open flags and %d a last inspection: want 2 and some",
			len(decoded["entities"]), flagged, inspected)
	}
	t.Logf("tile %s: %d bytes; features: towns %d, villages %d, grids %d, roads %d, buildings %d, entities %d, flags %d",
		parent, len(blob), len(decoded["towns"]), len(decoded["villages"]), len(decoded["grids"]), len(decoded["roads"]),
		len(decoded["buildings"]), len(decoded["entities"]), len(decoded["flags"]))
}

// TestTileFeatureCap: over its cap a layer keeps the largest polygons.
func TestTileFeatureCap(t *testing.T) {
	db := pgtest.Demo(t)
	b := findTileBuilding(t, db)
	l := layers(t, "buildings")
	full, err := db.BuildTile(context.Background(), b.tile, l, supervision.CoverageFilter{}, tiles.WholeCity)
	if err != nil {
		t.Fatal(err)
	}
	all := tilestest.Decode(t, b.tile, full)["buildings"]
	if len(all) < 4 {
		t.Skipf("only %d buildings in %s", len(all), b.tile)
	}
	l[0].MaxFeatures = 3
	capped, err := db.BuildTile(context.Background(), b.tile, l, supervision.CoverageFilter{}, tiles.WholeCity)
	if err != nil {
		t.Fatal(err)
	}
	kept := tilestest.Decode(t, b.tile, capped)["buildings"]
	if len(kept) != 3 {
		t.Fatalf("%d buildings kept under a cap of 3", len(kept))
	}
	// The three largest footprints of the full tile, by their whole area
	// (the decoded ones are clipped to the tile and its buffer).
	var ids []int64
	for _, f := range all {
		id, _ := strconv.ParseInt(f.Attrs["id"], 10, 64)
		ids = append(ids, id)
	}
	rows, err := db.Pool().Query(context.Background(), `SELECT id::text FROM buildings WHERE id = ANY($1)
		ORDER BY ST_Area(ST_Transform(geom, 3857)) DESC LIMIT 3`, ids)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range kept {
		got = append(got, f.Attrs["id"])
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept buildings are not the largest three (-want +got):\n%s", diff)
	}
}

// TestTileEmptyAndCancelled: a tile far from the city is empty (a valid,
// zero-layer MVT), and a cancelled context stops the query.
func TestTileEmptyAndCancelled(t *testing.T) {
	db := pgtest.Demo(t)
	far, _ := tiles.NewTile(14, 0, 0)
	blob, err := db.BuildTile(context.Background(), far, layers(t, "buildings,entities"), supervision.CoverageFilter{}, tiles.WholeCity)
	if err != nil || len(blob) != 0 {
		t.Errorf("far tile: %d bytes, %v; want 0 bytes", len(blob), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.BuildTile(ctx, far, layers(t, "buildings"), supervision.CoverageFilter{}, tiles.WholeCity); err == nil {
		t.Error("no error with a cancelled context")
	}
}

// TestTileTownScope: in a town's scope a tile's entities and flags are
// that town's only, and its map layers (grids, buildings) the whole
// city's, byte for byte.
func TestTileTownScope(t *testing.T) {
	db := pgtest.Demo(t)
	ctx := context.Background()
	b := findTileBuilding(t, db)
	tile, _ := tiles.NewTile(14, int(b.tile.X/4), int(b.tile.Y/4))
	placeEntities(t, db, tile)
	// Every other entity of the tile (by USCC) in town A, the rest in B;
	// a flag in its entity's town.
	const townA, townB = "441900003", "441900004"
	if _, err := db.Pool().Exec(ctx, `
		WITH placed AS (SELECT uscc, row_number() OVER (ORDER BY uscc) AS n FROM entities
			WHERE location && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 0.1), 4326))
		UPDATE entities e SET town_code = CASE WHEN p.n % 2 = 1 THEN $4 ELSE $5 END
		FROM placed p WHERE p.uscc = e.uscc`, int(tile.Z), int(tile.X), int(tile.Y), townA, townB); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE flags f SET town_code = e.town_code
		FROM entities e WHERE f.kind LIKE 'test_%' AND e.uscc = f.usccs[1]`); err != nil {
		t.Fatal(err)
	}
	ls := layers(t, "grids,buildings,entities,flags")
	build := func(s tiles.Scope) map[string][]tilestest.Feature {
		blob, err := db.BuildTile(ctx, tile, ls, supervision.CoverageFilter{}, s)
		if err != nil {
			t.Fatal(err)
		}
		return tilestest.Decode(t, tile, blob)
	}
	city, a := build(tiles.WholeCity), build(tiles.Scope(townA))

	townOf := map[string]string{} // "entities uscc" or "flags id" → town
	for _, q := range []string{`SELECT 'entities ' || uscc, coalesce(town_code, '') FROM entities WHERE location IS NOT NULL`,
		`SELECT 'flags ' || id, coalesce(town_code, '') FROM flags WHERE location IS NOT NULL`} {
		rows, err := db.Pool().Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k, town string
			if err := rows.Scan(&k, &town); err != nil {
				t.Fatal(err)
			}
			townOf[k] = town
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for layer, id := range map[string]string{"entities": "uscc", "flags": "id"} {
		var want, got, others []string
		for _, f := range city[layer] {
			if townOf[layer+" "+f.Attrs[id]] == townA {
				want = append(want, f.Attrs[id])
			} else {
				others = append(others, f.Attrs[id])
			}
		}
		for _, f := range a[layer] {
			got = append(got, f.Attrs[id])
		}
		if len(want) == 0 || len(others) == 0 {
			t.Fatalf("%s: %d of town A and %d others in the city's tile, want some of both", layer, len(want), len(others))
		}
		sort.Strings(want)
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s of town A's tile are not the city's of town A (-want +got):\n%s", layer, diff)
		}
	}
	for _, layer := range []string{"grids", "buildings"} {
		if len(city[layer]) == 0 || !cmp.Equal(city[layer], a[layer]) {
			t.Errorf("%s: %d features in the city's tile, %d in town A's; want the same, some", layer, len(city[layer]), len(a[layer]))
		}
	}
}

-- One layer of one vector tile. Go fills in the {{…}} parts from the
-- layer's definition in tiles.go (code, never input); the values are
-- arguments: $1 z, $2 x, $3 y, $4 the size of a pixel at z in EPSG:3857
-- metres, $5 the layer's feature cap, $6 the layer name.
--
-- Why it is shaped so:
-- * The data is stored in EPSG:4326 with GiST indexes. The tile envelope,
--   with a 64/4096 margin so features just outside still draw across the
--   edge, is transformed once to 4326 (a mercator rectangle is a lon/lat
--   rectangle) and `geom && search` uses the index; only the candidates
--   are transformed to 3857 (pg_tileserv and Martin filter the same way).
-- * Generalization per zoom happens in 3857, in pixels: lines and polygons
--   are simplified with a tolerance of one pixel (a 256-pixel tile), and
--   polygons smaller than a pixel, lines shorter than one, are dropped
--   before ST_AsMVTGeom, which would reduce them to nothing or a speck.
-- * The cap keeps the most important features ({{rank}}: the largest
--   polygons, the longest lines, the points that matter most) so a dense
--   tile stays small and still shows what matters; the order also makes
--   the bytes, and so the ETag, the same for the same data.
-- * ST_AsMVT returns an empty bytea when no feature is left, which
--   concatenates with other layers into a valid tile.
WITH tile AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS search,
           $4::float8 AS px
),
candidates AS (
    SELECT {{attributes}}, ST_Transform({{geom}}, 3857) AS merc
    FROM tile, {{from}}
    WHERE {{geom}} && tile.search {{where}}
),
kept AS (
    SELECT c.*, {{generalize}} AS g
    FROM candidates c, tile
    WHERE {{keep}}
    ORDER BY {{rank}}
    LIMIT $5
)
SELECT ST_AsMVT(mvt.*, $6, 4096, 'geom')
FROM (
    SELECT {{names}}, ST_AsMVTGeom(g, tile.env, 4096, 64, true) AS geom
    FROM kept, tile
    ORDER BY {{rank}}
) mvt
WHERE geom IS NOT NULL

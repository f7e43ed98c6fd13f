-- One layer of one vector tile. Go fills in the {{…}} parts from the
-- layer's definition in tiles.go (code, never input); the values are
-- arguments: $1 z, $2 x, $3 y, $4 the size of a pixel at z in EPSG:3857
-- metres, $5 the layer's feature cap at z, $6 the layer name, and, in the
-- town's variant of a layer that a town-scoped reader sees only its part
-- of (entities, flags), $7 the town code.
--
-- Why it is shaped so:
-- * The data is stored in EPSG:4326 with GiST indexes. The tile envelope,
--   with a 64/4096 margin so features just outside still draw across the
--   edge, is transformed once to 4326 (a mercator rectangle is a lon/lat
--   rectangle) and `geom && search` uses the index (pg_tileserv and Martin
--   filter the same way).
-- * The cap comes before the costly work. The candidates carry only cheap
--   columns and a size: a polygon's area in 4326 scaled to mercator square
--   metres at the tile's latitude (k), a line's mercator length. The cap
--   keeps the most important (the rank: the largest polygons, the longest
--   lines, the points that matter most), and only those are transformed to
--   3857, clipped to the buffered tile, simplified, and given the
--   attributes that need a look-up (the late ones). A dense tile at its layer's
--   lowest zoom holds tens of thousands of candidates and keeps a few
--   thousand.
-- * Generalization per zoom happens in 3857, in pixels: polygons smaller
--   than a pixel, lines shorter than one, are dropped (ST_AsMVTGeom would
--   reduce them to nothing or a speck); lines and polygons are clipped to
--   the buffered tile first (a town's outline runs far past a z14 tile)
--   and simplified (Douglas-Peucker, keeping what would collapse: the
--   size filter decides what goes) with a tolerance of one pixel (a
--   256-pixel tile); ST_AsMVTGeom then snaps to the tile grid and makes
--   polygons valid.
-- * A town's view adds `AND <town column> = $7` to the candidates
--   ({{scope}}), in a query of its own: the whole city's query is left as
--   it is, and the town's keeps `&&` on the GiST index and tests the
--   town on the candidates it finds (a plain comparison of a column of
--   the row already read, before the cap), or joins the town's b-tree
--   index when the planner finds that cheaper. A catch-all
--   `($7 IS NULL OR …)` in one query would leave a generic plan unable
--   to tell the two apart.
-- * The order also makes the bytes, and so the ETag, the same for the same
--   data.
-- * ST_AsMVT returns an empty bytea when no feature is left, which
--   concatenates with other layers into a valid tile.
WITH tile AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096) AS clip,
           ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS search,
           $4::float8 AS px,
           -- Mercator square metres in a square degree at the tile's
           -- latitude: 111319.49² (a degree of longitude) over cos(lat).
           12392029030.5 / cos(radians(ST_Y(ST_Transform(ST_Centroid(ST_TileEnvelope($1, $2, $3)), 4326)))) AS k
),
candidates AS (
    SELECT {{attributes}}, {{geom}} AS g {{measure}}
    FROM tile, {{from}}
    WHERE {{geom}} && tile.search {{where}} {{scope}}
),
kept AS (
    SELECT c.*
    FROM candidates c, tile
    WHERE {{keep}}
    ORDER BY {{rank}}
    LIMIT $5
)
SELECT ST_AsMVT(mvt.*, $6, 4096, 'geom')
FROM (
    SELECT {{names}}, ST_AsMVTGeom({{generalize}}, tile.env, 4096, 64, true) AS geom
    FROM (SELECT k.* {{late}} FROM kept k) kept, tile
    ORDER BY {{rank}}
) mvt
WHERE geom IS NOT NULL

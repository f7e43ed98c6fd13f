// Package tiles describes gridsentry's vector tiles: the typed z/x/y tile of
// the EPSG:3857 grid, the catalogue of layers (their fields, geometry and
// zoom range, and who builds them), TileJSON 3.0.0 documents and the
// MapLibre style that draws them.
//
// Table layers (towns, villages, grids, roads, buildings, doorplates,
// entities, flags) are built by PostGIS (package postgres implements
// Builder for them); computed layers (supervision coverage) will be built
// in Go and join the same catalogue under another Kind. A Tiler assembles a
// tile of several layers, possibly from several builders, as the
// concatenation of the layers' MVT blobs, which is itself a valid MVT.
//
// A Cache keeps Encoded tiles (the MVT, its gzip form and its ETag) in
// memory up to a number of bytes, least recently used out first. Tiles are
// dropped when their data changes: Invalidate takes a layer and the area
// that changed, and drops only the tiles of that layer that the area
// touches. A builder reads the cache's Generation before it reads the
// data, and Put refuses a tile whose data changed meanwhile, so that a
// slow build cannot put back a tile an invalidation has just dropped.
//
// The package is pure: no database, no HTTP.
package tiles

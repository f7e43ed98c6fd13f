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
// The package is pure: no database, no HTTP.
package tiles

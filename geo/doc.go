// Package geo holds the coordinate vocabulary of gridsentry: WGS84 and GCJ-02
// points as distinct types, the conversions between them, and the conversions
// between orb (the domain's geometry types) and go-geom (what crosses the
// PostGIS boundary as EWKB).
//
// Storage is WGS84 (EPSG:4326). CGCS2000 (EPSG:4490) agrees with WGS84 to well
// under a metre, so it is accepted as WGS84. GCJ-02, the obfuscated datum of
// Chinese phone maps (about 500 m off in Dongguan), is accepted only when a
// caller declares it and is converted here, never stored.
//
// orb points are [lon, lat]; H3 uses LatLng{Lat, Lng}. Convert with
// WGS84.LatLng and FromLatLng, nowhere else.
package geo

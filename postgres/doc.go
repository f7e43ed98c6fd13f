// Package postgres is gridsentry's storage adapter: it implements the service
// interfaces of the domain packages on PostgreSQL + PostGIS through pgx v5.
// All SQL lives here. Errors leave this package translated to the domain codes
// of package derrors; callers never see SQL text.
//
// Geometry crosses the boundary as EWKB: the geometry type is registered on
// every connection with a bytea codec (PostGIS's binary form of geometry is
// EWKB), and package geo converts between EWKB and orb.
package postgres

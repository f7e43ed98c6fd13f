package geo

import (
	"encoding/binary"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
)

// SRID of everything gridsentry stores.
const SRID = 4326

// ToGeom converts an orb geometry in WGS84 to a go-geom geometry with SRID 4326.
func ToGeom(g orb.Geometry) (geom.T, error) {
	switch g := g.(type) {
	case orb.Point:
		return geom.NewPointFlat(geom.XY, []float64{g[0], g[1]}).SetSRID(SRID), nil
	case orb.LineString:
		return geom.NewLineStringFlat(geom.XY, flatLine(g)).SetSRID(SRID), nil
	case orb.MultiLineString:
		m := geom.NewMultiLineString(geom.XY).SetSRID(SRID)
		for _, l := range g {
			if err := m.Push(geom.NewLineStringFlat(geom.XY, flatLine(l))); err != nil {
				return nil, err
			}
		}
		return m, nil
	case orb.Polygon:
		return polygon(g).SetSRID(SRID), nil
	case orb.MultiPolygon:
		m := geom.NewMultiPolygon(geom.XY).SetSRID(SRID)
		for _, p := range g {
			if err := m.Push(polygon(p)); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("geo: cannot convert %T to go-geom", g)
}

func flatLine(l []orb.Point) []float64 {
	flat := make([]float64, 0, 2*len(l))
	for _, p := range l {
		flat = append(flat, p[0], p[1])
	}
	return flat
}

func polygon(p orb.Polygon) *geom.Polygon {
	flat := make([]float64, 0)
	ends := make([]int, 0, len(p))
	for _, r := range p {
		flat = append(flat, flatLine(r)...)
		ends = append(ends, len(flat))
	}
	return geom.NewPolygonFlat(geom.XY, flat, ends)
}

// FromGeom converts a go-geom geometry to orb. Z and M are dropped.
func FromGeom(g geom.T) (orb.Geometry, error) {
	switch g := g.(type) {
	case *geom.Point:
		return orb.Point{g.X(), g.Y()}, nil
	case *geom.LineString:
		return lineFromCoords(g.Coords()), nil
	case *geom.MultiLineString:
		m := make(orb.MultiLineString, g.NumLineStrings())
		for i := range m {
			m[i] = lineFromCoords(g.LineString(i).Coords())
		}
		return m, nil
	case *geom.Polygon:
		return polygonFromCoords(g.Coords()), nil
	case *geom.MultiPolygon:
		m := make(orb.MultiPolygon, g.NumPolygons())
		for i := range m {
			m[i] = polygonFromCoords(g.Polygon(i).Coords())
		}
		return m, nil
	}
	return nil, fmt.Errorf("geo: cannot convert %T to orb", g)
}

func lineFromCoords(cs []geom.Coord) orb.LineString {
	l := make(orb.LineString, len(cs))
	for i, c := range cs {
		l[i] = orb.Point{c.X(), c.Y()}
	}
	return l
}

func polygonFromCoords(rings [][]geom.Coord) orb.Polygon {
	p := make(orb.Polygon, len(rings))
	for i, r := range rings {
		p[i] = orb.Ring(lineFromCoords(r))
	}
	return p
}

// MarshalEWKB encodes an orb geometry in WGS84 as little-endian EWKB with SRID
// 4326, the form PostGIS reads in binary COPY and as a bytea parameter.
func MarshalEWKB(g orb.Geometry) ([]byte, error) {
	t, err := ToGeom(g)
	if err != nil {
		return nil, err
	}
	return ewkb.Marshal(t, binary.LittleEndian)
}

// UnmarshalEWKB decodes EWKB (as PostGIS sends geometry in binary form) to orb.
func UnmarshalEWKB(b []byte) (orb.Geometry, error) {
	t, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("geo: decode ewkb: %w", err)
	}
	return FromGeom(t)
}

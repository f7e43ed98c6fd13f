package addressbook

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"

	"github.com/gridsentry/gridsentry/geo"
)

// geomShape is the geometry a record type needs.
type geomShape int

const (
	shapeNone geomShape = iota
	shapePoint
	shapeLines   // LineString or MultiLineString, stored as MultiLineString
	shapePolygon // Polygon, or a MultiPolygon of one polygon
)

func (s geomShape) String() string {
	switch s {
	case shapePoint:
		return "a Point"
	case shapeLines:
		return "a LineString or MultiLineString"
	case shapePolygon:
		return "a Polygon"
	}
	return "no geometry"
}

// parseWKT reads WKT, optionally with an EWKT SRID prefix (SRID=4326; or the
// CGCS2000 SRID=4490;), without validating it: validity is checked after the
// coordinates are converted to WGS84.
func parseWKT(s string) (orb.Geometry, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToUpper(s), "SRID=") {
		i := strings.IndexByte(s, ';')
		if i < 0 {
			return nil, fmt.Errorf("malformed EWKT SRID prefix")
		}
		switch srid := s[5:i]; srid {
		case "4326", "4490":
		default:
			return nil, fmt.Errorf("SRID %s: want 4326 (WGS84) or 4490 (CGCS2000)", srid)
		}
		s = s[i+1:]
	}
	g, err := sf.UnmarshalWKT(s, sf.NoValidate{})
	if err != nil {
		return nil, err
	}
	return fromSF(g)
}

// fromSF converts the simplefeatures geometries an import may hold to orb.
func fromSF(g sf.Geometry) (orb.Geometry, error) {
	if g.IsEmpty() {
		return nil, fmt.Errorf("empty %s", g.Type())
	}
	switch g.Type() {
	case sf.TypePoint:
		xy, _ := g.MustAsPoint().XY()
		return orb.Point{xy.X, xy.Y}, nil
	case sf.TypeLineString:
		return orbLine(g.MustAsLineString()), nil
	case sf.TypeMultiLineString:
		m := g.MustAsMultiLineString()
		out := make(orb.MultiLineString, m.NumLineStrings())
		for i := range out {
			out[i] = orbLine(m.LineStringN(i))
		}
		return out, nil
	case sf.TypePolygon:
		return orbPoly(g.MustAsPolygon()), nil
	case sf.TypeMultiPolygon:
		m := g.MustAsMultiPolygon()
		out := make(orb.MultiPolygon, m.NumPolygons())
		for i := range out {
			out[i] = orbPoly(m.PolygonN(i))
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is not supported", g.Type())
}

func orbLine(l sf.LineString) orb.LineString {
	seq := l.Coordinates()
	out := make(orb.LineString, seq.Length())
	for i := range out {
		xy := seq.GetXY(i)
		out[i] = orb.Point{xy.X, xy.Y}
	}
	return out
}

func orbPoly(p sf.Polygon) orb.Polygon {
	out := make(orb.Polygon, p.NumRings())
	for i := range out {
		if i == 0 {
			out[i] = orb.Ring(orbLine(p.ExteriorRing()))
		} else {
			out[i] = orb.Ring(orbLine(p.InteriorRingN(i - 1)))
		}
	}
	return out
}

func sfLine(l []orb.Point) sf.LineString {
	flat := make([]float64, 0, 2*len(l))
	for _, p := range l {
		flat = append(flat, p[0], p[1])
	}
	return sf.NewLineString(sf.NewSequence(flat, sf.DimXY))
}

// shapeGeometry checks g against what the record needs and normalizes it:
// lines become a MultiLineString, a one-polygon MultiPolygon a Polygon.
func shapeGeometry(g orb.Geometry, want geomShape) (orb.Geometry, error) {
	switch want {
	case shapePoint:
		if p, ok := g.(orb.Point); ok {
			return p, nil
		}
	case shapeLines:
		switch g := g.(type) {
		case orb.LineString:
			return orb.MultiLineString{g}, nil
		case orb.MultiLineString:
			return g, nil
		}
	case shapePolygon:
		switch g := g.(type) {
		case orb.Polygon:
			return g, nil
		case orb.MultiPolygon:
			if len(g) == 1 {
				return g[0], nil
			}
		}
	}
	return nil, fmt.Errorf("%s where %s is needed", g.GeoJSONType(), want)
}

// checkCoordinates reports the first coordinate that is not a finite
// longitude and latitude.
func checkCoordinates(g orb.Geometry) error {
	var bad error
	eachPoint(g, func(p orb.Point) {
		if bad != nil {
			return
		}
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) ||
			p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			bad = fmt.Errorf("coordinates out of range: %s %s is not a longitude and latitude", ftoa(p[0]), ftoa(p[1]))
			if p[0] >= -90 && p[0] <= 90 && p[1] >= -180 && p[1] <= 180 {
				bad = fmt.Errorf("%w (longitude and latitude swapped?)", bad)
			}
		}
	})
	return bad
}

func eachPoint(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		fn(g)
	case orb.LineString:
		for _, p := range g {
			fn(p)
		}
	case orb.MultiLineString:
		for _, l := range g {
			eachPoint(l, fn)
		}
	case orb.Ring:
		for _, p := range g {
			fn(p)
		}
	case orb.Polygon:
		for _, r := range g {
			eachPoint(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachPoint(p, fn)
		}
	}
}

// validate checks the OGC validity of lines and polygons (at least two
// distinct points, closed rings, no self-intersection) with simplefeatures.
func validate(g orb.Geometry) error {
	var err error
	switch g := g.(type) {
	case orb.MultiLineString:
		for _, l := range g {
			if err = sfLine(l).Validate(); err != nil {
				break
			}
		}
	case orb.Polygon:
		rings := make([]sf.LineString, len(g))
		for i, r := range g {
			rings[i] = sfLine(r)
		}
		err = sf.NewPolygon(rings).Validate()
	}
	if err != nil {
		return fmt.Errorf("invalid %s: %v", g.GeoJSONType(), err)
	}
	return nil
}

// toWGS84 converts g from crs to WGS84. Only GCJ-02 moves points; CGCS2000
// agrees with WGS84 at metre level and is taken as it is.
func toWGS84(g orb.Geometry, crs geo.CRS) orb.Geometry {
	if crs != geo.CRSGCJ02 {
		return g
	}
	if p, ok := g.(orb.Point); ok {
		return geo.GCJ02{Lon: p[0], Lat: p[1]}.ToWGS84().Point()
	}
	return geo.GCJ02GeometryToWGS84(g)
}

// ftoa formats a coordinate with the fewest digits that read back exactly.
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// appendWKT writes g as WKT with exact coordinates.
func appendWKT(b []byte, g orb.Geometry) []byte {
	pt := func(b []byte, p orb.Point) []byte {
		b = strconv.AppendFloat(b, p[0], 'f', -1, 64)
		b = append(b, ' ')
		return strconv.AppendFloat(b, p[1], 'f', -1, 64)
	}
	line := func(b []byte, l []orb.Point) []byte {
		b = append(b, '(')
		for i, p := range l {
			if i > 0 {
				b = append(b, ',')
			}
			b = pt(b, p)
		}
		return append(b, ')')
	}
	poly := func(b []byte, p orb.Polygon) []byte {
		b = append(b, '(')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			b = line(b, r)
		}
		return append(b, ')')
	}
	switch g := g.(type) {
	case orb.Point:
		b = append(b, "POINT("...)
		b = pt(b, g)
		b = append(b, ')')
	case orb.LineString:
		b = append(b, "LINESTRING"...)
		b = line(b, g)
	case orb.MultiLineString:
		b = append(b, "MULTILINESTRING("...)
		for i, l := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = line(b, l)
		}
		b = append(b, ')')
	case orb.Polygon:
		b = append(b, "POLYGON"...)
		b = poly(b, g)
	case orb.MultiPolygon:
		b = append(b, "MULTIPOLYGON("...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = poly(b, p)
		}
		b = append(b, ')')
	}
	return b
}

package geo

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// A WGS84 point is a longitude and latitude in degrees on EPSG:4326.
type WGS84 struct{ Lon, Lat float64 }

// A GCJ02 point is a longitude and latitude in degrees on the GCJ-02 datum.
// It cannot be stored; convert it with ToWGS84 first.
type GCJ02 struct{ Lon, Lat float64 }

// Point returns p as an orb point ([lon, lat]).
func (p WGS84) Point() orb.Point { return orb.Point{p.Lon, p.Lat} }

// FromPoint returns the orb point p, which must be WGS84, as a WGS84 value.
func FromPoint(p orb.Point) WGS84 { return WGS84{Lon: p[0], Lat: p[1]} }

// Valid reports whether p is a finite coordinate within the WGS84 range.
func (p WGS84) Valid() bool {
	return !math.IsNaN(p.Lon) && !math.IsNaN(p.Lat) &&
		p.Lon >= -180 && p.Lon <= 180 && p.Lat >= -90 && p.Lat <= 90
}

// CRS names a coordinate reference system a client may declare.
type CRS string

// The coordinate systems accepted at the API boundary.
const (
	CRSWGS84    CRS = "wgs84"    // EPSG:4326
	CRSCGCS2000 CRS = "cgcs2000" // EPSG:4490, equal to WGS84 at metre level
	CRSGCJ02    CRS = "gcj02"    // Amap / Tencent phone maps
)

// ParseCRS parses a CRS name as clients send it ("wgs84", "EPSG:4326",
// "cgcs2000", "EPSG:4490", "gcj02"), case-insensitively. The empty string
// means WGS84.
func ParseCRS(s string) (CRS, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "wgs84", "epsg:4326", "4326":
		return CRSWGS84, nil
	case "cgcs2000", "epsg:4490", "4490":
		return CRSCGCS2000, nil
	case "gcj02", "gcj-02":
		return CRSGCJ02, nil
	}
	return "", fmt.Errorf("unknown crs %q: want wgs84, cgcs2000 or gcj02", s)
}

// ToWGS84 converts a point given in crs to WGS84.
func ToWGS84(crs CRS, lon, lat float64) WGS84 {
	if crs == CRSGCJ02 {
		return GCJ02{Lon: lon, Lat: lat}.ToWGS84()
	}
	return WGS84{Lon: lon, Lat: lat}
}

// GCJ-02 constants: the Krasovsky 1940 ellipsoid the obfuscation is defined on.
const (
	krasovskyA  = 6378245.0              // semi-major axis, metres
	krasovskyEE = 0.00669342162296594323 // first eccentricity squared
)

// inChina reports whether the GCJ-02 offset applies at p. Outside this box the
// two datums coincide by definition of the algorithm.
func inChina(lon, lat float64) bool {
	return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271
}

// ToGCJ02 applies the GCJ-02 offset to p.
func (p WGS84) ToGCJ02() GCJ02 {
	if !inChina(p.Lon, p.Lat) {
		return GCJ02(p)
	}
	dLon, dLat := gcjOffset(p.Lon, p.Lat)
	return GCJ02{Lon: p.Lon + dLon, Lat: p.Lat + dLat}
}

// ToWGS84 removes the GCJ-02 offset. The offset has no closed-form inverse, so
// it is inverted by fixed-point iteration, which converges to well under a
// millimetre in a few steps because the offset changes slowly with position.
func (p GCJ02) ToWGS84() WGS84 {
	if !inChina(p.Lon, p.Lat) {
		return WGS84(p)
	}
	w := WGS84{Lon: p.Lon, Lat: p.Lat}
	for range 10 {
		g := w.ToGCJ02()
		dLon, dLat := g.Lon-p.Lon, g.Lat-p.Lat
		w.Lon -= dLon
		w.Lat -= dLat
		if math.Abs(dLon) < 1e-10 && math.Abs(dLat) < 1e-10 {
			break
		}
	}
	return w
}

// gcjOffset returns the GCJ-02 offset in degrees at a WGS84 position.
func gcjOffset(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105.0, lat-35.0
	tLat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	tLat += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	tLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	tLat += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	tLon := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	tLon += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	tLon += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	tLon += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0

	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (tLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (tLon * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

// GCJ02GeometryToWGS84 converts every vertex of g, given in GCJ-02, to WGS84.
// It returns a new geometry of the same type.
func GCJ02GeometryToWGS84(g orb.Geometry) orb.Geometry {
	return project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point {
		return GCJ02{Lon: p[0], Lat: p[1]}.ToWGS84().Point()
	})
}

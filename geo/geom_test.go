package geo

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

func TestEWKBRoundTrip(t *testing.T) {
	for name, g := range map[string]orb.Geometry{
		"point":      orb.Point{113.75, 23.02},
		"linestring": orb.LineString{{113.7, 23.0}, {113.8, 23.1}},
		"multilinestring": orb.MultiLineString{
			{{113.7, 23.0}, {113.8, 23.1}}, {{113.71, 23.01}, {113.72, 23.05}, {113.73, 23.0}},
		},
		"polygon": orb.Polygon{{{113.7, 23.0}, {113.8, 23.0}, {113.8, 23.1}, {113.7, 23.0}}},
		"multipolygon with hole": orb.MultiPolygon{{
			{{113.0, 23.0}, {114.0, 23.0}, {114.0, 24.0}, {113.0, 24.0}, {113.0, 23.0}},
			{{113.2, 23.2}, {113.2, 23.4}, {113.4, 23.4}, {113.4, 23.2}, {113.2, 23.2}},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := MarshalEWKB(g)
			if err != nil {
				t.Fatal(err)
			}
			got, err := UnmarshalEWKB(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(g, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestToGeomSetsSRID(t *testing.T) {
	g, err := ToGeom(orb.Point{113.75, 23.02})
	if err != nil {
		t.Fatal(err)
	}
	if g.SRID() != SRID {
		t.Errorf("SRID = %d, want %d", g.SRID(), SRID)
	}
}

func TestToGeomRejectsCollections(t *testing.T) {
	if _, err := ToGeom(orb.Collection{orb.Point{1, 2}}); err == nil {
		t.Error("ToGeom(collection) succeeded, want an error")
	}
}

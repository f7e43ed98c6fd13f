package geo

import (
	"fmt"
	"math"
	"testing"

	orbgeo "github.com/paulmach/orb/geo"
)

// The extent of Dongguan with a margin, WGS84.
const (
	minLon, maxLon = 113.45, 114.30
	minLat, maxLat = 22.60, 23.20
)

func TestGCJ02RoundTripOverDongguan(t *testing.T) {
	const steps = 60
	worst := 0.0
	for i := 0; i <= steps; i++ {
		for j := 0; j <= steps; j++ {
			w := WGS84{
				Lon: minLon + (maxLon-minLon)*float64(i)/steps,
				Lat: minLat + (maxLat-minLat)*float64(j)/steps,
			}
			back := w.ToGCJ02().ToWGS84()
			d := orbgeo.Distance(w.Point(), back.Point())
			worst = math.Max(worst, d)
			if d > 0.5 {
				t.Fatalf("round trip of %v moved %.3f m, want <= 0.5 m", w, d)
			}
		}
	}
	t.Logf("worst round-trip error over the city: %.6f m", worst)
}

func TestGCJ02OffsetInDongguan(t *testing.T) {
	// The GCJ-02 offset in Dongguan is several hundred metres, to the east
	// and a little south; a conversion that did nothing would pass the round trip.
	w := WGS84{Lon: 113.7518, Lat: 23.0207} // 莞城
	g := w.ToGCJ02()
	d := orbgeo.Distance(w.Point(), orb2(g))
	if d < 300 || d > 800 {
		t.Errorf("offset at %v is %.0f m, want 300-800 m", w, d)
	}
	if g.Lon-w.Lon < 0.004 || g.Lat >= w.Lat {
		t.Errorf("offset at %v goes to %v, want about 0.005° east and south", w, g)
	}
}

func TestGCJ02OutsideChinaUnchanged(t *testing.T) {
	w := WGS84{Lon: 2.35, Lat: 48.85}
	if g := w.ToGCJ02(); g.Lon != w.Lon || g.Lat != w.Lat {
		t.Errorf("ToGCJ02(%v) = %v, want unchanged outside China", w, g)
	}
	if back := (GCJ02{Lon: 2.35, Lat: 48.85}).ToWGS84(); back != w {
		t.Errorf("ToWGS84 outside China = %v, want unchanged", back)
	}
}

func TestParseCRS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want CRS
		ok   bool
	}{
		{"", CRSWGS84, true},
		{"WGS84", CRSWGS84, true},
		{"EPSG:4326", CRSWGS84, true},
		{"epsg:4490", CRSCGCS2000, true},
		{"gcj02", CRSGCJ02, true},
		{"GCJ-02", CRSGCJ02, true},
		{"bd09", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCRS(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ParseCRS(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestCellAgreesWithLatLngOrder(t *testing.T) {
	w := WGS84{Lon: 113.7518, Lat: 23.0207}
	c := w.Cell(9)
	centre := FromLatLng(c.LatLng())
	if d := orbgeo.Distance(w.Point(), centre.Point()); d > 300 {
		t.Errorf("centre of the res-9 cell of %v is %.0f m away: lat/lng swapped?", w, d)
	}
}

func orb2(g GCJ02) [2]float64 { return [2]float64{g.Lon, g.Lat} }

func ExampleGCJ02_ToWGS84() {
	// A point read off an Amap screen in Dongguan, declared crs=gcj02.
	w := GCJ02{Lon: 113.7567, Lat: 23.0181}.ToWGS84()
	fmt.Printf("%.4f %.4f\n", w.Lon, w.Lat)
	// Output: 113.7515 23.0208
}

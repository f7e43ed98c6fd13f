package demo

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/geo"
)

// The real frame of the demo city (see data/SOURCES.md). It is embedded so the
// binary never reads reference files at run time.
//
//go:embed data/towns.csv data/villages.csv data/outline-gcj02.geojson
var dataFS embed.FS

// refTown is a town-level unit of the reference data with its rough centre.
type refTown struct {
	Code, Name, Kind string
	Centre           orb.Point // WGS84, good to a few km
	Villages         []refVillage
}

// refVillage is a village or community of the reference data (or one the
// demo makes up, see syntheticVillages), with the code the demo assigns.
type refVillage struct {
	Code, Name, Kind string
}

// reference is the parsed reference data: the towns in code order with
// their villages in file order, and the outline in WGS84.
type reference struct {
	Towns   []refTown
	Outline orb.Polygon
}

// loadReference parses the embedded reference data once. The result is shared
// and must not be modified.
var loadReference = sync.OnceValues(parseReference)

// syntheticVillages are the communities the demo invents for town-level units
// that have none in the village list. The names are sub-areas of the unit.
var syntheticVillages = map[string][]string{
	"441900404": {"交椅湾社区", "沙角半岛社区"},
}

func parseReference() (*reference, error) {
	towns, err := readCSV("data/towns.csv", []string{"code", "name", "kind", "approx_lon", "approx_lat"})
	if err != nil {
		return nil, err
	}
	ref := &reference{}
	index := make(map[string]int)
	for _, r := range towns {
		lon, err1 := strconv.ParseFloat(r[3], 64)
		lat, err2 := strconv.ParseFloat(r[4], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("demo: towns.csv: %s: %w", r[0], err)
		}
		switch r[2] {
		case addressbook.TownKindSubdistrict, addressbook.TownKindTown, addressbook.TownKindZone:
		default:
			return nil, fmt.Errorf("demo: towns.csv: %s: unknown kind %q", r[0], r[2])
		}
		if len(ref.Towns) > 0 && ref.Towns[len(ref.Towns)-1].Code >= r[0] {
			return nil, fmt.Errorf("demo: towns.csv: %s is out of code order", r[0])
		}
		if _, ok := townWeights[r[0]]; !ok {
			return nil, fmt.Errorf("demo: towns.csv: %s has no weight in townWeights", r[0])
		}
		index[r[0]] = len(ref.Towns)
		ref.Towns = append(ref.Towns, refTown{Code: r[0], Name: r[1], Kind: r[2], Centre: orb.Point{lon, lat}})
	}

	villages, err := readCSV("data/villages.csv", []string{"town_code", "town_name", "name", "kind"})
	if err != nil {
		return nil, err
	}
	for _, r := range villages {
		i, ok := index[r[0]]
		if !ok {
			return nil, fmt.Errorf("demo: villages.csv: unknown town %s", r[0])
		}
		switch r[3] {
		case addressbook.VillageKindVillage, addressbook.VillageKindCommunity, addressbook.VillageKindOther:
		default:
			return nil, fmt.Errorf("demo: villages.csv: %s: unknown kind %q", r[2], r[3])
		}
		t := &ref.Towns[i]
		t.Villages = append(t.Villages, refVillage{Name: r[2], Kind: r[3]})
	}
	for i := range ref.Towns {
		t := &ref.Towns[i]
		for _, name := range syntheticVillages[t.Code] {
			t.Villages = append(t.Villages, refVillage{Name: name, Kind: addressbook.VillageKindCommunity})
		}
		if len(t.Villages) == 0 {
			return nil, fmt.Errorf("demo: town %s %s has no villages", t.Code, t.Name)
		}
		if len(t.Villages) > 999 {
			return nil, fmt.Errorf("demo: town %s has more than 999 villages", t.Code)
		}
		seen := make(map[string]bool)
		for j := range t.Villages {
			v := &t.Villages[j]
			v.Code = fmt.Sprintf("%s%03d", t.Code, j+1)
			v.Name = uniqueVillageName(v.Name, seen)
			seen[v.Name] = true
		}
	}

	ref.Outline, err = parseOutline()
	if err != nil {
		return nil, err
	}
	return ref, nil
}

// uniqueVillageName renames a name the list holds twice in one town (it does
// for 同沙社区 and 清溪社区): the second becomes 同沙二社区, so names stay
// unique within a town as the schema requires.
func uniqueVillageName(name string, seen map[string]bool) string {
	if !seen[name] {
		return name
	}
	stem, kind := splitVillageName(name)
	for _, n := range []string{"二", "三", "四", "五", "六"} {
		if c := stem + n + kind; !seen[c] {
			return c
		}
	}
	return name + "新"
}

// splitVillageName splits 同沙社区 into 同沙 and 社区; a name with no known
// suffix is all stem.
func splitVillageName(name string) (stem, suffix string) {
	for _, s := range []string{"社区", "生活区", "村"} {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return strings.TrimSuffix(name, s), s
		}
	}
	return name, ""
}

func readCSV(name string, header []string) ([][]string, error) {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	r := csv.NewReader(bytes.NewReader(b))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", name, err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(header, ",") {
		return nil, fmt.Errorf("demo: %s: header is not %s", name, strings.Join(header, ","))
	}
	return rows[1:], nil
}

// coordStep is the grid, in degrees (about 1 cm), that reference coordinates
// and Voronoi vertices are rounded to. Points computed from them (where an
// edge crosses a boundary) are kept exact instead; see clipCells.
const coordStep = 1e-7

func snap(v float64) float64 { return math.Round(v/coordStep) * coordStep }

func snapPoint(p orb.Point) orb.Point { return orb.Point{snap(p[0]), snap(p[1])} }

// parseOutline reads the GCJ-02 outline, converts it to WGS84, rounds it to
// coordStep and orients it counter-clockwise.
func parseOutline() (orb.Polygon, error) {
	b, err := dataFS.ReadFile("data/outline-gcj02.geojson")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return nil, fmt.Errorf("demo: outline: %w", err)
	}
	if len(fc.Features) != 1 {
		return nil, fmt.Errorf("demo: outline: want one feature, got %d", len(fc.Features))
	}
	gcj, ok := fc.Features[0].Geometry.(orb.Polygon)
	if !ok || len(gcj) != 1 {
		return nil, fmt.Errorf("demo: outline: want a polygon without holes, got %T", fc.Features[0].Geometry)
	}
	wgs := geo.GCJ02GeometryToWGS84(gcj).(orb.Polygon)
	ring := make(orb.Ring, 0, len(wgs[0]))
	for _, p := range wgs[0] {
		p = snapPoint(p)
		if len(ring) > 0 && ring[len(ring)-1] == p {
			continue
		}
		ring = append(ring, p)
	}
	if ring[0] != ring[len(ring)-1] {
		ring = append(ring, ring[0])
	}
	if ringArea(ring) < 0 {
		ring.Reverse()
	}
	return orb.Polygon{ring}, nil
}

// ringArea is the signed area of a closed ring in square degrees: positive
// when the ring is counter-clockwise.
func ringArea(r orb.Ring) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += (r[i][0]-r[0][0])*(r[i+1][1]-r[0][1]) - (r[i+1][0]-r[0][0])*(r[i][1]-r[0][1])
	}
	return a / 2
}

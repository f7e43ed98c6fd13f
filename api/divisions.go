package api

import (
	"math"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
)

var (
	townCode = regexp.MustCompile(`^[0-9]{9}$`)
	gridCode = regexp.MustCompile(`^[0-9]{15}$`)
)

// writeGeoJSON writes a GeoJSON feature or collection.
func writeGeoJSON(w http.ResponseWriter, v interface{ MarshalJSON() ([]byte, error) }) error {
	b, err := v.MarshalJSON()
	if err != nil {
		return err
	}
	writeBody(w, http.StatusOK, "application/geo+json", b)
	return nil
}

// GET /v1/divisions?level=town|village|grid&town=CODE
func (s *Server) divisions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	level := q.Get("level")
	if level == "" {
		level = addressbook.LevelTown
	}
	if level != addressbook.LevelTown && level != addressbook.LevelVillage && level != addressbook.LevelGrid {
		return derrors.Field("level", "must be town, village or grid, not %q", level)
	}
	town := q.Get("town")
	if town != "" && !townCode.MatchString(town) {
		return derrors.Field("town", "must be a 9-digit town code, not %q", town)
	}
	ds, err := s.library.Divisions(r.Context(), addressbook.DivisionFilter{Level: level, TownCode: town})
	if err != nil {
		return err
	}
	if town != "" && len(ds) == 0 {
		// An empty answer for a town filter means the town is unknown:
		// every town has villages and grids.
		if _, err := s.library.Town(r.Context(), town); err != nil {
			return err
		}
	}
	fc := geojson.NewFeatureCollection()
	for _, d := range ds {
		f := geojson.NewFeature(rounded(d.Geom))
		f.ID = d.Code
		f.Properties = geojson.Properties{"level": d.Level, "code": d.Code, "name": d.Name}
		if d.Kind != "" {
			f.Properties["kind"] = d.Kind
		}
		if d.TownCode != "" {
			f.Properties["town_code"] = d.TownCode
		}
		if d.VillageCode != "" {
			f.Properties["village_code"] = d.VillageCode
		}
		fc.Append(f)
	}
	return writeGeoJSON(w, fc)
}

// GET /v1/towns/{code}
func (s *Server) town(w http.ResponseWriter, r *http.Request) error {
	code := mux.Vars(r)["code"]
	if !townCode.MatchString(code) {
		return derrors.Field("code", "must be a 9-digit town code, not %q", code)
	}
	t, err := s.library.Town(r.Context(), code)
	if err != nil {
		return err
	}
	f := geojson.NewFeature(rounded(t.Geom))
	f.ID = t.Code
	f.Properties = geojson.Properties{
		"level": addressbook.LevelTown, "code": t.Code, "name": t.Name, "kind": t.Kind,
		"village_count": t.Villages, "grid_count": t.Grids, "building_count": t.Buildings,
		"area_km2": roundTo(orbgeo.Area(t.Geom)/1e6, 2),
	}
	return writeGeoJSON(w, f)
}

// GET /v1/grids/{code}
func (s *Server) grid(w http.ResponseWriter, r *http.Request) error {
	code := mux.Vars(r)["code"]
	if !gridCode.MatchString(code) {
		return derrors.Field("code", "must be a 15-digit grid code, not %q", code)
	}
	g, err := s.library.Grid(r.Context(), code)
	if err != nil {
		return err
	}
	f := geojson.NewFeature(rounded(g.Geom))
	f.ID = g.Code
	f.Properties = geojson.Properties{
		"level": addressbook.LevelGrid, "code": g.Code, "name": g.Name,
		"village_code": g.VillageCode, "village_name": g.VillageName,
		"town_code": g.TownCode, "town_name": g.TownName,
		"building_count": g.Buildings, "area_km2": roundTo(orbgeo.Area(g.Geom)/1e6, 3),
	}
	return writeGeoJSON(w, f)
}

// GET /v1/buildings/{id}
func (s *Server) building(w http.ResponseWriter, r *http.Request) error {
	raw := mux.Vars(r)["id"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return derrors.Field("id", "must be a positive integer building id, not %q", raw)
	}
	b, err := s.library.Building(r.Context(), id)
	if err != nil {
		return err
	}
	f := geojson.NewFeature(rounded(b.Geom))
	f.ID = b.ID
	props := geojson.Properties{
		"id": b.ID, "label": b.Label, "use": b.Use, "floors": b.Floors,
		"basement_floors": b.BasementFloors, "status": b.Status, "address": b.Address(),
		"doorplate_code": b.DoorplateCode, "road": b.RoadName, "number": b.Number,
		"sub_number": b.SubNumber, "room_count": b.Rooms,
		"grid_code": b.GridCode, "village_code": b.VillageCode, "village_name": b.VillageName,
		"town_code": b.TownCode, "town_name": b.TownName,
		"place_id": nil, "place_name": nil,
	}
	if b.PlaceID != 0 {
		props["place_id"] = b.PlaceID
		props["place_name"] = b.PlaceName
	}
	f.Properties = props
	return writeGeoJSON(w, f)
}

func roundTo(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// coordinatePrecision is the factor output coordinates are rounded to:
// 1e-7 degrees, about a centimetre, which is what the library stores.
const coordinatePrecision = 1e7

// rounded returns a copy of g with coordinates rounded to 1e-7 degrees, so
// that GeoJSON carries 113.8015359 rather than 113.80153589999999.
func rounded(g orb.Geometry) orb.Geometry { return orb.Round(orb.Clone(g), coordinatePrecision) }

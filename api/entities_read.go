package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// EntityReader reads market entities: lists with filters, one entity with
// its link, tasks, inspections and leads.
type EntityReader interface {
	// Entities lists the entities f selects in USCC order, returning up to
	// f.PageSize()+1 of them: the extra one says another page follows.
	Entities(ctx context.Context, f supervision.EntityFilter) ([]supervision.EntityRecord, error)
	// Entity returns one entity, or a NotFound error.
	Entity(ctx context.Context, uscc supervision.USCC) (supervision.EntityRecord, error)
	// EntitiesAt lists the entities registered at a room or doorplate code
	// (see EntityFilter.AddressCode), up to limit+1 of them like Entities.
	EntitiesAt(ctx context.Context, addressCode string, limit int) ([]supervision.EntityRecord, error)
}

// WithEntityReader enables the entity read routes.
func WithEntityReader(rd EntityReader) Option { return func(s *Server) { s.reader = rd } }

func (s *Server) entityReadRoutes(r *mux.Router) {
	read := endpoint{perm: auth.ReadEntities, unmaskable: true}
	s.protect(r, http.MethodGet, "/v1/entities", read, s.listEntities)
	s.protect(r, http.MethodPost, "/v1/entities:search", read, s.searchEntities)
	s.protect(r, http.MethodGet, "/v1/entities/export", endpoint{perm: auth.Export, sensitive: "export", unmaskable: true}, s.exportEntities)
	s.protect(r, http.MethodGet, "/v1/entities/count", endpoint{perm: auth.ReadEntities}, s.countEntities)
	s.protect(r, http.MethodGet, "/v1/entities/geojson", endpoint{perm: auth.ReadEntities}, s.entitiesGeoJSON)
	s.protect(r, http.MethodGet, "/v1/entities/{uscc}", read, s.getEntity)
}

// entityJSON is a market entity as the API shows it, with personal data
// masked. It has no MarshalJSON of its own, so a struct that embeds it
// (the entity with its tasks, inspections, leads, ...) adds fields to the
// same object.
type entityJSON struct {
	USCC            string     `json:"uscc"`
	Name            string     `json:"name"`
	Kind            string     `json:"kind"`
	Status          string     `json:"status"`
	RegisteredAt    string     `json:"registered_at"` // YYYY-MM-DD
	AddressText     string     `json:"address_text"`
	Scope           string     `json:"scope"`
	Industry        *string    `json:"industry"`
	IndustryName    *string    `json:"industry_name"`
	LegalRep        string     `json:"legal_rep"`
	Phone           string     `json:"phone"`     // masked
	IDNumber        string     `json:"id_number"` // masked
	ReportYear      *int       `json:"report_year"`
	ChangedAt       time.Time  `json:"changed_at"`
	Version         int        `json:"version"`
	UpdatedAt       time.Time  `json:"updated_at"`
	LastInspectedAt *time.Time `json:"last_inspected_at"`
	Link            *linkJSON  `json:"link"` // null: not linked yet
}

// linkJSON is an entity's link to the address library.
type linkJSON struct {
	Status      string              `json:"status"`
	AddressCode *string             `json:"address_code"`
	Level       *string             `json:"level"`
	Score       float64             `json:"score"`
	Issues      []addressbook.Issue `json:"issues"`
	BuildingID  *int64              `json:"building_id"`
	GridCode    *string             `json:"grid_code"`
	VillageCode *string             `json:"village_code"`
	TownCode    *string             `json:"town_code"`
	Location    *geojson.Geometry   `json:"location"` // GeoJSON Point, WGS84
	H3          map[string]string   `json:"h3"`       // resolution → cell, null without a location
	LinkedAt    time.Time           `json:"linked_at"`
}

// entityJSONOf converts a stored entity to its JSON shape. Times are shown
// in Beijing time. The operator's name, phone and ID number are masked
// unless full (the request was allowed to unmask, and logged).
func entityJSONOf(rec supervision.EntityRecord, full bool) entityJSON {
	out := entityJSON{
		USCC: string(rec.USCC), Name: rec.Name, Kind: string(rec.Kind), Status: string(rec.Status),
		RegisteredAt: rec.RegisteredAt.In(supervision.Beijing).Format(time.DateOnly),
		AddressText:  rec.AddressText, Scope: rec.Scope, LegalRep: supervision.MaskName(rec.LegalRep),
		Phone: supervision.MaskPhone(rec.Phone), IDNumber: supervision.MaskID(rec.IDNumber),
		ChangedAt: rec.ChangedAt.In(supervision.Beijing), Version: rec.Version,
		UpdatedAt: rec.UpdatedAt.In(supervision.Beijing),
	}
	if full {
		out.LegalRep, out.Phone, out.IDNumber = rec.LegalRep, rec.Phone, rec.IDNumber
	}
	if name, ok := supervision.IndustryName(rec.Industry); ok {
		out.Industry, out.IndustryName = &rec.Industry, &name
	}
	if rec.ReportYear != 0 {
		out.ReportYear = &rec.ReportYear
	}
	if rec.LastInspectedAt != nil {
		t := rec.LastInspectedAt.In(supervision.Beijing)
		out.LastInspectedAt = &t
	}
	if rec.LinkedAt != nil {
		out.Link = linkJSONOf(rec.Link, *rec.LinkedAt)
	}
	return out
}

func linkJSONOf(l supervision.Link, at time.Time) *linkJSON {
	nonEmpty := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := &linkJSON{
		Status: string(l.Status), AddressCode: nonEmpty(l.AddressCode), Level: nonEmpty(string(l.Level)),
		Score: roundTo(l.Score, 3), Issues: l.Issues, GridCode: nonEmpty(l.GridCode),
		VillageCode: nonEmpty(l.VillageCode), TownCode: nonEmpty(l.TownCode), LinkedAt: at.In(supervision.Beijing),
	}
	if out.Issues == nil {
		out.Issues = []addressbook.Issue{}
	}
	if l.BuildingID != 0 {
		out.BuildingID = &l.BuildingID
	}
	if l.Location != nil {
		out.Location = geojson.NewGeometry(rounded(l.Location.Point()))
		out.H3 = make(map[string]string, len(l.H3))
		for _, c := range l.H3 {
			out.H3[strconv.Itoa(c.Resolution())] = c.String()
		}
	}
	return out
}

// entityPage is a page of an entity list.
type entityPage struct {
	Items []entityJSON `json:"items"`
	Next  *string      `json:"next"` // the cursor of the next page
}

// entityPageOf makes a page of size from what a reader returned (up to
// size+1 records, the extra one saying that another page follows).
func entityPageOf(recs []supervision.EntityRecord, size int, full bool) entityPage {
	page := entityPage{Items: make([]entityJSON, 0, min(len(recs), size))}
	if len(recs) > size {
		recs = recs[:size]
		c := entityCursor(recs[len(recs)-1].USCC)
		page.Next = &c
	}
	for _, rec := range recs {
		page.Items = append(page.Items, entityJSONOf(rec, full))
	}
	return page
}

// entityCursor is the opaque cursor of the page after uscc: the code in
// unpadded base64url.
func entityCursor(uscc supervision.USCC) string {
	return base64.RawURLEncoding.EncodeToString([]byte(uscc))
}

func (s *Server) entityReader() (EntityReader, error) {
	if s.reader == nil {
		return nil, derrors.New(derrors.Unavailable, "entity reads are not enabled on this server")
	}
	return s.reader, nil
}

// GET /v1/entities?town=&village=&grid=&...&limit=&cursor=
func (s *Server) listEntities(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.entityReader()
	if err != nil {
		return err
	}
	req, err := entitySearchOfQuery(r.URL.Query())
	if err != nil {
		return err
	}
	return writeEntityPage(w, r, rd, req)
}

// POST /v1/entities:search: the filters of GET /v1/entities as a JSON
// object, for polygons too long for a URL.
func (s *Server) searchEntities(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.entityReader()
	if err != nil {
		return err
	}
	var req entitySearch
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	return writeEntityPage(w, r, rd, req)
}

func writeEntityPage(w http.ResponseWriter, r *http.Request, rd EntityReader, req entitySearch) error {
	f, err := screen(r.Context(), req)
	if err != nil {
		return err
	}
	recs, err := rd.Entities(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, entityPageOf(recs, f.PageSize(), unmasked(r.Context())))
	return nil
}

// GET /v1/entities/{uscc}
func (s *Server) getEntity(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.entityReader()
	if err != nil {
		return err
	}
	uscc, err := supervision.ParseUSCC(mux.Vars(r)["uscc"])
	if err != nil {
		return derrors.Field("uscc", "%v", err)
	}
	rec, err := rd.Entity(r.Context(), uscc)
	if err != nil {
		return err
	}
	if err := seeTown(r.Context(), rec.Link.TownCode, "entity "+string(uscc)); err != nil {
		return err
	}
	detail, err := s.entityDetail(r.Context(), rec)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, rec.Version))
	writeJSON(w, http.StatusOK, detail)
	return nil
}

// addressEntitiesLimit is how many entities GET /v1/addresses/{code} shows.
const addressEntitiesLimit = 20

// entitiesAt is the first page of the entities registered at a standard
// address, for GET /v1/addresses/{code}; its next cursor continues with
// GET /v1/entities?address_code={code}. It is nil when entity reads are not
// enabled.
func (s *Server) entitiesAt(ctx context.Context, code string) (*entityPage, error) {
	p, ok := principalOf(ctx)
	if s.reader == nil || ok && !p.Can(auth.ReadEntities) {
		return nil, nil
	}
	recs, err := s.reader.EntitiesAt(ctx, code, addressEntitiesLimit)
	if err != nil {
		return nil, err
	}
	if ok && !p.CityWide() {
		recs = slices.DeleteFunc(recs, func(rec supervision.EntityRecord) bool { return !p.SeesTown(rec.Link.TownCode) })
	}
	page := entityPageOf(recs, addressEntitiesLimit, false)
	return &page, nil
}

// entitySearch holds the filters of an entity list: the query parameters of
// GET /v1/entities, or the JSON object of POST /v1/entities:search with the
// same names.
type entitySearch struct {
	Town            string          `json:"town"`
	Village         string          `json:"village"`
	Grid            string          `json:"grid"`
	Building        *int64          `json:"building"`
	BBox            []float64       `json:"bbox"`    // minLon, minLat, maxLon, maxLat
	Polygon         json.RawMessage `json:"polygon"` // a GeoJSON Polygon or MultiPolygon geometry
	CRS             string          `json:"crs"`     // of bbox and polygon
	Industry        string          `json:"industry"`
	Kind            string          `json:"kind"`
	Status          string          `json:"status"`
	RegisteredFrom  string          `json:"registered_from"`  // YYYY-MM-DD
	RegisteredTo    string          `json:"registered_to"`    // YYYY-MM-DD
	InspectedBefore string          `json:"inspected_before"` // YYYY-MM-DD or RFC 3339
	InspectedAfter  string          `json:"inspected_after"`
	NeverInspected  bool            `json:"never_inspected"`
	TaskStatus      string          `json:"task_status"`
	AddressCode     string          `json:"address_code"`
	LinkStatus      string          `json:"link_status"`

	// Screening (高级筛选, 关联比对, 定向排查).
	Near                *nearJSON `json:"near"`
	SameBuildingAs      string    `json:"same_building_as"`
	SamePhoneAs         string    `json:"same_phone_as"`
	SameLegalRepAs      string    `json:"same_legal_rep_as"`
	SharedPhoneMin      *int      `json:"shared_phone_min"`
	SharedLegalRepMin   *int      `json:"shared_legal_rep_min"`
	BuildingEntitiesMin *int      `json:"building_entities_min"`
	FlagKind            string    `json:"flag_kind"`
	FlagStatus          string    `json:"flag_status"`
	HasOpenFlag         *bool     `json:"has_open_flag"`
	InspectionOutcome   string    `json:"inspection_outcome"`

	Limit  *int   `json:"limit"`
	Cursor string `json:"cursor"`
}

// nearJSON is a buffer around a point: {"lon", "lat", "radius_m"} in JSON,
// lon,lat,radius_m in a query. The point is in the request's crs.
type nearJSON struct {
	Lon     *float64 `json:"lon"`
	Lat     *float64 `json:"lat"`
	RadiusM *float64 `json:"radius_m"`
}

// entitySearchOfQuery reads the query parameters of GET /v1/entities. An
// empty parameter is as good as absent; an unknown or repeated one is an
// error, so that a typo does not silently widen the list.
func entitySearchOfQuery(q url.Values) (entitySearch, error) {
	var req entitySearch
	text := map[string]*string{
		"town": &req.Town, "village": &req.Village, "grid": &req.Grid, "crs": &req.CRS,
		"industry": &req.Industry, "kind": &req.Kind, "status": &req.Status,
		"registered_from": &req.RegisteredFrom, "registered_to": &req.RegisteredTo,
		"inspected_before": &req.InspectedBefore, "inspected_after": &req.InspectedAfter,
		"task_status": &req.TaskStatus, "address_code": &req.AddressCode,
		"link_status": &req.LinkStatus, "cursor": &req.Cursor,
		"same_building_as": &req.SameBuildingAs, "same_phone_as": &req.SamePhoneAs,
		"same_legal_rep_as": &req.SameLegalRepAs, "flag_kind": &req.FlagKind, "flag_status": &req.FlagStatus,
		"inspection_outcome": &req.InspectionOutcome,
	}
	counts := map[string]**int{
		"shared_phone_min": &req.SharedPhoneMin, "shared_legal_rep_min": &req.SharedLegalRepMin,
		"building_entities_min": &req.BuildingEntitiesMin,
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vals := q[name]
		if name == "" { // "=v": there is no name to give in the error
			return req, derrors.Field("query", "has a parameter without a name (=%s)", vals[0])
		}
		if len(vals) > 1 {
			return req, derrors.Field(name, "is given %d times; give it once", len(vals))
		}
		v := vals[0]
		if v == "" || name == "unmask" { // unmask: read by the access guard
			continue
		}
		switch name {
		case "building":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return req, derrors.Field(name, "must be a positive integer building id, not %q", v)
			}
			req.Building = &n
		case "bbox":
			parts := strings.Split(v, ",")
			if len(parts) != 4 {
				return req, derrors.Field(name, "must be minLon,minLat,maxLon,maxLat: 4 numbers, not %d", len(parts))
			}
			for _, p := range parts {
				x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
				if err != nil {
					return req, derrors.Field(name, "%q is not a number", p)
				}
				req.BBox = append(req.BBox, x)
			}
		case "polygon":
			req.Polygon = json.RawMessage(v)
		case "never_inspected", "has_open_flag":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return req, derrors.Field(name, "must be true or false, not %q", v)
			}
			if name == "never_inspected" {
				req.NeverInspected = b
			} else {
				req.HasOpenFlag = &b
			}
		case "near":
			parts := strings.Split(v, ",")
			if len(parts) != 3 {
				return req, derrors.Field(name, "must be lon,lat,radius_m: 3 numbers, not %d", len(parts))
			}
			var x [3]float64
			for i, p := range parts {
				f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
				if err != nil {
					return req, derrors.Field(name, "%q is not a number", p)
				}
				x[i] = f
			}
			req.Near = &nearJSON{Lon: &x[0], Lat: &x[1], RadiusM: &x[2]}
		case "shared_phone_min", "shared_legal_rep_min", "building_entities_min":
			n, err := strconv.Atoi(v)
			if err != nil {
				return req, derrors.Field(name, "must be an integer from %d to %d, not %q",
					supervision.MinGroupSize, supervision.MaxGroupSize, v)
			}
			*counts[name] = &n
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil {
				return req, derrors.Field(name, "must be an integer from 1 to %d, not %q", supervision.MaxEntityLimit, v)
			}
			req.Limit = &n
		default:
			p, ok := text[name]
			if !ok {
				return req, derrors.Field(name, "is not a parameter of this list")
			}
			*p = v
		}
	}
	return req, nil
}

// filter checks the request and turns it into an entity filter in WGS84.
func (req entitySearch) filter() (supervision.EntityFilter, error) {
	f := supervision.EntityFilter{
		TownCode: req.Town, VillageCode: req.Village, GridCode: req.Grid,
		Industry: req.Industry, Kind: supervision.Kind(req.Kind), Status: supervision.Status(req.Status),
		NeverInspected: req.NeverInspected, TaskStatus: supervision.TaskStatus(req.TaskStatus),
		AddressCode: req.AddressCode, LinkStatus: req.LinkStatus,
		SameBuildingAs: supervision.USCC(req.SameBuildingAs), SamePhoneAs: supervision.USCC(req.SamePhoneAs),
		SameLegalRepAs: supervision.USCC(req.SameLegalRepAs),
		FlagKind:       supervision.FlagKind(req.FlagKind), FlagStatus: supervision.FlagStatus(req.FlagStatus),
		HasOpenFlag: req.HasOpenFlag, InspectionOutcome: supervision.Outcome(req.InspectionOutcome),
	}
	crs, err := geo.ParseCRS(req.CRS)
	if err != nil {
		return f, derrors.Field("crs", "%v", err)
	}
	if req.Building != nil {
		if *req.Building <= 0 {
			return f, derrors.Field("building", "must be a positive integer building id, not %d", *req.Building)
		}
		f.BuildingID = *req.Building
	}
	if req.BBox != nil {
		if len(req.BBox) != 4 {
			return f, derrors.Field("bbox", "must be minLon,minLat,maxLon,maxLat: 4 numbers, not %d", len(req.BBox))
		}
		// A GCJ-02 box becomes the WGS84 box around its four corners,
		// converted: the offset varies by some 20 m over 10 km, so a box the
		// size of a town gains a few metres at its edges, a street's none.
		minLon, minLat, maxLon, maxLat := req.BBox[0], req.BBox[1], req.BBox[2], req.BBox[3]
		b := orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}
		if crs == geo.CRSGCJ02 && minLon <= maxLon && minLat <= maxLat {
			b = orb.MultiPoint{
				geo.ToWGS84(crs, minLon, minLat).Point(), geo.ToWGS84(crs, maxLon, minLat).Point(),
				geo.ToWGS84(crs, minLon, maxLat).Point(), geo.ToWGS84(crs, maxLon, maxLat).Point(),
			}.Bound()
		}
		f.BBox = &b
	}
	if len(req.Polygon) > 0 && !bytes.Equal(bytes.TrimSpace(req.Polygon), []byte("null")) {
		g, err := geojson.UnmarshalGeometry(req.Polygon)
		if err != nil {
			return f, derrors.Field("polygon", "is not a GeoJSON geometry: %v", err)
		}
		if g.Geometry() == nil {
			return f, derrors.Field("polygon", "has no coordinates")
		}
		f.Within = g.Geometry()
		if crs == geo.CRSGCJ02 {
			f.Within = geo.GCJ02GeometryToWGS84(f.Within)
		}
	}
	if n := req.Near; n != nil {
		if n.Lon == nil || n.Lat == nil || n.RadiusM == nil {
			return f, derrors.Field("near", "needs lon, lat and radius_m")
		}
		c := supervision.Circle{Center: orb.Point{*n.Lon, *n.Lat}, RadiusM: *n.RadiusM}
		if crs == geo.CRSGCJ02 && geo.FromPoint(c.Center).Valid() {
			c.Center = geo.ToWGS84(crs, *n.Lon, *n.Lat).Point()
		}
		f.Near = &c
	}
	for _, g := range []struct {
		name string
		n    *int
		into *int
	}{
		{"shared_phone_min", req.SharedPhoneMin, &f.SharedPhoneMin},
		{"shared_legal_rep_min", req.SharedLegalRepMin, &f.SharedLegalRepMin},
		{"building_entities_min", req.BuildingEntitiesMin, &f.BuildingEntitiesMin},
	} {
		if g.n == nil {
			continue
		}
		if *g.n < supervision.MinGroupSize || *g.n > supervision.MaxGroupSize {
			return f, derrors.Field(g.name, "must be an integer from %d to %d, not %d",
				supervision.MinGroupSize, supervision.MaxGroupSize, *g.n)
		}
		*g.into = *g.n
	}
	for _, d := range []struct {
		name, value string
		into        *time.Time
		withTime    bool
	}{
		{"registered_from", req.RegisteredFrom, &f.RegisteredFrom, false},
		{"registered_to", req.RegisteredTo, &f.RegisteredTo, false},
		{"inspected_before", req.InspectedBefore, &f.InspectedBefore, true},
		{"inspected_after", req.InspectedAfter, &f.InspectedAfter, true},
	} {
		if d.value == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, d.value, supervision.Beijing)
		if err != nil && d.withTime {
			t, err = time.Parse(time.RFC3339, d.value)
			if err != nil {
				return f, derrors.Field(d.name, "must be a date (YYYY-MM-DD, Beijing time) or an RFC 3339 time, not %q", d.value)
			}
		}
		if err != nil {
			return f, derrors.Field(d.name, "must be a date (YYYY-MM-DD), not %q", d.value)
		}
		*d.into = t
	}
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > supervision.MaxEntityLimit {
			return f, derrors.Field("limit", "must be an integer from 1 to %d, not %d", supervision.MaxEntityLimit, *req.Limit)
		}
		f.Limit = *req.Limit
	}
	if req.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(req.Cursor)
		if err != nil {
			return f, derrors.Field("cursor", "is not a cursor this API returned")
		}
		f.After = supervision.USCC(b)
	}
	if err := f.Validate(); err != nil {
		return f, badInput(err)
	}
	return f, nil
}

// badInput turns a validation error into a 400: naming the field for a
// supervision.FieldError (see asInvalid), with the error's text otherwise.
func badInput(err error) error {
	if fe := (*supervision.FieldError)(nil); errors.As(err, &fe) {
		return asInvalid(err, "")
	}
	return &derrors.Error{Kind: derrors.Invalid, Message: err.Error()}
}

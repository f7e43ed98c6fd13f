package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// FilterStore keeps saved filters (高级筛选 saved under a name).
type FilterStore interface {
	CreateFilter(ctx context.Context, sf supervision.SavedFilter) (supervision.SavedFilter, error)
	// SavedFilter returns one filter, or a NotFound error.
	SavedFilter(ctx context.Context, id int64) (supervision.SavedFilter, error)
	// SavedFilters lists the filters in id order after the id after, up to
	// limit+1: all of them when town is "", else the city-wide ones and
	// the town's.
	SavedFilters(ctx context.Context, town string, after int64, limit int) ([]supervision.SavedFilter, error)
	// UpdateFilter replaces a filter's name, description and filter; a
	// non-zero ifVersion other than the stored version is a conflict.
	UpdateFilter(ctx context.Context, sf supervision.SavedFilter, ifVersion int) (supervision.SavedFilter, error)
	DeleteFilter(ctx context.Context, id int64) error
}

// WithFilters enables the saved filter routes over st. Running a filter
// needs the entity reader too.
func WithFilters(st FilterStore) Option { return func(s *Server) { s.filters = st } }

func (s *Server) filterRoutes(r *mux.Router) {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	s.add(r, []route{
		{post, "/v1/filters", auth.SaveFilters, s.createFilter},
		{get, "/v1/filters", auth.ReadEntities, s.listFilters},
		{get, "/v1/filters/{id}", auth.ReadEntities, s.getFilter},
		{put, "/v1/filters/{id}", auth.SaveFilters, s.updateFilter},
		{del, "/v1/filters/{id}", auth.SaveFilters, s.deleteFilter},
		{get, "/v1/filters/{id}/count", auth.ReadEntities, s.countFilter},
		{get, "/v1/filters/{id}/geojson", auth.ReadEntities, s.filterGeoJSON},
	})
	s.protect(r, get, "/v1/filters/{id}/entities", endpoint{perm: auth.ReadEntities, unmaskable: true}, s.filterEntities)
	s.protect(r, get, "/v1/filters/{id}/export",
		endpoint{perm: auth.Export, sensitive: audit.Export, unmaskable: true}, s.exportSavedFilter)
}

// savedFilterJSON is a saved filter as the API shows it.
type savedFilterJSON struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Filter      json.RawMessage `json:"filter"`
	TownCode    string          `json:"town_code"` // "" city-wide
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	Version     int             `json:"version"`
}

func savedFilterJSONOf(sf supervision.SavedFilter) savedFilterJSON {
	return savedFilterJSON{ID: sf.ID, Name: sf.Name, Description: sf.Description, Filter: sf.Filter,
		TownCode: sf.TownCode, CreatedBy: sf.CreatedBy, CreatedAt: sf.CreatedAt.In(supervision.Beijing),
		UpdatedAt: sf.UpdatedAt.In(supervision.Beijing), Version: sf.Version}
}

// filterBody is the body of POST /v1/filters and PUT /v1/filters/{id}.
type filterBody struct {
	Name        *string         `json:"name"`
	Description string          `json:"description"`
	Filter      json.RawMessage `json:"filter"`
	// TownCode is the scope to save for: a town-scoped token saves for its
	// town (and may name it); a city-wide one for the city ("", the
	// default) or a town.
	TownCode *string `json:"town_code"`
}

func (s *Server) filterStore() (FilterStore, error) {
	if s.filters == nil {
		return nil, derrors.New(derrors.Unavailable, "saved filters are not enabled on this server")
	}
	return s.filters, nil
}

// savedFilterOf checks a body and returns the filter it saves: its filter
// is parsed as POST /v1/entities:search parses its body (a bad one is a 400
// naming filter.<field>), may name only the scope's town, and the entities
// it compares with must exist. The scope is town_code, scope when absent;
// a town-scoped caller saves for its own town only.
func (s *Server) savedFilterOf(r *http.Request, scope string) (supervision.SavedFilter, error) {
	var body filterBody
	if err := decodeJSON(r, &body); err != nil {
		return supervision.SavedFilter{}, err
	}
	if body.Name == nil {
		return supervision.SavedFilter{}, derrors.Field("name", "is required: what the screen is called")
	}
	sf := supervision.SavedFilter{Name: *body.Name, Description: body.Description, TownCode: scope}
	if body.TownCode != nil {
		sf.TownCode = *body.TownCode
	}
	if err := sf.Validate(); err != nil {
		return sf, badInput(err)
	}
	ctx := r.Context()
	p, ok := principalOf(ctx)
	if ok && !p.CityWide() && sf.TownCode != p.TownCode {
		return sf, derrors.New(derrors.Forbidden, "a token of town %s saves filters for its town, not for %q", p.TownCode, sf.TownCode)
	}
	if t := bytes.TrimSpace(body.Filter); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return sf, derrors.Field("filter", "is required: the entity filter to save, as POST /v1/entities:search takes it")
	} else if t[0] != '{' {
		return sf, derrors.Field("filter", "must be a JSON object: the filters of POST /v1/entities:search")
	}
	req, err := parseSavedFilter(body.Filter)
	if err != nil {
		return sf, err
	}
	f, err := screen(ctx, req)
	if err != nil {
		return sf, inFilter(err)
	}
	if sf.TownCode != "" && f.TownCode != "" && f.TownCode != sf.TownCode {
		return sf, derrors.Field("filter.town", "is %s, but the filter is saved for town %s, whose tokens alone see it", f.TownCode, sf.TownCode)
	}
	if err := s.checkTargets(ctx, f); err != nil {
		return sf, inFilter(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body.Filter); err != nil {
		return sf, derrors.Field("filter", "is not valid JSON")
	}
	sf.Filter = compact.Bytes()
	if ok {
		sf.CreatedBy = p.String()
		if p.TokenID == 0 { // a server built WithFixedPrincipal, as the audit log names it
			sf.CreatedBy = "fixed principal " + string(p.Role)
		}
	}
	return sf, nil
}

// parseSavedFilter reads the filter of a saved filter: the body of POST
// /v1/entities:search without a page. Errors name filter.<field>.
func parseSavedFilter(b []byte) (entitySearch, error) {
	var req entitySearch
	if err := decodeStrict(b, &req); err != nil {
		return req, inFilter(err)
	}
	if req.Limit != nil {
		return req, derrors.Field("filter.limit", "is not part of a saved filter: give the page size when you run it")
	}
	if req.Cursor != "" {
		return req, derrors.Field("filter.cursor", "is not part of a saved filter: give the cursor when you run it")
	}
	return req, nil
}

// inFilter names the fields of an error about a saved filter's filter as
// fields of it: near becomes filter.near, the body as a whole filter.
func inFilter(err error) error {
	var de *derrors.Error
	if !errors.As(err, &de) || de.Field == "" {
		return err
	}
	out := *de
	out.Field = "filter." + de.Field
	if de.Field == "body" {
		out.Field = "filter"
		out.Message = strings.Replace(de.Message, "body", "filter", 1)
	}
	return &out
}

// checkTargets returns a bad-input error when an entity that f compares
// with (same_building_as, ...) does not exist.
func (s *Server) checkTargets(ctx context.Context, f supervision.EntityFilter) error {
	rd, err := s.entityReader()
	if err != nil {
		return err
	}
	for field, code := range f.Targets() {
		if _, err := rd.Entity(ctx, code); errors.Is(err, derrors.NotFound) {
			return derrors.Field(field, "no entity has the USCC %s", code)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// POST /v1/filters {"name", "description", "filter", "town_code"}
func (s *Server) createFilter(w http.ResponseWriter, r *http.Request) error {
	st, err := s.filterStore()
	if err != nil {
		return err
	}
	scope := ""
	if p, ok := principalOf(r.Context()); ok && !p.CityWide() {
		scope = p.TownCode
	}
	sf, err := s.savedFilterOf(r, scope)
	if err != nil {
		return err
	}
	out, err := st.CreateFilter(r.Context(), sf)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/filters/"+strconv.FormatInt(out.ID, 10))
	w.Header().Set("ETag", `"`+strconv.Itoa(out.Version)+`"`)
	writeJSON(w, http.StatusCreated, savedFilterJSONOf(out))
	return nil
}

// GET /v1/filters?limit=&cursor=: the city-wide filters and, for a
// town-scoped caller, its town's; every filter for a city-wide one.
func (s *Server) listFilters(w http.ResponseWriter, r *http.Request) error {
	st, err := s.filterStore()
	if err != nil {
		return err
	}
	after, limit, err := listPage(r)
	if err != nil {
		return err
	}
	town := ""
	if p, ok := principalOf(r.Context()); ok && !p.CityWide() {
		town = p.TownCode
	}
	rows, err := st.SavedFilters(r.Context(), town, after, limit)
	if err != nil {
		return err
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	writePage(w, rows, more, savedFilterJSONOf, func(sf supervision.SavedFilter) int64 { return sf.ID })
	return nil
}

// visibleFilter reads the filter of the path as the caller may see it: a
// town's filter is another town's caller's 404.
func (s *Server) visibleFilter(r *http.Request) (FilterStore, supervision.SavedFilter, error) {
	st, err := s.filterStore()
	if err != nil {
		return nil, supervision.SavedFilter{}, err
	}
	id, err := idVar(r, "id")
	if err != nil {
		return nil, supervision.SavedFilter{}, err
	}
	sf, err := st.SavedFilter(r.Context(), id)
	if err != nil {
		return nil, sf, err
	}
	if sf.TownCode != "" {
		if err := seeTown(r.Context(), sf.TownCode, "saved filter "+strconv.FormatInt(id, 10)); err != nil {
			return nil, sf, err
		}
	}
	return st, sf, nil
}

// changeableFilter is visibleFilter for a change: a town-scoped caller
// changes its town's filters only, not the city's.
func (s *Server) changeableFilter(r *http.Request) (FilterStore, supervision.SavedFilter, error) {
	st, sf, err := s.visibleFilter(r)
	if err != nil {
		return nil, sf, err
	}
	if p, ok := principalOf(r.Context()); ok && !p.CityWide() && sf.TownCode == "" {
		return nil, sf, derrors.New(derrors.Forbidden, "saved filter %d is the whole city's: a token of town %s may run it, not change it", sf.ID, p.TownCode)
	}
	return st, sf, nil
}

// GET /v1/filters/{id}
func (s *Server) getFilter(w http.ResponseWriter, r *http.Request) error {
	_, sf, err := s.visibleFilter(r)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"`+strconv.Itoa(sf.Version)+`"`)
	writeJSON(w, http.StatusOK, savedFilterJSONOf(sf))
	return nil
}

// PUT /v1/filters/{id}: a new name, description and filter, the scope
// kept; If-Match: the version read, optional.
func (s *Server) updateFilter(w http.ResponseWriter, r *http.Request) error {
	ifVersion := 0
	if m := r.Header.Get("If-Match"); m != "" {
		v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(m, "W/"), `"`))
		if err != nil || v <= 0 {
			return derrors.Field("If-Match", "%q is not a filter version (the ETag of GET /v1/filters/{id})", m)
		}
		ifVersion = v
	}
	st, old, err := s.changeableFilter(r)
	if err != nil {
		return err
	}
	sf, err := s.savedFilterOf(r, old.TownCode)
	if err != nil {
		return err
	}
	if sf.TownCode != old.TownCode {
		return derrors.Field("town_code", "is %q; a saved filter keeps its scope (%q): save a new one for another", sf.TownCode, old.TownCode)
	}
	sf.ID = old.ID
	out, err := st.UpdateFilter(r.Context(), sf, ifVersion)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"`+strconv.Itoa(out.Version)+`"`)
	writeJSON(w, http.StatusOK, savedFilterJSONOf(out))
	return nil
}

// DELETE /v1/filters/{id}
func (s *Server) deleteFilter(w http.ResponseWriter, r *http.Request) error {
	st, sf, err := s.changeableFilter(r)
	if err != nil {
		return err
	}
	if err := st.DeleteFilter(r.Context(), sf.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// savedSearch reads the filter of the path and the query of a run of it,
// which may hold only the parameters named.
func (s *Server) savedSearch(r *http.Request, params ...string) (entitySearch, error) {
	_, sf, err := s.visibleFilter(r)
	if err != nil {
		return entitySearch{}, err
	}
	for name := range r.URL.Query() {
		if name != "unmask" && !slices.Contains(params, name) {
			return entitySearch{}, derrors.Field(name, "is not a parameter of a saved filter's run: the filter holds the criteria")
		}
	}
	return parseSavedFilter(sf.Filter)
}

// GET /v1/filters/{id}/entities?cursor=&limit=: a page of the entities the
// filter selects, as GET /v1/entities lists them.
func (s *Server) filterEntities(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.entityReader()
	if err != nil {
		return err
	}
	req, err := s.savedSearch(r, "cursor", "limit")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return derrors.Field("limit", "must be an integer from 1 to %d, not %q", supervision.MaxEntityLimit, v)
		}
		req.Limit = &n
	}
	req.Cursor = q.Get("cursor")
	return writeEntityPage(w, r, rd, req)
}

// GET /v1/filters/{id}/count
func (s *Server) countFilter(w http.ResponseWriter, r *http.Request) error {
	req, err := s.savedSearch(r)
	if err != nil {
		return err
	}
	return s.writeCount(w, r, req)
}

// GET /v1/filters/{id}/geojson?limit=
func (s *Server) filterGeoJSON(w http.ResponseWriter, r *http.Request) error {
	req, err := s.savedSearch(r, "limit")
	if err != nil {
		return err
	}
	limit, err := mapLimit(r.URL.Query())
	if err != nil {
		return err
	}
	return s.writeGeoJSON(w, r, req, limit)
}

// GET /v1/filters/{id}/export?format=: every entity the filter selects,
// streamed and audited as GET /v1/entities/export.
func (s *Server) exportSavedFilter(w http.ResponseWriter, r *http.Request) error {
	req, err := s.savedSearch(r, "format")
	if err != nil {
		return err
	}
	format, err := exportFormat(r.URL.Query())
	if err != nil {
		return err
	}
	return s.exportFilter(w, r, req, format)
}

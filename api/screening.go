package api

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// EntityScreener counts and maps the entities of a filter: the figures and
// the map layer of a screen (高级筛选). The entity reader given to
// WithEntityReader enables GET /v1/entities/count and /geojson when it is
// one too.
type EntityScreener interface {
	// EntityCount counts the entities f selects (its cursor and limit aside).
	EntityCount(ctx context.Context, f supervision.EntityFilter) (int, error)
	// EntityPoints returns how many entities f selects, how many of them
	// have a location, and the first limit of those in USCC order.
	EntityPoints(ctx context.Context, f supervision.EntityFilter, limit int) (supervision.EntityMap, error)
}

func (s *Server) entityScreener() (EntityScreener, error) {
	sc, ok := s.reader.(EntityScreener)
	if !ok {
		return nil, derrors.New(derrors.Unavailable, "entity screens are not enabled on this server")
	}
	return sc, nil
}

// screen checks a request's filters and narrows them to the caller's
// scope: a town-scoped caller screens its own town, and asking for another
// is forbidden. Criteria about flags need read_flags and the last
// inspection's outcome read_tasks, as the entity's own flags and
// inspections do (GET /v1/entities/{uscc}).
func screen(ctx context.Context, req entitySearch) (supervision.EntityFilter, error) {
	f, err := req.filter()
	if err != nil {
		return f, err
	}
	if err := scopeTown(ctx, &f.TownCode); err != nil {
		return f, err
	}
	if p, ok := principalOf(ctx); ok {
		if _, _, byFlags := f.FlagSelection(); (byFlags || f.HasOpenFlag != nil) && !p.Can(auth.ReadFlags) {
			return f, derrors.New(derrors.Forbidden, "screening by flags (flag_kind, flag_status, has_open_flag) needs the read_flags permission")
		}
		if f.InspectionOutcome != "" && !p.Can(auth.ReadTasks) {
			return f, derrors.New(derrors.Forbidden, "screening by inspection_outcome needs the read_tasks permission")
		}
	}
	return f, nil
}

// mayReadFlags reports whether the caller may see flags (a server without
// authentication: everyone).
func mayReadFlags(ctx context.Context) bool {
	p, ok := principalOf(ctx)
	return !ok || p.Can(auth.ReadFlags)
}

// GET /v1/entities/count?<the filters of GET /v1/entities>
func (s *Server) countEntities(w http.ResponseWriter, r *http.Request) error {
	q, err := withoutParams(r.URL.Query(), "a count: it counts every entity the filters select", "limit", "cursor")
	if err != nil {
		return err
	}
	req, err := entitySearchOfQuery(q)
	if err != nil {
		return err
	}
	return s.writeCount(w, r, req)
}

func (s *Server) writeCount(w http.ResponseWriter, r *http.Request, req entitySearch) error {
	sc, err := s.entityScreener()
	if err != nil {
		return err
	}
	f, err := screen(r.Context(), req)
	if err != nil {
		return err
	}
	n, err := sc.EntityCount(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": n})
	return nil
}

// GET /v1/entities/geojson?<the filters of GET /v1/entities>&limit=
func (s *Server) entitiesGeoJSON(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := mapLimit(q)
	if err != nil {
		return err
	}
	q.Del("limit")
	if q, err = withoutParams(q, "a map layer: it has no pages", "cursor"); err != nil {
		return err
	}
	req, err := entitySearchOfQuery(q)
	if err != nil {
		return err
	}
	return s.writeGeoJSON(w, r, req, limit)
}

// mapLimit reads the limit of a map layer.
func mapLimit(q url.Values) (int, error) {
	v := q["limit"]
	switch {
	case len(v) > 1:
		return 0, derrors.Field("limit", "is given %d times; give it once", len(v))
	case len(v) == 0 || v[0] == "":
		return supervision.DefaultMapLimit, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 1 || n > supervision.MaxMapLimit {
		return 0, derrors.Field("limit", "must be an integer from 1 to %d, not %q", supervision.MaxMapLimit, v[0])
	}
	return n, nil
}

// withoutParams refuses the parameters of an entity list that a route
// does not take (what it is says why), and returns the query for
// entitySearchOfQuery, without unmask (the access guard reads it).
func withoutParams(q url.Values, what string, names ...string) (url.Values, error) {
	for _, name := range names {
		if q.Has(name) {
			return nil, derrors.Field(name, "is not a parameter of %s", what)
		}
	}
	q.Del("unmask")
	return q, nil
}

// entityCollection is the map layer of a screen: a GeoJSON FeatureCollection
// of the located entities the filters select, the first limit in USCC
// order, with how many entities (located or not) they select.
type entityCollection struct {
	Type      string         `json:"type"` // FeatureCollection
	Features  []pointFeature `json:"features"`
	Total     int            `json:"total"`     // entities the filters select, located or not (GET /v1/entities/count)
	Truncated bool           `json:"truncated"` // the limit cut the layer short: more located entities follow
}

type pointFeature struct {
	Type       string            `json:"type"` // Feature
	ID         string            `json:"id"`   // the USCC
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties pointProperties   `json:"properties"`
}

type pointProperties struct {
	USCC      string  `json:"uscc"`
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Status    string  `json:"status"`
	Industry  *string `json:"industry"`
	TownCode  *string `json:"town_code"`
	OpenFlags *int    `json:"open_flags,omitempty"` // with read_flags, when it has open flags
}

func (s *Server) writeGeoJSON(w http.ResponseWriter, r *http.Request, req entitySearch, limit int) error {
	sc, err := s.entityScreener()
	if err != nil {
		return err
	}
	f, err := screen(r.Context(), req)
	if err != nil {
		return err
	}
	m, err := sc.EntityPoints(r.Context(), f, limit)
	if err != nil {
		return err
	}
	flags := mayReadFlags(r.Context())
	out := entityCollection{Type: "FeatureCollection", Features: make([]pointFeature, 0, len(m.Points)),
		Total: m.Total, Truncated: m.Truncated}
	nonEmpty := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	for _, p := range m.Points {
		props := pointProperties{USCC: string(p.USCC), Name: p.Name, Kind: string(p.Kind), Status: string(p.Status),
			Industry: nonEmpty(p.Industry), TownCode: nonEmpty(p.TownCode)}
		if flags && p.OpenFlags > 0 {
			props.OpenFlags = &p.OpenFlags
		}
		pt := orb.Point{math.Round(p.Location.Lon*coordinatePrecision) / coordinatePrecision,
			math.Round(p.Location.Lat*coordinatePrecision) / coordinatePrecision}
		out.Features = append(out.Features, pointFeature{Type: "Feature", ID: props.USCC,
			Geometry: geojson.NewGeometry(pt), Properties: props})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	writeBody(w, http.StatusOK, "application/geo+json", b)
	return nil
}

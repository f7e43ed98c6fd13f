package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// StatsStore reads the statistics (统计分析) from their rollups. An unknown
// town or village is a NotFound error.
type StatsStore interface {
	AreaStats(ctx context.Context, q supervision.StatsQuery) (supervision.AreaReport, error)
	DepartmentStats(ctx context.Context, q supervision.StatsQuery) (supervision.DepartmentReport, error)
	TrendStats(ctx context.Context, q supervision.StatsQuery) (supervision.TrendReport, error)
	IndustryStats(ctx context.Context, q supervision.StatsQuery) (supervision.IndustryReport, error)
	ComplaintStats(ctx context.Context, q supervision.StatsQuery) (supervision.ComplaintReport, error)
	LeadStats(ctx context.Context, q supervision.StatsQuery) (supervision.LeadReport, error)
}

// WithStats enables the statistics routes over st.
func WithStats(st StatsStore) Option { return func(s *Server) { s.stats = st } }

func (s *Server) statsRoutes(r *mux.Router) {
	get := http.MethodGet
	s.add(r, []route{
		{get, "/v1/stats/towns", auth.ReadStats, s.statsTowns},
		{get, "/v1/stats/towns/{code}/villages", auth.ReadStats, s.statsVillages},
		{get, "/v1/stats/villages/{code}/grids", auth.ReadStats, s.statsGrids},
		{get, "/v1/stats/departments", auth.ReadStats, s.statsDepartments},
		{get, "/v1/stats/trend", auth.ReadStats, s.statsTrend},
		{get, "/v1/stats/industries", auth.ReadStats, s.statsIndustries},
		{get, "/v1/stats/complaints", auth.ReadStats, s.statsComplaints},
		{get, "/v1/stats/leads", auth.ReadStats, s.statsLeads},
	})
}

// statsRequest is the query of a statistics route: the period, the format
// and the areas it names.
type statsRequest struct {
	q     supervision.StatsQuery
	csv   bool
	name  string // of the CSV file: stats-<name>-<from>-<to>.csv
	store StatsStore
}

// statsQuery reads the query of a statistics route: from, to, format, and
// town and village when the route takes them (extra); any other parameter
// is a 400, so that a misspelt filter never widens an answer.
func (s *Server) statsQuery(r *http.Request, name string, extra ...string) (statsRequest, error) {
	req := statsRequest{name: name, store: s.stats}
	if s.stats == nil {
		return req, derrors.New(derrors.Unavailable, "statistics are not enabled on this server")
	}
	allowed := map[string]bool{"from": true, "to": true, "format": true}
	for _, e := range extra {
		allowed[e] = true
	}
	for p := range r.URL.Query() {
		if !allowed[p] {
			return req, derrors.Field(p, "is not a parameter of %s", routeTemplate(r))
		}
	}
	q := &query{r: r}
	req.q.TownCode = q.code("town", "town", 9)
	req.q.VillageCode = q.code("village", "village", 12)
	if q.err != nil {
		return req, q.err
	}
	v := r.URL.Query()
	switch f := v.Get("format"); f {
	case "", "json":
	case "csv":
		req.csv = true
	default:
		return req, derrors.Field("format", "must be json or csv, not %q", f)
	}
	req.q.Now = time.Now()
	var err error
	if req.q.Period, err = supervision.ParsePeriod(v.Get("from"), v.Get("to"), req.q.Now); err != nil {
		return req, badInput(err)
	}
	return req, nil
}

// areaCode reads the division code of the path, of the given length.
func areaCode(r *http.Request, what string, digits int) (string, error) {
	v := mux.Vars(r)["code"]
	if len(v) != digits || strings.Trim(v, "0123456789") != "" {
		return "", derrors.Field("code", "must be a %d-digit %s code, not %q", digits, what, v)
	}
	return v, nil
}

// GET /v1/stats/towns: the towns of the city (a town-scoped caller: its
// own), with the entities not linked to a town yet as code "".
func (s *Server) statsTowns(w http.ResponseWriter, r *http.Request) error {
	req, err := s.statsQuery(r, "towns")
	if err != nil {
		return err
	}
	req.q.Level = supervision.StatsCity
	if err := scopeTown(r.Context(), &req.q.TownCode); err != nil {
		return err
	}
	rep, err := req.store.AreaStats(r.Context(), req.q)
	if err != nil {
		return err
	}
	rep.Total.Code, rep.Total.Name = supervision.CityCode, supervision.CityName
	if req.q.TownCode != "" && len(rep.Items) == 1 {
		rep.Total.Name = rep.Items[0].Name
		rep.Total.Code = rep.Items[0].Code
	}
	out := areasJSONOf(rep)
	return req.write(w, out.AsOf, out, out.Items, areaJSON{})
}

// GET /v1/stats/towns/{code}/villages: the villages of a town.
func (s *Server) statsVillages(w http.ResponseWriter, r *http.Request) error {
	town, err := areaCode(r, "town", 9)
	if err != nil {
		return err
	}
	req, err := s.statsQuery(r, "town-"+town)
	if err != nil {
		return err
	}
	if err := scopeTown(r.Context(), &town); err != nil {
		return err
	}
	req.q.Level, req.q.TownCode = supervision.StatsTown, town
	rep, err := req.store.AreaStats(r.Context(), req.q)
	if err != nil {
		return err
	}
	out := areasJSONOf(rep)
	return req.write(w, out.AsOf, out, out.Items, areaJSON{})
}

// GET /v1/stats/villages/{code}/grids: the grids of a village.
func (s *Server) statsGrids(w http.ResponseWriter, r *http.Request) error {
	village, err := areaCode(r, "village", 12)
	if err != nil {
		return err
	}
	req, err := s.statsQuery(r, "village-"+village)
	if err != nil {
		return err
	}
	town := village[:9] // a village's code begins with its town's
	if err := scopeTown(r.Context(), &town); err != nil {
		return err
	}
	req.q.Level, req.q.TownCode, req.q.VillageCode = supervision.StatsVillage, town, village
	rep, err := req.store.AreaStats(r.Context(), req.q)
	if err != nil {
		return err
	}
	out := areasJSONOf(rep)
	return req.write(w, out.AsOf, out, out.Items, areaJSON{})
}

// scopeArea narrows the town and village of a query to the caller's town:
// a village names its town.
func scopeArea(ctx context.Context, q *supervision.StatsQuery) error {
	if q.VillageCode != "" && q.TownCode == "" {
		q.TownCode = q.VillageCode[:9]
	}
	return scopeTown(ctx, &q.TownCode)
}

// GET /v1/stats/departments?town=: the tasks and leads of each department
// (a department's caller: its own).
func (s *Server) statsDepartments(w http.ResponseWriter, r *http.Request) error {
	req, err := s.statsQuery(r, "departments", "town")
	if err != nil {
		return err
	}
	if err := scopeFilter(r.Context(), &req.q.TownCode, &req.q.Department); err != nil {
		return err
	}
	rep, err := req.store.DepartmentStats(r.Context(), req.q)
	if err != nil {
		return err
	}
	out := departmentsJSONOf(rep)
	return req.write(w, out.AsOf, out, out.Items, departmentJSON{})
}

// GET /v1/stats/trend?town=&village=: an area's history month by month.
func (s *Server) statsTrend(w http.ResponseWriter, r *http.Request) error {
	req, err := s.statsQuery(r, "trend", "town", "village")
	if err != nil {
		return err
	}
	if err := scopeArea(r.Context(), &req.q); err != nil {
		return err
	}
	rep, err := req.store.TrendStats(r.Context(), req.q)
	if err != nil {
		return err
	}
	out := trendJSONOf(rep)
	return req.write(w, out.AsOf, out, out.Months, trendMonthJSON{})
}

// GET /v1/stats/industries?town=&village=: the industries by complaints.
func (s *Server) statsIndustries(w http.ResponseWriter, r *http.Request) error {
	req, err := s.statsQuery(r, "industries", "town", "village")
	if err != nil {
		return err
	}
	if err := scopeArea(r.Context(), &req.q); err != nil {
		return err
	}
	rep, err := req.store.IndustryStats(r.Context(), req.q)
	if err != nil {
		return err
	}
	out := industriesJSONOf(rep)
	return req.write(w, out.AsOf, out, out.Items, industryJSON{})
}

// GET /v1/stats/complaints?town=: the complaint hot spots of the towns, or
// of a town's villages.
func (s *Server) statsComplaints(w http.ResponseWriter, r *http.Request) error {
	req, err := s.statsQuery(r, "complaints", "town")
	if err != nil {
		return err
	}
	if err := scopeTown(r.Context(), &req.q.TownCode); err != nil {
		return err
	}
	rep, err := req.store.ComplaintStats(r.Context(), req.q)
	if err != nil {
		return err
	}
	out := complaintsJSONOf(rep)
	return req.write(w, out.AsOf, out, out.Items, hotSpotJSON{})
}

// GET /v1/stats/leads?town=: the flows of leads between departments (a
// department's caller: those from or to it).
func (s *Server) statsLeads(w http.ResponseWriter, r *http.Request) error {
	req, err := s.statsQuery(r, "leads", "town")
	if err != nil {
		return err
	}
	if err := scopeFilter(r.Context(), &req.q.TownCode, &req.q.Department); err != nil {
		return err
	}
	rep, err := req.store.LeadStats(r.Context(), req.q)
	if err != nil {
		return err
	}
	out := leadsJSONOf(rep)
	return req.write(w, out.AsOf, out, out.Flows, leadFlowJSON{})
}

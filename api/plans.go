package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// PlanStore draws double-random (双随机) campaigns and plans the visits of
// an inspector. Bad requests and quotas that cannot be filled are 400s
// naming the field; unknown campaigns and assignees are not found.
type PlanStore interface {
	CreateCampaign(ctx context.Context, req supervision.CampaignRequest, p supervision.Policy) (supervision.Campaign, error)
	Campaign(ctx context.Context, id int64) (supervision.Campaign, error)
	Plan(ctx context.Context, assignee string, start *geo.WGS84) (supervision.Plan, error)
}

// WithPlans enables the campaign and plan routes over st.
func WithPlans(st PlanStore) Option {
	return func(s *Server) { s.plans = st }
}

// planStore returns the plan store, or 503 when the server has none.
func (s *Server) planStore() (PlanStore, error) {
	if s.plans == nil {
		return nil, derrors.New(derrors.Unavailable, "campaigns and visit plans are not enabled on this server")
	}
	return s.plans, nil
}

func (s *Server) planRoutes(r *mux.Router) {
	s.add(r, []route{
		{http.MethodPost, "/v1/campaigns", auth.ManageCampaigns, s.postCampaign},
		{http.MethodGet, "/v1/campaigns/{id}", auth.ManageCampaigns, s.getCampaign},
		{http.MethodGet, "/v1/plans/{assignee}", auth.ReadTasks, s.getPlan},
	})
}

// campaignBody is the body of POST /v1/campaigns.
type campaignBody struct {
	Name    string              `json:"name"`
	Seed    *int64              `json:"seed"`
	Quotas  []supervision.Quota `json:"quotas"`
	DueDays int                 `json:"due_days"`
	DueAt   string              `json:"due_at"` // RFC 3339
	Filters struct {
		Industry []string `json:"industry"`
		Kind     []string `json:"kind"`
	} `json:"filters"`
	Items         []string `json:"items"`
	Department    string   `json:"department"`
	CreatedBy     string   `json:"created_by"`
	NewEntityDays int      `json:"new_entity_days"`
}

func (b campaignBody) request() (supervision.CampaignRequest, error) {
	req := supervision.CampaignRequest{Name: strings.TrimSpace(b.Name), Quotas: b.Quotas, DueDays: b.DueDays,
		Industries: b.Filters.Industry, Items: b.Items, Department: b.Department,
		CreatedBy: strings.TrimSpace(b.CreatedBy), NewEntityDays: b.NewEntityDays}
	if b.Seed == nil {
		return req, derrors.Field("seed", "is required: the number the draw is reproduced from (0 to %d)", int64(supervision.MaxCampaignSeed))
	}
	req.Seed = *b.Seed
	if b.DueAt != "" {
		t, err := time.Parse(time.RFC3339Nano, b.DueAt)
		if err != nil {
			return req, derrors.Field("due_at", "%q is not an RFC 3339 time (2026-12-31T18:00:00+08:00)", b.DueAt)
		}
		req.DueAt = &t
	}
	for _, k := range b.Filters.Kind {
		req.Kinds = append(req.Kinds, supervision.Kind(k))
	}
	return req, nil
}

// campaignJSON is a campaign as clients see it.
type campaignJSON struct {
	ID        int64                      `json:"id"`
	Name      string                     `json:"name"`
	Seed      int64                      `json:"seed"`
	Params    supervision.CampaignParams `json:"params"`
	CreatedBy string                     `json:"created_by"`
	CreatedAt time.Time                  `json:"created_at"`
	DueAt     time.Time                  `json:"due_at"`
	Counts    supervision.CampaignCounts `json:"counts"`
	Entities  []campaignEntityJSON       `json:"entities"`
}

type campaignEntityJSON struct {
	USCC     string             `json:"uscc"`
	Name     string             `json:"name"`
	TownCode *string            `json:"town_code"`
	GridCode *string            `json:"grid_code"`
	Quota    string             `json:"quota"`
	Reason   string             `json:"reason"`
	Weight   float64            `json:"weight"`
	Factors  supervision.Weight `json:"factors"`
	Task     campaignTaskJSON   `json:"task"`
}

type campaignTaskJSON struct {
	ID     int64     `json:"id"`
	Status string    `json:"status"`
	DueAt  time.Time `json:"due_at"`
}

func toCampaignJSON(c supervision.Campaign) campaignJSON {
	out := campaignJSON{ID: c.ID, Name: c.Name, Seed: c.Seed, Params: c.Params, CreatedBy: c.CreatedBy,
		CreatedAt: beijing(c.CreatedAt), DueAt: beijing(c.DueAt), Counts: c.Counts,
		Entities: make([]campaignEntityJSON, len(c.Entities))}
	for i, e := range c.Entities {
		out.Entities[i] = campaignEntityJSON{USCC: string(e.USCC), Name: e.Name, TownCode: strOrNil(e.TownCode),
			GridCode: strOrNil(e.GridCode), Quota: e.Quota, Reason: string(e.Reason), Weight: roundTo(e.Weight.Weight, 4),
			Factors: e.Weight, Task: campaignTaskJSON{ID: e.TaskID, Status: string(e.TaskStatus), DueAt: beijing(e.DueAt)}}
	}
	return out
}

// POST /v1/campaigns draws a campaign and pushes its checks.
func (s *Server) postCampaign(w http.ResponseWriter, r *http.Request) error {
	st, err := s.planStore()
	if err != nil {
		return err
	}
	var body campaignBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	req, err := body.request()
	if err != nil {
		return err
	}
	wf, _ := s.workflow.(workflow) // the deadlines WithTaskPolicy set, if any
	c, err := st.CreateCampaign(r.Context(), req, wf.policy)
	if err != nil {
		return asInvalid(err, "")
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/campaigns/%d", c.ID))
	writeJSON(w, http.StatusCreated, toCampaignJSON(c))
	return nil
}

// GET /v1/campaigns/{id}: the campaign with every entity drawn, its
// weight, why it was drawn and its check task.
func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) error {
	st, err := s.planStore()
	if err != nil {
		return err
	}
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	c, err := st.Campaign(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCampaignJSON(c))
	return nil
}

// divisionCode is a town (9 digits), village (12) or grid (15) code.
var divisionCode = regexp.MustCompile(`^[0-9]{9}([0-9]{3}){0,2}$`)

// GET /v1/plans/{assignee}?start=lon,lat&crs=: the assignee's open
// on-site visits as a GeoJSON FeatureCollection in walking order: a Point
// feature per stop, then a LineString feature of the route. Coordinates
// out are WGS84 (RFC 7946); crs declares the start's only.
func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) error {
	st, err := s.planStore()
	if err != nil {
		return err
	}
	assignee := mux.Vars(r)["assignee"]
	if !divisionCode.MatchString(assignee) {
		return derrors.Field("assignee", "must be a grid (15 digits), village (12) or town (9) code, not %q", assignee)
	}
	start, err := startPoint(r)
	if err != nil {
		return err
	}
	if err := scopeAssignee(r.Context(), assignee); err != nil {
		return err
	}
	plan, err := st.Plan(r.Context(), assignee, start)
	if err != nil {
		return err
	}
	return writeGeoJSON(w, planCollection(assignee, plan))
}

// startPoint reads the optional start=lon,lat in the declared crs.
func startPoint(r *http.Request) (*geo.WGS84, error) {
	q := r.URL.Query()
	v := q.Get("start")
	if v == "" {
		if _, err := geo.ParseCRS(q.Get("crs")); err != nil {
			return nil, derrors.Field("crs", "%v", err)
		}
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) != 2 {
		return nil, derrors.Field("start", "must be lon,lat: 2 numbers, not %d", len(parts))
	}
	var p orb.Point
	for i, part := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, derrors.Field("start", "%q is not a number", part)
		}
		p[i] = x
	}
	raw, err := json.Marshal(geojson.NewGeometry(p))
	if err != nil {
		return nil, err
	}
	w, _, err := pointInput("start", raw, q.Get("crs"))
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// planCollection is a plan as GeoJSON. Stops without a location are
// features with a null geometry after the routed ones; the route is a
// LineString from the start (if any) through every routed stop, null
// when it has fewer than two points.
func planCollection(assignee string, p supervision.Plan) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	routed := 0
	for _, st := range p.Stops {
		var g orb.Geometry
		if st.Location != nil {
			g = rounded(st.Location.Point())
		}
		entities := make([]visitEntityJSON, len(st.Entities))
		for i, e := range st.Entities {
			entities[i] = visitEntityJSON{USCC: string(e.USCC), Name: e.Name, Tasks: e.Tasks, Items: nonNilStrings(e.Items)}
		}
		f := geojson.NewFeature(g)
		f.Properties = geojson.Properties{"kind": "stop", "order": st.Order, "building_id": idOrNil(st.BuildingID),
			"entities": entities, "items": nonNilStrings(st.Items), "due_at": beijing(st.DueAt), "routed": st.Routed,
			"distance_metres": nil}
		if st.Routed {
			f.Properties["distance_metres"] = roundTo(st.LegMetres, 1)
			routed++
		}
		fc.Append(f)
	}
	var line orb.Geometry
	if len(p.Route) >= 2 {
		line = rounded(p.Route)
	}
	route := geojson.NewFeature(line)
	route.Properties = geojson.Properties{"kind": "route", "length_metres": roundTo(p.Metres, 1), "stops": routed}
	fc.Append(route)
	fc.ExtraMembers = geojson.Properties{"assignee": assignee, "length_metres": roundTo(p.Metres, 1), "start": pointJSON(p.Start)}
	return fc
}

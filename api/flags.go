package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// FlagStore keeps the flags and the data their rules read. Lists are by
// id; each reports whether another page follows. An unknown id is a 404,
// a review the flag's status does not allow a 409.
type FlagStore interface {
	Flags(ctx context.Context, f supervision.FlagFilter) ([]supervision.Flag, bool, error)
	Flag(ctx context.Context, id int64) (supervision.Flag, []supervision.FlagEvent, error)
	ReviewFlag(ctx context.Context, id int64, r supervision.Review) (supervision.Flag, error)
	OpenFlags(ctx context.Context, usccs []supervision.USCC, addressCode string) ([]supervision.Flag, error)
	RestrictedTrades(ctx context.Context) ([]supervision.RestrictedTrade, error)
	ReplaceRestrictedTrades(ctx context.Context, ts []supervision.RestrictedTrade) error
	ClusterHosts(ctx context.Context) ([]supervision.ClusterHost, error)
	PutClusterHost(ctx context.Context, h supervision.ClusterHost) error
	DeleteClusterHost(ctx context.Context, addressCode string) error
}

// flagger is the store with the thresholds its rules run with, shown by
// GET /v1/rules/flags.
type flagger struct {
	FlagStore
	config supervision.FlagConfig
}

// WithFlags enables the flag routes over st, whose rules run with cfg.
func WithFlags(st FlagStore, cfg supervision.FlagConfig) Option {
	return func(s *Server) { s.flags = flagger{st, cfg.WithDefaults()} }
}

// flagStore returns the flag store, or 503 when the server has none.
func (s *Server) flagStore() (flagger, error) {
	if s.flags.FlagStore == nil {
		return flagger{}, derrors.New(derrors.Unavailable, "flags are not enabled on this server")
	}
	return s.flags, nil
}

func (s *Server) flagRoutes(r *mux.Router) {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	s.add(r, []route{
		{get, "/v1/flags", auth.ReadFlags, s.listFlags},
		{get, "/v1/flags/{id}", auth.ReadFlags, s.getFlag},
		{post, "/v1/flags/{id}/review", auth.ReviewFlags, s.reviewFlag},
		{get, "/v1/rules/flags", auth.ReadFlags, s.flagRules},
		{get, "/v1/rules/trades", auth.ReadFlags, s.getTrades},
		{put, "/v1/rules/trades", auth.ManageRules, s.putTrades},
		{get, "/v1/rules/cluster-hosts", auth.ReadFlags, s.listClusterHosts},
		{put, "/v1/rules/cluster-hosts/{code}", auth.ManageRules, s.putClusterHost},
		{del, "/v1/rules/cluster-hosts/{code}", auth.ManageRules, s.deleteClusterHost},
	})
}

// flagJSON is a flag as the API shows it.
type flagJSON struct {
	ID           int64             `json:"id"`
	Kind         string            `json:"kind"`
	Subject      string            `json:"subject"`
	Status       string            `json:"status"`
	Score        float64           `json:"score"`
	Title        string            `json:"title"`
	Evidence     map[string]any    `json:"evidence"`
	USCC         *string           `json:"uscc"`
	USCCs        []string          `json:"usccs"`
	AddressCode  *string           `json:"address_code"`
	BuildingID   *int64            `json:"building_id"`
	GridCode     *string           `json:"grid_code"`
	VillageCode  *string           `json:"village_code"`
	TownCode     *string           `json:"town_code"`
	Location     *geojson.Geometry `json:"location"`
	RaisedAt     time.Time         `json:"raised_at"`
	OpenedAt     time.Time         `json:"opened_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	ReviewedAt   *time.Time        `json:"reviewed_at"`
	Reviewer     *string           `json:"reviewer"`
	ReviewReason *string           `json:"review_reason"`
	ResolvedAt   *time.Time        `json:"resolved_at"`
}

func toFlagJSON(f supervision.Flag) flagJSON {
	out := flagJSON{ID: f.ID, Kind: string(f.Kind), Subject: f.Subject, Status: string(f.Status), Score: f.Score,
		Title: f.Title, Evidence: f.Evidence, USCC: strOrNil(string(f.USCC)), USCCs: make([]string, len(f.USCCs)),
		AddressCode: strOrNil(f.AddressCode), BuildingID: idOrNil(f.BuildingID), GridCode: strOrNil(f.GridCode),
		VillageCode: strOrNil(f.VillageCode), TownCode: strOrNil(f.TownCode), Location: pointJSON(f.Location),
		RaisedAt: beijing(f.RaisedAt), OpenedAt: beijing(f.OpenedAt), UpdatedAt: beijing(f.UpdatedAt),
		ReviewedAt: beijingPtr(f.ReviewedAt), Reviewer: strOrNil(f.Reviewer), ReviewReason: strOrNil(f.ReviewReason),
		ResolvedAt: beijingPtr(f.ResolvedAt)}
	for i, u := range f.USCCs {
		out.USCCs[i] = string(u)
	}
	if out.Evidence == nil {
		out.Evidence = map[string]any{}
	}
	return out
}

func toFlagsJSON(fs []supervision.Flag) []flagJSON {
	out := make([]flagJSON, len(fs))
	for i, f := range fs {
		out[i] = toFlagJSON(f)
	}
	return out
}

// GET /v1/flags?kind=&status=&town=&grid=&uscc=&min_score=&bbox=w,s,e,n
func (s *Server) listFlags(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	q := &query{r: r}
	f := supervision.FlagFilter{Kind: parsed(q, "kind", supervision.ParseFlagKind),
		Status: parsed(q, "status", supervision.ParseFlagStatus), TownCode: q.code("town", "town", 9),
		GridCode: q.code("grid", "grid", 15), USCC: q.uscc("uscc")}
	if v := r.URL.Query().Get("min_score"); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !(x >= 0 && x <= 100) { // NaN is neither
			q.fail(derrors.Field("min_score", "must be a number from 0 to 100, not %q", v))
		}
		f.MinScore = &x
	}
	if v := r.URL.Query().Get("bbox"); v != "" {
		b, err := parseBBox(v)
		if err != nil {
			q.fail(err)
		}
		f.BBox = b
	}
	if f.After, f.Limit = q.page(); q.err != nil {
		return q.err
	}
	if err := scopeTown(r.Context(), &f.TownCode); err != nil {
		return err
	}
	fs, more, err := st.Flags(r.Context(), f)
	if err != nil {
		return err
	}
	writePage(w, fs, more, toFlagJSON, func(f supervision.Flag) int64 { return f.ID })
	return nil
}

// parseBBox reads west,south,east,north in WGS84 degrees.
func parseBBox(v string) (*[4]float64, error) {
	parts := strings.Split(v, ",")
	var b [4]float64
	bad := derrors.Field("bbox", "must be west,south,east,north in degrees (113.5,22.6,114.3,23.2), not %q", v)
	if len(parts) != 4 {
		return nil, bad
	}
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, bad
		}
		b[i] = x
	}
	// Written as what must hold, so that NaN fails.
	if !(b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[0] < b[2] && b[1] < b[3]) {
		return nil, derrors.Field("bbox", "%q is not a box on the planet with west < east and south < north", v)
	}
	return &b, nil
}

// flagEventJSON is a step of a flag's history.
type flagEventJSON struct {
	At       time.Time      `json:"at"`
	Action   string         `json:"action"`
	Actor    string         `json:"actor"`
	Status   string         `json:"status"`
	Note     string         `json:"note"`
	Score    *float64       `json:"score"`
	Evidence map[string]any `json:"evidence"`
}

// GET /v1/flags/{id}: the flag with its history.
func (s *Server) getFlag(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	f, events, err := st.Flag(r.Context(), id)
	if err != nil {
		return err
	}
	if err := seeTown(r.Context(), f.TownCode, fmt.Sprintf("flag %d", id)); err != nil {
		return err
	}
	hist := make([]flagEventJSON, len(events))
	for i, e := range events {
		hist[i] = flagEventJSON{At: beijing(e.At), Action: e.Action, Actor: e.Actor, Status: string(e.Status),
			Note: e.Note, Score: e.Score, Evidence: e.Evidence}
	}
	writeJSON(w, http.StatusOK, struct {
		flagJSON
		Events []flagEventJSON `json:"events"`
	}{toFlagJSON(f), hist})
	return nil
}

// POST /v1/flags/{id}/review {"decision": "confirm|dismiss|reopen", "reviewer": "...", "reason": "..."}
func (s *Server) reviewFlag(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		Decision string `json:"decision"`
		Reviewer string `json:"reviewer"`
		Reason   string `json:"reason"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	rv := supervision.Review{Decision: supervision.ReviewDecision(body.Decision), Reviewer: strings.TrimSpace(body.Reviewer),
		Reason: strings.TrimSpace(body.Reason)}
	if p, ok := principalOf(r.Context()); ok && !p.CityWide() {
		f, _, err := st.Flag(r.Context(), id)
		if err != nil {
			return err
		}
		if err := seeTown(r.Context(), f.TownCode, fmt.Sprintf("flag %d", id)); err != nil {
			return err
		}
	}
	f, err := st.ReviewFlag(r.Context(), id, rv)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFlagJSON(f))
	return nil
}

// GET /v1/rules/flags: the thresholds the rules run with.
func (s *Server) flagRules(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"kinds": supervision.FlagKinds, "config": st.config})
	return nil
}

// GET /v1/rules/trades: the restricted trades.
func (s *Server) getTrades(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	ts, err := st.RestrictedTrades(r.Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []supervision.RestrictedTrade{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"trades": ts})
	return nil
}

// PUT /v1/rules/trades {"trades": [...]}: replaces the restricted trades;
// the entities they may concern are evaluated again.
func (s *Server) putTrades(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	var body struct {
		Trades []supervision.RestrictedTrade `json:"trades"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Trades == nil {
		return derrors.Field("trades", "is required: the list of restricted trades")
	}
	if err := st.ReplaceRestrictedTrades(r.Context(), body.Trades); err != nil {
		return err
	}
	return s.getTrades(w, r)
}

// clusterHostJSON is an approved cluster host, its date as YYYY-MM-DD.
type clusterHostJSON struct {
	AddressCode string `json:"address_code"`
	Name        string `json:"name"`
	ApprovedAt  string `json:"approved_at"`
	ApprovedBy  string `json:"approved_by"`
}

// clusterHostCode reads the standard address code of a cluster host's path.
func clusterHostCode(r *http.Request) (string, error) {
	code := mux.Vars(r)["code"]
	if !addressCode.MatchString(code) {
		return "", derrors.Field("code", "must be a 16-digit doorplate or 18-digit room code, not %q", code)
	}
	return code, nil
}

// GET /v1/rules/cluster-hosts: the approved cluster-registration hosts.
func (s *Server) listClusterHosts(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	hs, err := st.ClusterHosts(r.Context())
	if err != nil {
		return err
	}
	out := make([]clusterHostJSON, len(hs))
	for i, h := range hs {
		out[i] = clusterHostJSON{h.AddressCode, h.Name, h.ApprovedAt.Format(time.DateOnly), h.ApprovedBy}
	}
	writeJSON(w, http.StatusOK, map[string]any{"hosts": out})
	return nil
}

// PUT /v1/rules/cluster-hosts/{code} {"name": "…", "approved_at": "YYYY-MM-DD", "approved_by": "…"}:
// approves a host at a current room or doorplate; the entities registered
// there are evaluated again.
func (s *Server) putClusterHost(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	code, err := clusterHostCode(r)
	if err != nil {
		return err
	}
	var body clusterHostJSON
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	h := supervision.ClusterHost{AddressCode: code, Name: strings.TrimSpace(body.Name),
		ApprovedBy: strings.TrimSpace(body.ApprovedBy)}
	if body.ApprovedAt != "" {
		t, err := time.ParseInLocation(time.DateOnly, body.ApprovedAt, supervision.Beijing)
		if err != nil {
			return derrors.Field("approved_at", "%q is not a date (YYYY-MM-DD)", body.ApprovedAt)
		}
		h.ApprovedAt = t
	}
	if err := st.PutClusterHost(r.Context(), h); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clusterHostJSON{h.AddressCode, h.Name, h.ApprovedAt.Format(time.DateOnly), h.ApprovedBy})
	return nil
}

// DELETE /v1/rules/cluster-hosts/{code}: withdraws the approval.
func (s *Server) deleteClusterHost(w http.ResponseWriter, r *http.Request) error {
	st, err := s.flagStore()
	if err != nil {
		return err
	}
	code, err := clusterHostCode(r)
	if err != nil {
		return err
	}
	if err := st.DeleteClusterHost(r.Context(), code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// openFlags returns the open flags about the entities or the address as
// the API shows them; nil (omitted) without a flag store.
func (s *Server) openFlags(ctx context.Context, usccs []supervision.USCC, addressCode string) ([]flagJSON, error) {
	if s.flags.FlagStore == nil {
		return nil, nil
	}
	fs, err := s.flags.OpenFlags(ctx, usccs, addressCode)
	if err != nil {
		return nil, err
	}
	return toFlagsJSON(fs), nil
}

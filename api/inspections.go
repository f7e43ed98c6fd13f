package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// inspectionJSON is an inspection as the API shows it, its location in WGS84.
type inspectionJSON struct {
	ID         int64             `json:"id"`
	USCC       string            `json:"uscc"`
	Inspector  string            `json:"inspector"`
	At         time.Time         `json:"at"`
	CRS        string            `json:"crs"`
	Location   *geojson.Geometry `json:"location"`
	Items      map[string]string `json:"items"`
	Outcome    string            `json:"outcome"`
	Notes      string            `json:"notes"`
	Photos     []string          `json:"photos"`
	TownCode   *string           `json:"town_code"`
	GridCode   *string           `json:"grid_code"`
	BuildingID *int64            `json:"building_id"`
	TaskIDs    []int64           `json:"task_ids"`
	CreatedAt  time.Time         `json:"created_at"`
}

func toInspectionJSON(in supervision.InspectionRecord) inspectionJSON {
	out := inspectionJSON{ID: in.ID, USCC: string(in.USCC), Inspector: in.Inspector, At: beijing(in.At), CRS: in.CRS,
		Location: pointJSON(&in.Location), Items: in.Items, Outcome: string(in.Outcome), Notes: in.Notes,
		Photos: nonNilStrings(in.Photos), TownCode: strOrNil(in.TownCode), GridCode: strOrNil(in.GridCode),
		BuildingID: idOrNil(in.BuildingID), TaskIDs: in.TaskIDs, CreatedAt: beijing(in.CreatedAt)}
	if out.TaskIDs == nil {
		out.TaskIDs = []int64{}
	}
	return out
}

// POST /v1/inspections: an on-site check-in. The point is converted to
// WGS84 from the declared crs; the inspection closes the entity's open
// on-site tasks it answers, in the same transaction.
func (s *Server) postInspection(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	var body struct {
		USCC      string            `json:"uscc"`
		Inspector string            `json:"inspector"`
		At        string            `json:"at"`
		CRS       string            `json:"crs"`
		Location  json.RawMessage   `json:"location"`
		Items     map[string]string `json:"items"`
		Outcome   string            `json:"outcome"`
		Notes     string            `json:"notes"`
		Photos    []string          `json:"photos"`
		TaskIDs   []int64           `json:"task_ids"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	u, err := supervision.ParseUSCC(body.USCC)
	if err != nil {
		return derrors.Field("uscc", "%v", err)
	}
	if err := s.entityInScope(r.Context(), u); err != nil {
		return err
	}
	if body.At == "" {
		return derrors.Field("at", "is required (RFC 3339)")
	}
	at, err := time.Parse(time.RFC3339Nano, body.At)
	if err != nil {
		return derrors.Field("at", "%q is not an RFC 3339 time (2026-11-27T09:30:00+08:00)", body.At)
	}
	p, crs, err := pointInput("location", body.Location, body.CRS)
	if err != nil {
		return err
	}
	in := supervision.Inspection{USCC: u, Inspector: body.Inspector, At: at, Location: p, CRS: string(crs),
		Items: body.Items, Outcome: supervision.Outcome(body.Outcome), Notes: body.Notes, Photos: body.Photos}
	rec, err := wf.RecordInspection(r.Context(), in, body.TaskIDs)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/inspections/"+strconv.FormatInt(rec.ID, 10))
	out := toInspectionJSON(rec)
	// The off-site verdict comes with the answer, so the app can warn the
	// inspector on the spot: flags is empty when the check-in is on site.
	writeJSON(w, http.StatusCreated, map[string]any{"inspection": out, "closed_tasks": out.TaskIDs,
		"flags": toFlagsJSON(rec.Flags)})
	return nil
}

// GET /v1/inspections?uscc=&town=&grid=&inspector=&after=&before=
func (s *Server) listInspections(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	q := &query{r: r}
	f := supervision.InspectionFilter{Inspector: r.URL.Query().Get("inspector"), USCC: q.uscc("uscc"),
		TownCode: q.code("town", "town", 9), GridCode: q.code("grid", "grid", 15),
		AtAfter: q.time("after"), AtBefore: q.time("before")}
	if f.After, f.Limit = q.page(); q.err != nil {
		return q.err
	}
	if err := scopeTown(r.Context(), &f.TownCode); err != nil {
		return err
	}
	rs, more, err := wf.Inspections(r.Context(), f)
	if err != nil {
		return err
	}
	writePage(w, rs, more, toInspectionJSON, func(in supervision.InspectionRecord) int64 { return in.ID })
	return nil
}

// GET /v1/inspections/{id}
func (s *Server) getInspection(w http.ResponseWriter, r *http.Request) error {
	wf, id, err := s.flowID(r)
	if err != nil {
		return err
	}
	rec, err := wf.Inspection(r.Context(), id)
	if err != nil {
		return err
	}
	if err := seeTown(r.Context(), rec.TownCode, fmt.Sprintf("inspection %d", id)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toInspectionJSON(rec))
	return nil
}

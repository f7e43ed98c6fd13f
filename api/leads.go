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

// leadJSON is a lead as the API shows it. Department is the holder, null
// while the lead is with the coordinator.
type leadJSON struct {
	ID             int64                   `json:"id"`
	USCC           *string                 `json:"uscc"`
	InspectionID   *int64                  `json:"inspection_id"`
	FromDepartment string                  `json:"from_department"`
	Department     *string                 `json:"department"`
	Category       string                  `json:"category"`
	Description    string                  `json:"description"`
	Location       *geojson.Geometry       `json:"location"`
	Status         string                  `json:"status"`
	Result         string                  `json:"result"`
	CreatedAt      time.Time               `json:"created_at"`
	UpdatedAt      time.Time               `json:"updated_at"`
	History        []supervision.LeadEvent `json:"history,omitempty"`
}

func toLeadJSON(l supervision.Lead) leadJSON {
	out := leadJSON{ID: l.ID, USCC: strOrNil(string(l.USCC)), InspectionID: l.InspectionID,
		FromDepartment: l.FromDepartment, Department: strOrNil(l.Department), Category: l.Category,
		Description: l.Description, Location: pointJSON(l.Location), Status: string(l.Status), Result: l.Result,
		CreatedAt: beijing(l.CreatedAt), UpdatedAt: beijing(l.UpdatedAt)}
	if l.History != nil {
		out.History = make([]supervision.LeadEvent, len(l.History))
		for i, e := range l.History {
			e.At = beijing(e.At)
			out.History[i] = e
		}
	}
	return out
}

// POST /v1/leads
func (s *Server) postLead(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	var body struct {
		USCC           string          `json:"uscc"`
		InspectionID   *int64          `json:"inspection_id"`
		FromDepartment string          `json:"from_department"`
		Department     string          `json:"department"`
		Category       string          `json:"category"`
		Description    string          `json:"description"`
		Location       json.RawMessage `json:"location"`
		CRS            string          `json:"crs"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	l := supervision.Lead{InspectionID: body.InspectionID, FromDepartment: body.FromDepartment,
		Department: body.Department, Category: body.Category, Description: body.Description}
	if body.USCC != "" {
		if l.USCC, err = supervision.ParseUSCC(body.USCC); err != nil {
			return derrors.Field("uscc", "%v", err)
		}
		if err := s.entityInScope(r.Context(), l.USCC); err != nil {
			return err
		}
	}
	if body.InspectionID != nil && *body.InspectionID <= 0 {
		return derrors.Field("inspection_id", "must be a positive id")
	}
	if len(body.Location) > 0 && string(body.Location) != "null" {
		p, _, err := pointInput("location", body.Location, body.CRS)
		if err != nil {
			return err
		}
		l.Location = &p
	} else if body.CRS != "" {
		return derrors.Field("crs", "is given without a location")
	}
	l, err = wf.CreateLead(r.Context(), l)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/leads/"+strconv.FormatInt(l.ID, 10))
	writeJSON(w, http.StatusCreated, toLeadJSON(l))
	return nil
}

// GET /v1/leads?department=&status=&town=&uscc=
func (s *Server) listLeads(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	q := &query{r: r}
	f := supervision.LeadFilter{Department: r.URL.Query().Get("department"),
		Status: parsed(q, "status", supervision.ParseLeadStatus), TownCode: q.code("town", "town", 9), USCC: q.uscc("uscc")}
	if f.After, f.Limit = q.page(); q.err != nil {
		return q.err
	}
	if err := scopeFilter(r.Context(), &f.TownCode, &f.Department); err != nil {
		return err
	}
	ls, more, err := wf.Leads(r.Context(), f)
	if err != nil {
		return err
	}
	writePage(w, ls, more, toLeadJSON, func(l supervision.Lead) int64 { return l.ID })
	return nil
}

// GET /v1/leads/{id}: the lead with its full history.
func (s *Server) getLead(w http.ResponseWriter, r *http.Request) error {
	wf, id, err := s.flowID(r)
	if err != nil {
		return err
	}
	l, err := wf.Lead(r.Context(), id)
	if err != nil {
		return err
	}
	if err := seeRow(r.Context(), l.TownCode, l.Department, fmt.Sprintf("lead %d", id)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toLeadJSON(l))
	return nil
}

// POST /v1/leads/{id}/transfer|escalate|decide|accept|close
func (s *Server) leadStep(action supervision.LeadAction) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		wf, id, err := s.flowID(r)
		if err != nil {
			return err
		}
		if err := s.leadInScope(r.Context(), wf, id); err != nil {
			return err
		}
		var body struct {
			Actor      string  `json:"actor"`
			Department *string `json:"department"`
			Note       string  `json:"note"`
			Result     *string `json:"result"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		wantsDept := action == supervision.LeadTransfer || action == supervision.LeadDecide
		if body.Department != nil && !wantsDept {
			return derrors.Field("department", "is not a field of %s", action)
		}
		if body.Result != nil && action != supervision.LeadClose {
			return derrors.Field("result", "is not a field of %s", action)
		}
		note, dept := body.Note, ""
		if body.Department != nil {
			dept = *body.Department
		}
		if action == supervision.LeadClose {
			if body.Result == nil || *body.Result == "" {
				return derrors.Field("result", "is required: how the lead was handled")
			}
			if body.Note != "" {
				return derrors.Field("note", "is not a field of close; say it in result")
			}
			note = *body.Result
		}
		if err := supervision.ValidateLeadStep(action, body.Actor, note); err != nil {
			return asInvalid(err, "")
		}
		l, err := wf.StepLead(r.Context(), id, action, body.Actor, dept, note)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, toLeadJSON(l))
		return nil
	}
}

package api

import (
	"net/http"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// complaintJSON is a complaint as the API shows it, with the link of its
// address text.
type complaintJSON struct {
	ID          int64         `json:"id"`
	Source      string        `json:"source"`
	ExternalID  *string       `json:"external_id"`
	At          time.Time     `json:"at"`
	Category    string        `json:"category"`
	Industry    *string       `json:"industry"`
	USCC        *string       `json:"uscc"`
	AddressText string        `json:"address_text"`
	Summary     string        `json:"summary"`
	Link        complaintLink `json:"link"`
}

type complaintLink struct {
	Status      *string           `json:"status"` // null: not matched against the library
	Score       float64           `json:"score"`
	AddressCode *string           `json:"address_code"`
	BuildingID  *int64            `json:"building_id"`
	GridCode    *string           `json:"grid_code"`
	VillageCode *string           `json:"village_code"`
	TownCode    *string           `json:"town_code"`
	Location    *geojson.Geometry `json:"location"`
}

func toComplaintJSON(c supervision.Complaint) complaintJSON {
	l := c.Link
	return complaintJSON{ID: c.ID, Source: string(c.Source), ExternalID: strOrNil(c.ExternalID), At: beijing(c.At),
		Category: string(c.Category), Industry: strOrNil(c.Industry), USCC: strOrNil(string(c.USCC)),
		AddressText: c.AddressText, Summary: c.Summary,
		Link: complaintLink{Status: strOrNil(string(l.Status)), Score: l.Score, AddressCode: strOrNil(l.AddressCode),
			BuildingID: idOrNil(l.BuildingID), GridCode: strOrNil(l.GridCode), VillageCode: strOrNil(l.VillageCode),
			TownCode: strOrNil(l.TownCode), Location: pointJSON(l.Location)}}
}

// POST /v1/complaints: matched against the address library like a
// registered address; idempotent on (source, external_id): a repeat
// answers 200 with the stored complaint, a new one 201.
func (s *Server) postComplaint(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	var in supervision.ComplaintInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := in.Complaint()
	if err != nil {
		return asInvalid(err, "")
	}
	if c.AddressText != "" && s.index != nil {
		ix, err := s.addressIndex()
		if err != nil {
			return err
		}
		c.Link = supervision.LinkOf(ix.Match(c.AddressText, ""))
	}
	stored, created, err := wf.AddComplaint(r.Context(), c)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, toComplaintJSON(stored))
	return nil
}

// GET /v1/complaints?town=&grid=&uscc=&industry=&after=&before=
func (s *Server) listComplaints(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	q := &query{r: r}
	f := supervision.ComplaintFilter{Industry: r.URL.Query().Get("industry"), TownCode: q.code("town", "town", 9),
		GridCode: q.code("grid", "grid", 15), USCC: q.uscc("uscc"), AtAfter: q.time("after"), AtBefore: q.time("before")}
	if _, ok := supervision.IndustryName(f.Industry); f.Industry != "" && !ok {
		q.fail(derrors.Field("industry", "unknown industry %q: want a GB/T 4754-2017 section letter A to T", f.Industry))
	}
	if f.After, f.Limit = q.page(); q.err != nil {
		return q.err
	}
	if err := scopeTown(r.Context(), &f.TownCode); err != nil {
		return err
	}
	cs, more, err := wf.Complaints(r.Context(), f)
	if err != nil {
		return err
	}
	writePage(w, cs, more, toComplaintJSON, func(c supervision.Complaint) int64 { return c.ID })
	return nil
}

// violationJSON is a violation record as the API shows it.
type violationJSON struct {
	ID          int64     `json:"id"`
	USCC        string    `json:"uscc"`
	ExternalID  *string   `json:"external_id"`
	At          time.Time `json:"at"`
	Kind        string    `json:"kind"`
	Authority   string    `json:"authority"`
	Description string    `json:"description"`
	Amount      float64   `json:"amount"`
}

func toViolationJSON(v supervision.Violation) violationJSON {
	return violationJSON{ID: v.ID, USCC: string(v.USCC), ExternalID: strOrNil(v.ExternalID), At: beijing(v.At),
		Kind: string(v.Kind), Authority: v.Authority, Description: v.Description, Amount: v.Amount}
}

// POST /v1/violations: idempotent on external_id.
func (s *Server) postViolation(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	var in supervision.ViolationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := in.Violation()
	if err != nil {
		return asInvalid(err, "")
	}
	stored, created, err := wf.AddViolation(r.Context(), v)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, toViolationJSON(stored))
	return nil
}

// GET /v1/violations?uscc=
func (s *Server) listViolations(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	q := &query{r: r}
	uscc := q.uscc("uscc")
	if after, limit := q.page(); q.err == nil {
		if err := s.entityInScope(r.Context(), uscc); err != nil {
			return err
		}
		vs, more, err := wf.Violations(r.Context(), uscc, after, limit)
		if err != nil {
			return err
		}
		writePage(w, vs, more, toViolationJSON, func(v supervision.Violation) int64 { return v.ID })
	}
	return q.err
}

// abnormalJSON is a period on the abnormal-operation list.
type abnormalJSON struct {
	USCC      string  `json:"uscc"`
	Reason    string  `json:"reason"`
	ListedAt  string  `json:"listed_at"`
	Authority string  `json:"authority"`
	RemovedAt *string `json:"removed_at"`
}

func toAbnormalJSON(a supervision.AbnormalListing) abnormalJSON {
	out := abnormalJSON{USCC: string(a.USCC), Reason: string(a.Reason), ListedAt: a.ListedAt.Format(time.DateOnly),
		Authority: a.Authority}
	if a.RemovedAt != nil {
		d := a.RemovedAt.Format(time.DateOnly)
		out.RemovedAt = &d
	}
	return out
}

// dateField parses a required YYYY-MM-DD date, Beijing time.
func dateField(name string, p *string) (time.Time, error) {
	v := deref(p)
	if v == "" {
		return time.Time{}, derrors.Field(name, "is required (YYYY-MM-DD)")
	}
	d, err := time.ParseInLocation(time.DateOnly, v, supervision.Beijing)
	if err != nil {
		return time.Time{}, derrors.Field(name, "%q is not a date (YYYY-MM-DD)", v)
	}
	if d.After(time.Now().Add(24 * time.Hour)) {
		return time.Time{}, derrors.Field(name, "%s is in the future", v)
	}
	return d, nil
}

// POST /v1/entities/{uscc}/abnormal {reason, listed_at, authority}: list
// an entity. Listing it again for the same reason and date answers 200
// with the listing; new, 201.
// POST /v1/entities/{uscc}/abnormal/remove {reason, removed_at}.
func (s *Server) abnormal(remove bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		wf, err := s.flow()
		if err != nil {
			return err
		}
		uscc, err := usccVar(r)
		if err != nil {
			return err
		}
		if err := s.entityInScope(r.Context(), uscc); err != nil {
			return err
		}
		var body struct {
			Reason    string  `json:"reason"`
			ListedAt  *string `json:"listed_at"`
			Authority *string `json:"authority"`
			RemovedAt *string `json:"removed_at"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		reason, err := supervision.ParseAbnormalReason(body.Reason)
		if err != nil {
			return derrors.Field("reason", "%v", err)
		}
		dateName, date, unwanted := "listed_at", body.ListedAt, map[string]bool{"removed_at": body.RemovedAt != nil}
		if remove {
			dateName, date = "removed_at", body.RemovedAt
			unwanted = map[string]bool{"listed_at": body.ListedAt != nil, "authority": body.Authority != nil}
		}
		for name, set := range unwanted {
			if set {
				return derrors.Field(name, "is not a field here")
			}
		}
		day, err := dateField(dateName, date)
		if err != nil {
			return err
		}
		a, code := supervision.AbnormalListing{}, http.StatusOK
		if remove {
			a, err = wf.RemoveAbnormal(r.Context(), uscc, reason, day)
		} else {
			a = supervision.AbnormalListing{USCC: uscc, Reason: reason, ListedAt: day, Authority: deref(body.Authority)}
			if err := a.Validate(); err != nil {
				return asInvalid(err, "")
			}
			var created bool
			a, created, err = wf.ListAbnormal(r.Context(), a)
			if created {
				code = http.StatusCreated
			}
		}
		if err != nil {
			return err
		}
		writeJSON(w, code, toAbnormalJSON(a))
		return nil
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

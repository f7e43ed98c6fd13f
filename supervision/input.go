package supervision

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// EntityInput is an entity as clients send it: the body of PUT
// /v1/entities/{uscc}, a line of the registration feed, a row of an import.
// Change is the feed's kind of change (new, change, cancel).
type EntityInput struct {
	USCC         string `json:"uscc"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Status       string `json:"status"`
	RegisteredAt string `json:"registered_at"` // YYYY-MM-DD
	AddressText  string `json:"address_text"`
	Scope        string `json:"scope"`
	Industry     string `json:"industry"`
	LegalRep     string `json:"legal_rep"`
	Phone        string `json:"phone"`
	IDNumber     string `json:"id_number"`
	ReportYear   int    `json:"report_year"`
	ChangedAt    string `json:"changed_at"` // RFC 3339
	Change       string `json:"change,omitempty"`
}

// DecodeEntityInput reads one JSON object strictly: unknown fields,
// trailing data and text that is not valid UTF-8 are errors.
func DecodeEntityInput(b []byte) (EntityInput, error) {
	var in EntityInput
	if !utf8.Valid(b) {
		// encoding/json would store U+FFFD in its place: name the field.
		var fields map[string]json.RawMessage
		if json.Unmarshal(b, &fields) == nil {
			for name, raw := range fields {
				if !utf8.Valid(raw) {
					return in, fieldErr(name, "is not valid UTF-8")
				}
			}
		}
		return in, fmt.Errorf("malformed JSON: the line is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, jsonErr(err)
	}
	if dec.More() {
		return in, fmt.Errorf("more than one JSON value")
	}
	return in, nil
}

func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errorsAs(err, &te) && te.Field == "":
		// The value itself is no object: there is no field to name.
		return fmt.Errorf("malformed JSON: want an object, not a JSON %s", te.Value)
	case errorsAs(err, &te):
		return fieldErr(te.Field, "must be a %s", te.Type)
	case errorsAs(err, &se):
		return fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, se)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil || f == "" {
			return fmt.Errorf("malformed JSON: a member with an empty or unreadable name")
		}
		return fieldErr(f, "unknown field")
	}
	return fmt.Errorf("malformed JSON: %v", err)
}

// Entity validates the input and returns the entity. now is the change time
// when the input has none. A cancel change needs only the code and the
// change time: Cancelled reports that the rest is to come from the stored
// entity.
func (in EntityInput) Entity(now time.Time) (e Entity, err error) {
	u, err := ParseUSCC(in.USCC)
	if err != nil {
		return e, &FieldError{Field: "uscc", Message: err.Error()}
	}
	e = Entity{USCC: u, Name: strings.TrimSpace(in.Name), Kind: Kind(in.Kind), Status: Status(in.Status),
		AddressText: strings.TrimSpace(in.AddressText), Scope: strings.TrimSpace(in.Scope),
		Industry: strings.TrimSpace(in.Industry), LegalRep: strings.TrimSpace(in.LegalRep),
		Phone: strings.TrimSpace(in.Phone), IDNumber: strings.TrimSpace(in.IDNumber), ReportYear: in.ReportYear}
	switch in.Change {
	case "", "new", "change", "cancel":
	default:
		return e, fieldErr("change", "unknown change %q: want new, change or cancel", in.Change)
	}
	e.ChangedAt = now
	if in.ChangedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, in.ChangedAt)
		if err != nil {
			return e, fieldErr("changed_at", "%q is not an RFC 3339 time (2026-11-27T09:30:00+08:00)", in.ChangedAt)
		}
		if t.After(now.Add(10 * time.Minute)) {
			return e, fieldErr("changed_at", "%s is in the future", in.ChangedAt)
		}
		e.ChangedAt = t
	}
	if in.RegisteredAt != "" {
		d, err := time.ParseInLocation(time.DateOnly, in.RegisteredAt, Beijing)
		if err != nil {
			return e, fieldErr("registered_at", "%q is not a date (YYYY-MM-DD)", in.RegisteredAt)
		}
		if d.Year() < 1979 || d.After(now.Add(24*time.Hour)) {
			return e, fieldErr("registered_at", "%s is not a plausible registration date", in.RegisteredAt)
		}
		e.RegisteredAt = d
	}
	if in.Change == "cancel" && e.Name == "" {
		if e.Status == "" {
			e.Status = Cancelled
		}
		// Only the status is applied to the stored entity: it must be one.
		if _, err := ParseStatus(string(e.Status)); err != nil {
			return e, fieldErr("status", "%v", err)
		}
		if e.Status == Active {
			return e, fieldErr("status", "a cancel change cannot make an entity active")
		}
		return e, nil
	}
	if in.Change == "cancel" && e.Status == "" {
		e.Status = Cancelled
	}
	return e, e.Validate()
}

// InputOf returns the input that gives e back: the line an export for
// re-import writes (Entity(now) of it returns e for any now after
// e.ChangedAt).
func InputOf(e Entity) EntityInput {
	in := EntityInput{USCC: string(e.USCC), Name: e.Name, Kind: string(e.Kind), Status: string(e.Status),
		AddressText: e.AddressText, Scope: e.Scope, Industry: e.Industry, LegalRep: e.LegalRep,
		Phone: e.Phone, IDNumber: e.IDNumber, ReportYear: e.ReportYear, ChangedAt: e.ChangedAt.Format(time.RFC3339Nano)}
	if !e.RegisteredAt.IsZero() {
		in.RegisteredAt = e.RegisteredAt.In(Beijing).Format(time.DateOnly)
	}
	return in
}

// Cancellation reports whether the entity came from a cancel change that
// names only the code: the stored entity gives the rest.
func (in EntityInput) Cancellation() bool {
	return in.Change == "cancel" && strings.TrimSpace(in.Name) == ""
}

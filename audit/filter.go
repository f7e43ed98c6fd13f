package audit

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridsentry/gridsentry/derrors"
)

// Page sizes of the log.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// A Filter selects entries of the log. Every field set narrows the
// selection; the zero value selects every entry. The log reads newest
// first, a page at a time: After is the id of the last entry of the
// previous page, and the next page holds the entries below it, so entries
// appended while a reader pages never shift its pages.
type Filter struct {
	TokenID int64     // token: acts under this API token
	Action  string    // action: this kind of act
	Route   string    // route: this route template or command, exactly
	Object  string    // object: this object, exactly ("uscc=9144...")
	Since   time.Time // since: at or after this time
	Until   time.Time // until: before this time
	After   int64     // cursor: entries with ids below this one; 0 from the newest
	Limit   int       // limit: page size, 1 to MaxLimit; 0 is DefaultLimit
}

// PageSize returns the number of entries a page holds.
func (f Filter) PageSize() int {
	if f.Limit == 0 {
		return DefaultLimit
	}
	return f.Limit
}

// Validate reports whether f is a filter the store can run. Errors name the
// query parameter that sets the field.
func (f Filter) Validate() error {
	switch {
	case f.TokenID < 0:
		return derrors.Field("token", "must be a positive token id, got %d", f.TokenID)
	case f.Action != "" && !slices.Contains(Actions, f.Action):
		return derrors.Field("action", "unknown action %q (one of %v)", f.Action, Actions)
	case f.After < 0:
		return derrors.Field("cursor", "must not be negative, got %d", f.After)
	case f.Limit < 0 || f.Limit > MaxLimit:
		return derrors.Field("limit", "must be an integer from 1 to %d, got %d", MaxLimit, f.Limit)
	case !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since):
		return derrors.Field("until", "must be after since")
	}
	if err := checkText("route", f.Route, MaxRoute); err != nil {
		return err
	}
	return checkText("object", f.Object, MaxObject)
}

// params are the query parameters ParseFilter reads.
var params = []string{"token", "action", "route", "object", "since", "until", "cursor", "limit"}

// ParseFilter reads a filter from the query parameters of GET /v1/audit:
// token, action, route, object, since and until (RFC 3339), cursor (the
// next of the previous page) and limit (1 to 1000, default 100). An unknown
// or repeated parameter is an error, so a misspelt filter does not silently
// widen an administrator's query; every error names its parameter.
func ParseFilter(q url.Values) (Filter, error) {
	for name, vs := range q {
		if !slices.Contains(params, name) {
			field := name
			if field == "" {
				field = "query" // "?=x": a value without a name
			}
			return Filter{}, derrors.Field(field, "%q is not a parameter of the audit log (its parameters are %s)", name, strings.Join(params, ", "))
		}
		if len(vs) > 1 {
			return Filter{}, derrors.Field(name, "given %d times, give it once", len(vs))
		}
	}
	f := Filter{Action: q.Get("action"), Route: q.Get("route"), Object: q.Get("object")}
	if v := q.Get("token"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return Filter{}, derrors.Field("token", "must be a positive token id, not %q", v)
		}
		f.TokenID = n
	}
	for _, t := range []struct {
		name string
		at   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return Filter{}, derrors.Field(t.name, "must be an RFC 3339 time such as 2026-11-27T08:00:00+08:00, not %q", v)
		}
		*t.at = at
	}
	if v := q.Get("cursor"); v != "" {
		id, ok := parseCursor(v)
		if !ok {
			return Filter{}, derrors.Field("cursor", "is not a cursor this API returned: %q", v)
		}
		f.After = id
	}
	f.Limit = DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return Filter{}, derrors.Field("limit", "must be an integer from 1 to %d, not %q", MaxLimit, v)
		}
		f.Limit = n
	}
	return f, f.Validate()
}

// Cursor returns the cursor of the page after the entry id: "id:" and the
// id in unpadded base64url, the form of every list of the API, for clients
// to pass back unread.
func Cursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

func parseCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), "id:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

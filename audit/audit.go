package audit

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridsentry/gridsentry/derrors"
)

// The kinds of act an entry records (Entry.Action). Adding one is a line
// here and in Actions; the table checks only the form of the name.
const (
	Write     = "write"      // a request that changes data, whatever its answer
	Read      = "read"       // a sensitive read other than those below
	Unmask    = "unmask"     // personal data shown unmasked
	Export    = "export"     // a bulk export
	ReadAudit = "read_audit" // a query of this log
	Token     = "token"      // an API token issued or revoked
)

// Actions lists the known kinds of act, in a fixed order.
var Actions = []string{Write, Read, Unmask, Export, ReadAudit, Token}

// Bounds of an entry's fields, in bytes. What a caller controls (the path,
// X-Forwarded-For, query parameters kept in Detail) can be longer:
// [Entry.Clean] cuts it to these.
const (
	MaxRole         = 32
	MaxTownCode     = 12
	MaxDepartment   = 40
	MaxActor        = 200
	MaxMethod       = 16
	MaxRoute        = 300
	MaxObject       = 1000
	MaxRemote       = 300
	MaxRequestID    = 64
	MaxDetailString = 1000    // one string (or key) inside Detail
	MaxDetailBytes  = 8 << 10 // Detail as JSON
)

// An Entry is one act in the audit log: who (TokenID, Role, TownCode,
// Department, or Actor), what (Action, Method, Route, Object, Status,
// Detail), when (At) and from where (Remote, RequestID).
type Entry struct {
	ID         int64     // assigned by the store, increasing
	At         time.Time // zero: the store's clock at append
	TokenID    int64     // 0: no token (a public route or a local command)
	Role       string    // the token's role, "" when none
	TownCode   string    // the token's town scope, "" city-wide
	Department string    // the token's department, "" when none
	Actor      string    // who, when no token: "cli:<os user>" for local commands ([CLIActor])
	Action     string    // what kind of act: one of [Actions]
	Method     string    // HTTP method, "" for a command
	Route      string    // route template ("/v1/tasks/{id}/receive"), or the command ("import library")
	Object     string    // the object acted on: the path variables joined ("id=42", "uscc=9144...")
	Status     int       // HTTP status answered; 0 for a command (Detail says the outcome)
	Remote     string    // from where: the client IP, and X-Forwarded-For as given behind a proxy
	RequestID  string    // the request's id, as in the service log
	Detail     map[string]any
}

// CLIActor names the local user of a command as an entry's Actor.
func CLIActor(user string) string { return "cli:" + user }

// Clean returns e made storable whatever a caller sent: every text field
// valid UTF-8 without NUL (PostgreSQL text refuses both; each run of bad
// bytes becomes U+FFFD) and cut to its bound with a trailing "…"; Detail
// likewise, string by string, and replaced by {"truncated": true, "bytes":
// n} when its JSON is over MaxDetailBytes. The store appends the clean
// entry, so a hostile request is recorded, not lost.
func (e Entry) Clean() Entry {
	for _, f := range e.texts() {
		*f.s = clean(*f.s, f.max)
	}
	e.Detail = cleanDetail(e.Detail)
	return e
}

// Validate reports whether e is a well-formed entry: a known Action, an
// actor (a token or a name), a plausible HTTP status, and text within its
// bounds. Errors name the field as the API shows it.
func (e Entry) Validate() error {
	if !slices.Contains(Actions, e.Action) {
		return derrors.Field("action", "unknown action %q (one of %v)", e.Action, Actions)
	}
	if e.TokenID < 0 {
		return derrors.Field("token_id", "must not be negative, got %d", e.TokenID)
	}
	if e.TokenID == 0 && e.Actor == "" {
		return derrors.Field("actor", "an entry names its token or its actor")
	}
	if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
		return derrors.Field("status", "an HTTP status is from 100 to 599 (0 for a command), got %d", e.Status)
	}
	for _, f := range e.texts() {
		if err := checkText(f.name, *f.s, f.max); err != nil {
			return err
		}
	}
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return derrors.Field("detail", "is not JSON: %v", err)
		}
		if len(b) > MaxDetailBytes || bytes.Contains(b, []byte(`\u0000`)) {
			return derrors.Field("detail", "is over %d bytes of JSON or holds NUL (Clean it)", MaxDetailBytes)
		}
	}
	return nil
}

// text is one bounded text field of an entry.
type text struct {
	name string
	s    *string
	max  int
}

func (e *Entry) texts() []text {
	return []text{
		{"role", &e.Role, MaxRole},
		{"town_code", &e.TownCode, MaxTownCode},
		{"department", &e.Department, MaxDepartment},
		{"actor", &e.Actor, MaxActor},
		{"method", &e.Method, MaxMethod},
		{"route", &e.Route, MaxRoute},
		{"object", &e.Object, MaxObject},
		{"remote", &e.Remote, MaxRemote},
		{"request_id", &e.RequestID, MaxRequestID},
	}
}

func checkText(name, s string, max int) error {
	switch {
	case len(s) > max:
		return derrors.Field(name, "is %d bytes, over the limit of %d", len(s), max)
	case !utf8.ValidString(s):
		return derrors.Field(name, "is not valid UTF-8")
	case strings.ContainsRune(s, 0):
		return derrors.Field(name, "holds a NUL character")
	}
	return nil
}

// ellipsis marks a value cut by Clean.
const ellipsis = "…"

// clean mends s as Clean describes, within max bytes.
func clean(s string, max int) string {
	if len(s) <= max && utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// cleanDetail returns d as JSON would carry it (numbers as json.Number),
// each string and key mended and bounded, or a note of its size when it is
// too large. encoding/json already turns invalid UTF-8 into U+FFFD; NUL it
// writes as \u0000, which jsonb refuses.
func cleanDetail(d map[string]any) map[string]any {
	if len(d) == 0 {
		return nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return map[string]any{"unencodable": clean(err.Error(), MaxDetailString)}
	}
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return map[string]any{"unencodable": clean(err.Error(), MaxDetailString)}
	}
	v = cleanValue(v).(map[string]any)
	if b, _ := json.Marshal(v); len(b) > MaxDetailBytes {
		return map[string]any{"truncated": true, "bytes": len(b)}
	}
	return v
}

// cleanValue returns a decoded JSON value with its strings and keys mended.
func cleanValue(v any) any {
	switch v := v.(type) {
	case string:
		return clean(v, MaxDetailString)
	case []any:
		for i, x := range v {
			v[i] = cleanValue(x)
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[clean(k, MaxDetailString)] = cleanValue(x)
		}
		return out
	}
	return v
}

// entryJSON is the JSON shape of an entry: a field the entry does not have
// is null, Detail is {} when empty.
type entryJSON struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	TokenID    *int64         `json:"token_id"`
	Role       *string        `json:"role"`
	TownCode   *string        `json:"town_code"`
	Department *string        `json:"department"`
	Actor      *string        `json:"actor"`
	Action     string         `json:"action"`
	Method     *string        `json:"method"`
	Route      *string        `json:"route"`
	Object     *string        `json:"object"`
	Status     *int           `json:"status"`
	Remote     *string        `json:"remote"`
	RequestID  *string        `json:"request_id"`
	Detail     map[string]any `json:"detail"`
}

// MarshalJSON writes e as GET /v1/audit and gridsentry audit -json show
// it: snake_case names, null for what the entry does not have (a command
// has no token, method or status), the time in RFC 3339 in e.At's zone.
func (e Entry) MarshalJSON() ([]byte, error) {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := entryJSON{ID: e.ID, At: e.At, Role: str(e.Role), TownCode: str(e.TownCode),
		Department: str(e.Department), Actor: str(e.Actor), Action: e.Action, Method: str(e.Method),
		Route: str(e.Route), Object: str(e.Object), Remote: str(e.Remote), RequestID: str(e.RequestID),
		Detail: e.Detail}
	if e.TokenID != 0 {
		out.TokenID = &e.TokenID
	}
	if e.Status != 0 {
		out.Status = &e.Status
	}
	if out.Detail == nil {
		out.Detail = map[string]any{}
	}
	return json.Marshal(out)
}

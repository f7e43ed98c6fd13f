package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
)

// addressJSON is a standard address as the API shows it.
type addressJSON struct {
	Code        string                 `json:"code"`
	Full        string                 `json:"full"`
	Level       string                 `json:"level"`
	Components  addressbook.Components `json:"components"`
	Location    *geojson.Geometry      `json:"location"`
	BuildingID  *int64                 `json:"building_id"`
	GridCode    *string                `json:"grid_code"`
	VillageCode *string                `json:"village_code"`
	TownCode    string                 `json:"town_code"`
	Score       *float64               `json:"score,omitempty"`
}

func toAddressJSON(a addressbook.Address, withScore bool) addressJSON {
	out := addressJSON{Code: a.Code, Full: a.Full, Level: string(a.Level), Components: a.Components, TownCode: a.TownCode}
	if a.Lon != 0 || a.Lat != 0 {
		out.Location = geojson.NewGeometry(rounded(orb.Point{a.Lon, a.Lat}))
	}
	if a.BuildingID != 0 {
		out.BuildingID = &a.BuildingID
	}
	if a.GridCode != "" {
		out.GridCode = &a.GridCode
	}
	if a.VillageCode != "" {
		out.VillageCode = &a.VillageCode
	}
	if withScore {
		out.Score = &a.Score
	}
	return out
}

// validateResult is the answer of POST /v1/addresses/validate.
type validateResult struct {
	Status     string                 `json:"status"`
	Level      *string                `json:"level"`
	Score      float64                `json:"score"`
	Address    *addressJSON           `json:"address"`
	Issues     []addressbook.Issue    `json:"issues"`
	Candidates []addressJSON          `json:"candidates"`
	Parsed     addressbook.Components `json:"parsed"`
}

func toValidateResult(r addressbook.Result) validateResult {
	out := validateResult{Status: string(r.Status), Score: r.Score, Issues: r.Issues, Parsed: r.Parsed,
		Candidates: make([]addressJSON, 0, len(r.Candidates))}
	if out.Issues == nil {
		out.Issues = []addressbook.Issue{}
	}
	if r.Level != addressbook.AtNone {
		l := string(r.Level)
		out.Level = &l
	}
	if r.Address != nil {
		a := toAddressJSON(*r.Address, false)
		out.Address = &a
	}
	for _, c := range r.Candidates {
		out.Candidates = append(out.Candidates, toAddressJSON(c, true))
	}
	return out
}

// validateRequest is one address to validate.
type validateRequest struct {
	Address *string `json:"address"`
	Town    *string `json:"town"`
	ID      any     `json:"id,omitempty"` // batch lines: echoed back
}

// index returns the address index, or 503 while it loads.
func (s *Server) addressIndex() (*addressbook.Index, error) {
	if s.index == nil {
		return nil, derrors.New(derrors.Unavailable, "address validation is not enabled on this server")
	}
	ix := s.index.Index()
	if ix == nil {
		return nil, derrors.New(derrors.Unavailable, "the address index is loading; try again in a moment")
	}
	return ix, nil
}

// check validates a request's fields against the index.
func checkValidateRequest(ix *addressbook.Index, req validateRequest) (text, town string, err error) {
	if req.Address == nil {
		return "", "", derrors.Field("address", "is required")
	}
	if !utf8.ValidString(*req.Address) {
		return "", "", derrors.Field("address", "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(*req.Address); n > 4*addressbook.MaxAddressRunes {
		return "", "", derrors.Field("address", "is %d characters long; the limit is %d", n, addressbook.MaxAddressRunes)
	}
	if req.Town != nil && *req.Town != "" {
		town = *req.Town
		if !townCode.MatchString(town) {
			return "", "", derrors.Field("town", "must be a 9-digit town code, not %q", town)
		}
		if ix.Town(town) == nil {
			return "", "", derrors.Field("town", "no town has code %s", town)
		}
	}
	return *req.Address, town, nil
}

// decodeJSON reads a JSON request body into v, naming what is wrong.
func decodeJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonError(err)
	}
	return decodeStrict(b, v)
}

// decodeStrict decodes one JSON value of b into v: unknown fields, trailing
// data, invalid UTF-8 and NUL characters are errors.
func decodeStrict(b []byte, v any) error {
	// encoding/json would turn invalid UTF-8 into U+FFFD and keep a NUL
	// (which PostgreSQL cannot store) without a word: refuse both first.
	if err := checkText(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return derrors.Field("body", "holds more than one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return derrors.New(derrors.TooLarge, "request body is over the limit of %d bytes", mbe.Limit)
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return derrors.Field("body", "must be a JSON object, not a JSON %s", typeErr.Value)
	case errors.As(err, &typeErr):
		return derrors.Field(typeErr.Field, "must be %s, not a JSON %s", jsonType(typeErr.Type), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return derrors.Field("body", "is not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return derrors.Field("body", "is empty or cut short; send a JSON object")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return derrors.Field("body", "has an unknown field %s", name)
	}
	return derrors.Field("body", "%s", err.Error())
}

// jsonType names the JSON a Go type is decoded from, for a client.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// checkText refuses a JSON text with a string that is not valid UTF-8 or
// holds a NUL character, naming the field of the string ("items[2].label").
// Malformed JSON is left to the decoder to report.
func checkText(b []byte) error {
	if utf8.Valid(b) && !bytes.Contains(b, []byte(`\u0000`)) {
		return nil
	}
	type frame struct {
		array bool
		index int
		key   string
		inKey bool // an object's next string is a key
	}
	var stack []frame
	path := func() string {
		var sb strings.Builder
		for _, f := range stack {
			switch {
			case f.array:
				fmt.Fprintf(&sb, "[%d]", f.index)
			case !f.inKey:
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(f.key)
			}
		}
		if sb.Len() == 0 {
			return "body"
		}
		return sb.String()
	}
	done := func() { // a value of the innermost object or array ended
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].inKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or malformed: the decoder says what
		}
		raw := b[prev:dec.InputOffset()]
		prev = dec.InputOffset()
		n := len(stack)
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{inKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:n-1]
				done()
			}
			continue
		case string:
			bad := ""
			switch {
			case !utf8.Valid(raw):
				bad = "is not valid UTF-8"
			case strings.ContainsRune(t, 0):
				bad = "holds a NUL character (\\u0000)"
			}
			if n > 0 && !stack[n-1].array && stack[n-1].inKey {
				if bad != "" {
					return derrors.Field(path(), "has a field name that %s", bad)
				}
				stack[n-1].key, stack[n-1].inKey = t, false
				continue
			}
			if bad != "" {
				return derrors.Field(path(), "%s", bad)
			}
		}
		done()
	}
}

// POST /v1/addresses/validate
func (s *Server) validate(w http.ResponseWriter, r *http.Request) error {
	ix, err := s.addressIndex()
	if err != nil {
		return err
	}
	var req validateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	text, town, err := checkValidateRequest(ix, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toValidateResult(ix.Match(text, town)))
	return nil
}

// maxBatchLine is the longest NDJSON line of a batch.
const maxBatchLine = 64 << 10

// POST /v1/addresses/validate:batch: NDJSON in, NDJSON out in the same order.
// A bad line gets an error line in its place ({"line": n, "error": {...}});
// the batch goes on. Output is flushed as it goes.
func (s *Server) validateBatch(w http.ResponseWriter, r *http.Request) error {
	ix, err := s.addressIndex()
	if err != nil {
		return err
	}
	// Answers stream out while the request streams in: a batch of millions
	// of lines is never held in memory, on either side.
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex()
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxBatchLine)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var out any
		var req validateRequest
		if err := decodeStrict(b, &req); err != nil {
			out = batchError(line, nil, err)
		} else if text, town, err := checkValidateRequest(ix, req); err != nil {
			out = batchError(line, req.ID, err)
		} else {
			res := toValidateResult(ix.Match(text, town))
			out = struct {
				Line int `json:"line"`
				ID   any `json:"id,omitempty"`
				validateResult
			}{line, req.ID, res}
		}
		if err := enc.Encode(out); err != nil {
			return nil // the client went away
		}
		if line%1000 == 0 {
			if err := bw.Flush(); err != nil {
				return nil
			}
			_ = rc.Flush()
		}
		if r.Context().Err() != nil {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		e := jsonError(err)
		if errors.Is(err, bufio.ErrTooLong) {
			e = derrors.Field("body", "line %d is longer than %d bytes", line+1, maxBatchLine)
		}
		_ = enc.Encode(batchError(line+1, nil, e))
		// Read what is left (within the batch limit): a body left unread
		// makes the server drop the connection after the answer, which
		// fails the client's next request on it.
		_, _ = io.Copy(io.Discard, r.Body)
	}
	_ = bw.Flush()
	return nil
}

func batchError(line int, id any, err error) any {
	body := errorDetail{Code: derrors.Code(err), Message: err.Error()}
	var de *derrors.Error
	if errors.As(err, &de) {
		body.Message = de.Message
		if de.Field != "" {
			body.Message = de.Field + ": " + de.Message
			body.Details = map[string]any{"field": de.Field}
		}
	}
	return struct {
		Line  int         `json:"line"`
		ID    any         `json:"id,omitempty"`
		Error errorDetail `json:"error"`
	}{line, id, body}
}

// GET /v1/addresses/parse?q=
func (s *Server) parse(w http.ResponseWriter, r *http.Request) error {
	q, err := queryText(r, "q")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"normalized": addressbook.Normalize(q),
		"parsed":     addressbook.Parse(q),
	})
	return nil
}

// checkQuery refuses a query with a parameter given more than once (no
// parameter of the API is a list: a repeated one would be read as its first
// value, silently) or one that is not valid UTF-8 text without NULs.
func checkQuery(r *http.Request) error {
	q := r.URL.Query()
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
			return derrors.Field("query", "has a parameter name that is not valid UTF-8 text")
		}
		if vs := q[name]; len(vs) > 1 {
			return derrors.Field(name, "is given %d times; give it once", len(vs))
		}
		switch v := q.Get(name); {
		case !utf8.ValidString(v):
			return derrors.Field(name, "is not valid UTF-8")
		case strings.ContainsRune(v, 0):
			return derrors.Field(name, "holds a NUL character (%%00)")
		}
	}
	return nil
}

func queryText(r *http.Request, name string) (string, error) {
	vals, ok := r.URL.Query()[name]
	if !ok || len(vals) == 0 {
		return "", derrors.Field(name, "is required")
	}
	q := vals[0]
	if !utf8.ValidString(q) {
		return "", derrors.Field(name, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(q); n > 4*addressbook.MaxAddressRunes {
		return "", derrors.Field(name, "is %d characters long; the limit is %d", n, addressbook.MaxAddressRunes)
	}
	return q, nil
}

// Search paging.
const (
	defaultSearchLimit = 10
	maxSearchLimit     = 100
)

// GET /v1/addresses/search?q=&town=&limit=&cursor=
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	ix, err := s.addressIndex()
	if err != nil {
		return err
	}
	q, err := queryText(r, "q")
	if err != nil {
		return err
	}
	limit := defaultSearchLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSearchLimit {
			return derrors.Field("limit", "must be an integer from 1 to %d, not %q", maxSearchLimit, v)
		}
		limit = n
	}
	offset := 0
	if v := r.URL.Query().Get("cursor"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return derrors.Field("cursor", "is not a cursor this API returned: %q", v)
		}
		offset = n
	}
	town := r.URL.Query().Get("town")
	if town != "" {
		if !townCode.MatchString(town) {
			return derrors.Field("town", "must be a 9-digit town code, not %q", town)
		}
		if ix.Town(town) == nil {
			return derrors.Field("town", "no town has code %s", town)
		}
	}
	found, more := ix.Search(q, town, offset, limit)
	items := make([]addressJSON, 0, len(found))
	for _, a := range found {
		items = append(items, toAddressJSON(a, false))
	}
	var next *string
	if more {
		c := strconv.Itoa(offset + len(found))
		next = &c
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
	return nil
}

var addressCode = regexp.MustCompile(`^[0-9]{16}$|^[0-9]{18}$`)

// GET /v1/addresses/{code}: a doorplate (16 digits) or room (18 digits). A
// retired code answers with its record and its successor's current address.
func (s *Server) addressByCode(w http.ResponseWriter, r *http.Request) error {
	ix, err := s.addressIndex()
	if err != nil {
		return err
	}
	code := mux.Vars(r)["code"]
	if !addressCode.MatchString(code) {
		return derrors.Field("code", "must be a 16-digit doorplate or 18-digit room code, not %q", code)
	}
	info, err := s.codes.LookupCode(r.Context(), code)
	if err != nil {
		return err
	}
	current := code
	if info.Retired {
		if info.Successor == "" {
			writeJSON(w, http.StatusOK, map[string]any{"code": code, "retired": true, "retired_at": info.RetiredAt,
				"successor": nil, "chain": info.Chain, "address": nil})
			return nil
		}
		current = info.Successor // LookupCode gave the successor's building too
	}
	var a addressbook.Address
	var ok bool
	if info.Kind == "room" {
		a, ok = ix.Room(info.BuildingID, current)
	} else {
		a, ok = ix.Doorplate(current)
	}
	if !ok {
		return derrors.New(derrors.Unavailable, "address %s is stored but not yet in the index; try again in a moment", current)
	}
	out := map[string]any{"code": code, "retired": code != current, "address": toAddressJSON(a, false)}
	if code != current {
		out["successor"] = current
	}
	// Who else is registered there: the clerk's question before accepting
	// another registration at the address.
	if out["entities"], err = s.entitiesAt(r.Context(), current); err != nil {
		return err
	}
	// And what is wrong there: the open flags about the address or anyone
	// registered at it (their flags carry the address code).
	if s.flags.FlagStore != nil {
		if out["flags"], err = s.openFlags(r.Context(), nil, current); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

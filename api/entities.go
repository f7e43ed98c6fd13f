package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// EntityStore writes market entities: single writes and the registration
// feed, pushing the tasks they call for.
type EntityStore interface {
	WriteEntities(ctx context.Context, writes []supervision.Write, source string) ([]supervision.WriteResult, error)
	ApplyFeed(ctx context.Context, source string, writes []supervision.Write, report supervision.FeedReport) (supervision.FeedReport, error)
}

// WithEntities enables the entity write routes.
func WithEntities(st EntityStore) Option { return func(s *Server) { s.entities = st } }

// maxFeedLine is the longest line of a registration feed.
const maxFeedLine = 64 << 10

func (s *Server) entityRoutes(r *mux.Router) {
	s.add(r, []route{
		{http.MethodPut, "/v1/entities/{uscc}", auth.WriteEntities, s.putEntity},
		{http.MethodPost, "/v1/feeds/registrations", auth.WriteEntities, s.registrationFeed},
	})
	s.limits["/v1/feeds/registrations"] = s.cfg.MaxBatchBytes
}

func (s *Server) entityStore() (EntityStore, error) {
	if s.entities == nil {
		return nil, derrors.New(derrors.Unavailable, "entity storage is not configured")
	}
	return s.entities, nil
}

// linkOf matches an entity's registered address against the index.
func linkOf(ix *addressbook.Index, e *supervision.Entity) *supervision.Link {
	l := supervision.LinkOf(ix.Match(e.AddressText, ""))
	return &l
}

// entityWriteResponse is the answer to PUT /v1/entities/{uscc}.
type entityWriteResponse struct {
	Outcome supervision.WriteOutcome `json:"outcome"`
	Version int                      `json:"version"`
	Tasks   []int64                  `json:"tasks"`
	Entity  *entityJSON              `json:"entity,omitempty"`
}

func (s *Server) putEntity(w http.ResponseWriter, r *http.Request) error {
	st, err := s.entityStore()
	if err != nil {
		return err
	}
	u, err := supervision.ParseUSCC(mux.Vars(r)["uscc"])
	if err != nil {
		return derrors.Field("uscc", "%v", err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonError(err)
	}
	in, err := supervision.DecodeEntityInput(body)
	if err != nil {
		return bodyInput(err)
	}
	if in.USCC == "" {
		in.USCC = string(u)
	} else if strings.ToUpper(strings.TrimSpace(in.USCC)) != string(u) {
		return derrors.Field("uscc", "the body names %s, the path %s", in.USCC, u)
	}
	if in.Change != "" {
		return derrors.Field("change", "is for the registration feed; PUT sends the whole entity")
	}
	e, err := in.Entity(time.Now())
	if err != nil {
		return badInput(err)
	}
	ifVersion := 0
	if m := r.Header.Get("If-Match"); m != "" {
		v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(m, "W/"), `"`))
		if err != nil || v <= 0 {
			return derrors.Field("If-Match", "%q is not an entity version (the ETag of GET /v1/entities/{uscc})", m)
		}
		ifVersion = v
	}
	ix, err := s.addressIndex()
	if err != nil {
		return err
	}
	results, err := st.WriteEntities(r.Context(), []supervision.Write{{Entity: e, Link: linkOf(ix, &e), IfVersion: ifVersion}}, "api")
	if err != nil {
		return err
	}
	res := results[0]
	resp := entityWriteResponse{Outcome: res.Outcome, Version: res.Version, Tasks: res.Tasks}
	if resp.Tasks == nil {
		resp.Tasks = []int64{}
	}
	if res.Outcome == supervision.Stale {
		return derrors.New(derrors.Conflict, "a newer change of %s is stored (version %d); this one is older and was not applied", u, res.Version)
	}
	if s.reader != nil {
		if rec, err := s.reader.Entity(r.Context(), u); err == nil {
			j := entityJSONOf(rec, false)
			resp.Entity = &j
		}
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, res.Version))
	code := http.StatusOK
	if res.Outcome == supervision.Created {
		code = http.StatusCreated
	}
	writeJSON(w, code, resp)
	return nil
}

// registrationFeed applies a batch of the registration system's changes:
// NDJSON, one entity per line with "change" (new, change, cancel) and
// "changed_at". Bad lines are reported by line number; the good ones are
// applied in one transaction. Replaying a feed changes nothing.
func (s *Server) registrationFeed(w http.ResponseWriter, r *http.Request) error {
	st, err := s.entityStore()
	if err != nil {
		return err
	}
	ix, err := s.addressIndex()
	if err != nil {
		return err
	}
	source := r.URL.Query().Get("source")
	if source == "" {
		source = "registration"
	}
	if len(source) > 64 {
		return derrors.Field("source", "at most 64 characters")
	}
	now := time.Now()
	var report supervision.FeedReport
	var writes []supervision.Write
	br := bufio.NewReaderSize(r.Body, maxFeedLine)
	for line := 1; ; line++ {
		b, err := readLine(br, maxFeedLine)
		if errors.Is(err, io.EOF) && len(b) == 0 {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, errLineTooLong) {
			return jsonError(err)
		}
		if errors.Is(err, errLineTooLong) {
			report.Lines++
			report.Rejected++
			report.Rejections = append(report.Rejections, supervision.LineError{Line: line,
				Error: fmt.Sprintf("the line is longer than %d bytes", maxFeedLine)})
			continue
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		report.Lines++
		wr, lerr := feedWrite(b, now, ix)
		if lerr != nil {
			lerr.Line = line
			report.Rejected++
			report.Rejections = append(report.Rejections, *lerr)
			continue
		}
		wr.Line = line
		writes = append(writes, wr)
	}
	if report.Lines == 0 {
		return derrors.Field("body", "is empty: send NDJSON, one entity change per line")
	}
	if len(writes) == 0 {
		// Nothing to apply: a 400 saying why, rather than a feed recorded
		// as received with every line rejected.
		first := report.Rejections[0]
		field, msg := first.Field, first.Error
		if field == "" {
			field = "body"
		}
		msg = strings.TrimPrefix(msg, field+": ")
		return derrors.Field(field, "%s (line %d; all %d lines were rejected and nothing was applied)", msg, first.Line, report.Lines)
	}
	report, err = st.ApplyFeed(r.Context(), source, writes, report)
	if err != nil {
		return err
	}
	if report.Rejections == nil {
		report.Rejections = []supervision.LineError{}
	}
	writeJSON(w, http.StatusOK, report)
	return nil
}

// feedWrite turns a feed line into a write, or says why it is rejected.
func feedWrite(b []byte, now time.Time, ix *addressbook.Index) (supervision.Write, *supervision.LineError) {
	in, err := supervision.DecodeEntityInput(b)
	if err != nil {
		return supervision.Write{}, lineError(in.USCC, err)
	}
	if in.Change == "" {
		return supervision.Write{}, &supervision.LineError{USCC: in.USCC, Field: "change", Error: "change: is required (new, change or cancel)"}
	}
	if in.ChangedAt == "" {
		return supervision.Write{}, &supervision.LineError{USCC: in.USCC, Field: "changed_at", Error: "changed_at: is required"}
	}
	e, err := in.Entity(now)
	if err != nil {
		return supervision.Write{}, lineError(in.USCC, err)
	}
	wr := supervision.Write{Entity: e, Change: in.Change, Cancel: in.Cancellation()}
	if !wr.Cancel {
		wr.Link = linkOf(ix, &e)
	}
	return wr, nil
}

// bodyInput is badInput for a body decoded whole: an error that names no
// field is about the body.
func bodyInput(err error) error {
	if fe := (*supervision.FieldError)(nil); errors.As(err, &fe) {
		return asInvalid(err, "")
	}
	return derrors.Field("body", "%v", err)
}

func lineError(uscc string, err error) *supervision.LineError {
	le := &supervision.LineError{USCC: uscc, Error: err.Error()}
	var fe *supervision.FieldError
	if errors.As(err, &fe) {
		le.Field = fe.Field
	}
	return le
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most max bytes. A longer line is consumed
// and reported with errLineTooLong.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return []byte{0}, errLineTooLong
	}
	if len(line) > max {
		return []byte{0}, errLineTooLong
	}
	return line, err
}

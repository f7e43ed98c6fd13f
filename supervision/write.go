package supervision

import "time"

// A Write is one change to an entity: from the API, the registration feed
// or a bulk import.
type Write struct {
	Entity Entity
	// Link is the link of Entity.AddressText. Nil keeps the stored link when
	// the address text is unchanged and leaves the entity unlinked (for the
	// linker) when it changed.
	Link *Link
	// Change is the registration feed's kind of change: new, change or
	// cancel; empty for other sources.
	Change string
	// IfVersion, when positive, refuses the write unless the stored version
	// is this one (optimistic concurrency for the API's If-Match).
	IfVersion int
	// Line is the line of a feed or import file, for reports.
	Line int
	// Cancel takes the stored entity and sets only its status (from
	// Entity.Status) and change time: a feed's cancel line that names only
	// the code.
	Cancel bool
}

// WriteOutcome says what a write did.
type WriteOutcome string

// Write outcomes.
const (
	Created   WriteOutcome = "created"
	Updated   WriteOutcome = "updated"
	Unchanged WriteOutcome = "unchanged" // the same change (by change time) or the same content was stored already
	Stale     WriteOutcome = "stale"     // a newer change was stored first; this one is kept in the log only
	Rejected  WriteOutcome = "rejected"  // see WriteResult.Error
)

// A WriteResult is the outcome of one Write.
type WriteResult struct {
	USCC    USCC         `json:"uscc"`
	Line    int          `json:"line,omitempty"`
	Outcome WriteOutcome `json:"outcome"`
	Version int          `json:"version"`
	Tasks   []int64      `json:"tasks,omitempty"` // the tasks it pushed
	Error   string       `json:"error,omitempty"` // why it was rejected
}

// A LineError is a line of a feed or import that was rejected.
type LineError struct {
	Line  int    `json:"line"`
	USCC  string `json:"uscc,omitempty"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

// A FeedReport says what a registration feed did.
type FeedReport struct {
	FeedID      int64       `json:"feed_id"`
	Lines       int         `json:"lines"`
	Created     int         `json:"created"`
	Updated     int         `json:"updated"`
	Unchanged   int         `json:"unchanged"`
	Stale       int         `json:"stale"`
	Replayed    int         `json:"replayed"` // changes received before (same USCC and change time)
	Rejected    int         `json:"rejected"`
	TasksPushed int         `json:"tasks_pushed"`
	Rejections  []LineError `json:"rejections"`
}

// Count adds the results of writes to the report.
func (r *FeedReport) Count(results []WriteResult) {
	for _, x := range results {
		switch x.Outcome {
		case Created:
			r.Created++
		case Updated:
			r.Updated++
		case Unchanged:
			r.Unchanged++
		case Stale:
			r.Stale++
		case Rejected:
			r.Rejected++
			r.Rejections = append(r.Rejections, LineError{Line: x.Line, USCC: string(x.USCC), Error: x.Error})
		}
		r.TasksPushed += len(x.Tasks)
	}
}

// Decide says what a write of e does to the stored entity old (nil when
// there is none): a change older than the stored one is stale, one at the
// same change time or with the same content is unchanged.
func Decide(old *Entity, e *Entity) WriteOutcome {
	switch {
	case old == nil:
		return Created
	case e.ChangedAt.Before(old.ChangedAt):
		return Stale
	case e.ChangedAt.Equal(old.ChangedAt) || SameRegistration(old, e):
		return Unchanged
	}
	return Updated
}

// SameRegistration reports whether two versions of an entity agree on
// everything the registration system says, whatever their change times.
func SameRegistration(a, b *Entity) bool {
	x, y := *a, *b
	x.ChangedAt, y.ChangedAt = time.Time{}, time.Time{}
	return x.USCC == y.USCC && x.Name == y.Name && x.Kind == y.Kind && x.Status == y.Status &&
		x.RegisteredAt.Equal(y.RegisteredAt) && x.AddressText == y.AddressText && x.Scope == y.Scope &&
		x.Industry == y.Industry && x.LegalRep == y.LegalRep && x.Phone == y.Phone &&
		x.IDNumber == y.IDNumber && x.ReportYear == y.ReportYear
}

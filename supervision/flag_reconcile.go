package supervision

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// A FlagState is what reconciling needs of a stored flag.
type FlagState struct {
	ID          int64
	Kind        FlagKind
	Subject     string
	Status      FlagStatus
	Fingerprint string
	Score       float64
}

// FlagAction is what reconciling does to a flag.
type FlagAction string

// Reconcile's actions. Rescore changes an open flag's score alone (its
// facts are the same) and leaves no event.
const (
	FlagRaise   FlagAction = "raise"
	FlagUpdate  FlagAction = "update"
	FlagReopen  FlagAction = "reopen"
	FlagResolve FlagAction = "resolve"
	FlagRescore FlagAction = "rescore"
)

// A FlagChange is one write reconciling asks for: a finding to raise, or a
// stored flag (ID) to update, re-open or resolve.
type FlagChange struct {
	Action      FlagAction
	ID          int64    // of the stored flag; 0 to raise
	Finding     *Finding // nil to resolve
	Fingerprint string
}

// Fingerprint returns the hash of a finding's title and evidence: equal
// facts give equal fingerprints (encoding/json sorts map keys).
func Fingerprint(f *Finding) string {
	b, err := json.Marshal(struct {
		T string         `json:"t"`
		E map[string]any `json:"e"`
	}{f.Title, f.Evidence})
	if err != nil {
		// Evidence is built of strings, numbers, slices and maps.
		panic("supervision: evidence does not marshal: " + err.Error())
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// Reconcile compares the stored flags of a scope with the findings of the
// rules over the same scope and returns the changes (see Reconciler).
func Reconcile(existing []FlagState, findings []Finding) []FlagChange {
	r := NewReconciler(existing)
	for i := range findings {
		r.Add(&findings[i], Fingerprint(&findings[i]))
	}
	return r.Changes()
}

// A Reconciler compares the stored flags of a scope with the findings of
// the rules over the same scope, one finding at a time, keeping only the
// changes (a city's findings need not all be held at once):
//   - a finding with no flag is raised, and one whose flag was resolved is
//     re-opened;
//   - an open flag takes the finding's evidence when its facts changed;
//   - a confirmed or dismissed flag is re-opened when its facts changed,
//     and left alone when they did not;
//   - an open flag without a finding is resolved; reviewed ones stay.
//
// It is not safe for concurrent use.
type Reconciler struct {
	stored  map[flagKey]*FlagState
	seen    map[flagKey]bool
	changes []FlagChange
}

type flagKey struct {
	kind    FlagKind
	subject string
}

// NewReconciler returns a reconciler over the stored flags of a scope.
func NewReconciler(existing []FlagState) *Reconciler {
	r := &Reconciler{stored: make(map[flagKey]*FlagState, len(existing)), seen: map[flagKey]bool{}}
	for i := range existing {
		s := &existing[i]
		r.stored[flagKey{s.Kind, s.Subject}] = s
	}
	return r
}

// Add compares a finding, whose fingerprint is fp, with its stored flag.
// A second finding of the same kind and subject is ignored.
func (r *Reconciler) Add(f *Finding, fp string) {
	k := flagKey{f.Kind, f.Subject}
	if r.seen[k] {
		return
	}
	r.seen[k] = true
	s := r.stored[k]
	switch {
	case s == nil:
		r.changes = append(r.changes, FlagChange{Action: FlagRaise, Finding: f, Fingerprint: fp})
	case s.Status == FlagResolved:
		r.changes = append(r.changes, FlagChange{Action: FlagReopen, ID: s.ID, Finding: f, Fingerprint: fp})
	case s.Fingerprint == fp:
		if s.Status == FlagOpen && float32(s.Score) != float32(f.Score) {
			r.changes = append(r.changes, FlagChange{Action: FlagRescore, ID: s.ID, Finding: f, Fingerprint: fp})
		}
	case s.Status == FlagOpen:
		r.changes = append(r.changes, FlagChange{Action: FlagUpdate, ID: s.ID, Finding: f, Fingerprint: fp})
	default:
		r.changes = append(r.changes, FlagChange{Action: FlagReopen, ID: s.ID, Finding: f, Fingerprint: fp})
	}
}

// Changes returns the changes: those Add found, then a resolve for every
// open stored flag no finding matched.
func (r *Reconciler) Changes() []FlagChange {
	out := r.changes
	n := len(out)
	for k, s := range r.stored {
		if s.Status == FlagOpen && !r.seen[k] {
			out = append(out, FlagChange{Action: FlagResolve, ID: s.ID})
		}
	}
	slices.SortFunc(out[n:], func(a, b FlagChange) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

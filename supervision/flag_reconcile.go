package supervision

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
// rules over the same scope and returns the changes:
//   - a finding with no flag is raised, and one whose flag was resolved is
//     re-opened;
//   - an open flag takes the finding's evidence when its facts changed;
//   - a confirmed or dismissed flag is re-opened when its facts changed,
//     and left alone when they did not;
//   - an open flag without a finding is resolved; reviewed ones stay.
func Reconcile(existing []FlagState, findings []Finding) []FlagChange {
	type key struct {
		kind    FlagKind
		subject string
	}
	stored := make(map[key]*FlagState, len(existing))
	for i := range existing {
		s := &existing[i]
		stored[key{s.Kind, s.Subject}] = s
	}
	var out []FlagChange
	seen := make(map[key]bool, len(findings))
	for i := range findings {
		f := &findings[i]
		k := key{f.Kind, f.Subject}
		if seen[k] {
			continue
		}
		seen[k] = true
		fp := Fingerprint(f)
		s := stored[k]
		switch {
		case s == nil:
			out = append(out, FlagChange{Action: FlagRaise, Finding: f, Fingerprint: fp})
		case s.Status == FlagResolved:
			out = append(out, FlagChange{Action: FlagReopen, ID: s.ID, Finding: f, Fingerprint: fp})
		case s.Fingerprint == fp:
			if s.Status == FlagOpen && float32(s.Score) != float32(f.Score) {
				out = append(out, FlagChange{Action: FlagRescore, ID: s.ID, Finding: f, Fingerprint: fp})
			}
		case s.Status == FlagOpen:
			out = append(out, FlagChange{Action: FlagUpdate, ID: s.ID, Finding: f, Fingerprint: fp})
		default:
			out = append(out, FlagChange{Action: FlagReopen, ID: s.ID, Finding: f, Fingerprint: fp})
		}
	}
	for i := range existing {
		s := &existing[i]
		if s.Status == FlagOpen && !seen[key{s.Kind, s.Subject}] {
			out = append(out, FlagChange{Action: FlagResolve, ID: s.ID})
		}
	}
	return out
}

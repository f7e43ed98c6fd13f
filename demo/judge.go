package demo

import (
	"strings"

	"github.com/gridsentry/gridsentry/addressbook"
)

// Correct reports whether the matcher's verdict r on the case is right: for
// an existing address, the top answer is the true one at the level the text
// names; for a fabricated one, it was not matched.
func (c AddressCase) Correct(r addressbook.Result) bool {
	if !c.Exists {
		return r.Status != addressbook.Matched
	}
	if r.Status != addressbook.Matched || r.Address == nil {
		return false
	}
	a := r.Address
	switch {
	case c.TrueCode != "":
		return a.Code == c.TrueCode
	case c.TrueBuildingID != 0:
		return a.BuildingID == c.TrueBuildingID && strings.HasPrefix(a.Code, c.TrueDoorplate)
	default:
		return a.Code == c.TrueDoorplate
	}
}

// Tally counts a matcher's verdicts on cases by kind.
type Tally struct {
	ByKind               map[string][2]int // kind → {cases, correct}
	Existing, ExistingOK int
	Fabricated, FalseOK  int // FalseOK: fabricated cases rightly not matched
}

// Add counts one verdict.
func (t *Tally) Add(c AddressCase, r addressbook.Result) bool {
	if t.ByKind == nil {
		t.ByKind = map[string][2]int{}
	}
	ok := c.Correct(r)
	k := t.ByKind[c.Noise]
	k[0]++
	if ok {
		k[1]++
	}
	t.ByKind[c.Noise] = k
	if c.Exists {
		t.Existing++
		if ok {
			t.ExistingOK++
		}
	} else {
		t.Fabricated++
		if ok {
			t.FalseOK++
		}
	}
	return ok
}

// Top1 returns the share of existing addresses matched to the truth, in percent.
func (t *Tally) Top1() float64 { return pct(t.ExistingOK, t.Existing) }

// FalseMatches returns the share of fabricated addresses matched, in percent.
func (t *Tally) FalseMatches() float64 { return pct(t.Fabricated-t.FalseOK, t.Fabricated) }

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

package supervision

import (
	"slices"
	"testing"
)

func TestFlagStatusNext(t *testing.T) {
	for _, c := range []struct {
		from FlagStatus
		d    ReviewDecision
		want FlagStatus
		ok   bool
	}{
		{FlagOpen, ReviewConfirm, FlagConfirmed, true},
		{FlagOpen, ReviewDismiss, FlagDismissed, true},
		{FlagConfirmed, ReviewReopen, FlagOpen, true},
		{FlagDismissed, ReviewReopen, FlagOpen, true},
		{FlagOpen, ReviewReopen, FlagOpen, false},
		{FlagConfirmed, ReviewDismiss, FlagConfirmed, false},
		{FlagDismissed, ReviewConfirm, FlagDismissed, false},
		{FlagResolved, ReviewConfirm, FlagResolved, false},
		{FlagResolved, ReviewReopen, FlagResolved, false},
	} {
		got, err := c.from.Next(c.d)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%s %s: %s, %v; want %s, ok %v", c.from, c.d, got, err, c.want, c.ok)
		}
	}
}

func TestReconcile(t *testing.T) {
	finding := func(subject string, count int) Finding {
		return Finding{Kind: FlagCluster, Subject: subject, Score: 55, Title: "t", Evidence: map[string]any{"count": count}}
	}
	same := finding("address:same", 6)
	stored := func(id int64, subject string, st FlagStatus, f Finding) FlagState {
		return FlagState{ID: id, Kind: FlagCluster, Subject: subject, Status: st, Fingerprint: Fingerprint(&f), Score: f.Score}
	}
	existing := []FlagState{
		stored(1, "address:same", FlagOpen, same),                             // same facts: nothing
		stored(2, "address:grew", FlagOpen, finding("address:grew", 6)),       // facts changed: update
		stored(3, "address:kept", FlagDismissed, finding("address:kept", 6)),  // same facts: stays dismissed
		stored(4, "address:back", FlagDismissed, finding("address:back", 6)),  // facts changed: reopen
		stored(5, "address:gone", FlagOpen, finding("address:gone", 6)),       // no finding: resolve
		stored(6, "address:done", FlagConfirmed, finding("address:done", 6)),  // no finding: stays
		stored(7, "address:again", FlagResolved, finding("address:again", 6)), // found again: reopen
	}
	rescored := finding("address:same", 6)
	rescored.Score = 60
	findings := []Finding{rescored, finding("address:grew", 7), finding("address:kept", 6),
		finding("address:back", 9), finding("address:again", 6), finding("address:new", 6), finding("address:new", 6)}
	var got []string
	for _, c := range Reconcile(existing, findings) {
		subject := ""
		if c.Finding != nil {
			subject = c.Finding.Subject
		}
		got = append(got, string(c.Action)+" "+subject)
		if c.Action == FlagResolve && c.ID != 5 {
			t.Errorf("resolved flag %d, want 5", c.ID)
		}
	}
	want := []string{"rescore address:same", "update address:grew", "reopen address:back", "reopen address:again",
		"raise address:new", "resolve "}
	if !slices.Equal(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
}

func TestFingerprintIgnoresScore(t *testing.T) {
	a := Finding{Title: "t", Score: 40, Evidence: map[string]any{"b": 1, "a": []string{"x"}}}
	b := Finding{Title: "t", Score: 90, Evidence: map[string]any{"a": []string{"x"}, "b": 1}}
	if Fingerprint(&a) != Fingerprint(&b) {
		t.Error("equal evidence in another order, or another score, changed the fingerprint")
	}
	b.Evidence["b"] = 2
	if Fingerprint(&a) == Fingerprint(&b) {
		t.Error("other evidence gave the same fingerprint")
	}
}

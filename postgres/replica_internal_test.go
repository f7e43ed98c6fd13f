package postgres

import (
	"testing"
	"time"
)

func TestPageStart(t *testing.T) {
	const block = 8192
	for _, tc := range []struct {
		name     string
		lsn, out uint64
	}{
		{"inside a page", 3*block + 500, 3*block + 500},
		{"just past a short page header", 3*block + walShortHeader, 3 * block},
		{"just past a long page header (segment start)", 2048*block + walLongHeader, 2048 * block},
		{"a record ending on the boundary", 5 * block, 5 * block},
		{"past the header and a record", 3*block + walShortHeader + 8, 3*block + walShortHeader + 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pageStart(tc.lsn, block); got != tc.out {
				t.Fatalf("pageStart(%d) = %d, want %d", tc.lsn, got, tc.out)
			}
		})
	}
}

// TestLagClock: the lag is the age of the oldest position the primary was
// seen at that the replica has not replayed, and none once it has.
func TestLagClock(t *testing.T) {
	var l lagClock
	t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	steps := []struct {
		now               int
		primary, replayed uint64
		primaryKnown      bool
		want              time.Duration
	}{
		{0, 100, 100, true, 0},                // caught up
		{1, 200, 100, true, time.Duration(0)}, // the primary moved just now
		{2, 200, 100, true, time.Second},      // still not replayed: seen at 1 s
		{3, 300, 150, true, 2 * time.Second},  // 150 < 200: the sample of 1 s is the oldest unreplayed
		{4, 0, 250, false, time.Second},       // the primary unknown: 200 replayed, 300 seen at 3 s
		{5, 300, 300, true, 0},                // caught up
		{9, 300, 300, true, 0},                // an idle primary is no lag
	}
	for _, s := range steps {
		var got time.Duration
		if s.primaryKnown {
			got = l.observe(at(s.now), s.primary, s.replayed)
		} else {
			got = l.replayed(at(s.now), s.replayed)
		}
		if got != s.want {
			t.Fatalf("at %d s (primary %d, replayed %d): lag %s, want %s", s.now, s.primary, s.replayed, got, s.want)
		}
	}
}

package supervision

import (
	"testing"
	"time"
)

func TestDeadline(t *testing.T) {
	cal, err := ParseCalendar("# National Day\n2026-10-01,2026-10-02,2026-10-05\n+2026-10-10\n")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, Beijing)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name     string
		cal      Calendar
		from     string
		days     int
		wantDate string // the deadline is the end of this day
	}{
		{"friday plus one is monday", Calendar{}, "2026-11-27 10:00", 1, "2026-11-30"},
		{"ten working days are two weeks", Calendar{}, "2026-11-27 23:59", 10, "2026-12-11"},
		{"holidays skipped", cal, "2026-09-30 09:00", 1, "2026-10-06"},
		{"make-up saturday counts", cal, "2026-10-09 09:00", 1, "2026-10-10"},
		{"UTC evening is the next Beijing day", Calendar{}, "2026-11-27 10:00", 0, "2026-11-27"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.Deadline(at(tc.from), tc.days)
			want := at(tc.wantDate+" 00:00").AddDate(0, 0, 1)
			if !got.Equal(want) {
				t.Errorf("Deadline(%s, %d) = %s, want %s", tc.from, tc.days, got, want)
			}
		})
	}
	if _, err := ParseCalendar("2026-13-01"); err == nil {
		t.Error("a bad date was accepted")
	}
}

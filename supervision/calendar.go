package supervision

import (
	"fmt"
	"strings"
	"time"
)

// A Calendar tells working days from days off: Monday to Friday work,
// except public holidays, and weekend days can be made working days (调休).
// The zero Calendar knows weekends only.
type Calendar struct {
	Holidays map[string]bool // "2026-10-01": a weekday off
	Workdays map[string]bool // "2026-09-27": a weekend day worked
}

// ParseCalendar reads dates, one per line or separated by commas: a plain
// date (2026-10-01) is a holiday, a date prefixed with + (+2026-09-27) is a
// weekend working day. Lines starting with # are comments.
func ParseCalendar(text string) (Calendar, error) {
	c := Calendar{Holidays: map[string]bool{}, Workdays: map[string]bool{}}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.Split(line, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			work := strings.HasPrefix(f, "+")
			d, err := time.Parse(time.DateOnly, strings.TrimPrefix(f, "+"))
			if err != nil {
				return Calendar{}, fmt.Errorf("calendar line %d: %q is not a date (want 2026-10-01 or +2026-09-27)", n+1, f)
			}
			if work {
				c.Workdays[d.Format(time.DateOnly)] = true
			} else {
				c.Holidays[d.Format(time.DateOnly)] = true
			}
		}
	}
	return c, nil
}

// Working reports whether the day of t (in Beijing time) is a working day.
func (c Calendar) Working(t time.Time) bool {
	day := t.In(Beijing).Format(time.DateOnly)
	if c.Workdays[day] {
		return true
	}
	if c.Holidays[day] {
		return false
	}
	wd := t.In(Beijing).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Deadline returns the end (24:00 Beijing time) of the n-th working day
// after the day of t: a task pushed on Friday with 1 working day is due at
// the end of Monday.
func (c Calendar) Deadline(t time.Time, n int) time.Time {
	t = t.In(Beijing)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Beijing)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.Working(day) {
			n--
		}
	}
	return day.AddDate(0, 0, 1)
}

package audit_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/audit"
)

func TestParseFilter(t *testing.T) {
	since := time.Date(2026, 11, 27, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, tc := range []struct {
		name  string
		query string
		want  audit.Filter
		field string // "" when valid
	}{
		{"nothing", "", audit.Filter{Limit: 100}, ""},
		{"every parameter",
			"token=7&action=unmask&route=/v1/entities/{uscc}&object=uscc%3D9144&since=2026-11-27T08:00:00%2B08:00&until=2026-11-28T00:00:00Z&cursor=" + audit.Cursor(500) + "&limit=20",
			audit.Filter{TokenID: 7, Action: "unmask", Route: "/v1/entities/{uscc}", Object: "uscc=9144", Since: since,
				Until: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), After: 500, Limit: 20}, ""},
		{"fractional seconds", "since=2026-11-27T08:00:00.123456%2B08:00", audit.Filter{Since: since.Add(123456 * time.Microsecond), Limit: 100}, ""},
		{"limit at its bounds", "limit=1000", audit.Filter{Limit: 1000}, ""},
		{"token zero", "token=0", audit.Filter{}, "token"},
		{"token not a number", "token=admin", audit.Filter{}, "token"},
		{"unknown action", "action=delete", audit.Filter{}, "action"},
		{"since a date only", "since=2026-11-27", audit.Filter{}, "since"},
		{"until without a zone", "until=2026-11-27T08:00:00", audit.Filter{}, "until"},
		{"until before since", "since=2026-11-28T00:00:00Z&until=2026-11-27T00:00:00Z", audit.Filter{}, "until"},
		{"until equal to since", "since=2026-11-28T00:00:00Z&until=2026-11-28T08:00:00%2B08:00", audit.Filter{}, "until"},
		{"limit zero", "limit=0", audit.Filter{}, "limit"},
		{"limit over the cap", "limit=1001", audit.Filter{}, "limit"},
		{"limit not a number", "limit=ten", audit.Filter{}, "limit"},
		{"cursor not base64", "cursor=!!", audit.Filter{}, "cursor"},
		{"cursor of another shape", "cursor=" + "dXNjYzo5MTQ0", audit.Filter{}, "cursor"}, // "uscc:9144"
		{"cursor of id 0", "cursor=" + "aWQ6MA", audit.Filter{}, "cursor"},
		{"object over its bound", "object=" + strings.Repeat("o", audit.MaxObject+1), audit.Filter{}, "object"},
		{"route not UTF-8", "route=%FF", audit.Filter{}, "route"},
		{"a misspelt parameter", "sinse=2026-11-27T00:00:00Z", audit.Filter{}, "sinse"},
		{"a repeated parameter", "action=write&action=unmask", audit.Filter{}, "action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := audit.ParseFilter(q)
			wantField(t, err, tc.field)
			if tc.field != "" {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseFilter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterValidate(t *testing.T) {
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		f     audit.Filter
		field string
	}{
		{"zero", audit.Filter{}, ""},
		{"a window", audit.Filter{Since: at, Until: at.Add(time.Hour)}, ""},
		{"since only", audit.Filter{Since: at}, ""},
		{"negative token", audit.Filter{TokenID: -1}, "token"},
		{"negative cursor", audit.Filter{After: -1}, "cursor"},
		{"negative limit", audit.Filter{Limit: -1}, "limit"},
		{"limit over the cap", audit.Filter{Limit: audit.MaxLimit + 1}, "limit"},
		{"empty window", audit.Filter{Since: at, Until: at}, "until"},
		{"unknown action", audit.Filter{Action: "write;"}, "action"},
		{"route too long", audit.Filter{Route: strings.Repeat("r", audit.MaxRoute+1)}, "route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantField(t, tc.f.Validate(), tc.field)
		})
	}
	if n := (audit.Filter{}).PageSize(); n != audit.DefaultLimit {
		t.Errorf("PageSize of the zero filter = %d, want %d", n, audit.DefaultLimit)
	}
}

// FuzzParseFilter: any query either fails naming a parameter or gives a
// filter that validates.
func FuzzParseFilter(f *testing.F) {
	f.Add("token=7&action=write&limit=5")
	f.Add("since=2026-11-27T08:00:00%2B08:00&until=2026-11-27T09:00:00Z&cursor=" + audit.Cursor(9))
	f.Add("object=%00&route=%FF")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := audit.ParseFilter(q)
		if err != nil {
			if !strings.Contains(err.Error(), ":") {
				t.Errorf("error %q names no parameter", err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Errorf("ParseFilter(%q) = %+v, which does not validate: %v", raw, got, err)
		}
		if got.Limit < 1 || got.Limit > audit.MaxLimit {
			t.Errorf("ParseFilter(%q) limit %d", raw, got.Limit)
		}
	})
}

func ExampleParseFilter() {
	q, _ := url.ParseQuery("action=unmask&since=2026-11-27T08:00:00%2B08:00&limit=20")
	f, err := audit.ParseFilter(q)
	fmt.Println(f.Action, f.Since.UTC(), f.Limit, err)
	_, err = audit.ParseFilter(url.Values{"limit": {"5000"}})
	fmt.Println(err)
	// Output:
	// unmask 2026-11-27 00:00:00 +0000 UTC 20 <nil>
	// limit: must be an integer from 1 to 1000, not "5000"
}

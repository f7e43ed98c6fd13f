package supervision

import (
	"strings"
	"testing"
)

func TestParseUSCC(t *testing.T) {
	tests := []struct {
		name, in, want, errHas string
	}{
		// Published codes of real organizations.
		{name: "enterprise", in: "91350100M000100Y43", want: "91350100M000100Y43"},
		{name: "lower case and spaces", in: " 91350100m000100y43 ", want: "91350100M000100Y43"},
		{name: "wrong check character", in: "91350100M000100Y44", errHas: "first 17 characters give 3"},
		{name: "too short", in: "9135010", errHas: "has 7"},
		{name: "letter I", in: "91350100M000I00Y43", errHas: "character 13"},
		{name: "letter in division code", in: "9135A100M000100Y43", errHas: "administrative division"},
		{name: "non-ASCII", in: "91350100M000100Y4三", errHas: "character 18"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUSCC(tc.in)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("ParseUSCC(%q) = %q, %v; want an error containing %q", tc.in, got, err, tc.errHas)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("ParseUSCC(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestUSCCCheckRoundTrip(t *testing.T) {
	for _, first := range []string{"91441900MA4W00001", "92441900MA5A12345", "93441900000000000", "91441900YYYYYYYYY"} {
		c, err := USCCCheck(first)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseUSCC(first + string(c)); err != nil {
			t.Errorf("%s%c: %v", first, c, err)
		}
	}
}

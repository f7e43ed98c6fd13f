package addressbook

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// updateFiles rewrites the golden and generated files from the code:
// go test ./addressbook/ -run Golden -update.
var updateFiles = flag.Bool("update", false, "rewrite testdata/parse_golden.json and normalize_tradchars.go")

// goldenCase is one address of testdata/parse_golden.json.
type goldenCase struct {
	Input      string     `json:"input"`
	Normalized string     `json:"normalized"`
	Want       Components `json:"want"`
}

// TestParseGolden parses realistic Dongguan registrations and compares the
// components with testdata/parse_golden.json. After a deliberate change, run
// with -update and review the diff of the file.
func TestParseGolden(t *testing.T) {
	path := filepath.Join("testdata", "parse_golden.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 80 {
		t.Errorf("%d golden addresses, want at least 80", len(cases))
	}
	seen := map[string]bool{}
	for i := range cases {
		c := &cases[i]
		if seen[c.Input] {
			t.Errorf("%q appears twice", c.Input)
		}
		seen[c.Input] = true
		got, norm := Parse(c.Input), Normalize(c.Input)
		if *updateFiles {
			c.Want, c.Normalized = got, norm
			continue
		}
		if diff := cmp.Diff(c.Want, got); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", c.Input, diff)
		}
		if norm != c.Normalized {
			t.Errorf("Normalize(%q) = %q, want %q", c.Input, norm, c.Normalized)
		}
	}
	if *updateFiles {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cases); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

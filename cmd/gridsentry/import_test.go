package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// TestImportExportCommands runs import and export end to end on the demo
// city: a file with good and bad rows, its re-import, an export.
func TestImportExportCommands(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	db := []string{"-database-url", url, "-log-format", "text"}
	var errOut bytes.Buffer
	if err := run(ctx, append([]string{"demo", "-seed", "1"}, db...), io.Discard, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	report := filepath.Join(t.TempDir(), "rejected.ndjson")

	var out bytes.Buffer
	errOut.Reset()
	err := run(ctx, append([]string{"import", "addresses", "testdata/addresses.csv", "-report", report}, db...), &out, &errOut)
	if exitCode(err) != exitRejected || !strings.Contains(err.Error(), "2 rows of testdata/addresses.csv were rejected; the other rows were loaded") {
		t.Fatalf("import: err = %v (exit %d), want exit %d\n%s", err, exitCode(err), exitRejected, errOut.String())
	}
	if want := "3 inserted, 0 updated, 0 unchanged, 0 retired, 2 rejected"; !strings.Contains(out.String(), want) {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	for _, want := range []string{"rejected line 5 (doorplate 4419000039990003): number: 0 must be greater than 0",
		"rejected line 6 (doorplate 4419000039990004): road_code: road 44190000399999 does not exist"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	f, err := os.Open(report)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e addressbook.RowError
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("report line %q: %v", sc.Text(), err)
		}
		lines = append(lines, e.Line)
	}
	if len(lines) != 2 || lines[0] != 5 || lines[1] != 6 {
		t.Errorf("report lines %v, want [5 6]", lines)
	}

	out.Reset()
	err = run(ctx, append([]string{"import", "addresses", "-dry-run", "testdata/addresses.csv"}, db...), &out, io.Discard)
	if exitCode(err) != exitRejected || !strings.Contains(out.String(), "nothing was written") ||
		!strings.Contains(out.String(), "0 inserted, 0 updated, 3 unchanged") {
		t.Errorf("re-import (dry run): %v, %q", err, out.String())
	}

	exported := filepath.Join(t.TempDir(), "town.geojson")
	if err := run(ctx, append([]string{"export", "all", "-town", "441900003", "-format", "geojson", "-o", exported}, db...), io.Discard, io.Discard); err != nil {
		t.Fatalf("export: %v", err)
	}
	b, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"name":"测试大道"`) || strings.Contains(string(b), `"town_code":"441900004"`) {
		t.Errorf("the export of town 441900003 lacks the imported road or holds another town")
	}
	out.Reset()
	if err := run(ctx, append([]string{"import", "all", exported}, db...), &out, io.Discard); err != nil || !strings.Contains(out.String(), " 0 inserted, 0 updated, ") {
		t.Errorf("import of the export: %v, %q", err, out.String())
	}
}

func TestImportUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"import", "addresses"}, "import addresses|buildings|all FILE"},
		{"unknown kind", []string{"import", "shops", "x.csv"}, `unknown kind "shops"`},
		{"unknown format", []string{"import", "addresses", "x.xlsx"}, "give -format csv"},
		{"bad type", []string{"import", "addresses", "x.csv", "-type", "shop"}, "-type"},
		{"bad crs", []string{"import", "addresses", "x.csv", "-crs", "bd09"}, "-crs"},
		{"export bad town", []string{"export", "all", "-town", "4419"}, "-town"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a usage error mentioning %q", err, tc.want)
			}
		})
	}
}

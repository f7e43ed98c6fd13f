package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// TestImportRecords imports complaints and violations with good and bad
// lines, twice: the second run changes nothing.
func TestImportRecords(t *testing.T) {
	url := pgtest.DemoURL(t)
	ctx := context.Background()
	dbArgs := []string{"-database-url", url, "-log-format", "text"}
	var errOut bytes.Buffer
	first := "91441900MR0000001"
	c, err := supervision.USCCCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	uscc := first + string(c)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var town, address string
	err = conn.QueryRow(ctx, `SELECT b.town_code, t.name || r.name || d.number || '号'
		FROM buildings b JOIN doorplates d ON d.code = b.doorplate_code JOIN roads r ON r.code = d.road_code
		JOIN towns t ON t.code = b.town_code
		WHERE d.sub_number = 0 AND d.retired_at IS NULL ORDER BY b.id LIMIT 1`).Scan(&town, &address)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, changed_at, town_code)
		VALUES ($1, '东莞测试商行', 'enterprise', 'active', '2026-01-05', $2, now(), $3) ON CONFLICT DO NOTHING`, uscc, address, town); err != nil {
		t.Fatal(err)
	}
	other := "91441900MR0000002"
	c, _ = supervision.USCCCheck(other)
	other += string(c)

	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	complaints := write("complaints.ndjson",
		`{"source":"12345","external_id":"T-1","at":"2026-11-01T10:00:00+08:00","category":"report","address_text":"`+address+`","summary":"无照经营"}`,
		`{"source":"12315","external_id":"T-2","at":"2026-11-02T10:00:00+08:00","category":"complaint","uscc":"`+uscc+`"}`,
		``,
		`{"source":"110","external_id":"T-3","at":"2026-11-02T10:00:00+08:00","category":"complaint","uscc":"`+uscc+`"}`,
		`{"source":"12315","external_id":"T-4","at":"2026-11-02T10:00:00+08:00","category":"complaint","uscc":"`+other+`"}`,
		`{"source":"12315","colour":"red"}`,
		`not json`)
	violations := write("violations.ndjson",
		`{"uscc":"`+uscc+`","external_id":"东市监罚〔2026〕7号","at":"2026-10-01T00:00:00+08:00","kind":"penalty","amount":2000}`,
		`{"uscc":"`+uscc+`","external_id":"东市监罚〔2026〕8号","at":"2026-10-01T00:00:00+08:00","kind":"fine"}`)

	for _, tc := range []struct {
		what, file string
		out        []string
		rejected   []string
	}{
		{"complaints", complaints, []string{"2 inserted, 0 unchanged, 4 rejected", "0 inserted, 2 unchanged, 4 rejected"}, []string{
			"rejected line 4: source: unknown source \"110\"",
			"rejected line 5: uscc: entity " + other + " does not exist",
			"rejected line 6: not a JSON object: json: unknown field \"colour\"",
			"rejected line 7: not a JSON object"}},
		{"violations", violations, []string{"1 inserted, 0 unchanged, 1 rejected", "0 inserted, 1 unchanged, 1 rejected"}, []string{
			"rejected line 2: kind: unknown kind \"fine\""}},
	} {
		for run2, want := range tc.out {
			var out bytes.Buffer
			errOut.Reset()
			err := run(ctx, append([]string{"import", tc.what, tc.file}, dbArgs...), &out, &errOut)
			if exitCode(err) != exitRejected {
				t.Fatalf("import %s (run %d): err = %v, want exit %d\n%s", tc.what, run2+1, err, exitRejected, errOut.String())
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("import %s (run %d): stdout %q, want %q", tc.what, run2+1, out.String(), want)
			}
			for _, r := range tc.rejected {
				if !strings.Contains(errOut.String(), r) {
					t.Errorf("import %s: stderr lacks %q:\n%s", tc.what, r, errOut.String())
				}
			}
		}
	}
	var matched, linked int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE link_status = 'matched'), count(*) FILTER (WHERE town_code = $1)
		FROM complaints WHERE external_id IN ('T-1', 'T-2', 'T-4')`, town).Scan(&matched, &linked); err != nil {
		t.Fatal(err)
	}
	if matched != 1 || linked != 2 {
		t.Errorf("complaints: %d matched (want 1), %d in town %s (want 2)", matched, linked, town)
	}
}

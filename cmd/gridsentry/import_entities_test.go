package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

func testUSCC(t *testing.T, n int) string {
	first := fmt.Sprintf("92441900MA%07d", n)
	c, err := supervision.USCCCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

// TestImportEntitiesCommand imports entities from NDJSON and CSV into the
// demo city: bad lines reported by number, the rest linked and pushed in one
// transaction; a re-import changes nothing; link links what is unlinked.
func TestImportEntitiesCommand(t *testing.T) {
	url := pgtest.DemoURL(t)
	ctx := context.Background()
	dbArgs := []string{"-database-url", url, "-log-format", "text"}
	var errOut bytes.Buffer
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var address string
	if err := db.Pool().QueryRow(ctx, `
		SELECT t.name || r.name || d.number || '号' || b.label || m.label
		FROM rooms m JOIN buildings b ON b.id = m.building_id JOIN doorplates d ON d.code = b.doorplate_code
		JOIN roads r ON r.code = d.road_code JOIN towns t ON t.code = b.town_code
		WHERE m.unit = '' AND d.sub_number = 0 AND b.status = 'existing'
		  AND (SELECT count(*) FROM buildings b2 WHERE b2.doorplate_code = d.code) = 1
		ORDER BY m.code LIMIT 1`).Scan(&address); err != nil {
		t.Fatal(err)
	}
	count := func(q string, args ...any) int {
		var n int
		if err := db.Pool().QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	dir := t.TempDir()
	ndjson := filepath.Join(dir, "entities.ndjson")
	lines := []string{
		fmt.Sprintf(`{"uscc": %q, "name": "测试小吃店", "registered_at": "2026-11-02", "address_text": %q, "scope": "小吃服务", "changed_at": "2026-11-02T09:00:00+08:00"}`, testUSCC(t, 1), address),
		`{"uscc": "92441900MA00000011", "name": "错码", "registered_at": "2026-11-02", "address_text": "x"}`,
		fmt.Sprintf(`{"uscc": %q, "name": "测试五金店", "registered_at": "2026-11-02", "address_text": %q, "scope": "五金产品零售（不含危险化学品）", "changed_at": "2026-11-02T09:00:00+08:00"}`, testUSCC(t, 2), address),
		`{"uscc": "` + testUSCC(t, 3) + `", "name": "无日期"`,
	}
	if err := os.WriteFile(ndjson, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tasksBefore := count(`SELECT count(*) FROM tasks`)
	var out bytes.Buffer
	errOut.Reset()
	err = run(ctx, append([]string{"import", "entities", ndjson}, dbArgs...), &out, &errOut)
	if exitCode(err) != exitRejected {
		t.Fatalf("import: %v (exit %d), want exit %d\n%s", err, exitCode(err), exitRejected, errOut.String())
	}
	if !strings.Contains(out.String(), "2 created, 0 updated, 0 unchanged, 0 stale, 2 rejected; 3 tasks pushed") {
		t.Errorf("stdout: %s", out.String())
	}
	for _, want := range []string{"rejected line 2: uscc: the check character", "rejected line 4: malformed JSON"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	// 小吃 → food; 不含危险化学品 → nobody; and a first check each.
	if n := count(`SELECT count(*) FROM tasks`) - tasksBefore; n != 3 {
		t.Errorf("%d tasks pushed, want 3", n)
	}
	if n := count(`SELECT count(*) FROM entities WHERE uscc = ANY($1) AND link_status = 'matched' AND h3_7 IS NOT NULL`,
		[]string{testUSCC(t, 1), testUSCC(t, 2)}); n != 2 {
		t.Errorf("%d of the imported entities linked, want 2", n)
	}

	out.Reset()
	err = run(ctx, append([]string{"import", "entities", ndjson}, dbArgs...), &out, io.Discard)
	if exitCode(err) != exitRejected || !strings.Contains(out.String(), "0 created, 0 updated, 2 unchanged") {
		t.Errorf("re-import: %v: %s", err, out.String())
	}

	csvFile := filepath.Join(dir, "entities.csv")
	csv := "uscc,name,registered_at,address_text,scope,report_year,changed_at\n" +
		testUSCC(t, 4) + ",测试书店," + "2026-11-03," + address + ",出版物零售,2025,2026-11-03T09:00:00+08:00\n" +
		testUSCC(t, 1) + ",测试小吃店（更名）,2026-11-02," + address + ",小吃服务,,2026-11-04T09:00:00+08:00\n"
	if err := os.WriteFile(csvFile, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if err := run(ctx, append([]string{"import", "entities", csvFile, "-no-push"}, dbArgs...), &out, &errOut); err != nil {
		t.Fatalf("csv import: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "1 created, 1 updated, 0 unchanged, 0 stale, 0 rejected; 0 tasks pushed") {
		t.Errorf("csv import: %s", out.String())
	}

	out.Reset()
	if err := run(ctx, append([]string{"link"}, dbArgs...), &out, io.Discard); err != nil {
		t.Fatalf("link: %v", err)
	}
	if count(`SELECT count(*) FROM entities WHERE linked_at IS NULL`) != 0 || !strings.Contains(out.String(), "linked") {
		t.Errorf("link left entities unlinked: %s", out.String())
	}
}

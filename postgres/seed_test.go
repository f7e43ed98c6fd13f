package postgres_test

import (
	"context"
	"testing"

	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

func TestSeedDefaults(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	count := func(table string) int {
		var n int
		if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	keywords := 0
	for _, r := range supervision.DefaultRules() {
		keywords += len(r.Keywords)
	}
	want := map[string]int{
		"departments":      len(supervision.DefaultDepartments()),
		"scope_rules":      keywords,
		"inspection_items": len(supervision.DefaultItems()),
	}
	for range 2 {
		if err := db.SeedDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		for table, n := range want {
			if got := count(table); got != n {
				t.Errorf("%s: %d rows, want %d", table, got, n)
			}
		}
	}
	rules, err := db.ScopeRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(supervision.DefaultRules()) || rules[0].Department != supervision.DefaultRules()[0].Department ||
		len(rules[0].Keywords) != len(supervision.DefaultRules()[0].Keywords) {
		t.Errorf("rules read back as %v", rules)
	}
	var coordinator bool
	if err := db.Pool().QueryRow(ctx, "SELECT coordinator FROM departments WHERE code = $1", supervision.CoordinatorCode).Scan(&coordinator); err != nil || !coordinator {
		t.Errorf("the coordinator is not marked: %v %v", coordinator, err)
	}

	// Edits survive a second seeding: it only fills a database without departments.
	if _, err := db.Pool().Exec(ctx, "DELETE FROM scope_rules WHERE department_code = 'civil'"); err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count("scope_rules"); got != keywords-1 {
		t.Errorf("after an edit and a second seeding: %d rules, want %d", got, keywords-1)
	}
}

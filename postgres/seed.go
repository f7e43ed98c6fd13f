package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/supervision"
)

// seedDefaultsSQL inserts the default departments, scope rules and the
// city's inspection items in one statement, and only into a database
// without departments: the rules and items are data that users edit, and a
// second seeding must not bring back what they removed. The foreign keys of
// the rules are checked at the end of the statement, when their departments
// are in.
const seedDefaultsSQL = `
WITH d AS (
	INSERT INTO departments (code, name, coordinator)
	SELECT code, name, coalesce(coordinator, false) FROM jsonb_to_recordset($1::jsonb) AS x(code text, name text, coordinator boolean)
	WHERE NOT EXISTS (SELECT 1 FROM departments)
	RETURNING code
), r AS (
	INSERT INTO scope_rules (department_code, keyword, position)
	SELECT department, keyword, position FROM jsonb_to_recordset($2::jsonb) AS x(department text, keyword text, position integer)
	WHERE EXISTS (SELECT 1 FROM d)
), i AS (
	INSERT INTO inspection_items (code, label, answers, position)
	SELECT code, label, answers, position FROM jsonb_to_recordset($3::jsonb) AS x(code text, label text, answers text[], position integer)
	WHERE EXISTS (SELECT 1 FROM d) AND NOT EXISTS (SELECT 1 FROM inspection_items WHERE town_code IS NULL)
)
SELECT count(*) FROM d`

// SeedDefaults gives a database without departments the defaults of the
// supervision package: its departments, its business-scope rules
// (DESIGN.md section 8) and the city's "4+2" inspection items. A database
// that has departments is left as it is.
func (db *DB) SeedDefaults(ctx context.Context) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return seedDefaults(ctx, tx) })
}

// seedDefaults is SeedDefaults within tx. Seeders are serialized, so two
// cannot both find the table empty.
func seedDefaults(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "LOCK TABLE departments IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return translate(err, "lock departments")
	}
	type rule struct {
		Department string `json:"department"`
		Keyword    string `json:"keyword"`
		Position   int    `json:"position"`
	}
	var rules []rule
	for _, r := range supervision.DefaultRules() {
		for _, k := range r.Keywords {
			rules = append(rules, rule{r.Department, k, len(rules)})
		}
	}
	type item struct {
		Code     string   `json:"code"`
		Label    string   `json:"label"`
		Answers  []string `json:"answers"`
		Position int      `json:"position"`
	}
	var items []item
	for i, it := range supervision.DefaultItems() {
		items = append(items, item{it.Code, it.Label, it.Answers, i})
	}
	var args [3][]byte
	for i, v := range []any{supervision.DefaultDepartments(), rules, items} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		args[i] = b
	}
	_, err := tx.Exec(ctx, seedDefaultsSQL, args[0], args[1], args[2])
	if err != nil {
		return translate(err, "seed departments, scope rules and inspection items")
	}
	// The restricted trades came later (migration 00006): databases seeded
	// before get them on their next start, as does one whose list was
	// emptied.
	type trade struct {
		supervision.RestrictedTrade
		Position int `json:"position"`
	}
	var ts []trade
	for i, t := range supervision.DefaultRestrictedTrades() {
		ts = append(ts, trade{t, i})
	}
	trades, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO restricted_trades (code, label, keywords, uses, position)
		SELECT code, label, keywords, uses, position
		FROM jsonb_to_recordset($1::jsonb) AS x(code text, label text, keywords text[], uses text[], position integer)
		WHERE NOT EXISTS (SELECT 1 FROM restricted_trades)`, trades)
	return translate(err, "seed restricted trades")
}

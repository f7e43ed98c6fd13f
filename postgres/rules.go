package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// invalidInput turns the domain's validation error into a 400 naming the
// field; other errors pass unchanged.
func invalidInput(err error) error {
	var fe *supervision.FieldError
	if errors.As(err, &fe) {
		return derrors.Field(fe.Field, "%s", fe.Message)
	}
	return err
}

// conflict is a 409 saying why a step is not allowed.
func conflict(err error) error { return derrors.New(derrors.Conflict, "%s", err.Error()) }

// Departments returns the departments, the coordinator last.
func (db *DB) Departments(ctx context.Context) ([]supervision.Department, error) {
	return departments(ctx, db.pool)
}

func departments(ctx context.Context, q querier) ([]supervision.Department, error) {
	rows, _ := q.Query(ctx, `SELECT code, name, coordinator FROM departments ORDER BY coordinator, code`)
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.Department, error) {
		var d supervision.Department
		err := row.Scan(&d.Code, &d.Name, &d.Coordinator)
		return d, err
	})
	if err != nil {
		return nil, translate(err, "read departments")
	}
	return ds, nil
}

// departmentKnown returns a 400 naming field unless code is a department
// (the coordinator counts only when allowed).
func departmentKnown(ctx context.Context, q querier, field, code string, coordinatorOK bool) error {
	rows, _ := q.Query(ctx, `SELECT coordinator FROM departments WHERE code = $1`, code)
	found, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		return translate(err, "find department")
	}
	if len(found) == 0 {
		return derrors.Field(field, "no department has code %q", code)
	}
	if found[0] && !coordinatorOK {
		return derrors.Field(field, "%q is the coordinator; name the competent department", code)
	}
	return nil
}

// ScopeRules returns the editable business-scope rules in their order,
// for pushing tasks and for editing.
func (db *DB) ScopeRules(ctx context.Context) ([]supervision.ScopeRule, error) {
	// Consecutive keywords of one department make one rule, so a rule set
	// that names a department twice reads back as written.
	rows, _ := db.pool.Query(ctx, `SELECT department_code, keyword FROM scope_rules ORDER BY position`)
	var out []supervision.ScopeRule
	var dept, kw string
	_, err := pgx.ForEachRow(rows, []any{&dept, &kw}, func() error {
		if n := len(out); n == 0 || out[n-1].Department != dept {
			out = append(out, supervision.ScopeRule{Department: dept})
		}
		out[len(out)-1].Keywords = append(out[len(out)-1].Keywords, kw)
		return nil
	})
	if err != nil {
		return nil, translate(err, "read scope rules")
	}
	return out, nil
}

// ReplaceScopeRules replaces every scope rule in one transaction, after
// checking the set with supervision.ValidateRules (a 400 names the rule at
// fault). A keyword may appear once per department.
func (db *DB) ReplaceScopeRules(ctx context.Context, rules []supervision.ScopeRule) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Serialize editors: the rule set is replaced as a whole.
		if _, err := tx.Exec(ctx, `LOCK TABLE scope_rules IN EXCLUSIVE MODE`); err != nil {
			return translate(err, "lock scope rules")
		}
		ds, err := departments(ctx, tx)
		if err != nil {
			return err
		}
		if err := supervision.ValidateRules(rules, ds); err != nil {
			return invalidInput(err)
		}
		var dept, kw []string
		var pos []int32
		seen := map[[2]string]bool{}
		for i, r := range rules {
			for j, k := range r.Keywords {
				if seen[[2]string{r.Department, k}] {
					return derrors.Field(fmt.Sprintf("rules[%d].keywords[%d]", i, j), "%q is given twice for %s", k, r.Department)
				}
				seen[[2]string{r.Department, k}] = true
				dept, kw, pos = append(dept, r.Department), append(kw, k), append(pos, int32(len(pos)))
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM scope_rules`); err != nil {
			return translate(err, "replace scope rules")
		}
		_, err = tx.Exec(ctx, `INSERT INTO scope_rules (department_code, keyword, position)
			SELECT * FROM unnest($1::text[], $2::text[], $3::int[])`, dept, kw, pos)
		return translate(err, "replace scope rules")
	})
}

// InspectionItems returns the inspection items of a town: the city's "4+2"
// then the town's own, in order. An empty town code gives the city's only;
// an unknown town is not found.
func (db *DB) InspectionItems(ctx context.Context, townCode string) ([]supervision.Item, error) {
	if townCode != "" {
		if err := townExists(ctx, db.pool, townCode); err != nil {
			return nil, err
		}
	}
	return inspectionItems(ctx, db.pool, townCode)
}

func townExists(ctx context.Context, q querier, code string) error {
	rows, _ := q.Query(ctx, `SELECT 1 FROM towns WHERE code = $1`, code)
	n, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return translate(err, "find town")
	}
	if len(n) == 0 {
		return derrors.New(derrors.NotFound, "no town has code %s", code)
	}
	return nil
}

func inspectionItems(ctx context.Context, q querier, townCode string) ([]supervision.Item, error) {
	rows, _ := q.Query(ctx, `SELECT code, label, answers, coalesce(town_code, '') FROM inspection_items
		WHERE town_code IS NULL OR town_code = $1 ORDER BY town_code NULLS FIRST, position, code`, townCode)
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.Item, error) {
		var it supervision.Item
		err := row.Scan(&it.Code, &it.Label, &it.Answers, &it.TownCode)
		return it, err
	})
	if err != nil {
		return nil, translate(err, "read inspection items")
	}
	return items, nil
}

// ReplaceTownItems replaces a town's own inspection items and returns the
// town's full list. Each item is checked with supervision.ValidateItem; a
// town item may not reuse a city item's code, nor repeat one of its own.
func (db *DB) ReplaceTownItems(ctx context.Context, townCode string, items []supervision.Item) ([]supervision.Item, error) {
	var out []supervision.Item
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := townExists(ctx, tx, townCode); err != nil {
			return err
		}
		city, err := inspectionItems(ctx, tx, "")
		if err != nil {
			return err
		}
		cityCodes := supervision.ItemCodes(city)
		var codes, labels []string
		var answers [][]string
		for i, it := range items {
			if err := supervision.ValidateItem(it); err != nil {
				var fe *supervision.FieldError
				if errors.As(err, &fe) {
					return derrors.Field(fmt.Sprintf("items[%d].%s", i, fe.Field), "%s", fe.Message)
				}
				return err
			}
			if slices.Contains(cityCodes, it.Code) {
				return derrors.Field(fmt.Sprintf("items[%d].code", i), "%q is a city item; a town item needs a code of its own", it.Code)
			}
			if slices.Contains(codes, it.Code) {
				return derrors.Field(fmt.Sprintf("items[%d].code", i), "%q is given twice", it.Code)
			}
			if it.TownCode != "" && it.TownCode != townCode {
				return derrors.Field(fmt.Sprintf("items[%d].town_code", i), "is %s, but the items are town %s's", it.TownCode, townCode)
			}
			codes, labels, answers = append(codes, it.Code), append(labels, it.Label), append(answers, it.Answers)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inspection_items WHERE town_code = $1`, townCode); err != nil {
			return translate(err, "replace town items")
		}
		for i := range codes {
			if _, err := tx.Exec(ctx, `INSERT INTO inspection_items (code, town_code, label, answers, position)
				VALUES ($1, $2, $3, $4, $5)`, codes[i], townCode, labels[i], answers[i], i); err != nil {
				return translate(err, "replace town items")
			}
		}
		out, err = inspectionItems(ctx, tx, townCode)
		return err
	})
	return out, err
}

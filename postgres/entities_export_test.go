package postgres_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// eachEntity collects what EachEntity passes to its callback.
func eachEntity(t *testing.T, db *postgres.DB, f supervision.EntityFilter) []supervision.EntityRecord {
	t.Helper()
	var recs []supervision.EntityRecord
	if err := db.EachEntity(context.Background(), f, func(rec supervision.EntityRecord) error {
		recs = append(recs, rec)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestEachEntityExport(t *testing.T) {
	db, codes := entityFixtures(t)
	ctx := context.Background()

	t.Run("selects what Entities selects, record for record", func(t *testing.T) {
		for _, f := range []supervision.EntityFilter{
			{},
			{TownCode: fxTown},
			{GridCode: fxGrid, Status: supervision.Active},
			{Within: orb.Polygon{{{113.79, 23.04}, {113.81, 23.04}, {113.81, 23.06}, {113.79, 23.06}, {113.79, 23.04}}}},
			{TaskStatus: supervision.TaskOverdue},
			{AddressCode: fxDoorplate},
			{LinkStatus: supervision.LinkUnlinked},
			{After: codes["C"]},
		} {
			want, err := db.Entities(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got := eachEntity(t, db, f)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%+v (-Entities +EachEntity):\n%s", f, diff)
			}
		}
	})

	t.Run("has no pages", func(t *testing.T) {
		checkCodes(t, codes, "ABCDEF", eachEntity(t, db, supervision.EntityFilter{Limit: 2}))
	})

	t.Run("the callback's error stops the export", func(t *testing.T) {
		stop := errors.New("client went away")
		calls := 0
		err := db.EachEntity(ctx, supervision.EntityFilter{}, func(supervision.EntityRecord) error {
			if calls++; calls == 2 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 2 {
			t.Errorf("err = %v after %d calls, want the callback's error after 2", err, calls)
		}
		// The connection of the stopped query does not come back broken.
		for range 5 {
			if _, err := db.Entities(ctx, supervision.EntityFilter{}); err != nil {
				t.Fatalf("a list after a stopped export: %v", err)
			}
		}
	})

	t.Run("an invalid filter names its field", func(t *testing.T) {
		err := db.EachEntity(ctx, supervision.EntityFilter{AddressCode: "123"}, func(supervision.EntityRecord) error { return nil })
		var de *derrors.Error
		if !errors.As(err, &de) || de.Kind != derrors.Invalid || de.Field != "address_code" {
			t.Errorf("err = %v, want invalid address_code", err)
		}
	})
}

// TestEachEntityExportOutlastsStatementTimeout exports, through a pool
// with a statement timeout of 50 ms, more rows than a query can send in that
// time: the export runs without the pool's timeout.
func TestEachEntityExportOutlastsStatementTimeout(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	setup, err := postgres.Open(ctx, url, postgres.Options{StatementTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	m, err := setup.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	const n = 30000
	if _, err := setup.Pool().Exec(ctx, syntheticEntities, n); err != nil {
		t.Fatal(err)
	}

	db, err := postgres.Open(ctx, url, postgres.Options{StatementTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Pool().Exec(ctx, "SELECT pg_sleep(0.2)"); !isTimeout(err) {
		t.Fatalf("a plain query of 200 ms: err = %v, want the pool's statement timeout", err)
	}
	rows := 0
	err = db.EachEntity(ctx, supervision.EntityFilter{}, func(supervision.EntityRecord) error {
		rows++
		return nil
	})
	if err != nil || rows != n {
		t.Fatalf("export: %d rows, err %v; want %d rows", rows, err, n)
	}
}

// syntheticEntities inserts $1 entities, every one linked to a point in
// town 441900003 (h3 cells stand in: the export does not read them).
const syntheticEntities = `INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, legal_rep,
	phone, id_number, changed_at, link_status, link_level, link_score, town_code, location, h3_7, h3_8, h3_9, h3_10, h3_11, linked_at)
	SELECT '91441900' || lpad(i::text, 10, '0'), '东莞市测试商行' || i, 'enterprise', 'active', '2020-01-01',
		'东莞市东城街道东纵路' || i || '号', '张三', '13812345678', '44190019900101123X', now(),
		'matched', 'room', 0.9, '441900003', ST_SetSRID(ST_MakePoint(113.75 + i * 1e-7, 23.02), 4326),
		1, 1, 1, 1, 1, now()
	FROM generate_series(1, $1::int) i`

// isTimeout reports whether err is PostgreSQL's statement timeout.
func isTimeout(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014"
}

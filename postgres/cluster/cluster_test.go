package cluster_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridsentry/gridsentry/postgres/cluster"
	"github.com/gridsentry/gridsentry/postgres/cluster/clustertest"
)

func TestURL(t *testing.T) {
	c := &cluster.Cluster{Port: 54321}
	for _, tc := range []struct{ db, want string }{
		{"postgres", "postgres://postgres@127.0.0.1:54321/postgres?sslmode=disable"},
		{"gridsentry_test", "postgres://postgres@127.0.0.1:54321/gridsentry_test?sslmode=disable"},
		{"with space?", "postgres://postgres@127.0.0.1:54321/with%20space%3F?sslmode=disable"},
	} {
		t.Run(tc.db, func(t *testing.T) {
			got := c.URL(tc.db)
			if got != tc.want {
				t.Fatalf("URL(%q) = %q, want %q", tc.db, got, tc.want)
			}
			cfg, err := pgx.ParseConfig(got)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Database != tc.db || cfg.User != "postgres" || cfg.Port != 54321 {
				t.Fatalf("pgx reads %q as database %q, user %q, port %d", got, cfg.Database, cfg.User, cfg.Port)
			}
		})
	}
}

// TestLifecycle starts a throwaway cluster, uses it, stops it and starts it
// again: the second start must keep the data and the port.
func TestLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := clustertest.Start(t)
	if !c.Running() {
		t.Fatal("Running() = false after Start")
	}
	port := c.Port

	conn := connect(ctx, t, c.URL("postgres"))
	var one int
	if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1: %d, %v", one, err)
	}
	if _, err := conn.Exec(ctx, "create extension postgis"); err != nil {
		t.Fatalf("create extension postgis: %v", err)
	}
	var wkt string
	if err := conn.QueryRow(ctx, "select ST_AsText(ST_SetSRID(ST_MakePoint(113.75, 23.02), 4326))").Scan(&wkt); err != nil || wkt != "POINT(113.75 23.02)" {
		t.Fatalf("PostGIS point: %q, %v", wkt, err)
	}
	if _, err := conn.Exec(ctx, "create table kept (town text); insert into kept values ('南城街道')"); err != nil {
		t.Fatal(err)
	}
	var encoding, collate, ctype string
	if err := conn.QueryRow(ctx, "select pg_encoding_to_char(encoding), datcollate, datctype from pg_database where datname = 'postgres'").Scan(&encoding, &collate, &ctype); err != nil {
		t.Fatal(err)
	}
	if encoding != "UTF8" || collate != "C" {
		t.Errorf("encoding %s, collate %s (ctype %s), want UTF8 and C", encoding, collate, ctype)
	}
	var listen, syncCommit, fsync string
	if err := conn.QueryRow(ctx, "select current_setting('listen_addresses'), current_setting('synchronous_commit'), current_setting('fsync')").Scan(&listen, &syncCommit, &fsync); err != nil {
		t.Fatal(err)
	}
	if listen != "127.0.0.1" || syncCommit != "off" || fsync != "on" {
		t.Errorf("listen_addresses %q, synchronous_commit %q, fsync %q; want 127.0.0.1, off, on", listen, syncCommit, fsync)
	}

	t.Run("second start reuses the running server", func(t *testing.T) {
		again, err := cluster.New(c.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if again.Port != port {
			t.Fatalf("New reads port %d, want %d", again.Port, port)
		}
		if err := again.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if again.Port != port {
			t.Fatalf("port %d after second Start, want %d", again.Port, port)
		}
	})

	t.Run("stop and start keep data and port", func(t *testing.T) {
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if c.Running() {
			t.Fatal("Running() = true after Stop")
		}
		if err := conn.Ping(ctx); err == nil {
			t.Fatal("connection still answers after Stop")
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("Stop of a stopped cluster: %v", err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if c.Port != port {
			t.Fatalf("port %d after restart, want %d", c.Port, port)
		}
		conn := connect(ctx, t, c.URL("postgres"))
		var town string
		if err := conn.QueryRow(ctx, "select town from kept").Scan(&town); err != nil || town != "南城街道" {
			t.Fatalf("data after restart: %q, %v", town, err)
		}
	})

	t.Run("taken port is replaced", func(t *testing.T) {
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if c.Port == port {
			t.Fatalf("started on port %d, which another listener holds", port)
		}
		connect(ctx, t, c.URL("postgres"))
	})

	t.Run("create database", func(t *testing.T) {
		const name = `gridsentry "test"`
		if err := c.CreateDatabase(ctx, name, false); err != nil {
			t.Fatal(err)
		}
		conn := connect(ctx, t, c.URL(name))
		if _, err := conn.Exec(ctx, "create table t (id int)"); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if err := c.CreateDatabase(ctx, name, false); err != nil {
			t.Fatalf("create an existing database: %v", err)
		}
		conn = connect(ctx, t, c.URL(name))
		if _, err := conn.Exec(ctx, "select from t"); err != nil {
			t.Fatalf("table lost without dropFirst: %v", err)
		}
		// The open connection must not prevent the drop.
		if err := c.CreateDatabase(ctx, name, true); err != nil {
			t.Fatal(err)
		}
		conn = connect(ctx, t, c.URL(name))
		_, err := conn.Exec(ctx, "select from t")
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
			t.Fatalf("after a fresh create, select from the old table: %v, want undefined_table", err)
		}
	})
}

func connect(ctx context.Context, t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

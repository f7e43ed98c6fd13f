package cluster_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridsentry/gridsentry/postgres/cluster"
	"github.com/gridsentry/gridsentry/postgres/cluster/clustertest"
)

// TestReplica makes a throwaway primary stream to a replica: a lone
// cluster refuses until replication is enabled with a restart, the replica
// copies what the primary held, follows what it writes afterwards, refuses
// writes, and survives a stop and a start.
func TestReplica(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	primary := clustertest.Start(t)
	replica := &cluster.Cluster{Dir: filepath.Join(filepath.Dir(primary.Dir), "pg-replica"), BinDir: primary.BinDir, Log: t.Output()}
	t.Cleanup(func() {
		if err := replica.Stop(context.Background()); err != nil {
			t.Errorf("stop replica: %v", err)
		}
	})

	if err := replica.StartReplica(ctx, primary); !errors.Is(err, cluster.ErrRestartNeeded) {
		t.Fatalf("replica of a primary with wal_level minimal: %v, want ErrRestartNeeded", err)
	}
	if err := primary.EnableReplication(ctx, false); !errors.Is(err, cluster.ErrRestartNeeded) {
		t.Fatalf("EnableReplication without restart on a running lone server: %v, want ErrRestartNeeded", err)
	}
	conn := connect(ctx, t, primary.URL("postgres"))
	if _, err := conn.Exec(ctx, "create table kept (n int); insert into kept values (1)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := primary.EnableReplication(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := replica.StartReplica(ctx, primary); err != nil {
		t.Fatal(err)
	}
	if !replica.Standby() || primary.Standby() {
		t.Fatalf("Standby(): replica %v, primary %v", replica.Standby(), primary.Standby())
	}
	if replica.Port == primary.Port || replica.Port == 0 {
		t.Fatalf("replica on port %d, primary on %d", replica.Port, primary.Port)
	}

	pc := connect(ctx, t, primary.URL("postgres"))
	rc := connect(ctx, t, replica.URL("postgres"))
	var n int
	if err := rc.QueryRow(ctx, "select sum(n) from kept").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the base backup's rows on the replica: %d, %v", n, err)
	}
	var level string
	if err := pc.QueryRow(ctx, "select current_setting('wal_level')").Scan(&level); err != nil || level != "replica" {
		t.Fatalf("primary wal_level %q, %v", level, err)
	}
	if _, err := rc.Exec(ctx, "insert into kept values (5)"); !isReadOnly(err) {
		t.Fatalf("insert on the replica: %v, want read_only_sql_transaction", err)
	}

	// A row written on the primary afterwards arrives by streaming.
	if _, err := pc.Exec(ctx, "insert into kept values (2)"); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the replica to replay the insert", func() bool {
		return rc.QueryRow(ctx, "select sum(n) from kept").Scan(&n) == nil && n == 3
	})
	st, err := replica.Status(ctx, primary)
	if err != nil {
		t.Fatal(err)
	}
	if !st.InRecovery || !st.Streaming || st.Replayed == 0 || st.Primary == 0 {
		t.Fatalf("status %+v: want in recovery, streaming, positions known", st)
	}

	t.Run("stop and start keep following", func(t *testing.T) {
		rc.Close(ctx)
		port := replica.Port
		if err := replica.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := pc.Exec(ctx, "insert into kept values (4)"); err != nil {
			t.Fatal(err)
		}
		again, err := cluster.New(replica.Dir)
		if err != nil {
			t.Fatal(err)
		}
		again.Log = t.Output()
		if err := again.StartReplica(ctx, primary); err != nil {
			t.Fatal(err)
		}
		if again.Port != port {
			t.Errorf("replica restarted on port %d, want its port %d", again.Port, port)
		}
		rc := connect(ctx, t, again.URL("postgres"))
		waitFor(ctx, t, "the restarted replica to catch up", func() bool {
			return rc.QueryRow(ctx, "select sum(n) from kept").Scan(&n) == nil && n == 7
		})
	})

	t.Run("a lone cluster's directory is not made a replica", func(t *testing.T) {
		if err := primary.StartReplica(ctx, primary); err == nil {
			t.Fatal("a cluster made a replica of itself")
		}
		other := clustertest.Start(t)
		if err := other.StartReplica(ctx, primary); err == nil {
			t.Fatal("a lone cluster's directory was made a replica")
		}
	})
}

func isReadOnly(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "25006"
}

// waitFor polls cond until it holds, failing the test when ctx ends first.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

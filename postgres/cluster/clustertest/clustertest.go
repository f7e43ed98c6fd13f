// Package clustertest starts throwaway private PostgreSQL clusters for tests,
// such as one that stops the database under a running server and starts it
// again (Cluster.Stop, then Cluster.Start, which reuses the port while it is free).
package clustertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/postgres/cluster"
)

// EnvRequireDB names the environment variable that, set to "1" (as make test
// and CI do), turns a missing PostgreSQL into a test failure instead of a skip.
const EnvRequireDB = "GRIDSENTRY_REQUIRE_DB"

// New returns a cluster in a fresh temporary directory, not yet started, whose
// progress messages go to the test log. It skips the test when no PostgreSQL
// server binaries are installed, unless GRIDSENTRY_REQUIRE_DB=1, when it fails.
// The temporary directories are made traversable, since as root the server
// runs as the postgres user.
func New(t testing.TB) *cluster.Cluster {
	t.Helper()
	bin, err := cluster.FindBinDir()
	if err != nil {
		if os.Getenv(EnvRequireDB) == "1" {
			t.Fatalf("%s=1 but: %v", EnvRequireDB, err)
		}
		t.Skipf("skipping: %v", err)
	}
	tmp := t.TempDir() // $TMPDIR/TestName123/001, both private to the user
	for _, d := range []string{tmp, filepath.Dir(tmp)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &cluster.Cluster{Dir: filepath.Join(tmp, "pg"), BinDir: bin, Log: t.Output()}
}

// Start returns a started cluster made by New, stopped when the test ends.
func Start(t testing.TB) *cluster.Cluster {
	t.Helper()
	c := New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop cluster: %v", err)
		}
	})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

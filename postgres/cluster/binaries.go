package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// EnvBinDir names the environment variable that points at the directory of
// initdb, pg_ctl and postgres, overriding the search of FindBinDir.
const EnvBinDir = "GRIDSENTRY_PG_BINDIR"

// installHint tells what to install when the server binaries are missing.
const installHint = "install them with `apt-get install postgresql postgresql-15-postgis-3` " +
	"(with the PostgreSQL major version your distribution ships: scripts/install-deps.sh, run by `make deps` as root, picks it), " +
	"or your distribution's equivalent packages, or set " + EnvBinDir + " to their directory"

// FindBinDir returns the directory of the PostgreSQL server binaries (initdb,
// pg_ctl, postgres): $GRIDSENTRY_PG_BINDIR if set, else `pg_config --bindir`,
// else the highest version under /usr/lib/postgresql, else the directory of
// initdb on the PATH.
func FindBinDir() (string, error) {
	return findBinDir("")
}

// findBinDir is FindBinDir preferring Debian's binaries of major version want
// when it is not empty, so that an existing data directory keeps the server
// version that made it.
func findBinDir(want string) (string, error) {
	if d := os.Getenv(EnvBinDir); d != "" {
		if !hasServer(d) {
			return "", fmt.Errorf("cluster: %s=%s does not hold initdb, pg_ctl and postgres: %s", EnvBinDir, d, installHint)
		}
		return d, nil
	}
	if want != "" {
		if d := filepath.Join("/usr/lib/postgresql", want, "bin"); hasServer(d) {
			return d, nil
		}
	}
	// pg_config can come from libpq-dev alone, naming a bin directory without a server.
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); hasServer(d) {
			return d, nil
		}
	}
	for _, d := range debianBinDirs() {
		if hasServer(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if d := filepath.Dir(p); hasServer(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("cluster: no PostgreSQL server binaries (initdb, pg_ctl, postgres) in $%s, `pg_config --bindir` or /usr/lib/postgresql/*/bin: %s", EnvBinDir, installHint)
}

// debianBinDirs returns /usr/lib/postgresql/*/bin, highest version first.
func debianBinDirs() []string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int {
		switch va, vb := version(a), version(b); {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	return dirs
}

// hasServer reports whether dir holds the executables initdb, pg_ctl and postgres.
func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// serverVersion returns the major version of the binaries in binDir.
func serverVersion(ctx context.Context, binDir string) (int, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "pg_ctl"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("cluster: %s --version: %w", filepath.Join(binDir, "pg_ctl"), err)
	}
	major, ok := parseMajor(string(out))
	if !ok {
		return 0, fmt.Errorf("cluster: cannot read the PostgreSQL version from %q", strings.TrimSpace(string(out)))
	}
	return major, nil
}

// parseMajor reads the major version from the --version line of a PostgreSQL
// program, such as "pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".
func parseMajor(versionLine string) (int, bool) {
	m := versionRE.FindStringSubmatch(versionLine)
	if m == nil {
		return 0, false
	}
	major, err := strconv.Atoi(m[1])
	return major, err == nil
}

// checkPostGIS returns an error saying what to install when the PostGIS
// extension is missing for the server in binDir.
func checkPostGIS(ctx context.Context, binDir string, major int) error {
	var looked []string
	for _, share := range shareDirs(ctx, binDir, major) {
		dir := filepath.Join(share, "extension")
		if _, err := os.Stat(filepath.Join(dir, "postgis.control")); err == nil {
			return nil
		}
		if !slices.Contains(looked, dir) {
			looked = append(looked, dir)
		}
	}
	return fmt.Errorf("cluster: PostGIS is not installed for PostgreSQL %d (no postgis.control in %s): "+
		"install it with `apt-get install postgresql-%d-postgis-3` (or your distribution's PostGIS 3 package for PostgreSQL %d), "+
		"for example by running `make deps` as root",
		major, strings.Join(looked, " or "), major, major)
}

// shareDirs returns the candidate share directories of the server in binDir:
// what its pg_config says, Debian's /usr/share/postgresql/MAJOR, and the
// share directory beside binDir of a source build.
func shareDirs(ctx context.Context, binDir string, major int) []string {
	var dirs []string
	if out, err := exec.CommandContext(ctx, filepath.Join(binDir, "pg_config"), "--sharedir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	return append(dirs,
		filepath.Join("/usr/share/postgresql", strconv.Itoa(major)),
		filepath.Join(binDir, "..", "share", "postgresql"),
		filepath.Join(binDir, "..", "share"),
	)
}

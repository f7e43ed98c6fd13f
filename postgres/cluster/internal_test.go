package cluster

import (
	"strings"
	"testing"
)

func TestSocketDir(t *testing.T) {
	for _, tc := range []struct {
		name, dir string
		inside    bool
	}{
		{"short path keeps the socket inside", "/work/main/var/pg", true},
		{"longest path that fits", "/" + strings.Repeat("d", maxSocketPath-len("/run/.s.PGSQL.65535")-1), true},
		{"one byte too long goes to /tmp", "/" + strings.Repeat("d", maxSocketPath-len("/run/.s.PGSQL.65535")), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := socketDir(tc.dir)
			if inside := got == tc.dir+"/run"; inside != tc.inside {
				t.Fatalf("socketDir(%q) = %q, inside = %v, want %v", tc.dir, got, inside, tc.inside)
			}
			if n := len(got + "/.s.PGSQL.65535"); n > maxSocketPath {
				t.Fatalf("socket path is %d bytes, limit %d", n, maxSocketPath)
			}
			if again := socketDir(tc.dir); again != got {
				t.Fatalf("socketDir is not stable: %q then %q", got, again)
			}
		})
	}
	if a, b := socketDir("/"+strings.Repeat("a", 120)), socketDir("/"+strings.Repeat("b", 120)); a == b {
		t.Fatalf("two long directories share the socket directory %s", a)
	}
}

func TestParseMajor(t *testing.T) {
	for _, tc := range []struct {
		line string
		want int
		ok   bool
	}{
		{"pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", 15, true},
		{"pg_ctl (PostgreSQL) 16.4 (Ubuntu 16.4-0ubuntu0.24.04.2)", 16, true},
		{"pg_ctl (PostgreSQL) 17beta1", 17, true},
		{"pg_ctl (PostgreSQL) 9.6.24", 9, true},
		{"something else", 0, false},
	} {
		t.Run(tc.line, func(t *testing.T) {
			got, ok := parseMajor(tc.line)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("parseMajor(%q) = %d, %v, want %d, %v", tc.line, got, ok, tc.want, tc.ok)
			}
		})
	}
}

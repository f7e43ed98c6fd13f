package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// serverUser is the system user the server runs as when the process is root.
const serverUser = "postgres"

// account is the system user that owns the cluster and runs its programs
// when the process is root. A nil *account means the current user.
type account struct {
	name   string
	home   string
	uid    uint32
	gid    uint32
	groups []uint32
}

// runAccount returns the postgres system user when the process runs as root,
// and nil otherwise.
func runAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("cluster: running as root needs the %q system user to own the cluster (PostgreSQL refuses to run as root): "+
			"install the postgresql package, which creates it, or run as a normal user: %w", serverUser, err)
	}
	a := &account{name: u.Username, home: u.HomeDir}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("cluster: user %s: %w", serverUser, err)
	}
	a.uid, a.gid = uint32(uid), uint32(gid)
	gids, err := u.GroupIds()
	if err != nil {
		gids = []string{u.Gid}
	}
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			a.groups = append(a.groups, uint32(n))
		}
	}
	return a, nil
}

func (a *account) credential() *syscall.Credential {
	return &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.groups}
}

// canEnter reports whether a may traverse the directory fi, by its mode bits.
func (a *account) canEnter(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == a.uid:
		return perm&0o100 != 0
	case st.Gid == a.gid || slices.Contains(a.groups, st.Gid):
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

// chown gives path to a; it does nothing for the current user.
func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	return os.Lchown(path, int(a.uid), int(a.gid))
}

// prepareDir creates c.Dir and makes it usable by the account that runs the server.
func (c *Cluster) prepareDir(a *account) error {
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := os.Mkdir(c.Dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("cluster: %w", err)
	}
	fi, err := os.Stat(c.Dir)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	owner := fi.Sys().(*syscall.Stat_t).Uid
	if a == nil {
		if int(owner) != os.Geteuid() {
			return fmt.Errorf("cluster: %s belongs to another user (uid %d), who runs its server: "+
				"run as root (the server then runs as %s) or as that user, or choose another directory", c.Dir, owner, serverUser)
		}
		return nil
	}
	if err := c.ensureTraversable(a); err != nil {
		return err
	}
	if owner == a.uid {
		return nil
	}
	return filepath.WalkDir(c.Dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := a.chown(path); err != nil {
			return fmt.Errorf("cluster: give %s to %s: %w", path, a.name, err)
		}
		return nil
	})
}

// ensureTraversable makes sure a can reach c.Dir through every parent
// directory. It grants search permission to others (chmod o+x, which lets
// nobody list the directory) where a lacks it, and says so, since a server
// that cannot reach its data directory fails with an obscure message.
func (c *Cluster) ensureTraversable(a *account) error {
	for p := filepath.Dir(c.Dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		if !a.canEnter(fi) {
			if err := os.Chmod(p, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("cluster: the %s user cannot reach %s because it may not enter %s, and chmod o+x failed "+
					"(make it traversable or choose a directory elsewhere): %w", a.name, c.Dir, p, err)
			}
			c.logf("cluster: WARNING: the %s user, which runs the server, could not enter %s on the way to %s: "+
				"granted search permission to others (chmod o+x %s)", a.name, p, c.Dir, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

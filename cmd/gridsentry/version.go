package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time: -ldflags "-X main.version=$(git describe)".
var version = "dev"

func versionString() string {
	commit, dirty := "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	s := "gridsentry " + version
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		s += " (" + commit
		if dirty {
			s += ", modified"
		}
		s += ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// buildCommit returns the commit the binary was built from, short, with
// "+modified" when the checkout had changes; the version when the build
// did not record one.
func buildCommit() string {
	commit, dirty := "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if commit == "" {
		return version
	}
	commit = commit[:min(len(commit), 7)]
	if dirty {
		commit += "+modified"
	}
	return commit
}

package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/store/postgres"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// version is the release version; builds add VCS details from build info.
const version = "0.1.0"

// build is what the Go toolchain recorded about this binary (go version -m
// shows the same): the commit, its time, whether the tree had local
// changes, and the build settings. No -X flags are needed.
type build struct {
	revision, commitTime string
	dirty                bool
	goVersion            string
	cgo, trimpath        bool
	settings             bool // build info was present
}

func readBuild() build {
	b := build{goVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.settings, b.goVersion = true, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.revision = s.Value
		case "vcs.time":
			b.commitTime = s.Value
		case "vcs.modified":
			b.dirty = s.Value == "true"
		case "CGO_ENABLED":
			b.cgo = s.Value == "1"
		case "-trimpath":
			b.trimpath = s.Value == "true"
		}
	}
	return b
}

func versionString() string {
	v := version
	b := readBuild()
	rev := b.revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		if b.dirty {
			rev += "+dirty"
		}
		v += " (" + rev + ")"
	}
	return v
}

func (c *cli) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit, Go version and schema version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := readBuild()
			fmt.Fprintf(c.stdout, "threadline %s\n", versionString())
			if b.revision != "" {
				state := "clean"
				if b.dirty {
					state = "with uncommitted changes"
				}
				fmt.Fprintf(c.stdout, "  commit  %s (%s)\n", b.revision, state)
			} else {
				fmt.Fprintf(c.stdout, "  commit  unknown (built outside a git checkout, or with -buildvcs=false)\n")
			}
			if b.commitTime != "" {
				fmt.Fprintf(c.stdout, "  time    %s (commit time)\n", b.commitTime)
			}
			flags := ""
			if b.settings {
				flags = ", cgo " + onOff(b.cgo)
				if b.trimpath {
					flags += ", trimpath"
				}
			}
			fmt.Fprintf(c.stdout, "  go      %s %s/%s%s\n", b.goVersion, runtime.GOOS, runtime.GOARCH, flags)
			fmt.Fprintf(c.stdout, "  schema  database schema v%d (SQLite), v%d (PostgreSQL)\n", sqlite.LatestVersion(), postgres.LatestVersion())
			return nil
		},
	}
}

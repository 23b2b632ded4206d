package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// Every start-up failure panicked (buildApp's deferred close ran on a nil
// app) and hid its cause. Each now ends in one clear line and a non-zero
// exit, with no stack trace.
func TestStartupFailuresAreOneClearLine(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()

	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the config text
		want  []string
	}{
		{"http address in use", func(t *testing.T, dir string) string {
			return strings.Replace(testConfig, "http:\n  listen: 127.0.0.1:0", "http:\n  listen: "+busy, 1)
		}, []string{"http.listen " + busy, "in use"}},
		{"admin address in use", func(t *testing.T, dir string) string {
			return strings.Replace(testConfig, "admin:\n  listen: 127.0.0.1:0", "admin:\n  listen: "+busy, 1)
		}, []string{"admin.listen " + busy, "in use"}},
		{"database newer than the binary", func(t *testing.T, dir string) string {
			st, err := sqlite.Open(store.Config{Path: filepath.Join(dir, "threadline.db")}, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			st.Write(context.Background(), func(tx bridge.Tx) error {
				return sqlite.ExecForTest(tx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
			})
			st.Close()
			return testConfig
		}, []string{"newer than this binary"}},
		{"unwritable database directory", func(t *testing.T, dir string) string {
			blocker := filepath.Join(dir, "not-a-dir")
			os.WriteFile(blocker, []byte("x"), 0o600)
			return strings.Replace(testConfig, "store:\n  path: threadline.db", "store:\n  path: "+filepath.Join(blocker, "db", "threadline.db")+"\ndata_dir: "+filepath.Join(dir, "data"), 1)
		}, []string{"database", "not-a-dir"}},
		{"no staff surface", func(t *testing.T, dir string) string {
			return strings.Replace(testConfig, "console:\n  enabled: true", "console:\n  enabled: false", 1)
		}, []string{"no staff surface is enabled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "config.yaml")
			os.WriteFile(cfgPath, []byte(tc.setup(t, dir)), 0o600)
			code, _, errOut := runCLI(t, "--config", cfgPath, "serve")
			if code == 0 {
				t.Fatal("serve started")
			}
			t.Logf("%s", errOut)
			if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine ") {
				t.Fatalf("a stack trace:\n%s", errOut)
			}
			if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 {
				t.Errorf("%d lines, want one:\n%s", len(lines), errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("missing %q in %q", w, errOut)
				}
			}
		})
	}
}

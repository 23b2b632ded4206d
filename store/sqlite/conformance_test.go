package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// TestConformance runs the store contract's suite against SQLite.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Name: "sqlite",
		Open: func(t testing.TB, o store.Options) store.DB {
			return openSQLite(t, filepath.Join(t.TempDir(), "threadline.db"), o, true)
		},
		Reopen: func(t testing.TB, db store.DB, o store.Options) store.DB {
			return openSQLite(t, db.(*sqlite.Store).Path(), o, false)
		},
		MakeSchemaNewer: func(t testing.TB, db store.DB) {
			err := db.Write(t.Context(), func(tx bridge.Tx) error {
				return sqlite.ExecForTest(tx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', 0)`,
					sqlite.LatestVersion()+1)
			})
			if err != nil {
				t.Fatal(err)
			}
		},
		OpenBackup: func(t testing.TB, path string) store.DB {
			return openSQLite(t, path, store.Options{}, false)
		},
	})
}

func openSQLite(t testing.TB, path string, o store.Options, migrate bool) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(store.Config{Path: path}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

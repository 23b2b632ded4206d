package postgres

// The cluster these tests use is started by TestMain (leader_test.go).

import (
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/postgres/pgtest"
	"github.com/threadlinehq/threadline/store/sqlstore"
	"github.com/threadlinehq/threadline/store/storetest"
)

// database is an empty database of its own for t.
func database(t testing.TB) string {
	t.Helper()
	return pgtest.Need(t, cluster, startErr).NewDatabase(t)
}

// openPG opens the database at url, closed when the test ends.
func openPG(t testing.TB, url string, o store.Options, migrate bool) *Store {
	t.Helper()
	s, err := Open(store.Config{Path: url}, o)
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

// TestConformance runs the store contract's suite against PostgreSQL.
func TestConformance(t *testing.T) {
	urls := map[store.DB]string{}
	storetest.Run(t, storetest.Backend{
		Name: "postgres",
		Open: func(t testing.TB, o store.Options) store.DB {
			url := database(t)
			s := openPG(t, url, o, true)
			urls[s] = url
			t.Cleanup(func() {
				if st := s.RetryStats(); st.Retries > 0 {
					t.Logf("retries: %+v", st)
				}
			})
			return s
		},
		Reopen: func(t testing.TB, db store.DB, o store.Options) store.DB {
			return openPG(t, urls[db], o, false)
		},
		MakeSchemaNewer: func(t testing.TB, db store.DB) {
			err := db.Write(t.Context(), func(tx bridge.Tx) error {
				return sqlstore.ExecForTest(tx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', 0)`,
					LatestVersion()+1)
			})
			if err != nil {
				t.Fatal(err)
			}
		},
		// Backup returns the pg_dump command: the suite checks the error.
	})
}

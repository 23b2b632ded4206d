// Package storetest is the store contract's conformance suite (Run, which
// every backend's tests call with a Backend) and helpers that open real,
// migrated SQLite stores in a test's temp dir (Open, OpenAt, WriteLock).
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// Open returns a migrated store on a fresh file, closed when the test ends.
func Open(t testing.TB) *sqlite.Store {
	t.Helper()
	return OpenAt(t, filepath.Join(t.TempDir(), "threadline.db"))
}

// OpenAt opens (and migrates) the store at path, closed when the test ends.
func OpenAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(store.Config{Path: path}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

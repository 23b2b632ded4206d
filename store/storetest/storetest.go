// Package storetest opens real, migrated SQLite stores in a test's temp dir.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/threadlinehq/threadline/store"
)

// Open returns a migrated store on a fresh file, closed when the test ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	return OpenAt(t, filepath.Join(t.TempDir(), "threadline.db"))
}

// OpenAt opens (and migrates) the store at path, closed when the test ends.
func OpenAt(t testing.TB, path string) *store.Store {
	t.Helper()
	s, err := store.Open(store.Config{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

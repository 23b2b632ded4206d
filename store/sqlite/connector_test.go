package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/threadlinehq/threadline/store"
)

// Every connection, the writer's and the readers', keeps temporary storage
// (the savepoints' statement journals, sorts) in memory.
func TestConnectionsKeepTemporaryStorageInMemory(t *testing.T) {
	s, err := Open(store.Config{Path: filepath.Join(t.TempDir(), "t.db")}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var w, r int
	if err := s.w.QueryRow("PRAGMA temp_store").Scan(&w); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow("PRAGMA temp_store").Scan(&r); err != nil {
		t.Fatal(err)
	}
	if w != 2 || r != 2 {
		t.Errorf("temp_store: writer %d, reader %d; want 2 (MEMORY) on both", w, r)
	}
}

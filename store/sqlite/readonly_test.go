package sqlite

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/threadlinehq/threadline/store"
)

// A database file SQLite can only read is not ready, although an empty
// transaction commits on it (the hostile pass: /readyz said "writable",
// doctor said PASS, and the first customer message got 503).
func TestPingFailsWhenTheFileOpenedReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	s, err := Open(store.Config{Path: path}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("ping on a writable store: %v", err)
	}
	s.Close()
	// As when the file is not writable by the daemon's user (root, who runs
	// the tests, may write any file: open it read-only instead).
	ro, err := open(store.Config{Path: path}, store.Options{}, url.Values{"mode": {"ro"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Ping(context.Background()); err == nil {
		t.Fatal("Ping said a read-only database is writable")
	}
}

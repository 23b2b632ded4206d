package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// count reads a table's row count through a connection of its own.
func count(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q %v", ok, err)
	}
	return n
}

func exec(query string, args ...any) func(bridge.Tx) error {
	return func(tx bridge.Tx) error { return sqlite.ExecForTest(tx, query, args...) }
}

// TestLastErrorLockedDatabase: another process holds the write lock longer
// than busy_timeout. Writes fail (nothing is committed, so nothing may be
// acknowledged), LastError says why, and once the lock is gone writes work
// and LastError clears.
func TestLastErrorLockedDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := sqlite.Open(store.Config{Path: path, BusyTimeout: bridge.Duration(100 * time.Millisecond), FailureWindow: time.Nanosecond}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, exec(`CREATE TABLE t (x)`)); err != nil {
		t.Fatal(err)
	}
	if err, _ := s.LastError(); err != nil {
		t.Fatalf("LastError on a healthy store = %v", err)
	}

	other := storetest.NewWriteLock(t, path)
	other.Lock()
	werr := s.Write(ctx, exec(`INSERT INTO t VALUES (1)`))
	var se sqlite3.Error
	if !errors.As(werr, &se) || se.Code != sqlite3.ErrBusy {
		t.Fatalf("write under another writer's lock = %v, want SQLITE_BUSY", werr)
	}
	lerr, at := s.LastError()
	if lerr == nil || at.IsZero() || !strings.Contains(lerr.Error(), "locked") {
		t.Errorf("LastError = %v at %v, want the lock error", lerr, at)
	}
	// A probe (Ping, used by /readyz) fails too while the lock is held.
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping succeeded while another connection held the write lock")
	}

	other.Unlock()
	if err := s.Write(ctx, exec(`INSERT INTO t VALUES (2)`)); err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
	if err, _ := s.LastError(); err != nil {
		t.Errorf("LastError after a successful commit = %v, want nil", err)
	}
	if n := count(t, path, "t"); n != 1 {
		t.Errorf("rows = %d, want 1: the failed write must not be there", n)
	}
}

// TestLastErrorDiskFull: the database hits a size limit (max_page_count,
// as a full disk would). Writes fail with SQLITE_FULL and roll back alone;
// what was committed before stays; when space returns everything works.
func TestLastErrorDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := sqlite.Open(store.Config{Path: path, FailureWindow: time.Nanosecond}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, exec(`CREATE TABLE t (n INTEGER, x BLOB)`)); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 64<<10)
	// Cap the file at its current size: the next page it needs fails.
	if err := s.Write(ctx, exec(`PRAGMA max_page_count = 1`)); err != nil {
		t.Fatal(err)
	}
	committed, failures := 0, 0
	for i := range 20 {
		err := s.Write(ctx, exec(`INSERT INTO t VALUES (?, ?)`, i, blob))
		switch {
		case err == nil:
			committed++
		case strings.Contains(err.Error(), "full"):
			failures++
		default:
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	if failures == 0 {
		t.Fatal("no write failed under max_page_count")
	}
	if err, _ := s.LastError(); err == nil || !strings.Contains(err.Error(), "full") {
		t.Errorf("LastError = %v, want database or disk is full", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping on a full database: %v", err)
	}
	if err, _ := s.LastError(); err == nil {
		t.Error("an empty probe transaction cleared LastError on a full database")
	}

	// Space returns.
	if err := s.Write(ctx, exec(`PRAGMA max_page_count = 1073741823`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, exec(`INSERT INTO t VALUES (?, ?)`, 100, blob)); err != nil {
		t.Fatalf("insert after space returned: %v", err)
	}
	if err, _ := s.LastError(); err != nil {
		t.Errorf("LastError after space returned = %v", err)
	}
	if n := count(t, path, "t"); n != committed+1 {
		t.Errorf("rows = %d, want %d committed + 1", n, committed)
	}
}

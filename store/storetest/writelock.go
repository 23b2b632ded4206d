package storetest

import (
	"context"
	"database/sql"
	"testing"
)

// WriteLock is a second connection to a database file, as another process
// (a sqlite3 shell, a backup tool) would hold it: Lock takes SQLite's write
// lock and keeps it until Unlock, so the store's writes wait busy_timeout
// and then fail with SQLITE_BUSY.
type WriteLock struct {
	t    testing.TB
	db   *sql.DB
	conn *sql.Conn
}

// NewWriteLock opens the connection; it is closed when the test ends.
func NewWriteLock(t testing.TB, path string) *WriteLock {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); db.Close() })
	return &WriteLock{t: t, db: db, conn: conn}
}

// Lock takes the write lock (BEGIN IMMEDIATE). It may be called from any
// goroutine; a failure fails the test.
func (l *WriteLock) Lock() { l.exec("BEGIN IMMEDIATE") }

// Unlock releases it (COMMIT).
func (l *WriteLock) Unlock() { l.exec("COMMIT") }

func (l *WriteLock) exec(stmt string) {
	if _, err := l.conn.ExecContext(context.Background(), stmt); err != nil {
		l.t.Errorf("storetest: %s: %v", stmt, err)
	}
}

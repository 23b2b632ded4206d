package sqlite

import (
	"database/sql"
	"errors"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/threadlinehq/threadline/store/sqlstore"
)

// dialect is SQLite's sqlstore.Dialect. The shared SQL is SQLite's own
// placeholder syntax, so Wrap changes nothing: the hot path has no
// rewriting and no extra allocation, and go-sqlite3's per-connection
// statement cache (_stmt_cache_size) sees the query strings as written.
type dialect struct{}

func (dialect) Wrap(q sqlstore.Querier) sqlstore.Querier { return q }
func (dialect) SnapshotTx() *sql.TxOptions               { return nil } // a read transaction is one snapshot (WAL)

func (dialect) TableExistsQuery() string {
	return `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
}

// storageError reports whether err comes from the database rather than
// from the caller's logic.
func storageError(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrNomem, sqlite3.ErrReadonly, sqlite3.ErrIoErr,
		sqlite3.ErrCorrupt, sqlite3.ErrFull, sqlite3.ErrCantOpen, sqlite3.ErrProtocol, sqlite3.ErrNotADB:
		return true
	}
	return false
}

package sqlite

import (
	"database/sql"
	"errors"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// dialect is SQLite's sqlstore.Dialect. The shared SQL is written in
// SQLite's placeholder syntax, so Rebind changes nothing: the hot path has
// no rewriting and no extra allocation, and go-sqlite3's per-connection
// statement cache (_stmt_cache_size) sees the query strings as written.
type dialect struct{}

func (dialect) Rebind(query string) string { return query }
func (dialect) SnapshotTx() *sql.TxOptions { return nil } // a read transaction is one snapshot (WAL)
func (dialect) InsertReturning() bool      { return false }

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

func (dialect) IDSet() string { return `SELECT value FROM json_each(?)` }

// MatchArg quotes each word as an FTS4 phrase (so OR and NEAR are
// words) and lists them (FTS4's AND); a stem keeps its "*" inside the
// quotes, a prefix query.
func (dialect) MatchArg(words []string) string {
	return `"` + strings.Join(words, `" "`) + `"`
}

func (dialect) MatchCountQuery() string {
	return `SELECT count(*) FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?) AS t`
}

// MatchConversationsQuery walks the term's matches from the newest docid
// down (FTS4 returns them in that order without sorting) and stops at the
// limit.
func (dialect) MatchConversationsQuery() string {
	return `SELECT m.conversation_id FROM messages_fts
		JOIN messages m ON m.id = messages_fts.docid
		JOIN conversations c ON c.id = m.conversation_id
		WHERE messages_fts MATCH ? AND m.direction IN ('customer', 'staff') AND c.status = 'closed' AND c.id <> ?
		ORDER BY messages_fts.docid DESC LIMIT ?`
}

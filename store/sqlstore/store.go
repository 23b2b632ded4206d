// Package sqlstore is the SQL the store backends share: conversations,
// messages, customers, the outbox, threads, workflow, cursors and events,
// audit, the operator's views, export, retention, forget, statistics,
// migrations and storage health, written once against database/sql.
//
// A backend (store/sqlite, store/postgres) opens its connections, runs
// writes its own way (SQLite's group commit, PostgreSQL's serializable
// transactions with retries), keeps what only it can do (search, backup,
// integrity checks) and embeds a *Store for the rest. What differs between
// the engines' SQL is behind a small Dialect.
//
// The queries use SQL both engines accept, with ? and ?N placeholders:
// ON CONFLICT instead of INSERT OR IGNORE, lower(x) = lower(y) instead of
// COLLATE NOCASE, an alias on
// every subquery in FROM, count(CASE ...) instead of summing booleans,
// CAST where PostgreSQL would otherwise widen a sum to numeric, and no
// ORDER BY on a column that may be NULL (the engines sort NULLs apart).
// Dialect.Rebind turns them into the engine's own; Dialect.InsertReturning
// says how the id of an inserted row is read.
package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// Querier is what *sql.DB, *sql.Conn and *sql.Tx share, so one query
// function serves the read pool and write transactions alike.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Beginner is a Querier that starts transactions (*sql.DB, *sql.Conn).
type Beginner interface {
	Querier
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Dialect is what the shared SQL needs to know about the engine.
type Dialect interface {
	// Rebind turns a query with ? and ?N placeholders into the engine's
	// own. SQLite returns it as it is (no rewriting, no allocation, and
	// go-sqlite3's statement cache sees the strings as written);
	// PostgreSQL rewrites them to $N, once per query string.
	Rebind(query string) string
	// TableExistsQuery is a query with one parameter, a table name, whose
	// one row is the number of such tables in the database (0 or 1).
	TableExistsQuery() string
	// SnapshotTx is how Export and Stats begin their read transaction, so
	// every query in it sees one snapshot (nil: the engine's default
	// already does).
	SnapshotTx() *sql.TxOptions
	// InsertReturning says where the id of an inserted row comes from:
	// INSERT ... RETURNING id (PostgreSQL, which has no LastInsertId), or
	// LastInsertId (SQLite: RETURNING costs it a temporary table, and the
	// driver its slower query path).
	InsertReturning() bool
	// IDSet is a subquery of the integer ids in a JSON array bound to its
	// one ? placeholder: a list of any length as one parameter.
	IDSet() string
	// MatchArg turns the words of a term (each lower-case letters and
	// digits, with a trailing "*" for a stem) into the parameter of the
	// two queries below: the engine's full-text query for messages that
	// contain every one of them.
	MatchArg(words []string) string
	// MatchCountQuery counts messages whose body matches a MatchArg
	// (parameters: the argument, a limit), counting no further than the
	// limit: one row, one number.
	MatchCountQuery() string
	// MatchConversationsQuery lists conversation_id of the newest customer
	// messages and staff replies matching a MatchArg in closed
	// conversations other than one
	// (parameters: the argument, the conversation left out, a limit),
	// newest message first, through the engine's full-text index.
	MatchConversationsQuery() string
}

// on is where shared queries run (the read pool, a read snapshot, a
// migration connection) with the dialect that rewrites their placeholders.
type on struct {
	q Querier
	d Dialect
}

func (o on) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return o.q.QueryRowContext(ctx, o.d.Rebind(query), args...)
}

func (o on) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return o.q.QueryContext(ctx, o.d.Rebind(query), args...)
}

func (o on) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return o.q.ExecContext(ctx, o.d.Rebind(query), args...)
}

// WriteFunc runs fn in a write transaction, as bridge.Store.Write does;
// the fn it is given receives a *Tx.
type WriteFunc func(ctx context.Context, fn func(bridge.Tx) error) error

// Options are what a backend builds its shared part with.
type Options struct {
	Dialect Dialect
	// Read is the pool reads outside writes use.
	Read *sql.DB
	// Write is the backend's Write (maintenance and adapter-state
	// methods write through it).
	Write WriteFunc
	// Migrations are the backend's numbered migrations, in order.
	Migrations []store.Migration
	// MigrateOn runs the migration steps (run) on the Beginner where the
	// backend wants them, holding whatever lock it needs meanwhile.
	MigrateOn func(ctx context.Context, run func(Beginner) error) error
	// Where names the database in messages (a path, a URL without password).
	Where   string
	Clock   bridge.Clock
	Log     *slog.Logger
	Commits *CommitLog
}

// Store is the shared part of a SQL backend; backends embed it.
type Store struct {
	d          Dialect
	rdb        *sql.DB // the read pool
	write      WriteFunc
	migrations []store.Migration
	migrateOn  func(ctx context.Context, run func(Beginner) error) error
	where      string
	clock      bridge.Clock
	log        *slog.Logger
	commits    *CommitLog
}

// New builds the shared part of a backend.
func New(o Options) *Store {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{d: o.Dialect, rdb: o.Read, write: o.Write, migrations: o.Migrations,
		migrateOn: o.MigrateOn, where: o.Where, clock: bridge.OrSystem(o.Clock), log: log, commits: o.Commits}
}

// queryRow and query run a read on the pool. They call *sql.DB itself,
// not through an interface, so the arguments do not escape to the heap.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.rdb.QueryRowContext(ctx, s.d.Rebind(query), args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.rdb.QueryContext(ctx, s.d.Rebind(query), args...)
}

// on is the read pool for the helpers that also run in transactions.
func (s *Store) on() on { return on{s.rdb, s.d} }

// snapshot begins a read-only transaction with one snapshot.
func (s *Store) snapshot(ctx context.Context) (*sql.Tx, on, error) {
	tx, err := s.rdb.BeginTx(ctx, s.d.SnapshotTx())
	if err != nil {
		return nil, on{}, err
	}
	return tx, on{tx, s.d}, nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64)
}

func fromBool(n sql.NullInt64) *bool {
	if !n.Valid {
		return nil
	}
	b := n.Int64 == 1
	return &b
}

var (
	_ bridge.Cursors  = (*Store)(nil)
	_ bridge.EventLog = (*Store)(nil)
)

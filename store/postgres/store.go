package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

// Store is Threadline's PostgreSQL database. The SQL it shares with the
// other backends is the embedded *sqlstore.Store; here are the
// connections, the serializable writer with its retries (write.go),
// tsvector search, the migrations under an advisory lock, and what
// PostgreSQL does otherwise than SQLite (backup, integrity check).
type Store struct {
	*sqlstore.Store
	cfg        store.Config
	location   string  // the URL without its password
	w          *sql.DB // write transactions (and migrations)
	r          *sql.DB // reads outside writes
	d          *dialect
	log        *slog.Logger
	clock      bridge.Clock
	commits    *sqlstore.CommitLog
	durability string
	closed     atomic.Bool
	retries    retryStats
	queue      *sqlstore.WriteQueue // Write → the committer (write.go)
	stopped    chan struct{}        // closed when the committer has returned
}

var _ store.DB = (*Store)(nil)

// Open connects to the database at cfg.Path (a postgres:// or
// postgresql:// URL). It does not migrate; call Migrate, or CheckSchema
// for read-only use.
func Open(cfg store.Config, o store.Options) (*Store, error) {
	cfg.Defaults()
	if !store.IsPostgresURL(cfg.Path) {
		return nil, fmt.Errorf("%q is not a PostgreSQL URL (postgres://user@host/database)", cfg.Path)
	}
	location := Redact(cfg.Path)
	pc, err := pgx.ParseConfig(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("store.path (THREADLINE_DB) %s: %w", location, err)
	}
	if pc.RuntimeParams["application_name"] == "" {
		pc.RuntimeParams["application_name"] = "threadline"
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := stdlib.OpenDB(*pc)
	r := stdlib.OpenDB(*pc)
	// Separate pools, as SQLite has: reads never wait for a connection
	// that writers hold. The write pool has the committer's connection
	// and one for migrations.
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	r.SetMaxOpenConns(cfg.ReadConnections)
	r.SetMaxIdleConns(cfg.ReadConnections)
	for _, db := range []*sql.DB{w, r} {
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	fail := func(err error) (*Store, error) {
		w.Close()
		r.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(10*time.Second, cfg.BusyTimeout.D()))
	defer cancel()
	var durability string
	if err := w.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&durability); err != nil {
		return fail(fmt.Errorf("open %s: %w", location, err))
	}
	ms, err := Migrations()
	if err != nil {
		return fail(err)
	}
	clock := bridge.OrSystem(o.Clock)
	d := newDialect()
	s := &Store{cfg: cfg, location: location, w: w, r: r, d: d, log: log, clock: clock,
		commits: sqlstore.NewCommitLog(clock, log, cfg.FailureWindow), durability: "synchronous_commit=" + durability,
		queue: sqlstore.NewWriteQueue(cfg.MaxBatch), stopped: make(chan struct{})}
	s.Store = sqlstore.New(sqlstore.Options{
		Dialect: d, Read: r, Write: s.Write, Migrations: ms, MigrateOn: s.migrateOn,
		Where: location, Clock: clock, Log: log, Commits: s.commits,
	})
	// One committer: a batch is one transaction, and two large
	// transactions of one process would conflict with each other
	// (measured: with two committers the benchmark delivered 440
	// messages/s and writes gave up after 30 lost conflicts; with one,
	// 550-750/s and no conflict within the process). Replicas each have
	// theirs and split a batch that lost a conflict (write.go).
	go s.committer()
	return s, nil
}

// Redact returns a connection URL without its password (in the user part
// or as a password= parameter), for logs, banners and commands.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a PostgreSQL URL that does not parse)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Describe names the backend, the database and its commit durability.
func (s *Store) Describe() store.Description {
	return store.Description{Backend: "postgres", Location: s.location, Durability: s.durability}
}

// Close closes the connections; writes after it fail with store.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.queue.Close()
	<-s.stopped
	return errors.Join(s.w.Close(), s.r.Close())
}

// Ping checks that the database answers and takes a write (for /readyz
// and doctor): it rewrites one small row, as SQLite's does. A good Ping
// does not clear LastError.
func (s *Store) Ping(ctx context.Context) error {
	now := s.clock.Now()
	return s.write(ctx, func(tx bridge.Tx) error { return tx.PutCursor("threadline", "ready_probe", "", now) }, true)
}

// Backup does not copy PostgreSQL: pg_dump does, consistently and while
// Threadline runs. The error says what to run.
func (s *Store) Backup(_ context.Context, dest string, _ store.BackupOptions) (store.BackupResult, error) {
	return store.BackupResult{}, BackupAdvice(s.cfg.Path, dest)
}

// BackupAdvice is the error Backup returns: the pg_dump command that backs
// up the database at url (without its password) to dest.
func BackupAdvice(rawURL, dest string) error {
	return &store.BackupUnsupportedError{Message: "PostgreSQL is backed up with pg_dump, not threadline backup: " +
		"pg_dump --format=custom --file=" + shellQuote(dest) + " " + shellQuote(Redact(rawURL)) +
		" (the password from PGPASSWORD or ~/.pgpass; restore with pg_restore --clean --dbname=URL " + shellQuote(dest) + ")"}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuickCheck is PostgreSQL's counterpart of SQLite's quick_check, as far
// as one exists without extensions: it reads every table of the schema in
// full (count(*): a damaged page fails the read), and reports missing
// tables, indexes left invalid (a failed CREATE INDEX CONCURRENTLY) and
// outbox lanes with more than one due head (the invariant delivery order
// rests on). A database never migrated has nothing to check. Like
// quick_check it reads the whole database: it takes as long as a
// sequential scan of it.
func (s *Store) QuickCheck(ctx context.Context) ([]string, error) {
	v, err := s.SchemaVersion(ctx)
	if err != nil || v == 0 {
		return nil, err
	}
	var problems []string
	for _, table := range []string{"schema_migrations", "customers", "customer_identities", "conversations", "messages",
		"message_refs", "threads", "outbox", "audit_log", "cursors", "seen_events", "conversation_tags", "staff", "templates", "csat"} {
		var exists bool
		if err := s.r.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			problems = append(problems, "table "+table+" is missing")
			continue
		}
		var n int64
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			problems = append(problems, fmt.Sprintf("reading table %s: %v", table, err))
		}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT i.indexrelid::regclass::text FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready) ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		problems = append(problems, "index "+name+" is invalid (REINDEX it)")
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var lanes int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT conversation_id, target FROM outbox
		WHERE state = 'pending' AND next_attempt_at < $1 GROUP BY conversation_id, target HAVING count(*) > 1) AS heads`,
		sqlstore.BehindHead).Scan(&lanes); err != nil {
		return nil, err
	}
	if lanes > 0 {
		problems = append(problems, fmt.Sprintf("%d outbox lanes have more than one due head", lanes))
	}
	return problems, nil
}

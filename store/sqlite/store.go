package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

// Store is Threadline's SQLite database. The SQL it shares with the other
// backends (every entity, the views, maintenance) is the embedded
// *sqlstore.Store; what is SQLite's own is here: the connections, the
// group-commit writer, FTS4 search, the online backup, quick_check and
// the migrations.
type Store struct {
	*sqlstore.Store
	cfg     store.Config
	w       *sql.DB // exactly one connection: SQLite has one writer
	r       *sql.DB // read pool
	log     *slog.Logger
	clock   bridge.Clock
	queue   *sqlstore.WriteQueue // Write → the committer (write.go)
	stopped chan struct{}
	commits *sqlstore.CommitLog // committed transactions, storage failures
	ckpt    *checkpointer       // nil: the writer checkpoints itself
}

// Open opens (creating if needed) the database file. It does not migrate;
// call Migrate, or CheckSchema for read-only use.
func Open(cfg store.Config, o store.Options) (*Store, error) {
	return open(cfg, o, nil)
}

// open is Open with extra DSN parameters (tests open read-only files as
// root, who may write any file, with mode=ro).
func open(cfg store.Config, o store.Options, extra url.Values) (*Store, error) {
	cfg.Defaults()
	if err := configureSQLite(); err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if dir := filepath.Dir(cfg.Path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w; store.path (THREADLINE_DB) must name a file in a directory threadline can create and write", err)
		}
	}
	// Customer data: create the file private (SQLite gives -wal/-shm the same mode).
	if f, err := os.OpenFile(cfg.Path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	q := writerParams(cfg, extra)
	w, err := openWriter(cfg.Path, q)
	if err != nil {
		return nil, err
	}
	ckpt := startCheckpointer(cfg.Path, q, w, log)
	q.Set("_txlock", "deferred")
	q.Set("_query_only", "1")
	r := sql.OpenDB(connector("file:" + cfg.Path + "?" + q.Encode()))
	r.SetMaxOpenConns(cfg.ReadConnections)
	r.SetMaxIdleConns(cfg.ReadConnections)
	ms, err := Migrations()
	if err != nil {
		ckpt.stop()
		w.Close()
		r.Close()
		return nil, err
	}
	clock := bridge.OrSystem(o.Clock)
	s := &Store{
		cfg: cfg, w: w, r: r, log: log, clock: clock, ckpt: ckpt,
		queue: sqlstore.NewWriteQueue(cfg.MaxBatch), stopped: make(chan struct{}),
		commits: sqlstore.NewCommitLog(clock, log, cfg.FailureWindow),
	}
	s.Store = sqlstore.New(sqlstore.Options{
		Dialect: dialect{}, Read: r, Write: s.Write, Migrations: ms, Where: cfg.Path, Clock: clock, Log: log, Commits: s.commits,
		// The writer connection: migrations wait for the committer's
		// transaction and the committer for them.
		MigrateOn: func(_ context.Context, run func(sqlstore.Beginner) error) error { return run(w) },
	})
	go s.committer()
	return s, nil
}

// writerParams are the DSN parameters of the writer connection.
func writerParams(cfg store.Config, extra url.Values) url.Values {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(cfg.BusyTimeout.D().Milliseconds()))
	q.Set("_fk", "1")
	q.Set("_synchronous", cfg.Synchronous)
	q.Set("_txlock", "immediate")
	// Reuse prepared statements per connection: preparing the larger
	// queries cost more than running them.
	q.Set("_stmt_cache_size", "128")
	for k, v := range extra {
		q[k] = v
	}
	return q
}

// openWriter opens path as a pool of one connection with the parameters q.
func openWriter(path string, q url.Values) (*sql.DB, error) {
	w := sql.OpenDB(connector("file:" + path + "?" + q.Encode()))
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return w, nil
}

// OpenRaw opens the database file at cfg.Path as a plain *sql.DB of one
// connection with the writer's settings (WAL, cfg.Synchronous, statement
// cache, temporary storage in memory), with no Threadline code around it:
// threadline bench measures SQLite itself through it.
func OpenRaw(cfg store.Config) (*sql.DB, error) {
	cfg.Defaults()
	if err := configureSQLite(); err != nil {
		return nil, err
	}
	return openWriter(cfg.Path, writerParams(cfg, nil))
}

// connector opens connections to dsn and sets what the DSN cannot carry:
// temporary storage in memory. Group commit runs each write in a SAVEPOINT,
// whose statement journal is otherwise a temporary file; in memory the
// end-to-end benchmark delivers about a fifth more messages per second.
func connector(dsn string) driver.Connector {
	return dsnConnector{dsn: dsn, drv: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
		return err
	}}}
}

type dsnConnector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// Describe names the backend and its file.
func (s *Store) Describe() store.Description {
	return store.Description{Backend: "sqlite", Location: s.cfg.Path, Durability: "synchronous=" + s.cfg.Synchronous}
}

var _ store.DB = (*Store)(nil)

// Path is the database file.
func (s *Store) Path() string { return s.cfg.Path }

// Synchronous is the configured durability mode.
func (s *Store) Synchronous() string { return s.cfg.Synchronous }

// Close stops the committer and closes the connections.
func (s *Store) Close() error {
	if !s.queue.Close() {
		return nil
	}
	<-s.stopped
	return errors.Join(s.ckpt.stop(), s.w.Close(), s.r.Close())
}

// Ping checks that the database answers and takes a write (for /readyz
// and doctor): it rewrites one small row. An empty transaction would not
// do: it commits on a file SQLite opened read-only. A small update may
// still succeed on a full disk while new messages fail, so a good Ping
// does not clear LastError.
func (s *Store) Ping(ctx context.Context) error {
	now := s.clock.Now()
	return s.write(ctx, func(tx bridge.Tx) error { return tx.PutCursor("threadline", "ready_probe", "", now) }, true)
}

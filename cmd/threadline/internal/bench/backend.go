package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/postgres"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// Backend is where the measurements run: temporary SQLite files in a
// directory, or fresh databases on a PostgreSQL server (created for the
// run and dropped after it; the database the URL names is only used to
// create them).
type Backend struct {
	dir         string
	synchronous string
	server      string // PostgreSQL URL; "" for SQLite
	admin       *sql.DB
	prefix      string
	created     []string
}

// NewBackend returns the SQLite backend in dir with the durability mode
// synchronous, or, when server is a postgres:// URL, the PostgreSQL server
// it names.
func NewBackend(ctx context.Context, dir, synchronous, server string) (*Backend, error) {
	b := &Backend{dir: dir, synchronous: synchronous, server: server}
	if server == "" {
		return b, nil
	}
	if !store.IsPostgresURL(server) {
		return nil, fmt.Errorf("--store %q: want a postgres:// or postgresql:// URL", server)
	}
	db, err := sql.Open("pgx", server)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", postgres.Redact(server), err)
	}
	b.admin, b.prefix = db, fmt.Sprintf("threadline_bench_%d_", time.Now().UnixNano())
	return b, nil
}

// Postgres reports whether the backend is a PostgreSQL server.
func (b *Backend) Postgres() bool { return b.server != "" }

// Name is "sqlite" or "postgres".
func (b *Backend) Name() string {
	if b.Postgres() {
		return "postgres"
	}
	return "sqlite"
}

// location is where the database called name lives: a file in dir, or a
// URL naming a database of that name on the server (created on first use).
func (b *Backend) location(ctx context.Context, name string) (string, error) {
	if !b.Postgres() {
		return filepath.Join(b.dir, name+".db"), nil
	}
	db := b.prefix + name
	if slices.Contains(b.created, db) {
		return b.url(db)
	}
	create := `CREATE DATABASE ` + db
	var version int
	if err := b.admin.QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err == nil && version >= 150000 {
		create += ` STRATEGY = FILE_COPY` // copies the template's files: faster than WAL-logging every block
	}
	if _, err := b.admin.ExecContext(ctx, create); err != nil {
		return "", fmt.Errorf("create database %s (the bench needs CREATEDB on the server): %w", db, err)
	}
	b.created = append(b.created, db)
	return b.url(db)
}

func (b *Backend) url(db string) (string, error) {
	u, err := url.Parse(b.server)
	if err != nil {
		return "", err
	}
	u.Path = "/" + db
	return u.String(), nil
}

// Open returns the migrated store of the database called name.
func (b *Backend) Open(ctx context.Context, name string) (store.DB, error) {
	loc, err := b.location(ctx, name)
	if err != nil {
		return nil, err
	}
	cfg := store.Config{Path: loc, Synchronous: b.synchronous}
	var st store.DB
	if b.Postgres() {
		st, err = postgres.Open(cfg, store.Options{})
	} else {
		st, err = sqlite.Open(cfg, store.Options{})
	}
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Raw opens the database called name as a plain connection with no
// Threadline code around it (one connection, the writer's settings).
func (b *Backend) Raw(ctx context.Context, name string) (*sql.DB, error) {
	loc, err := b.location(ctx, name)
	if err != nil {
		return nil, err
	}
	if !b.Postgres() {
		return sqlite.OpenRaw(store.Config{Path: loc, Synchronous: b.synchronous})
	}
	db, err := sql.Open("pgx", loc)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, db.PingContext(ctx)
}

// Close drops the databases the run created on a PostgreSQL server.
func (b *Backend) Close() error {
	if b.admin == nil {
		return nil
	}
	var errs []string
	for _, db := range b.created {
		if _, err := b.admin.Exec(`DROP DATABASE IF EXISTS ` + db + ` WITH (FORCE)`); err != nil {
			errs = append(errs, err.Error())
		}
	}
	b.admin.Close()
	if len(errs) > 0 {
		return fmt.Errorf("drop bench databases: %s", strings.Join(errs, "; "))
	}
	return nil
}

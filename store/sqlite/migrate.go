package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations lists the embedded migrations in order.
func Migrations() ([]store.Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []store.Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		out = append(out, store.Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d (numbers must be consecutive)", m.Name, i+1)
		}
	}
	return out, nil
}

// LatestVersion is the schema version this binary knows.
func LatestVersion() int {
	ms, err := Migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
)`

// SchemaVersion reads the database's schema version (0 for a new file).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'`).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v int
	err = s.r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// CheckSchema returns an error unless the database is at exactly the
// version this binary knows.
func (s *Store) CheckSchema(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := LatestVersion()
	switch {
	case v > latest:
		return fmt.Errorf("%w: %s has schema version %d, this threadline knows up to %d; use a newer threadline binary (downgrades are not supported)", bridge.ErrSchemaTooNew, s.cfg.Path, v, latest)
	case v < latest:
		return fmt.Errorf("%s has schema version %d, this threadline needs %d: run `threadline migrate` (or start `threadline serve`, which migrates)", s.cfg.Path, v, latest)
	}
	return nil
}

// Migrate applies the pending migrations, each in its own transaction, and
// returns the ones it applied. A database newer than the binary is refused.
func (s *Store) Migrate(ctx context.Context) ([]store.Migration, error) {
	return s.MigrateTo(ctx, LatestVersion())
}

// MigrateTo applies the pending migrations up to version (upgrade tests
// build databases at every earlier version with it). Migrations are
// forward-only: a database already past version is left alone.
func (s *Store) MigrateTo(ctx context.Context, version int) ([]store.Migration, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, migrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if current > len(ms) {
		return nil, fmt.Errorf("%w: %s has schema version %d, this threadline knows up to %d; use a newer threadline binary (downgrades are not supported)", bridge.ErrSchemaTooNew, s.cfg.Path, current, len(ms))
	}
	version = min(version, len(ms))
	var applied []store.Migration
	for _, m := range ms[min(current, version):version] {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, s.clock.Now().UnixMilli()); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("commit migration %s: %w", m.Name, err)
		}
		applied = append(applied, m)
	}
	return applied, nil
}

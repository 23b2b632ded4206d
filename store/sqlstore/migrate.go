package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// LoadMigrations reads the numbered migrations (NNNN_name.sql) in dir of
// fsys, in order, and checks that their numbers run 1, 2, 3... without a
// gap.
// LatestVersion is the version of the last of ms (a backend's
// Migrations()), or 0 when there are none or they could not be read.
func LatestVersion(ms []store.Migration, err error) int {
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

func LoadMigrations(fsys fs.FS, dir string) ([]store.Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
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
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
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

// migrationsTable records the applied migrations. applied_at is BIGINT
// (unix milliseconds do not fit PostgreSQL's INTEGER; to SQLite both are
// integers).
const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at BIGINT  NOT NULL
)`

// LatestVersion is the newest migration this binary knows.
func (s *Store) LatestVersion() int { return len(s.migrations) }

// SchemaVersion reads the database's schema version (0 for a new database).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return s.schemaVersion(ctx, s.on())
}

func (s *Store) schemaVersion(ctx context.Context, q on) (int, error) {
	var n int
	err := q.queryRow(ctx, s.d.TableExistsQuery(), "schema_migrations").Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v int
	err = q.queryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (s *Store) tooNew(v int) error {
	return fmt.Errorf("%w: %s has schema version %d, this threadline knows up to %d; use a newer threadline binary (downgrades are not supported)",
		bridge.ErrSchemaTooNew, s.where, v, s.LatestVersion())
}

// CheckSchema returns an error unless the database is at exactly the
// version this binary knows.
func (s *Store) CheckSchema(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := s.LatestVersion()
	switch {
	case v > latest:
		return s.tooNew(v)
	case v < latest:
		return fmt.Errorf("%s has schema version %d, this threadline needs %d: run `threadline migrate` (or start `threadline serve`, which migrates)", s.where, v, latest)
	}
	return nil
}

// Migrate applies the pending migrations, each in its own transaction, and
// returns the ones it applied. A database newer than the binary is refused.
func (s *Store) Migrate(ctx context.Context) ([]store.Migration, error) {
	return s.MigrateTo(ctx, s.LatestVersion())
}

// MigrateTo applies the pending migrations up to version (upgrade tests
// build databases at every earlier version with it). Migrations are
// forward-only: a database already past version is left alone. The steps
// run where the backend's MigrateOn puts them (PostgreSQL: under an
// advisory lock, so replicas starting together migrate once).
func (s *Store) MigrateTo(ctx context.Context, version int) ([]store.Migration, error) {
	var applied []store.Migration
	err := s.migrateOn(ctx, func(db Beginner) error {
		applied = nil
		q := on{db, s.d}
		if _, err := q.exec(ctx, migrationsTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		current, err := s.schemaVersion(ctx, q)
		if err != nil {
			return err
		}
		if current > len(s.migrations) {
			return s.tooNew(current)
		}
		version = min(version, len(s.migrations))
		for _, m := range s.migrations[min(current, version):version] {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			// The migration's own SQL runs as written: it is the engine's.
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := (on{tx, s.d}).exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, s.clock.Now().UnixMilli()); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("commit migration %s: %w", m.Name, err)
			}
			applied = append(applied, m)
		}
		return nil
	})
	return applied, err
}

package postgres

import (
	"context"
	"database/sql/driver"
	"embed"
	"fmt"

	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations lists the embedded migrations in order. The runner (version
// table, forward-only, a newer database refused) is sqlstore's.
func Migrations() ([]store.Migration, error) {
	return sqlstore.LoadMigrations(migrationFiles, "migrations")
}

// LatestVersion is the schema version this binary knows.
func LatestVersion() int { return sqlstore.LatestVersion(Migrations()) }

// migrateLockKey is the advisory lock migrations run under
// ("tl-migra" in ASCII); the leader election uses another key.
const migrateLockKey int64 = 0x746c2d6d69677261

// migrateOn runs the migration steps on one connection holding a session
// advisory lock: replicas that start together queue on the lock, the first
// migrates, and the others then find the schema current and apply nothing.
func (s *Store) migrateOn(ctx context.Context, run func(sqlstore.Beginner) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.location, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("migrate %s: wait for the migration lock: %w", s.location, err)
	}
	err = run(conn)
	if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey); uerr != nil {
		// Do not hand a connection that may still hold the lock back to
		// the pool: closing it ends the session, and the lock with it.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

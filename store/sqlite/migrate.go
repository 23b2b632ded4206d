package sqlite

import (
	"embed"

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

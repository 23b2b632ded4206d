package main

import (
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/postgres"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// openStore opens the backend store.path (THREADLINE_DB) names: a
// postgres:// or postgresql:// URL is PostgreSQL, anything else a SQLite
// file. It does not migrate. On failure the store.DB is nil, not an
// interface around a nil *sqlite.Store (which callers' nil checks would
// miss).
func openStore(cfg store.Config, o store.Options) (store.DB, error) {
	if store.IsPostgresURL(cfg.Path) {
		st, err := postgres.Open(cfg, o)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := sqlite.Open(cfg, o)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// storeLocation is how messages name the configured database: the file,
// or the URL without its password.
func storeLocation(cfg store.Config) string {
	if store.IsPostgresURL(cfg.Path) {
		return postgres.Redact(cfg.Path)
	}
	return cfg.Path
}

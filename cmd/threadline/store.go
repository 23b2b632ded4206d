package main

import (
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// openStore opens the backend store.path names. It does not migrate.
func openStore(cfg store.Config, o store.Options) (store.DB, error) {
	return sqlite.Open(cfg, o)
}

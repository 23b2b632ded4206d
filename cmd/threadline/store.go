package main

import (
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// openStore opens the backend store.path names. It does not migrate. On
// failure the store.DB is nil, not an interface around a nil *sqlite.Store
// (which callers' nil checks would miss).
func openStore(cfg store.Config, o store.Options) (store.DB, error) {
	st, err := sqlite.Open(cfg, o)
	if err != nil {
		return nil, err
	}
	return st, nil
}

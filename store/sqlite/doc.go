// Package sqlite is the embedded store backend: one SQLite file, one writer
// connection with group commit, a pool of readers, FTS4 search, the online
// backup and embedded numbered migrations. The SQL it shares with the
// PostgreSQL backend (every entity, views, maintenance) is store/sqlstore's.
package sqlite

// Package sqlite is the embedded store backend: one SQLite file, one writer
// connection with group commit, a pool of readers, FTS4 search, a file
// per entity and embedded numbered migrations.
package sqlite

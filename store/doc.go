// Package store is the only package that speaks SQL: one Store type over a
// SQLite file (one writer connection with group commit, a pool of readers),
// a file per entity, and embedded numbered migrations.
package store

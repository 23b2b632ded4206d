// Package postgres is the PostgreSQL store backend, for several Threadline
// replicas sharing one database. store.path (THREADLINE_DB) holds its URL,
// postgres://user:password@host:5432/database?sslmode=...; pgx runs it
// through database/sql, and the SQL it shares with the SQLite backend is
// store/sqlstore's.
//
// Concurrent writers. Every Write runs in a SERIALIZABLE transaction.
// PostgreSQL lets serializable transactions run side by side and aborts
// one of two that conflict (they read and wrote the same rows: a
// conversation, its outbox lane) with a serialization failure (40001), or
// a deadlock (40P01). Write then rolls back and runs fn again on a fresh
// transaction, after a jittered, doubling backoff (2ms up to 250ms), at
// most 30 times; the store contract allows fn to run more than once. So
// writes to one conversation are serialised whichever replica makes
// them: none is lost, an outbox lane has one due head and keeps its
// order. RetryStats reports how often writes had to be run again.
//
// A write function that hits a duplicate platform id gets
// bridge.ErrDuplicate and may go on: the insert resolves the conflict with
// ON CONFLICT DO NOTHING, so no statement fails (in PostgreSQL a failed
// statement aborts its transaction).
//
// Reads outside writes use their own pool (read committed: each sees
// everything committed before it started); Export and Stats read in one
// repeatable-read snapshot.
//
// Migrations are numbered files in migrations/, run by sqlstore's runner
// under a session advisory lock, so replicas that start together migrate
// once while the others wait. Search is a tsvector column generated from
// the body ('simple' configuration: lower-cased words, no stemming) with
// a GIN index. Backup is pg_dump's job: Backup returns the command.
// QuickCheck reads every table and checks indexes and outbox lanes. The
// leader election for the singleton work (sweeps, polling) is Elector.
package postgres

// Package store is Threadline's persistence: the config of the store
// section, the maintenance surface cmd/ uses (backup, export, retention,
// forget, stats, migrations) as interfaces, and the types they share.
// Backends live in subpackages (sqlite, postgres) on the SQL they share
// (sqlstore); storetest checks them all.
package store

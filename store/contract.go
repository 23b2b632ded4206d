package store

import (
	"context"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/stats"
)

// DB is one open backend: everything the daemon, its adapters and the CLI
// ask of the database. A second backend implements exactly this, and
// store/storetest checks it does so the way the first one does.
type DB interface {
	bridge.Store        // the engine's and outbox's contract (bridge/store.go)
	bridge.AdapterStore // what adapters read and keep (bridge/deps.go)
	bridge.AnswerReader // candidates for suggestions (bridge/answers)
	EventPruner
	Schema
	Health
	Views
	Customers
	Retention
	Exporter
	Reports
	Backuper
	// Describe says what the store is for banners and doctor.
	Describe() Description
	Close() error
}

// Description names a backend and where its data is, for people.
type Description struct {
	Backend  string // "sqlite", "postgres"
	Location string // a file path, or a URL without its password
	// Durability is the backend's commit guarantee in its own terms
	// ("synchronous=normal").
	Durability string
}

// EventPruner forgets handled event ids (bridge.EventLog) once they are
// too old to be redelivered, so the table does not grow with history.
type EventPruner interface {
	// PruneEvents forgets event ids recorded before before, batch rows per
	// transaction; it returns how many went.
	PruneEvents(ctx context.Context, before time.Time, batch int) (int64, error)
}

// Schema runs and checks the numbered, forward-only migrations.
type Schema interface {
	// SchemaVersion is the version the database is at (0: empty).
	SchemaVersion(ctx context.Context) (int, error)
	// CheckSchema fails with bridge.ErrSchemaTooNew for a database newer
	// than this binary, and with an error naming `threadline migrate` for
	// an older one.
	CheckSchema(ctx context.Context) error
	// Migrate applies every pending migration and returns those applied.
	Migrate(ctx context.Context) ([]Migration, error)
	// MigrateTo applies pending migrations up to version.
	MigrateTo(ctx context.Context, version int) ([]Migration, error)
	// LatestVersion is the newest migration this binary knows.
	LatestVersion() int
}

// Health is what /readyz, metrics and doctor ask about the database itself.
type Health interface {
	// Ping checks that the database answers and takes a real write.
	Ping(ctx context.Context) error
	// LastError reports the last storage failure (nil if none recently).
	LastError() (error, time.Time)
	// CommitStats counts transactions and storage failures since Open.
	CommitStats() CommitStats
	// QuickCheck runs the backend's integrity check; problems, or none.
	QuickCheck(ctx context.Context) ([]string, error)
}

// Views are the operator's read-only listings (CLI, admin API, metrics).
type Views interface {
	ListConversations(ctx context.Context, f ListFilter) ([]bridge.Conversation, error)
	// Overdue lists open conversations past their SLA due time, most overdue first.
	Overdue(ctx context.Context, now time.Time, limit int) ([]bridge.Conversation, error)
	AuditLog(ctx context.Context, conv bridge.ConversationID) ([]bridge.AuditEntry, error)
	// LatestAudit lists the newest audit entries with action.
	LatestAudit(ctx context.Context, action string, limit int) ([]bridge.AuditEntry, error)
	// CountAudit counts the audit entries with action that concern no
	// conversation (the widget's deflection), recorded in [since, until).
	CountAudit(ctx context.Context, action string, since, until time.Time) (int, error)
	OutboxRows(ctx context.Context, conv bridge.ConversationID) ([]OutboxRow, error)
	OutboxStats(ctx context.Context) (OutboxStats, error)
	QueueStats(ctx context.Context, now time.Time) (QueueStats, error)
}

// Customers finds customers and forgets them on request (GDPR erasure).
type Customers interface {
	Customer(ctx context.Context, id bridge.CustomerID) (bridge.Customer, error)
	CustomerIdentities(ctx context.Context, id bridge.CustomerID) ([]IdentityRow, error)
	// FindCustomers matches names, emails and addresses.
	FindCustomers(ctx context.Context, query string) ([]bridge.Customer, error)
	// CustomerFootprint counts what ForgetCustomer would delete.
	CustomerFootprint(ctx context.Context, id bridge.CustomerID) (Footprint, error)
	// ForgetCustomer deletes a customer with every conversation, message
	// and identity, in batches, and audits it as actor at o.Now.
	ForgetCustomer(ctx context.Context, id bridge.CustomerID, actor bridge.Actor, o DeleteOptions) (Deleted, error)
}

// Retention deletes closed conversations past their keep time.
type Retention interface {
	PreviewPurge(ctx context.Context, before time.Time) (RetentionPreview, error)
	// PurgeClosed deletes conversations closed (and untouched) before
	// before, in batches, and audits it at o.Now.
	PurgeClosed(ctx context.Context, before time.Time, o DeleteOptions) (Deleted, error)
}

// Exporter walks conversations with their messages for export.
type Exporter interface {
	// CountExport counts what Export with f would visit (progress bars).
	CountExport(ctx context.Context, f ExportFilter) (convs, msgs int, err error)
	// Export visits conversations and their messages oldest first, from
	// one consistent snapshot, in bounded memory.
	Export(ctx context.Context, f ExportFilter, v ExportVisitor) error
}

// Reports computes statistics over a time window.
type Reports interface {
	Stats(ctx context.Context, since, until time.Time, loc *time.Location) (stats.Stats, error)
}

// Backuper copies the live database to a file. A backend that cannot
// (PostgreSQL: use pg_dump) returns an error that says what to run.
type Backuper interface {
	Backup(ctx context.Context, dest string, o BackupOptions) (BackupResult, error)
}

package store

import (
	"errors"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// BackupOptions tunes Backup.
type BackupOptions struct {
	// Force replaces an existing destination file.
	Force bool
	// PagesPerStep is how many pages one backup step copies (default 1024,
	// 4 MiB with 4 KiB pages). Smaller steps report progress more often.
	PagesPerStep int
	// Progress, if set, is called after every step with the bytes copied
	// so far and the database size in bytes.
	Progress func(done, total int64)
}

// BackupResult describes a finished, verified backup.
type BackupResult struct {
	Path          string
	Bytes         int64
	Pages         int
	Steps         int
	Duration      time.Duration // all of it: copy, verify, sync, rename
	CopyDuration  time.Duration // the copy alone
	SchemaVersion int
	Conversations int
	Messages      int
	Customers     int
}

// ErrBackupExists is returned when the destination exists and Force is off.
var ErrBackupExists = errors.New("backup destination already exists")

// BackupUnsupportedError is what Backup returns on a backend that is not
// copied to a file (PostgreSQL): Message says what to use instead.
type BackupUnsupportedError struct{ Message string }

func (e *BackupUnsupportedError) Error() string { return e.Message }

// ExportFilter selects the conversations an export walks.
type ExportFilter struct {
	// Since keeps conversations with activity (updated_at) at or after it.
	Since time.Time
	// Statuses keeps conversations in these states (empty: all).
	Statuses []bridge.Status
	// Conversation keeps only this conversation (0: all).
	Conversation bridge.ConversationID
}

// ExportVisitor receives an export in order: for each conversation (by id)
// Conversation, then Message for each of its messages (by id), then End.
type ExportVisitor struct {
	Conversation func(c bridge.ConversationView) error
	Message      func(m bridge.Message) error
	End          func(c bridge.ConversationView) error
}

// IdentityRow is a customer's identity on one channel, as operators see it.
type IdentityRow struct {
	bridge.Identity
	Customer  bridge.CustomerID
	CreatedAt time.Time
}

// Footprint is how much data a customer has (shown before forgetting).
type Footprint struct {
	Conversations int
	Messages      int
	Identities    int
	Files         int // messages with local attachment files
}

// Deleted counts what a retention purge or a customer forget removed.
type Deleted struct {
	Conversations int
	Messages      int
	Customers     int
	Identities    int
	OutboxRows    int
	AuditRows     int
	// Files counts the local attachment files the deleted messages
	// referenced (handed to DeleteOptions.Files for removal).
	Files int
	// Batches is the number of write transactions used.
	Batches int
}

// Add adds o's counts to d (one batch to the running total).
func (d *Deleted) Add(o Deleted) {
	d.Conversations += o.Conversations
	d.Messages += o.Messages
	d.Customers += o.Customers
	d.Identities += o.Identities
	d.OutboxRows += o.OutboxRows
	d.AuditRows += o.AuditRows
	d.Files += o.Files
	d.Batches += o.Batches
}

// DeleteOptions tunes the batched deletes of retention and forget.
type DeleteOptions struct {
	// Batch is about how many rows (messages plus conversations) one write
	// transaction deletes (default 500). Small batches keep each
	// transaction short, so the daemon's own writes are never held up long.
	Batch int
	// Progress, if set, is called after every committed batch with the
	// running totals.
	Progress func(total Deleted)
	// Files, if set, is called after every committed batch with the local
	// attachment paths (bridge.Attachment.Path) of the messages it deleted.
	// The caller removes the files: the store only knows the rows.
	Files func(paths []string)
	// Now stamps the audit row (zero: the store's clock).
	Now time.Time
}

// Defaults fills unset fields.
func (o *DeleteOptions) Defaults() {
	if o.Batch <= 0 {
		o.Batch = 500
	}
}

// RetentionPreview says what PurgeClosed would delete now.
type RetentionPreview struct {
	Conversations int
	Messages      int
	// Customers whose every conversation would go (they go too).
	Customers int
}

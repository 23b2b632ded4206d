package bridge

import (
	"context"
	"time"
)

// Store is the persistence the engine and the outbox need. store.Store
// implements it on SQLite; tests use the real thing on a temp file.
type Store interface {
	// Write runs fn in one write transaction and returns after the commit.
	// fn may run in the same SQLite transaction as other callers' functions
	// (group commit); a fn that fails is rolled back alone.
	Write(ctx context.Context, fn func(Tx) error) error
	Reader
}

// Reader is the read side (a pool of read connections).
type Reader interface {
	Conversation(ctx context.Context, id ConversationID) (Conversation, error)
	ConversationView(ctx context.Context, id ConversationID) (ConversationView, error)
	ConversationByThread(ctx context.Context, surface Platform, ref ThreadRef) (ConversationID, error)
	Message(ctx context.Context, id MessageID) (Message, error)
	// MessageByExternal finds a message by the id a platform gave it (as
	// written there, or as the copy we posted there).
	MessageByExternal(ctx context.Context, p Platform, externalID string) (Message, error)
	Messages(ctx context.Context, conv ConversationID, limit int) ([]Message, error)
	// Thread returns the active thread of conv on surface, or ErrNotFound.
	Thread(ctx context.Context, conv ConversationID, surface Platform) (ThreadRef, error)
	// PreviousThread returns the newest inactive thread, or "".
	PreviousThread(ctx context.Context, conv ConversationID, surface Platform) (ThreadRef, error)
	// References lists the external ids exchanged with the customer on channel, oldest first.
	References(ctx context.Context, conv ConversationID, channel Platform) ([]string, error)
	// OpenConversations lists open and waiting conversations, most urgent
	// and oldest-waiting first.
	OpenConversations(ctx context.Context, limit int) ([]Conversation, error)
	// CustomerConversations lists a customer's conversations, newest first.
	CustomerConversations(ctx context.Context, c CustomerID, limit int) ([]Conversation, error)
	// Search finds messages containing every word of text, newest first.
	Search(ctx context.Context, text string, limit int) ([]SearchHit, error)
	// KnownStaff maps staff ids seen on any surface to their names.
	KnownStaff(ctx context.Context) (map[StaffID]string, error)
	// Templates returns the templates added with !template.
	Templates(ctx context.Context) (map[string]string, error)
	// OpenConversationIDs pages through open and waiting conversation ids
	// above after, in id order.
	OpenConversationIDs(ctx context.Context, after ConversationID, limit int) ([]ConversationID, error)
	// DueSLA lists conversations whose SLA next-check time has come.
	DueSLA(ctx context.Context, now time.Time, limit int) ([]ConversationID, error)
	// StaleClaims lists open, claimed conversations claimed before t.
	StaleClaims(ctx context.Context, claimedBefore time.Time) ([]ConversationID, error)
	// DueSnoozes lists snoozed conversations whose snooze ended by now.
	DueSnoozes(ctx context.Context, now time.Time) ([]ConversationID, error)
	// DueOutbox returns schedulable rows due at now, earliest first,
	// leaving out the rows in skip (being sent right now).
	DueOutbox(ctx context.Context, now time.Time, limit int, skip []OutboxID) ([]OutboxItem, error)
	// NextOutboxDue returns when the earliest pending row is due (zero time if none).
	NextOutboxDue(ctx context.Context) (time.Time, error)
}

// Tx is one write transaction. Its methods use the context given to Write.
type Tx interface {
	Conversation(id ConversationID) (Conversation, error)
	MessageByID(id MessageID) (Message, error)
	MessageByExternal(p Platform, externalID string) (Message, error)
	// StoredExternal finds a message stored with this platform id (not the
	// ids of copies posted elsewhere): the cheap dedupe check.
	StoredExternal(p Platform, externalID string) (MessageID, ConversationID, error)
	UpsertIdentity(id Identity, now time.Time) (CustomerID, error)
	LatestConversation(c CustomerID, channel Platform, address string) (Conversation, error)
	ConversationByReference(channel Platform, refs []string) (Conversation, error)
	CreateConversation(c *Conversation) error
	UpdateConversation(c Conversation) error
	InsertMessage(m *Message, editOf MessageID) error
	Enqueue(r OutboxRow) error
	Audit(a AuditEntry) error
	SetCustomerUnreachable(c CustomerID, reason string) error
	Tags(conv ConversationID) ([]string, error)
	AddTag(conv ConversationID, tag string, now time.Time) (bool, error)
	RemoveTag(conv ConversationID, tag string) (bool, error)
	// UpsertStaff remembers a staff member's current name.
	UpsertStaff(a Actor, now time.Time) error
	SaveTemplate(name, body string, by StaffID, now time.Time) error
	DeleteTemplate(name string) (bool, error)
	// RecordCSAT stores a satisfaction score; false if one was already recorded.
	RecordCSAT(conv ConversationID, score int, raw string, now time.Time) (bool, error)
	// GetCursor / PutCursor read and write small named values (round-robin position).
	GetCursor(adapter, key string) (string, error)
	PutCursor(adapter, key, value string, now time.Time) error
	// OwnedOpen counts open and waiting conversations owned by id.
	OwnedOpen(id StaffID) (int, error)
	// StaffName is the last name seen for a staff id ("" if unknown).
	StaffName(id StaffID) (string, error)
	// MergeCustomers moves every identity and conversation of from into into.
	MergeCustomers(into, from CustomerID) error

	MarkSent(id OutboxID, ref ExternalRef, msg MessageID, now time.Time) error
	MarkRetry(id OutboxID, attempts int, next time.Time, lastErr string) error
	MarkDead(id OutboxID, lastErr string, now time.Time) error
	SetThread(conv ConversationID, surface Platform, ref ThreadRef, now time.Time) error
	DeactivateThread(conv ConversationID, surface Platform, ref ThreadRef, now time.Time) error
}

// Identity is a customer's presence on one channel.
type Identity struct {
	Platform Platform
	Address  string
	Name     string
	Username string
	Email    string
}

// SearchHit is one full-text match.
type SearchHit struct {
	Message      MessageID
	Conversation ConversationID
	Direction    Direction
	Author       string
	Snippet      string
	CreatedAt    time.Time
}

// AuditEntry records one state change: who, what, when.
type AuditEntry struct {
	Conversation ConversationID
	Actor        Actor
	Action       string
	Detail       string
	At           time.Time
}

// OutboxKind says what an outbox row does.
type OutboxKind string

const (
	KindStaffPost    OutboxKind = "staff_post"    // post a stored message in the staff thread
	KindCard         OutboxKind = "card"          // refresh the ticket card
	KindCustomerSend OutboxKind = "customer_send" // send a staff reply to the customer
	KindReceipt      OutboxKind = "receipt"       // show a delivery receipt on the staff message
	KindNotice       OutboxKind = "notice"        // staff-only text in the thread, not stored as a message
	KindMove         OutboxKind = "move"          // re-home the thread (department changed), then refresh the card
	KindAnnounce     OutboxKind = "announce"      // tell a department's own channel about the conversation
)

// OutboxRow is an outgoing effect to perform. Rows with the same
// (Conversation, Target) are delivered in insertion order.
type OutboxRow struct {
	Conversation ConversationID
	Target       Platform
	Kind         OutboxKind
	Message      MessageID
	Payload      string // JSON, kind-specific
	NotBefore    time.Time
}

// OutboxItem is a pending row as the worker sees it.
type OutboxItem struct {
	ID OutboxID
	OutboxRow
	Attempts    int
	NextAttempt time.Time
	CreatedAt   time.Time
	// Dest is the pacing destination: the customer's address for sends to
	// a channel, the conversation's department for staff surfaces.
	Dest string
}

type AnnouncePayload struct {
	Department string    `json:"department"`
	Text       string    `json:"text"`
	Mentions   []StaffID `json:"mentions,omitempty"`
}

type NoticePayload struct {
	Text string `json:"text"`
}

const DeadNoticePayload = `{"dead_notice":true}`

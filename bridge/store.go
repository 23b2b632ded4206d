package bridge

import (
	"context"
	"time"
)

// Store is the persistence the engine and the outbox need: the store
// contract. Every backend (store/sqlite, store/postgres) implements it and
// passes the conformance suite in store/storetest. What a backend
// guarantees, whatever its engine does underneath:
//
//   - Write runs fn in one transaction and returns only after that
//     transaction committed (or failed: then none of fn's writes remain).
//     An error fn returns rolls back fn's writes alone; other callers'
//     writes batched into the same database transaction (group commit)
//     are unaffected.
//   - fn may be called more than once for one Write (a backend may retry a
//     transaction that lost a conflict). It must change nothing but through
//     tx, and reset at its start whatever it captures.
//   - Writes that touch one conversation (its row, messages, outbox lane,
//     threads, tags) are serialised: two Writes on one conversation never
//     interleave, so a read inside a Write sees everything committed before
//     it and nothing another Write is doing to that conversation. (SQLite
//     has one writer; PostgreSQL runs every Write in a SERIALIZABLE
//     transaction and runs fn again when it loses a conflict.)
//   - Every read a write depends on goes through tx, never through Reader:
//     a Reader may lag behind or run outside the writer.
//   - A committed write is visible to the next read, on any connection.
//   - Time comes from the caller: every timestamp a write stores is a
//     parameter (now, At, NotBefore), never the backend's clock.
type Store interface {
	Write(ctx context.Context, fn func(Tx) error) error
	Reader
}

// Reader is the read side: what surfaces, commands and the workers look up
// outside a write. Results reflect every committed write.
type Reader interface {
	ConversationReader
	MessageReader
	ThreadReader
	StaffReader
	ScheduleReader
	OutboxReader
}

// ConversationReader looks up conversations.
type ConversationReader interface {
	Conversation(ctx context.Context, id ConversationID) (Conversation, error)
	ConversationView(ctx context.Context, id ConversationID) (ConversationView, error)
	// OpenConversations lists open and waiting conversations, most urgent
	// and oldest-waiting first.
	OpenConversations(ctx context.Context, limit int) ([]Conversation, error)
	// CustomerConversations lists a customer's conversations, newest first.
	CustomerConversations(ctx context.Context, c CustomerID, limit int) ([]Conversation, error)
	// OpenConversationIDs pages through open and waiting conversation ids
	// above after, in id order.
	OpenConversationIDs(ctx context.Context, after ConversationID, limit int) ([]ConversationID, error)
}

// MessageReader looks up messages.
type MessageReader interface {
	Message(ctx context.Context, id MessageID) (Message, error)
	// MessageByExternal finds a message by the id a platform gave it (as
	// written there, or as the copy we posted there).
	MessageByExternal(ctx context.Context, p Platform, externalID string) (Message, error)
	// Messages lists a conversation's messages, oldest first (limit <= 0: all).
	Messages(ctx context.Context, conv ConversationID, limit int) ([]Message, error)
	// References lists the external ids exchanged with the customer on channel, oldest first.
	References(ctx context.Context, conv ConversationID, channel Platform) ([]string, error)
	// Search finds messages containing every word of text, newest first.
	Search(ctx context.Context, text string, limit int) ([]SearchHit, error)
}

// ThreadReader maps conversations to staff threads and back.
type ThreadReader interface {
	// Thread returns the active thread of conv on surface, or ErrNotFound.
	Thread(ctx context.Context, conv ConversationID, surface Platform) (ThreadRef, error)
	// PostSource reads what a staff post of a stored message needs, in
	// one query: the active thread of conv on surface ("" when there is
	// none) and the message (ErrNotFound when it is gone).
	PostSource(ctx context.Context, conv ConversationID, surface Platform, msg MessageID) (ThreadRef, Message, error)
	// PostSources is PostSource for many messages shown on one surface,
	// in one query: each message that exists, with the active thread of
	// its own conversation on surface ("" when there is none). Messages
	// that do not exist are left out.
	PostSources(ctx context.Context, surface Platform, msgs []MessageID) (map[MessageID]PostSource, error)
	// PreviousThread returns the newest inactive thread, or "".
	PreviousThread(ctx context.Context, conv ConversationID, surface Platform) (ThreadRef, error)
	// ConversationByThread finds the conversation of a thread (active or
	// not: messages in a replaced thread still find it), or ErrNotFound.
	ConversationByThread(ctx context.Context, surface Platform, ref ThreadRef) (ConversationID, error)
}

// StaffReader reads what staff left behind: names and templates.
type StaffReader interface {
	// KnownStaff maps staff ids seen on any surface to their names.
	KnownStaff(ctx context.Context) (map[StaffID]string, error)
	// Templates returns the templates added with !template.
	Templates(ctx context.Context) (map[string]string, error)
}

// ScheduleReader finds the time-based work of a sweep.
type ScheduleReader interface {
	// DueSLA lists conversations whose SLA next-check time has come.
	DueSLA(ctx context.Context, now time.Time, limit int) ([]ConversationID, error)
	// StaleClaims lists open, claimed conversations claimed before t.
	StaleClaims(ctx context.Context, claimedBefore time.Time) ([]ConversationID, error)
	// DueSnoozes lists snoozed conversations whose snooze ended by now.
	DueSnoozes(ctx context.Context, now time.Time) ([]ConversationID, error)
}

// OutboxReader feeds the outbox worker.
type OutboxReader interface {
	// DueOutbox returns the heads of lanes (one per conversation and
	// target) whose row is due at now, earliest first, leaving out the rows
	// in skip (being sent right now). A row behind the head of its lane is
	// never returned: per-conversation order rests on it.
	DueOutbox(ctx context.Context, now time.Time, limit int, skip []OutboxID) ([]OutboxItem, error)
	// NextOutboxDue returns when the earliest lane head is due (zero time if none).
	NextOutboxDue(ctx context.Context) (time.Time, error)
}

// CommitCounter is a Store that counts the write transactions this process
// committed. The count grows only after a commit is visible to reads, so a
// read that starts after the count was taken sees every write counted.
// The outbox uses it to skip reading due rows again when nothing was
// committed since its last read. Optional: without it the outbox reads
// after every finished row.
type CommitCounter interface {
	Commits() int64
}

// AnswerReader finds past conversations that resemble a new one: the
// candidates bridge/answers ranks for !suggest. A term is a word as the
// search index splits text (letters and digits, any case), or a stem
// ending in "*" that matches every word it begins, or several of them
// separated by spaces, all of which must occur; other characters in a
// term are ignored.
type AnswerReader interface {
	// TermCounts says about how many messages the search index holds (an
	// estimate that never undercounts: the largest message id) and, for
	// each term, in how many messages it occurs, counting no further than
	// limit (<= 0: no limit).
	TermCounts(ctx context.Context, terms []string, limit int) (TermCounts, error)
	// PastQuestions finds closed conversations, other than q.Exclude, in
	// which the customer or a staff reply said a term: for each term, the
	// conversations of the newest q.PerTerm such messages. Each
	// conversation is listed once, in the order first found, with its
	// customer messages and its staff replies (each oldest first, at most
	// the first 10). Notes and system messages are never searched or
	// returned.
	PastQuestions(ctx context.Context, q PastQuery) ([]PastQuestion, error)
	// OpeningQuestions lists the conversations opened in [since, until),
	// oldest first, at most limit, each with its customer's first message
	// (a conversation whose customer has not written is left out): what
	// customers came to ask, for the knowledge-gaps report.
	OpeningQuestions(ctx context.Context, since, until time.Time, limit int) ([]OpeningQuestion, error)
}

// OpeningQuestion is a conversation's first customer message.
type OpeningQuestion struct {
	Conversation ConversationID
	Text         string
	CustomerName string
}

// TermCounts is what AnswerReader.TermCounts found.
type TermCounts struct {
	Messages int   // about how many messages there are (never fewer)
	Counts   []int // per term, messages containing it (at most the limit)
}

// PastQuery asks AnswerReader.PastQuestions for candidates.
type PastQuery struct {
	Terms   []string
	PerTerm int // customer messages per term, newest first (<= 0: 50)
	Exclude ConversationID
}

// PastQuestion is a closed conversation's customer side.
type PastQuestion struct {
	Conversation ConversationID
	Customer     []string // the customer's messages, oldest first
	Staff        []string // the staff replies, oldest first
}

// Tx is one write transaction (see Store for what it guarantees). Its
// methods use the context given to Write. It is every role below; code
// that needs only some of them may take the narrower interface.
type Tx interface {
	ConversationTx
	MessageTx
	CustomerTx
	OutboxTx
	ThreadTx
	AuditTx
	StaffTx
	CursorTx
}

// ConversationTx reads and changes conversations, their tags and ratings.
type ConversationTx interface {
	Conversation(id ConversationID) (Conversation, error)
	// LatestConversation is the customer's newest conversation on channel
	// and address (ErrNotFound if none).
	LatestConversation(c CustomerID, channel Platform, address string) (Conversation, error)
	// OpenConversationsOf lists the customer's open and waiting
	// conversations on channel and address, newest first (at most 50).
	OpenConversationsOf(c CustomerID, channel Platform, address string) ([]Conversation, error)
	// ConversationByReference finds the conversation that exchanged one of
	// refs (external ids) on channel (email threading).
	ConversationByReference(channel Platform, refs []string) (Conversation, error)
	// CreateConversation inserts c and sets c.ID.
	CreateConversation(c *Conversation) error
	UpdateConversation(c Conversation) error
	// OwnedOpen counts open and waiting conversations owned by id.
	OwnedOpen(id StaffID) (int, error)
	// CountOpen counts conversations waiting on staff (status open).
	CountOpen() (int, error)
	Tags(conv ConversationID) ([]string, error)
	AddTag(conv ConversationID, tag string, now time.Time) (bool, error)
	RemoveTag(conv ConversationID, tag string) (bool, error)
	// RecordCSAT stores a satisfaction score; false if one was already recorded.
	RecordCSAT(conv ConversationID, score int, raw string, now time.Time) (bool, error)
}

// MessageTx stores messages and finds them for dedupe and edits.
type MessageTx interface {
	MessageByID(id MessageID) (Message, error)
	MessageByExternal(p Platform, externalID string) (Message, error)
	// StoredExternal finds a message stored with this platform id (not the
	// ids of copies posted elsewhere): the cheap dedupe check.
	StoredExternal(p Platform, externalID string) (MessageID, ConversationID, error)
	// InsertMessage stores m (and its search index entry) and sets m.ID;
	// editOf, if set, is the message m corrects.
	InsertMessage(m *Message, editOf MessageID) error
}

// CustomerTx keeps customers and their identities on channels.
type CustomerTx interface {
	UpsertIdentity(id Identity, now time.Time) (CustomerID, error)
	// SetCustomerUnreachable records why c cannot be reached ("" clears it).
	SetCustomerUnreachable(c CustomerID, reason string) error
	// MergeCustomers moves every identity and conversation of from into into.
	MergeCustomers(into, from CustomerID) error
}

// OutboxTx queues outgoing work and records what became of it. Rows of one
// lane (conversation, target) are performed in the order they were queued.
type OutboxTx interface {
	// Enqueue queues r at now: due at r.NotBefore (now if zero) when its
	// lane is empty, else behind the lane's pending rows.
	Enqueue(r OutboxRow, now time.Time) error
	// MarkSent records a delivered row (and the id the platform gave the
	// copy of msg) and makes the next row of its lane due.
	MarkSent(id OutboxID, ref ExternalRef, msg MessageID, now time.Time) error
	// MarkRetry schedules another attempt; the lane waits for it.
	MarkRetry(id OutboxID, attempts int, next time.Time, lastErr string) error
	// MarkDead dead-letters a row and makes the next row of its lane due.
	MarkDead(id OutboxID, lastErr string, now time.Time) error
}

// ThreadTx records the staff threads of conversations.
type ThreadTx interface {
	// ActiveThread returns the active thread of conv on surface, or ErrNotFound.
	ActiveThread(conv ConversationID, surface Platform) (ThreadRef, error)
	SetThread(conv ConversationID, surface Platform, ref ThreadRef, now time.Time) error
	DeactivateThread(conv ConversationID, surface Platform, ref ThreadRef, now time.Time) error
}

// AuditTx appends to the audit log.
type AuditTx interface {
	Audit(a AuditEntry) error
}

// StaffTx remembers staff names and runtime templates.
type StaffTx interface {
	// UpsertStaff remembers a staff member's current name.
	UpsertStaff(a Actor, now time.Time) error
	// StaffName is the last name seen for a staff id ("" if unknown).
	StaffName(id StaffID) (string, error)
	SaveTemplate(name, body string, by StaffID, now time.Time) error
	DeleteTemplate(name string) (bool, error)
}

// CursorTx reads and writes small named values inside a write (the
// round-robin position).
type CursorTx interface {
	GetCursor(adapter, key string) (string, error)
	PutCursor(adapter, key, value string, now time.Time) error
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
	// Source is what a staff post of a stored message shows, when the
	// outbox read it together with the other due rows (nil: read it when
	// the row is sent). Stores leave it nil.
	Source *PostSource
}

// PostSource is the thread a staff post goes to ("" when the conversation
// has none on that surface yet) and the message it shows.
type PostSource struct {
	Thread  ThreadRef
	Message Message
}

type AnnouncePayload struct {
	Department string    `json:"department"`
	Text       string    `json:"text"`
	Mentions   []StaffID `json:"mentions,omitempty"`
}

// CustomerSendPayload is the payload of a KindCustomerSend row whose reply
// is more than its stored text ("" for plain replies).
type CustomerSendPayload struct {
	Template *TemplateMessage `json:"template,omitempty"`
}

type NoticePayload struct {
	Text string `json:"text"`
}

const DeadNoticePayload = `{"dead_notice":true}`

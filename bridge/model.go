package bridge

import (
	"fmt"
	"strings"
	"time"
)

// Status is a conversation's lifecycle state.
type Status string

const (
	StatusOpen    Status = "open"    // waiting on staff
	StatusWaiting Status = "waiting" // staff answered, waiting on the customer
	StatusClosed  Status = "closed"
)

// Priority orders conversations for staff.
type Priority string

const (
	PriorityUrgent Priority = "urgent"
	PriorityHigh   Priority = "high"
	PriorityNormal Priority = "normal"
	PriorityLow    Priority = "low"
)

// ParsePriority accepts urgent, high, normal and low.
func ParsePriority(s string) (Priority, error) {
	switch p := Priority(s); p {
	case PriorityUrgent, PriorityHigh, PriorityNormal, PriorityLow:
		return p, nil
	}
	return "", fmt.Errorf("unknown priority %q (want urgent, high, normal or low)", s)
}

// Direction says who a message is from and who may see it.
type Direction string

const (
	DirCustomer Direction = "customer" // from the customer
	DirStaff    Direction = "staff"    // staff reply, sent to the customer
	DirNote     Direction = "note"     // internal note, never sent to the customer
	DirSystem   Direction = "system"   // Threadline's own notices to staff
)

// Attachment is metadata about a file; the bytes live on the platform or on disk.
type Attachment struct {
	Name string `json:"name"`
	MIME string `json:"mime,omitempty"`
	Size int64  `json:"size,omitempty"`
	URL  string `json:"url,omitempty"`  // where staff or customers can fetch it
	Path string `json:"path,omitempty"` // local copy under the data directory, if stored
}

// Message is one stored message of a conversation.
type Message struct {
	ID           MessageID
	Conversation ConversationID
	Direction    Direction
	AuthorID     string
	Author       string
	Body         string
	Attachments  []Attachment
	Platform     Platform // where it was written
	ExternalID   string   // the platform's id for it, if any
	CreatedAt    time.Time
	EditedAt     time.Time
	Mentions     []StaffID // staff to ping when the message is shown (escalations, snooze wake-ups)
}

// Conversation is the state of one customer issue.
type Conversation struct {
	ID              ConversationID
	Customer        CustomerID
	CustomerName    string
	Channel         Platform // where the customer writes
	Address         string   // the customer's address on Channel (chat id, email, visitor id)
	Subject         string
	Status          Status
	Priority        Priority
	Department      string
	Owner           StaffID
	OwnerName       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	FirstResponseAt time.Time
	LastCustomerAt  time.Time
	LastStaffAt     time.Time
	ClosedAt        time.Time
	CloseReason     string
	Unreachable     string // why the customer cannot be reached, if they cannot
	MessageCount    int
	ClaimedAt       time.Time
	// EscalatedTo is the department pulled in by !escalate ("" when not escalated).
	EscalatedTo              string
	EscalatedAt              time.Time
	PriorityBeforeEscalation Priority
	// SnoozedUntil: staff set it aside until then (zero when not snoozed).
	SnoozedUntil time.Time
	// SLA is the SLA bookkeeping (clocks, nags, outcomes).
	SLA SLAState
	// SLADue is when the running response target breaches (zero: none).
	SLADue      time.Time
	CSATAskedAt time.Time
	// Entry is where the customer first wrote to (InboundMessage.To[0],
	// without a +tag): "sales@example.com", a widget name, "@acme_bot".
	Entry string
}

// Via describes the entry point for staff ("sales@example.com",
// "widget billing", "@acme_bot", "+15550783881"); "" when unknown.
func (c Conversation) Via() string {
	switch {
	case c.Entry == "":
		return ""
	case strings.Contains(c.Entry, "@"), strings.HasPrefix(c.Entry, "+"):
		return c.Entry
	}
	return "widget " + c.Entry
}

// Customer is one person, possibly known on several channels.
type Customer struct {
	ID          CustomerID
	Name        string
	Email       string
	Unreachable string
	CreatedAt   time.Time
}

// ConversationView is what a staff surface renders on the ticket card.
type ConversationView struct {
	Conversation
	LastMessage    string    // first line of the newest customer message
	PreviousThread ThreadRef // set when a thread is re-opened after its parent was deleted
	// TriedSince is set when an earlier try to open this thread failed:
	// the platform may have made it all the same (its answer was lost).
	// The surface then looks for a thread it made for this conversation
	// since then (not PreviousThread) before making another.
	TriedSince time.Time
	Identity   string // customer handle on the channel (username, email)
	Tags       []string
}

// SLAState is the SLA bookkeeping stored with a conversation.
type SLAState struct {
	Policy      string
	RespKind    string // "first", "next" or "" (no response clock running)
	RespSince   time.Time
	RespUsed    time.Duration
	RespNags    int
	RespLastNag time.Time
	ResSince    time.Time
	ResUsed     time.Duration
	ResNags     int
	ResLastNag  time.Time
	NextCheck   time.Time
	FirstMet    *bool
	ResolvedMet *bool
	NextMet     int
	NextMissed  int
}

// Rank orders priorities: urgent 0, high 1, normal 2, low 3.
func (p Priority) Rank() int {
	switch p {
	case PriorityUrgent:
		return 0
	case PriorityHigh:
		return 1
	case PriorityLow:
		return 3
	}
	return 2
}

// SystemMessage is Threadline's own notice to staff in conv's threads
// (never sent to the customer); mentions are pinged where it is shown.
func SystemMessage(conv ConversationID, text string, now time.Time, mentions ...StaffID) Message {
	return Message{Conversation: conv, Direction: DirSystem, Author: "Threadline", Body: text, CreatedAt: now, Mentions: mentions}
}

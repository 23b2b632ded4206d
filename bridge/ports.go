package bridge

import (
	"context"
	"maps"
	"slices"
	"time"
)

// InboundMessage is a customer message as a channel adapter received it.
type InboundMessage struct {
	Channel     Platform
	ExternalID  string // the platform's message id; a redelivery with the same id is stored once
	Address     string // the customer's address on the channel (chat id, email, visitor id)
	Name        string // display name, if known
	Username    string // handle, if the platform has one
	Email       string
	Subject     string
	Text        string
	Attachments []Attachment
	SentAt      time.Time
	// To are the addresses the customer wrote to, the way in: the mailbox
	// addresses of an email (To, Cc, Delivered-To, X-Original-To; an alias
	// such as sales@ pointed at the support mailbox shows here), the web
	// chat widget's name, the Telegram bot's @username. Lower-case, most
	// specific first. Routing rules match them (when.to); the first one is
	// remembered as the conversation's entry point.
	To []string

	// Hints that tie the message to an existing conversation (email threading).
	ConversationHint ConversationID // explicit id, e.g. from a "[#42]" subject token
	References       []string       // external ids of earlier messages on this channel
	// SignedHint: the channel verified that ConversationHint comes from a
	// token we signed for this very sender (the Reply-To or Message-ID of
	// an email we sent to this address for the web chat's unseen
	// replies). Only such a hint may name a conversation on another
	// channel, and the message then joins it; an unsigned hint (a "[#42]"
	// anyone can type) never crosses channels.
	SignedHint bool
	// StartsThread means "no hint matched, do not attach to the customer's open
	// conversation": a fresh email thread is a new conversation.
	StartsThread bool
	// ThreadBySubject: when no hint matched, an open conversation of this
	// customer on this channel and address with the same subject (reply
	// and forward prefixes and tags aside, rules.ThreadSubject) takes the
	// message. Mail clients and forwarders that drop the threading headers
	// keep the subject.
	ThreadBySubject bool
	// Edit marks a correction of an earlier message (ExternalID names the edit event).
	EditOf string
}

// DeliverResult says where an inbound message went.
type DeliverResult struct {
	Conversation ConversationID
	Message      MessageID
	Duplicate    bool // the message was already stored; nothing new happened
	Created      bool // a new conversation was opened
	Reopened     bool // a closed conversation was reopened
}

// Inbox is what customer channels deliver into. Deliver returns only after
// the message and every outbox row it causes are committed; adapters
// acknowledge upstream only after it returned nil.
type Inbox interface {
	Deliver(ctx context.Context, m InboundMessage) (DeliverResult, error)
}

// Delivery is a staff reply on its way to a customer.
type Delivery struct {
	Conversation ConversationID
	Message      MessageID
	Address      string // the customer's address on the channel
	CustomerName string
	Subject      string
	Author       string // staff display name
	Text         string
	Attachments  []Attachment
	// References are the external ids already exchanged on this channel in
	// this conversation, oldest first (email threading headers).
	References []string
	// Template is set when staff chose one of the platform's pre-approved
	// message templates (WhatsApp's only way to write outside its 24-hour
	// customer-service window); Text is then how it reads in the thread.
	// Channels without templates send Text.
	Template *TemplateMessage
}

// TemplateMessage names a message template the platform approved in
// advance, with the values of its body parameters ({{1}}, {{2}}, ...).
type TemplateMessage struct {
	Name     string   `json:"name"`
	Language string   `json:"language,omitempty"` // "": the channel's default language
	Params   []string `json:"params,omitempty"`
}

// CustomerChannel is where customers write and read.
type CustomerChannel interface {
	Name() Platform
	Run(ctx context.Context, in Inbox) error
	Send(ctx context.Context, d Delivery) (ExternalRef, error)
}

// Continuation is staff replies a customer left unseen on the channel of
// their conversation, on their way to the customer by another channel
// (the web chat's replies by email).
type Continuation struct {
	Conversation ConversationID
	To           string // the customer's address on the other channel (the email the visitor gave)
	Name         string // the customer's name, if known
	Subject      string // the conversation's subject
	Replies      []Message
	// Link leads back to the conversation on its own channel (the chat,
	// resumed by a signed token).
	Link string
	// References are the ids already exchanged with the customer on the
	// other channel in this conversation, oldest first (email threading).
	References []string
}

// Continuer is implemented by channels that can carry another channel's
// unseen replies to the customer (the email channel). What it sends is
// signed for Continuation.To, so that an answer from that address finds
// the conversation (InboundMessage.SignedHint); the returned ref is what
// later answers refer to.
type Continuer interface {
	Name() Platform
	Continue(ctx context.Context, c Continuation) (ExternalRef, error)
}

// StaffPost is a message shown in a staff thread.
type StaffPost struct {
	Message     MessageID // 0 for notices that are not stored messages
	Direction   Direction
	Author      string
	Origin      Platform // where it was written, for "via Slack" labels
	Text        string
	Attachments []Attachment
	At          time.Time
	Mentions    []StaffID // staff to ping; surfaces render their own platform's ids
}

// StaffMessage is something a staff member wrote in a thread (or a button
// they pressed, expressed as command text).
type StaffMessage struct {
	Surface      Platform
	Thread       ThreadRef      // the thread it was written in, if any
	Conversation ConversationID // set instead of Thread by surfaces that know it
	Actor        Actor
	Text         string
	Attachments  []Attachment
	ExternalID   string // the surface's message id, for dedupe and receipts
	// Mentions maps "@name" words in Text to the staff ids they mention
	// on the surface (so "!assign @alice" knows exactly who is meant).
	Mentions map[string]StaffID
}

// Feedback is the answer to a staff message, meant only for staff.
type Feedback struct {
	Conversation ConversationID
	Message      MessageID // the stored reply or note, if one was stored
	Text         string    // empty when there is nothing to say (a plain reply)
	Error        bool      // the message was refused; Text says why
}

// StaffInbox is what staff surfaces hand staff messages to.
type StaffInbox interface {
	HandleStaffMessage(ctx context.Context, m StaffMessage) (Feedback, error)
}

// StaffSurface is where staff see threads and act.
type StaffSurface interface {
	Name() Platform
	Run(ctx context.Context, in StaffInbox) error
	OpenThread(ctx context.Context, c ConversationView) (ThreadRef, error)
	Post(ctx context.Context, t ThreadRef, p StaffPost) (ExternalRef, error)
	UpdateCard(ctx context.Context, t ThreadRef, c ConversationView) error
}

// Receipt reports whether a staff reply reached the customer.
type Receipt struct {
	Message MessageID
	Source  string // the surface's id of the staff message
	OK      bool
	Error   string
	// Status is how far the reply got, for channels that report it after
	// sending: "" (the platform took it), ReceiptDelivered or ReceiptRead.
	Status ReceiptStatus `json:",omitempty"`
}

// ReceiptStatus is what a channel reports about a reply after sending it.
type ReceiptStatus string

const (
	ReceiptDelivered ReceiptStatus = "delivered" // it reached the customer's device
	ReceiptRead      ReceiptStatus = "read"      // the customer opened it
	ReceiptFailed    ReceiptStatus = "failed"    // the platform gave up delivering it
)

// ChannelReceipt is what a channel learnt about a reply after Send
// returned: WhatsApp's delivered, read and failed statuses.
type ChannelReceipt struct {
	Channel    Platform
	ExternalID string // the id Send returned for the reply
	Status     ReceiptStatus
	Error      string // for ReceiptFailed: why, and what staff can do
}

// ReceiptSurface is implemented by surfaces that show delivery receipts on
// the staff message that caused a reply (a reaction, an edit, a line).
type ReceiptSurface interface {
	Receipt(ctx context.Context, t ThreadRef, r Receipt) error
}

// ThreadMover is implemented by surfaces that give departments their own
// channels. When a conversation changes department, MoveThread opens a
// thread in the new place (its card links back), tells the old thread
// where it went, and returns the new ref; moved is false when the
// conversation stays where it is (then only the card is refreshed). The
// hand-off summary follows as a notice in the new thread.
type ThreadMover interface {
	MoveThread(ctx context.Context, old ThreadRef, c ConversationView) (ref ThreadRef, moved bool, err error)
}

// Announcer is implemented by surfaces that can post in a department's own
// channel (an escalation pulling a department in), linking the thread.
type Announcer interface {
	Announce(ctx context.Context, department string, t ThreadRef, c ConversationView, text string, mentions []StaffID) error
}

// FollowUpChannel marks a channel that only follows up on replies another
// channel already delivered (the web chat's email to a visitor who left):
// its sends carry no delivery receipt for the staff message (the reply did
// reach its channel), and its failures reach staff as a notice, not as an
// undelivered reply.
type FollowUpChannel interface {
	FollowsUp()
}

// Pacer is implemented by adapters that know their platform's send limits.
type Pacer interface {
	Pacing() Pacing
}

// Pacing is a send-rate limit: at most PerDestination messages per second to
// one destination (chat, channel) and PerAdapter per second in total.
// Zero means unlimited.
type Pacing struct {
	PerDestination float64
	PerAdapter     float64
}

// Cursors persists an adapter's position upstream (a Telegram offset, an
// IMAP UIDVALIDITY/UID). Save a position only after everything before it
// was delivered (Deliver returned nil). A key "<kind>:<address>" on the
// adapter's own name is state about the customer at that address (what a
// visitor read, the email they gave): it is deleted with the customer.
type Cursors interface {
	Cursor(ctx context.Context, adapter, key string) (string, error)
	SetCursor(ctx context.Context, adapter, key, value string) error
}

// EventLog remembers platform event ids (Slack event_id, Discord
// interaction id) so a redelivered event is handled once.
type EventLog interface {
	// MarkEvent records id and reports whether it was new.
	MarkEvent(ctx context.Context, source, id string) (bool, error)
	// SeenEvent reports whether id was recorded.
	SeenEvent(ctx context.Context, source, id string) (bool, error)
}

// DigestPoster is implemented by surfaces that can post a statistics digest
// (text plus a PNG chart) to a staff channel. Digests belong to no
// conversation, so they do not go through the outbox: the caller retries.
// Errors are classified like Post's (Permanent, RetryAfter, transient).
type DigestPoster interface {
	PostDigest(ctx context.Context, channel string, text string, png []byte, filename string) error
}

// StaffChannels lists a surface's staff channels once each: the default
// one, then the departments' own in sorted order (empty ids left out).
func StaffChannels(def string, byDepartment map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range append([]string{def}, slices.Sorted(maps.Values(byDepartment))...) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Adapters are built in two phases. New(cfg, ...) checks the adapter's
// config and builds what depends on it alone (API clients, caches); such
// an adapter can already talk to its platform (doctor, setup commands).
// Init(Deps) then hands it what only exists once the daemon's core does,
// the same Deps for every adapter; Run comes after. The core (engine)
// needs the list of adapters, the adapters need the core: the two phases
// order that without late binding.

// Deps is what the daemon hands every adapter, the same value for each.
type Deps struct {
	// Log is the daemon's logger; each adapter adds its own name to it
	// (nil: nothing is logged).
	Log *slog.Logger
	// Clock is where adapters read the time and wait (required).
	Clock Clock
	// Store is the database as adapters see it (required).
	Store AdapterStore
	// Core is the engine's side for adapters (required by those that use it).
	Core Core
	// HTTP is the transport adapters send platform API requests through;
	// each sets its own timeouts around it (nil: http.DefaultTransport).
	HTTP http.RoundTripper
	// AttachmentsDir receives the files customers and staff send
	// (<data_dir>/attachments), each adapter under names of its own; ""
	// keeps no files (they are described or linked instead).
	AttachmentsDir string
	// CommandPrefix is commands.prefix ("!"): surfaces turn buttons and
	// slash commands into command text with it.
	CommandPrefix string
	// Relay carries live pushes to the replica a visitor or a watching
	// staff member is connected to (nil: this process only).
	Relay Relay
}

// LiveRelay is Relay, or a relay of this process alone when it is nil.
func (d Deps) LiveRelay() Relay {
	if d.Relay == nil {
		return NewLocalRelay()
	}
	return d.Relay
}

// EveryReplica is implemented by adapters whose Run serves this
// replica's own connections (web chat sockets, the admin API): it runs on
// every replica. Every other adapter's Run (polling, gateways, catch-up)
// is leader work and runs only on the leader.
type EveryReplica interface {
	OnEveryReplica()
}

// Initer is implemented by every adapter: Init gives it the daemon's
// dependencies, once, after New and before Run.
type Initer interface {
	Init(d Deps) error
}

// Validate fails, naming adapter, when a dependency every adapter needs
// (Clock, Store) is missing.
func (d Deps) Validate(adapter Platform) error {
	var missing []error
	if d.Clock == nil {
		missing = append(missing, errors.New("Deps.Clock"))
	}
	if d.Store == nil {
		missing = append(missing, errors.New("Deps.Store"))
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: Init without %w", adapter, errors.Join(missing...))
	}
	return nil
}

// RequireCore fails, naming adapter, when Deps.Core is missing.
func (d Deps) RequireCore(adapter Platform) error {
	if d.Core == nil {
		return fmt.Errorf("%s: Init without Deps.Core (the engine)", adapter)
	}
	return nil
}

// Logger is Log with args added (a discarding logger when Log is nil).
func (d Deps) Logger(args ...any) *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log.With(args...)
}

// Transport is HTTP, or http.DefaultTransport when it is nil.
func (d Deps) Transport() http.RoundTripper {
	if d.HTTP == nil {
		return http.DefaultTransport
	}
	return d.HTTP
}

// Prefix is CommandPrefix, or "!" when it is empty.
func (d Deps) Prefix() string {
	if d.CommandPrefix == "" {
		return "!"
	}
	return d.CommandPrefix
}

// AdapterStore is what adapters read from and keep in the database: the
// read side, their cursors upstream and the event ids they handled, and
// the few lookups and records that are theirs alone. A store backend
// implements it (store.DB embeds it).
type AdapterStore interface {
	Reader
	Cursors
	EventLog
	// ThreadsActiveSince lists the surface's active threads of
	// conversations that are not closed or changed since since (catch-up).
	ThreadsActiveSince(ctx context.Context, surface Platform, since time.Time) ([]ThreadRef, error)
	// SetReachability records whether a customer address can be reached
	// ("" clears it) for every conversation on it.
	SetReachability(ctx context.Context, platform Platform, address, reason string) error
	// CustomerMessages lists what a customer on channel/address may see
	// (their messages and staff replies, never notes), after the id after.
	CustomerMessages(ctx context.Context, channel Platform, address string, after MessageID, limit int) ([]Message, error)
}

// Core is what adapters may ask of the engine besides handing it what they
// receive (Run's Inbox or StaffInbox). The engine implements it.
type Core interface {
	// Notice queues a staff-only line in conv's thread on surface.
	Notice(ctx context.Context, conv ConversationID, surface Platform, text string) error
	// ThreadGone tells that a staff thread was deleted on its platform, so
	// the conversation gets a new one when it next needs it.
	ThreadGone(ctx context.Context, surface Platform, ref ThreadRef) error
	// SystemNote stores a staff-only note by Threadline in conv, once per
	// source and externalID (a redelivery is stored once): an email bounce.
	SystemNote(ctx context.Context, conv ConversationID, source Platform, externalID, text string) error
	// Receipt shows what a channel learnt about a reply after sending it
	// (delivered, read, failed) on the staff message that caused it; a
	// failure is also told in every thread. Replies Threadline did not
	// send are ignored.
	Receipt(ctx context.Context, r ChannelReceipt) error
}

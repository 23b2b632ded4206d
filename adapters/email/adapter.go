package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/live"
)

// Platform is the channel's name.
const Platform bridge.Platform = "email"

// BounceFunc records that one of our replies bounced, as a staff-only note
// in its conversation. id is the bounce's Message-ID (for dedupe).
type BounceFunc func(ctx context.Context, conv bridge.ConversationID, id, text string) error

// Options wires the adapter.
type Options struct {
	// Cursors keeps the IMAP UIDVALIDITY/UID position (store.Store).
	Cursors bridge.Cursors
	// AttachmentsDir receives inbound attachments; "" keeps none.
	AttachmentsDir string
	// Key signs plus-address tokens and Message-IDs (>= 32 bytes).
	Key []byte
	// Bounces, if set, notes bounces of our replies in their conversation.
	Bounces BounceFunc
	Log     *slog.Logger
	Now     func() time.Time
	// TLSConfig is the base TLS configuration (tests trust their own CA
	// here); ServerName is set per server.
	TLSConfig *tls.Config
	// Dialer connects to the servers; default: 30 s timeout.
	Dialer *net.Dialer
	// Rand feeds Message-ID randomness; default crypto/rand.
	Rand io.Reader
}

// Adapter is the email channel.
type Adapter struct {
	cfg     Config
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	sign    signer
	from    mail.Address
	replyTo *mail.Address
	domain  string
	limits  Limits

	conn *live.Conn // connection state for /readyz (nil: not reported)
}

// SetConn implements bridge.ConnReporter; call it before Run.
func (a *Adapter) SetConn(c *live.Conn) { a.conn = c }

var (
	_ bridge.CustomerChannel = (*Adapter)(nil)
	_ bridge.Pacer           = (*Adapter)(nil)
)

// New builds the adapter. cfg must have had Defaults applied and be valid.
func New(cfg Config, o Options) (*Adapter, error) {
	if len(o.Key) < 32 {
		return nil, errors.New("email: signing key must be at least 32 bytes")
	}
	if !cfg.Enabled() {
		return nil, errors.New("email: " + cfg.OffReason())
	}
	if o.Cursors == nil {
		return nil, errors.New("email: a cursor store is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, errors.New("email: from is not an email address")
	}
	from.Address = strings.ToLower(from.Address)
	a := &Adapter{cfg: cfg, opts: o, log: o.Log, now: o.Now, sign: signer{key: o.Key}, from: *from,
		limits: Limits{MaxAttachmentBytes: cfg.MaxAttachmentBytes}}
	_, a.domain, _ = strings.Cut(from.Address, "@")
	if cfg.ReplyTo != "" {
		rt, err := mail.ParseAddress(cfg.ReplyTo)
		if err != nil {
			return nil, errors.New("email: reply_to is not an email address")
		}
		rt.Address = strings.ToLower(rt.Address)
		a.replyTo = rt
	}
	return a, nil
}

// Name is "email".
func (a *Adapter) Name() bridge.Platform { return Platform }

// Pacing keeps replies modest: one per second to a customer and five per
// second in total, below what mail providers throttle.
func (a *Adapter) Pacing() bridge.Pacing { return bridge.Pacing{PerDestination: 1, PerAdapter: 5} }

// replyBase is the address whose plus variants carry conversation tokens.
func (a *Adapter) replyBase() mail.Address {
	if a.replyTo != nil {
		return *a.replyTo
	}
	return a.from
}

// ours reports whether addr is one of our own addresses (From, Reply-To,
// or a plus variant), so our own mail is never taken for a customer's.
func (a *Adapter) ours(addr string) bool {
	addr = strings.ToLower(addr)
	if addr == a.from.Address || (a.replyTo != nil && addr == a.replyTo.Address) {
		return true
	}
	_, ok := a.plusToken(addr)
	return ok
}

// plusToken extracts the token of a support+<token>@domain address.
func (a *Adapter) plusToken(addr string) (string, bool) {
	base := a.replyBase()
	bl, bd, _ := strings.Cut(base.Address, "@")
	local, domain, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok || domain != bd {
		return "", false
	}
	tok, ok := strings.CutPrefix(local, bl+"+")
	return tok, ok && tok != ""
}

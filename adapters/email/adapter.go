package email

import (
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

// Options are the adapter's own settings besides Config; what every
// adapter shares (log, clock, store, engine, attachments directory) comes
// through Init.
type Options struct {
	// Key signs plus-address tokens and Message-IDs (>= 32 bytes).
	Key []byte
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
	sign    signer
	from    mail.Address
	replyTo *mail.Address
	domain  string
	limits  Limits

	// Set by Init (New leaves a system clock and no log, enough for the
	// checks doctor runs).
	log         *slog.Logger
	clock       bridge.Clock
	store       bridge.AdapterStore // keeps the IMAP UIDVALIDITY/UID position
	core        bridge.Core         // notes bounces of our replies in their conversation
	attachments string              // receives inbound attachments; "" keeps none

	conn *live.Conn // connection state for /readyz (nil: not reported)
}

// SetConn implements bridge.ConnReporter; call it before Run.
func (a *Adapter) SetConn(c *live.Conn) { a.conn = c }

var (
	_ bridge.CustomerChannel = (*Adapter)(nil)
	_ bridge.Pacer           = (*Adapter)(nil)
	_ bridge.Initer          = (*Adapter)(nil)
)

// New builds the adapter from its config; nothing is contacted until it is
// used. cfg must have had Defaults applied and be valid. Init must follow
// before Run.
func New(cfg Config, o Options) (*Adapter, error) {
	if len(o.Key) < 32 {
		return nil, errors.New("email: signing key must be at least 32 bytes")
	}
	if !cfg.Enabled() {
		return nil, errors.New("email: " + cfg.OffReason())
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
	a := &Adapter{cfg: cfg, opts: o, log: slog.New(slog.DiscardHandler), clock: bridge.SystemClock(), sign: signer{key: o.Key}, from: *from,
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

// Init gives the adapter the daemon's dependencies; it needs Clock, Store
// and Core.
func (a *Adapter) Init(d bridge.Deps) error {
	if err := d.Validate(Platform); err != nil {
		return err
	}
	if err := d.RequireCore(Platform); err != nil {
		return err
	}
	a.log, a.clock, a.store, a.core, a.attachments = d.Logger("channel", string(Platform)), d.Clock, d.Store, d.Core, d.AttachmentsDir
	return nil
}

// now reads the adapter's clock.
func (a *Adapter) now() time.Time { return a.clock.Now() }

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

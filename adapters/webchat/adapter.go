package webchat

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Platform is the channel's name.
const Platform bridge.Platform = "webchat"

//go:embed static
var static embed.FS

// Options are the adapter's own settings besides Config; what every
// adapter shares (log, clock, store) comes through Init.
type Options struct {
	Key          []byte // signs visitor tokens (>= 32 bytes)
	PublicURL    string // its origin may always use the API
	MaxBodyBytes int64
	// Availability says whether staff are in business hours and how long a
	// first answer usually takes (from the SLA calendar), for the widget's
	// greeting; nil: always open, no estimate.
	Availability func(now time.Time) Availability
	// Articles offers knowledge-base articles while a visitor types their
	// first message (deflection); nil: none.
	Articles Articles
}

// Availability is what the widget tells a visitor about answering times.
type Availability struct {
	Open         bool          // within business hours now
	Opens        time.Time     // when not open: when staff are back (zero: unknown)
	ExpectedWait time.Duration // a first answer usually takes this long (0: no estimate)
}

// Adapter is the web chat channel.
type Adapter struct {
	cfg      Config
	opts     Options
	tokens   tokens
	perVisit *limiter
	perIP    *limiter
	sessions *limiter
	searches *limiter // article searches and answers, per visitor
	hub      *hub
	allowAll bool
	allowed  map[string]bool
	proxies  []netip.Prefix // webchat.trusted_proxies

	// Set by Init (New leaves a system clock and no log).
	log         *slog.Logger
	clock       bridge.Clock
	store       bridge.AdapterStore // the widget's history
	core        bridge.Core         // notes replies that went by email (followup.go); may be nil
	attachments string              // where kept files lie (Deps.AttachmentsDir)
	relay       bridge.Relay        // pushes reach the replica the visitor is connected to
	unsubscribe []func()
	asset       widgetAsset // widget.js with the config in it

	typing typingState // visitor typing, throttled; staff typing, addressed
	convs  *convCache  // visitor -> current conversation (typing, seen)
	idKey  []byte      // webchat.identity_secret
	// emailReplies: EmailFollowUp was made, so the widget offers to take
	// an email address for the replies a visitor misses.
	emailReplies bool
}

var (
	_ bridge.CustomerChannel = (*Adapter)(nil)
	_ bridge.Initer          = (*Adapter)(nil)
)

// New builds the adapter from its config. cfg must have had Defaults
// applied. Init must follow before it serves.
func New(cfg Config, o Options) (*Adapter, error) {
	if len(o.Key) < 32 {
		return nil, errors.New("webchat: token key must be at least 32 bytes")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	a := &Adapter{
		cfg: cfg, opts: o, log: slog.New(slog.DiscardHandler), clock: bridge.SystemClock(),
		perVisit: newLimiter(cfg.PerVisitorPerMinute),
		perIP:    newLimiter(cfg.PerIPPerMinute),
		sessions: newLimiter(cfg.PerIPPerMinute),
		searches: newLimiter(articlesPerMinute),
		hub:      newHub(),
		allowed:  make(map[string]bool),
		convs:    newConvCache(),
		idKey:    []byte(cfg.IdentitySecret),
	}
	a.typing.init()
	a.tokens = tokens{key: o.Key, maxAge: cfg.TokenMaxAge.D(), now: a.now}
	for _, p := range cfg.TrustedProxies {
		pr, err := parseProxy(p)
		if err != nil {
			return nil, fmt.Errorf("webchat: trusted_proxies: %q is not an address or CIDR", p)
		}
		a.proxies = append(a.proxies, pr)
	}
	for _, origin := range append([]string{o.PublicURL}, cfg.AllowedOrigins...) {
		if origin == "*" {
			a.allowAll = true
			continue
		}
		if u, err := url.Parse(origin); err == nil && u.Host != "" {
			a.allowed[strings.ToLower(u.Scheme+"://"+u.Host)] = true
		}
	}
	return a, nil
}

// Init gives the adapter the daemon's dependencies; it needs Clock and
// Store, and Core for its email follow-up (EmailFollowUp).
func (a *Adapter) Init(d bridge.Deps) error {
	if err := d.Validate(Platform); err != nil {
		return err
	}
	a.log, a.clock, a.store, a.attachments, a.core = d.Logger("channel", string(Platform)), d.Clock, d.Store, d.AttachmentsDir, d.Core
	asset, err := a.buildWidget()
	if err != nil {
		return err
	}
	a.asset = asset
	a.relay = d.LiveRelay()
	a.unsubscribe = append(a.unsubscribe, a.relay.Subscribe(relayTopic, a.relayed),
		bridge.SubscribeTyping(a.relay, a.staffTyping))
	return nil
}

// filesOn reports whether visitors may attach files: webchat.files is on
// and the daemon keeps files.
func (a *Adapter) filesOn() bool { return a.cfg.FilesOn() && a.attachments != "" }

// relayTopic carries frames for visitors to whichever replica holds their
// connections.
const relayTopic = "webchat"

type relayFrame struct {
	Visitor string          `json:"v"`
	Frame   json.RawMessage `json:"f"`
}

// push sends frame to every open widget of visitor, on whichever replica
// it is connected. If the relay fails, this replica's widgets still get it
// (the others refetch their history on reconnect).
func (a *Adapter) push(ctx context.Context, visitor string, frame []byte) {
	b, _ := json.Marshal(relayFrame{Visitor: visitor, Frame: frame})
	if err := a.relay.Publish(ctx, relayTopic, b); err != nil {
		a.log.Warn("webchat: relaying a live message failed; only this replica's connections get it", "err", err)
		a.hub.broadcast(visitor, frame)
	}
}

// relayed delivers a relayed frame to this replica's connections.
func (a *Adapter) relayed(payload []byte) {
	var f relayFrame
	if err := json.Unmarshal(payload, &f); err == nil && f.Visitor != "" {
		a.hub.broadcast(f.Visitor, f.Frame)
	}
}

// OnEveryReplica: visitors' connections land on any replica.
func (a *Adapter) OnEveryReplica() {}

// now reads the adapter's clock.
func (a *Adapter) now() time.Time { return a.clock.Now() }

// Name is "webchat".
func (a *Adapter) Name() bridge.Platform { return Platform }

// Run waits for shutdown, then closes the visitors' connections. Messages
// arrive through Handler.
func (a *Adapter) Run(ctx context.Context, _ bridge.Inbox) error {
	if a.store == nil {
		return errors.New("webchat: Run before Init")
	}
	<-ctx.Done()
	a.hub.closeAll()
	return nil
}

// Close stops listening on the relay (tests that build many adapters on
// one relay).
func (a *Adapter) Close() {
	for _, u := range a.unsubscribe {
		u()
	}
	a.unsubscribe = nil
}

// Online reports how many connections a visitor has open.
func (a *Adapter) Online(visitor string) int { return a.hub.count(visitor) }

// Send pushes a staff reply to the visitor's open widgets. The reply is
// already stored, so a visitor who is offline sees it on their next visit:
// a send succeeds whether or not anyone is connected.
func (a *Adapter) Send(ctx context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	wm := wireMessage{ID: int64(d.Message), Conversation: int64(d.Conversation), From: "staff", Author: d.Author,
		Text: d.Text, At: a.now().UTC(), Attachments: a.wireAttachments(d.Address, d.Message, d.Attachments)}
	f := wsFrame{Type: "message", Message: &wm}
	if m, err := a.store.Message(ctx, d.Message); err == nil && staffActed(m) {
		f.SeenUntil = int64(d.Message) // a person answered: they saw what came before
	}
	a.convs.setVisitor(d.Conversation, d.Address)
	frame, _ := json.Marshal(f)
	a.push(ctx, d.Address, frame)
	return bridge.ExternalRef{Platform: Platform, ID: "m" + strconv.FormatInt(int64(d.Message), 10)}, nil
}

// wireMessage is a message as the widget sees it.
type wireMessage struct {
	ID           int64            `json:"id"`
	Conversation int64            `json:"conversation"`
	From         string           `json:"from"` // "customer" or "staff"
	Author       string           `json:"author,omitempty"`
	Text         string           `json:"text"`
	At           time.Time        `json:"at"`
	ClientID     string           `json:"client_id,omitempty"`
	Attachments  []wireAttachment `json:"attachments,omitempty"`
	// Seen: staff answered or acted after this customer message.
	Seen bool `json:"seen,omitempty"`
}

// toWire is a stored message as visitor sees it.
func (a *Adapter) toWire(visitor string, m bridge.Message) wireMessage {
	w := wireMessage{ID: int64(m.ID), Conversation: int64(m.Conversation), Text: m.Body, At: m.CreatedAt.UTC(),
		Attachments: a.wireAttachments(visitor, m.ID, m.Attachments)}
	if m.Direction == bridge.DirStaff {
		w.From, w.Author = "staff", m.Author
	} else {
		w.From = "customer"
	}
	return w
}

// apiError is an HTTP error with a clear message for the widget developer.
type apiError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *apiError) Error() string { return e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/attempts"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/live"
)

// Platform is the channel's name.
const Platform bridge.Platform = "whatsapp"

// WebhookPath is where Meta sends the messages webhook (GET to verify the
// callback URL, POST for notifications).
const WebhookPath = "/whatsapp/webhook"

// Window is WhatsApp's customer-service window: free-form messages reach a
// customer only this long after their last message; afterwards only
// approved templates do.
const Window = 24 * time.Hour

// Options are the adapter's own settings besides Config; what every
// adapter shares (log, clock, store, core, HTTP transport, attachments
// directory, command prefix) comes through Init.
type Options struct {
	// PublicURL is how Meta reaches the daemon (the callback URL is
	// PublicURL + WebhookPath).
	PublicURL string
	// MaxBodyBytes caps a webhook request (default 3 MB).
	MaxBodyBytes int64
	// PartGap spaces the messages of one reply that WhatsApp needs several
	// messages for (default 1s).
	PartGap time.Duration
	// MaxTries is how often one message's files are tried before the
	// message is stored without them (default 5; Meta retries webhooks for
	// days, so storing the message itself is never given up).
	MaxTries int
}

// Adapter is the WhatsApp customer channel.
type Adapter struct {
	cfg    Config
	opts   Options
	api    *client
	phones map[string]bool // configured phone number ids

	// Set by Init (New leaves a system clock and no log, enough for the
	// checks doctor runs).
	log         *slog.Logger
	clock       bridge.Clock
	store       bridge.AdapterStore // dedupe, windows, receipts' event log
	core        bridge.Core         // receipts, reactions as notes
	attachments string              // receives customer files (under whatsapp/<wa_id>/); "": described only
	prefix      string              // the command prefix, for the window advice

	tries    attempts.Tries[string] // wamid -> failed attempts to fetch its files
	progress attempts.Memo[bridge.MessageID, sendProgress]

	conn *live.Conn // connection state for /readyz (nil: not reported)
}

var (
	_ bridge.CustomerChannel = (*Adapter)(nil)
	_ bridge.Pacer           = (*Adapter)(nil)
	_ bridge.Initer          = (*Adapter)(nil)
	_ bridge.EveryReplica    = (*Adapter)(nil)
	_ live.Reporter          = (*Adapter)(nil)
)

// New builds the adapter from its config; nothing is contacted until it is
// used. cfg must have had Defaults applied and carry a token. Init must
// follow before Run or Handler.
func New(cfg Config, o Options) (*Adapter, error) {
	if cfg.Token == "" {
		return nil, errors.New("whatsapp: no access token")
	}
	if len(cfg.PhoneNumberIDs) == 0 {
		return nil, errors.New("whatsapp: no phone number id")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 3 << 20
	}
	if o.PartGap <= 0 {
		o.PartGap = time.Second
	}
	if o.MaxTries <= 0 {
		o.MaxTries = 5
	}
	a := &Adapter{
		cfg: cfg, opts: o, phones: map[string]bool{},
		log: slog.New(slog.DiscardHandler), clock: bridge.SystemClock(), prefix: "!",
	}
	for _, id := range cfg.PhoneNumberIDs {
		a.phones[id] = true
	}
	a.api = &client{base: strings.TrimRight(cfg.APIURL, "/"), token: cfg.Token, http: &http.Client{Transport: http.DefaultTransport}, now: a.now}
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
	a.log, a.clock, a.store, a.core = d.Logger("channel", string(Platform)), d.Clock, d.Store, d.Core
	a.attachments, a.prefix = d.AttachmentsDir, d.Prefix()
	a.api.http.Transport = d.Transport()
	return nil
}

// SetConn implements live.Reporter; call it before Run.
func (a *Adapter) SetConn(c *live.Conn) { a.conn = c }

// OnEveryReplica: the webhook is an HTTP route every replica serves, and
// Run only checks the token, so every replica runs it (each reports its
// own readiness).
func (a *Adapter) OnEveryReplica() {}

func (a *Adapter) now() time.Time { return a.clock.Now() }

// Name is "whatsapp".
func (a *Adapter) Name() bridge.Platform { return Platform }

// Pacing is WhatsApp's documented limits: one message every 6 seconds to
// one customer from one business number (the pair rate limit; the
// outbox's destination is that pair), and 80 messages a second per
// business number (the default throughput).
func (a *Adapter) Pacing() bridge.Pacing {
	return bridge.Pacing{PerDestination: 1.0 / 6, PerAdapter: 80}
}

// WebhookURL is the callback URL to enter in the app dashboard.
func (a *Adapter) WebhookURL() string { return strings.TrimRight(a.opts.PublicURL, "/") + WebhookPath }

// Run checks the token against every configured number, reports the
// channel up and waits: messages arrive through Handler. A refused token
// is an error (the supervisor retries; replies wait meanwhile).
func (a *Adapter) Run(ctx context.Context, _ bridge.Inbox) error {
	if a.store == nil {
		return errors.New("whatsapp: Run before Init")
	}
	var names []string
	for _, id := range a.cfg.PhoneNumberIDs {
		p, err := a.PhoneNumber(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("whatsapp: checking the token with phone number %s: %w", id, err)
		}
		names = append(names, firstNonEmpty(p.DisplayPhoneNumber, id))
	}
	a.log.Info("whatsapp: receiving by webhook", "url", a.WebhookURL(), "numbers", strings.Join(names, ", "))
	a.conn.Up("webhook " + a.WebhookURL() + "; " + strings.Join(names, ", "))
	<-ctx.Done()
	return nil
}

// sleep waits d on the adapter's clock; false if ctx ended first.
func (a *Adapter) sleep(ctx context.Context, d time.Duration) bool {
	return bridge.Sleep(a.clock, d, ctx.Done())
}

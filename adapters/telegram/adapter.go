package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/attempts"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/live"
)

// Platform is the channel's name.
const Platform bridge.Platform = "telegram"

// WebhookPath is where Telegram posts updates in webhook mode.
const WebhookPath = "/telegram/webhook"

// Options are the adapter's own settings besides Config; what every
// adapter shares (log, clock, store, HTTP transport, attachments
// directory) comes through Init.
type Options struct {
	// PublicURL is how Telegram reaches the daemon (webhook mode).
	PublicURL string
	// MaxBodyBytes caps a webhook request (default 1 MB).
	MaxBodyBytes int64
	// PartGap spaces the messages of one reply that Telegram needs several
	// messages for (default 1s: Telegram's ~1 message/second per chat).
	PartGap time.Duration
	// RetryBackoff is the first pause after a failed poll or delivery; it
	// doubles up to 30s (default 1s).
	RetryBackoff time.Duration
	// MaxTries is how often one update is retried before the parts that
	// are not essential (a file download, the greeting) are given up and
	// the message is stored without them (default 5). Storing the message
	// itself is never given up.
	MaxTries int
}

// BlockedReason is recorded when a customer blocks the bot.
const BlockedReason = "Forbidden: bot was blocked by the user"

// Adapter is the Telegram customer channel.
type Adapter struct {
	cfg   Config
	opts  Options
	api   *client
	botID string

	// Set by Init (New leaves a system clock and no log, enough for the
	// checks doctor and `threadline telegram set-webhook` run).
	log         *slog.Logger
	clock       bridge.Clock
	store       bridge.AdapterStore // keeps the getUpdates offset; told when a customer blocks the bot
	attachments string              // receives customer files (under telegram/<chat>/); "": described only

	mu          sync.Mutex
	botUsername string
	tries       attempts.Tries[int64] // update id -> failed attempts
	progress    attempts.Memo[bridge.MessageID, sendProgress]
	recent      recentIDs // updates handled (webhook redelivery dedupe)

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
// used. cfg must have had Defaults applied and carry a token. Init must
// follow before Run.
func New(cfg Config, o Options) (*Adapter, error) {
	if cfg.BotToken == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if cfg.Webhook() && o.PublicURL == "" {
		return nil, errors.New("telegram: webhook mode needs the public URL")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.PartGap <= 0 {
		o.PartGap = time.Second
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = time.Second
	}
	if o.MaxTries <= 0 {
		o.MaxTries = 5
	}
	botID, _, _ := strings.Cut(cfg.BotToken, ":")
	a := &Adapter{
		cfg: cfg, opts: o, botID: botID, log: slog.New(slog.DiscardHandler), clock: bridge.SystemClock(),
		recent: recentIDs{seen: make(map[int64]bool)},
	}
	// No client timeout: long polls last poll_timeout; requests end with their context.
	a.api = &client{base: strings.TrimRight(cfg.APIURL, "/"), token: cfg.BotToken, http: &http.Client{Transport: http.DefaultTransport}, now: a.now}
	return a, nil
}

// Init gives the adapter the daemon's dependencies; it needs Clock and Store.
func (a *Adapter) Init(d bridge.Deps) error {
	if err := d.Validate(Platform); err != nil {
		return err
	}
	a.log, a.clock, a.store, a.attachments = d.Logger("channel", string(Platform)), d.Clock, d.Store, d.AttachmentsDir
	a.api.http.Transport = d.Transport()
	return nil
}

// now reads the adapter's clock.
func (a *Adapter) now() time.Time { return a.clock.Now() }

// Name is "telegram".
func (a *Adapter) Name() bridge.Platform { return Platform }

// Pacing is Telegram's documented limit: about one message per second to a
// chat and thirty per second for the whole bot.
func (a *Adapter) Pacing() bridge.Pacing { return bridge.Pacing{PerDestination: 1, PerAdapter: 30} }

// WebhookURL is the URL registered with setWebhook.
func (a *Adapter) WebhookURL() string { return strings.TrimRight(a.opts.PublicURL, "/") + WebhookPath }

// Run checks the token, then receives updates until ctx ends: by long
// polling, or, with a webhook secret, by registering the webhook (updates
// then arrive through Handler).
func (a *Adapter) Run(ctx context.Context, in bridge.Inbox) error {
	if a.store == nil {
		return errors.New("telegram: Run before Init")
	}
	var me user
	if err := a.api.call(ctx, "getMe", struct{}{}, &me); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram: checking the bot token: %w", err)
	}
	a.mu.Lock()
	a.botUsername = me.Username
	a.mu.Unlock()
	if a.cfg.Webhook() {
		return a.runWebhook(ctx)
	}
	return a.poll(ctx, in)
}

func (a *Adapter) username() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botUsername
}

// handleUpdate stores one update. nil means the update is done with
// (stored, a duplicate, ignored, or malformed and skipped) and may be
// acknowledged; an error means it must be offered again.
func (a *Adapter) handleUpdate(ctx context.Context, in bridge.Inbox, raw []byte) error {
	u, err := parseUpdate(raw)
	if err != nil {
		a.log.Warn("telegram: skipping a malformed update", "update_id", u.UpdateID, "bytes", len(raw), "err", err)
		return nil
	}
	if a.recent.has(u.UpdateID) {
		return nil
	}
	inc, ok, err := readUpdate(u, a.username())
	if err != nil {
		a.log.Warn("telegram: skipping a malformed update", "update_id", u.UpdateID, "err", err)
		return nil
	}
	if !ok {
		a.log.Debug("telegram: ignoring update (not a customer message in a private chat)", "update_id", u.UpdateID)
		a.recent.add(u.UpdateID)
		return nil
	}
	lastTry := a.tries.Count(u.UpdateID) >= a.opts.MaxTries-1
	if err := a.deliver(ctx, in, inc, lastTry); err != nil {
		a.tries.Failed(u.UpdateID)
		return err
	}
	a.done(u.UpdateID)
	return nil
}

func (a *Adapter) deliver(ctx context.Context, in bridge.Inbox, inc incoming, lastTry bool) error {
	switch {
	case inc.Reach == "blocked":
		a.log.Info("telegram: a customer blocked the bot", "chat", inc.ChatID)
		return a.setReachability(ctx, inc.Msg.Address, BlockedReason)
	case inc.Reach == "unblocked":
		return a.setReachability(ctx, inc.Msg.Address, "")
	case inc.Start:
		// Pressing Start (or Restart after unblocking) makes the chat reachable.
		if err := a.setReachability(ctx, inc.Msg.Address, ""); err != nil {
			return err
		}
		return a.greet(ctx, inc.ChatID, lastTry)
	}
	msg := inc.Msg
	notes, err := a.fetchFiles(ctx, inc, lastTry, &msg)
	if err != nil {
		return err
	}
	if len(notes) > 0 {
		msg.Text = strings.TrimSpace(msg.Text + "\n" + strings.Join(notes, "\n"))
	}
	res, err := in.Deliver(ctx, msg)
	var rej *bridge.RejectionError
	switch {
	case errors.Is(err, bridge.ErrDuplicate):
		return nil // the same update arrived twice at once (webhook retry)
	case errors.As(err, &rej):
		a.log.Warn("telegram: message refused; skipped", "update_id", inc.UpdateID, "reason", rej.Reason)
		return nil
	case err != nil:
		return err
	}
	a.log.Debug("telegram: message stored", "update_id", inc.UpdateID, "conversation", res.Conversation, "duplicate", res.Duplicate)
	return nil
}

func (a *Adapter) setReachability(ctx context.Context, address, reason string) error {
	return a.store.SetReachability(ctx, Platform, address, reason)
}

// greet answers /start. It is sent here rather than through the outbox
// because /start alone opens no conversation (the outbox works per
// conversation, and staff need not see every visitor who pressed Start).
// The update is acknowledged only after the greeting went out, so a crash
// re-sends it rather than losing it; after MaxTries the greeting is given up.
func (a *Adapter) greet(ctx context.Context, chatID int64, lastTry bool) error {
	if a.cfg.Greeting == "-" {
		return nil
	}
	_, err := a.sendMessage(ctx, chatID, escapeHTML(a.cfg.Greeting))
	if err == nil {
		a.log.Debug("telegram: /start answered with the greeting", "chat", chatID)
		return nil
	}
	cerr := classify(err)
	var rl *bridge.RateLimitError
	switch {
	case bridge.IsPermanent(cerr) || errors.Is(cerr, bridge.ErrUnreachable):
		a.log.Warn("telegram: greeting not sent", "chat", chatID, "err", err)
		return nil
	case lastTry:
		a.log.Error("telegram: greeting not sent; giving up", "chat", chatID, "err", err)
		return nil
	case errors.As(cerr, &rl):
		// Wait here, so the next attempt is not refused again at once.
		if !a.sleep(ctx, min(rl.RetryAfter, time.Minute)) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("greeting: %w", err)
}

func (a *Adapter) done(id int64) {
	a.tries.Done(id)
	a.recent.add(id)
}

// recentIDs remembers the last few thousand handled update ids, so a
// webhook delivery Telegram repeats (our 200 got lost) is not handled twice.
type recentIDs struct {
	mu    sync.Mutex
	seen  map[int64]bool
	order []int64
}

const recentCap = 4096

func (r *recentIDs) has(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[id]
}

func (r *recentIDs) add(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[id] {
		return
	}
	r.seen[id] = true
	r.order = append(r.order, id)
	if len(r.order) > recentCap {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
}

// sleep waits d on the adapter's clock; false if ctx ended first.
func (a *Adapter) sleep(ctx context.Context, d time.Duration) bool {
	return bridge.Sleep(a.clock, d, ctx.Done())
}

func chatRef(chatID, messageID int64) string {
	return strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(messageID, 10)
}

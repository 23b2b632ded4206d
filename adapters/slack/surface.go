package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/adapters/internal/textcut"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/live"
)

// Platform is the surface's name.
const Platform bridge.Platform = "slack"

// Options are the surface's own settings besides Config; what every
// adapter shares (log, clock, store, engine, attachments directory,
// command prefix) comes through Init.
type Options struct {
	// MaxFileBytes caps the files staff attach in threads that are
	// downloaded and forwarded to the customer (larger files are linked).
	MaxFileBytes int64
	// Groups are the Slack user groups (subteam ids, S0123ABC) named in
	// departments; staff in them count as members (usergroups.users.list,
	// scope usergroups:read). GroupTTL is how long an answer is kept
	// (DefaultGroupTTL when 0).
	Groups   []string
	GroupTTL time.Duration
}

// Surface is the Slack staff surface.
type Surface struct {
	cfg   Config
	opts  Options
	api   *slack.Client
	http  *http.Client // the API's client; Init puts it on Deps.HTTP
	users *userCache

	// Set by Init (New leaves a system clock and no log, enough for the
	// checks doctor runs).
	log         *slog.Logger
	clock       bridge.Clock
	store       bridge.AdapterStore // dedupes redelivered commands, finds threads
	core        bridge.Core         // queues staff-only notices through the outbox
	cmdPrefix   string              // the command prefix, to turn buttons and "@threadline claim" into command text
	attachments string              // receives files staff attach in threads ("": they are linked)
	groups      *groupCache         // nil: no user groups configured
	// cu lets the surface catch up after a stop or a long disconnection: it
	// reads the replies of open conversations' threads written since it
	// last listened and handles those not handled yet (catchup.go).
	cu *live.CatchUp

	mu        sync.Mutex
	botUserID string // learned from auth.test
	botID     string

	conn *live.Conn // connection state for /readyz (nil: not reported)
}

// SetConn implements bridge.ConnReporter; call it before Run.
func (s *Surface) SetConn(c *live.Conn) { s.conn = c }

var (
	_ bridge.StaffSurface   = (*Surface)(nil)
	_ bridge.ReceiptSurface = (*Surface)(nil)
	_ bridge.Pacer          = (*Surface)(nil)
	_ bridge.Initer         = (*Surface)(nil)
)

// New builds the surface from its config; nothing is contacted until it
// is used. Init must follow before Run.
func New(cfg Config, o Options) (*Surface, error) {
	cfg.Defaults()
	if !cfg.Enabled() {
		return nil, errors.New("slack: no bot token")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	s := &Surface{cfg: cfg, opts: o, log: slog.New(slog.DiscardHandler), clock: bridge.SystemClock(), cmdPrefix: "!",
		http: &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport}}
	opts := []slack.Option{slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(s.http)}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	s.api = slack.New(cfg.BotToken, opts...)
	s.users = newUserCache(s.api, s.now)
	return s, nil
}

// Init gives the surface the daemon's dependencies; it needs Clock, Store
// and Core.
func (s *Surface) Init(d bridge.Deps) error {
	if err := d.Validate(Platform); err != nil {
		return err
	}
	if err := d.RequireCore(Platform); err != nil {
		return err
	}
	s.log, s.clock, s.store, s.core = d.Logger("surface", string(Platform)), d.Clock, d.Store, d.Core
	s.cmdPrefix, s.attachments = d.Prefix(), d.AttachmentsDir
	s.http.Transport = d.Transport()
	if len(s.opts.Groups) > 0 {
		s.groups = newGroupCache(s.api, s.now, s.opts.GroupTTL, s.log, s.opts.Groups)
	}
	s.cu = &live.CatchUp{Store: d.Store, Surface: Platform, Log: s.log, Clock: d.Clock}
	return nil
}

// now reads the surface's clock.
func (s *Surface) now() time.Time { return s.clock.Now() }

// Name is "slack".
func (s *Surface) Name() bridge.Platform { return Platform }

// Pacing follows Slack's limits: about one message per second per channel.
func (s *Surface) Pacing() bridge.Pacing { return bridge.Pacing{PerDestination: 1, PerAdapter: 20} }

// channelFor routes a conversation to its department's channel.
func (s *Surface) channelFor(v bridge.ConversationView) string {
	if ch, ok := s.cfg.Channels[v.Department]; ok && v.Department != "" {
		return ch
	}
	return s.cfg.ChannelID
}

// threadRef is "channel/ts" of the thread's parent (the card).
func threadRef(channel, ts string) bridge.ThreadRef { return bridge.ThreadRef(channel + "/" + ts) }

func parseRef(r string) (channel, ts string, err error) {
	channel, ts, ok := strings.Cut(r, "/")
	if !ok || channel == "" || ts == "" {
		return "", "", bridge.Permanent(fmt.Errorf("bad slack ref %q", r))
	}
	return channel, ts, nil
}

// OpenThread posts the ticket card; the card is the thread's parent.
func (s *Surface) OpenThread(ctx context.Context, v bridge.ConversationView) (bridge.ThreadRef, error) {
	channel := s.channelFor(v)
	prev := ""
	if v.PreviousThread != "" {
		if pch, pts, err := parseRef(string(v.PreviousThread)); err == nil {
			if link, err := s.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: pch, Ts: pts}); err == nil {
				prev = link
			}
		}
	}
	if !v.TriedSince.IsZero() {
		// An earlier try may have posted the card (its answer lost).
		ts, err := s.findCard(ctx, channel, v.ID, v.TriedSince, string(v.PreviousThread))
		if err != nil {
			return "", err
		}
		if ts != "" {
			s.log.Info("slack: the card an earlier try posted is used", "conversation", v.ID, "ts", ts)
			return threadRef(channel, ts), nil
		}
	}
	_, ts, err := s.api.PostMessageContext(ctx, channel,
		slack.MsgOptionText(cardFallback(v), false),
		slack.MsgOptionBlocks(cardBlocks(v, prev)...),
		slack.MsgOptionDisableLinkUnfurl())
	if err != nil {
		return "", classify(err)
	}
	return threadRef(channel, ts), nil
}

// findCard looks in channel's history since an earlier try for conv's card
// posted by the bot (the message whose buttons carry conv's id), other
// than the card of the thread not.
func (s *Surface) findCard(ctx context.Context, channel string, conv bridge.ConversationID, since time.Time, not string) (string, error) {
	res, err := s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channel, Oldest: strconv.FormatInt(since.Add(-time.Minute).Unix(), 10), Limit: 200})
	if err != nil {
		return "", classify(err)
	}
	_, bot := s.botIDs()
	for _, m := range res.Messages {
		if (bot == "" || m.BotID == bot) && cardOf(m) == conv && string(threadRef(channel, m.Timestamp)) != not {
			return m.Timestamp, nil
		}
	}
	return "", nil
}

// cardOf is the conversation whose card m is (its Status button carries the
// id), or 0.
func cardOf(m slack.Message) bridge.ConversationID {
	for _, b := range m.Blocks.BlockSet {
		if ab, ok := b.(*slack.ActionBlock); ok && ab.BlockID == "actions" && ab.Elements != nil {
			for _, e := range ab.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok && btn.ActionID == actionStatus {
					id, _ := strconv.ParseInt(btn.Value, 10, 64)
					return bridge.ConversationID(id)
				}
			}
		}
	}
	return 0
}

// Post writes a message into the thread, split under Slack's limits, and
// uploads attached files that are stored locally.
func (s *Surface) Post(ctx context.Context, t bridge.ThreadRef, p bridge.StaffPost) (bridge.ExternalRef, error) {
	channel, threadTS, err := parseRef(string(t))
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	asCustomer := s.cfg.PostAsCustomer && p.Direction == bridge.DirCustomer
	var first string
	for _, part := range textcut.Split(postText(p, asCustomer), maxText) {
		opts := []slack.MsgOption{slack.MsgOptionText(part, false), slack.MsgOptionTS(threadTS), slack.MsgOptionDisableLinkUnfurl()}
		if asCustomer {
			opts = append(opts, slack.MsgOptionUsername(clip(p.Author, 80)), slack.MsgOptionIconEmoji(":bust_in_silhouette:"))
		}
		_, ts, err := s.api.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			if first != "" {
				// Part of a long message is out; retrying would repeat it.
				s.log.Warn("slack: long message partly posted", "thread", t, "err", err)
				break
			}
			return bridge.ExternalRef{}, classify(err)
		}
		if first == "" {
			first = ts
		}
	}
	for _, a := range p.Attachments {
		if a.Path == "" {
			continue
		}
		if err := s.upload(ctx, channel, threadTS, a); err != nil {
			s.log.Warn("slack: file upload failed; the message links it instead", "file", a.Name, "err", err)
		}
	}
	return bridge.ExternalRef{Platform: Platform, ID: channel + "/" + first}, nil
}

func (s *Surface) upload(ctx context.Context, channel, threadTS string, a bridge.Attachment) error {
	f, err := os.Open(a.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	name := a.Name
	if name == "" {
		name = filepath.Base(a.Path)
	}
	_, err = s.api.UploadFileContext(ctx, slack.UploadFileParameters{Reader: f, FileSize: int(fi.Size()), Filename: name,
		Title: name, Channel: channel, ThreadTimestamp: threadTS})
	return err
}

// UpdateCard edits the parent message in place.
func (s *Surface) UpdateCard(ctx context.Context, t bridge.ThreadRef, v bridge.ConversationView) error {
	channel, ts, err := parseRef(string(t))
	if err != nil {
		return err
	}
	_, _, _, err = s.api.UpdateMessageContext(ctx, channel, ts,
		slack.MsgOptionText(cardFallback(v), false), slack.MsgOptionBlocks(cardBlocks(v, "")...))
	return classify(err)
}

// Receipt reacts on the staff message that caused a customer reply.
func (s *Surface) Receipt(ctx context.Context, t bridge.ThreadRef, r bridge.Receipt) error {
	channel, ts, err := parseRef(r.Source)
	if err != nil {
		return nil // not a Slack message id (written elsewhere)
	}
	name := s.cfg.SentReaction
	switch {
	case !r.OK:
		name = s.cfg.FailedReaction
	case r.Status == bridge.ReceiptDelivered:
		return nil // the sent reaction says it already
	case r.Status == bridge.ReceiptRead:
		name = s.cfg.ReadReaction
	}
	err = s.api.AddReactionContext(ctx, name, slack.ItemRef{Channel: channel, Timestamp: ts})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "already_reacted" || se.Err == "message_not_found") {
		return nil
	}
	return classify(err)
}

// classify turns Slack errors into the outbox's retry classes.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return bridge.RetryAfter(rl.RetryAfter, err)
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited":
			return bridge.RetryAfter(time.Second, err)
		case "message_not_found", "thread_not_found", "cant_update_message":
			return fmt.Errorf("%w: %v", bridge.ErrThreadGone, err)
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return err
		case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
			// The token was refused: a configuration problem the operator
			// fixes, so the row waits (transient) instead of being
			// dead-lettered meanwhile, as Telegram and email do.
			return fmt.Errorf("slack: %s (check SLACK_BOT_TOKEN)", se.Err)
		}
		return bridge.Permanent(fmt.Errorf("slack: %s", se.Err))
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusRequestTimeout {
		return bridge.Permanent(err)
	}
	return err
}

package mattermost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/textcut"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/live"
)

// Platform is the surface's name.
const Platform bridge.Platform = "mattermost"

// Paths on the public listener that Mattermost calls.
const (
	ActionsPath = "/mattermost/actions" // interactive message buttons
	CommandPath = "/mattermost/command" // the /ticket slash command
)

// Options are the surface's own settings besides Config; what every
// adapter shares (log, clock, store, engine, HTTP transport, attachments
// directory, command prefix) comes through Init.
type Options struct {
	// PublicURL is where Mattermost reaches this daemon: card buttons
	// call PublicURL + ActionsPath.
	PublicURL string
	// ActionSecret signs the card buttons (a per-install secret); clicks
	// whose signature does not match are refused. Required.
	ActionSecret []byte
	// MaxFileBytes caps files staff attach that are downloaded for the
	// customer (larger ones are described). Default 20 MiB.
	MaxFileBytes int64
	// MaxUploadBytes caps customer files uploaded into threads (larger
	// ones are linked). Default 50 MiB, Mattermost's default MaxFileSize.
	MaxUploadBytes int64
	// IdleTimeout: a WebSocket read waiting longer than this fails and the
	// socket is reconnected. Default 2 minutes (the server pings every
	// minute or so).
	IdleTimeout time.Duration
	// ReconnectBackoff is the first wait after the socket failed (doubling
	// to 2 minutes). Default 1 s.
	ReconnectBackoff time.Duration
}

// Surface is the Mattermost staff surface.
type Surface struct {
	cfg  Config
	o    Options
	sign signer
	http *http.Client // Init puts Deps.HTTP under it

	// Set by Init (New leaves a system clock and no log, enough for the
	// checks doctor runs).
	log         *slog.Logger
	clock       bridge.Clock
	store       bridge.AdapterStore
	core        bridge.Core
	prefix      string
	attachments string
	// cu catches up after a stop or a dropped socket: it reads the threads
	// of open conversations for staff posts written since the surface
	// last listened and handles those not handled yet (catchup.go).
	cu *live.CatchUp

	mu        sync.Mutex
	botID     string
	botName   string // the bot's username, for "@threadline claim"
	override  bool   // customer posts use the username override
	noEphem   bool   // the server refused ephemeral posts (the bot is no system admin)
	users     map[string]cachedUser
	usernames map[string]string // username -> user id

	conn *live.Conn // connection state for /readyz (nil: not reported)
}

type cachedUser struct {
	u  User
	at time.Time
}

// SetConn implements live.Reporter; call it before Run.
func (s *Surface) SetConn(c *live.Conn) { s.conn = c }

var (
	_ bridge.StaffSurface   = (*Surface)(nil)
	_ bridge.ReceiptSurface = (*Surface)(nil)
	_ bridge.Pacer          = (*Surface)(nil)
	_ bridge.Initer         = (*Surface)(nil)
	_ live.Reporter         = (*Surface)(nil)
)

// New builds the surface from its config; nothing is contacted until it
// is used. Init must follow before Run.
func New(cfg Config, o Options) (*Surface, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mattermost: %w", err)
	}
	if !cfg.Enabled() {
		return nil, errors.New("mattermost: " + cfg.OffReason())
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 20 << 20
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 50 << 20
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.ReconnectBackoff <= 0 {
		o.ReconnectBackoff = time.Second
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	s := &Surface{cfg: cfg, o: o, sign: signer(o.ActionSecret), log: slog.New(slog.DiscardHandler), clock: bridge.SystemClock(), prefix: "!",
		http:  &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport},
		users: map[string]cachedUser{}, usernames: map[string]string{}, override: cfg.CustomerNames == NamesOverride}
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
	s.prefix, s.attachments = d.Prefix(), d.AttachmentsDir
	s.http.Transport = d.Transport()
	s.cu = &live.CatchUp{Store: d.Store, Surface: Platform, Log: s.log, Clock: d.Clock}
	return nil
}

// Name is "mattermost".
func (s *Surface) Name() bridge.Platform { return Platform }

// Pacing stays under Mattermost's default rate limit (RateLimitSettings:
// 10 requests per second per token, when an admin turns it on) and keeps
// a thread readable; 429s are honoured on top.
func (s *Surface) Pacing() bridge.Pacing { return bridge.Pacing{PerDestination: 2, PerAdapter: 8} }

// ActionsURL is where card buttons send their clicks.
func (s *Surface) ActionsURL() string { return s.o.PublicURL + ActionsPath }

func (s *Surface) botUser() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botID
}

// botUserID is the bot's user id, asked of the server if Run has not
// learned it yet: the outbox may send (a receipt reaction needs it) before
// Run got that far.
func (s *Surface) botUserID(ctx context.Context) (string, error) {
	if id := s.botUser(); id != "" {
		return id, nil
	}
	me, err := s.me(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.botID == "" {
		s.botID, s.botName = me.ID, me.Username
	}
	return s.botID, nil
}

// threadRef is "channel/root" of a conversation's thread.
func threadRef(channel, root string) bridge.ThreadRef { return bridge.ThreadRef(channel + "/" + root) }

func parseRef(r bridge.ThreadRef) (channel, root string, err error) {
	channel, root, ok := strings.Cut(string(r), "/")
	if !ok || !IsID(channel) || !IsID(root) {
		return "", "", bridge.Permanent(fmt.Errorf("bad mattermost thread ref %q", r))
	}
	return channel, root, nil
}

// channelFor routes a conversation to its department's channel.
func (s *Surface) channelFor(v bridge.ConversationView) string {
	if ch := s.cfg.Channels[v.Department]; ch != "" && v.Department != "" {
		return ch
	}
	return s.cfg.ChannelID
}

// --- StaffSurface ---------------------------------------------------------

// OpenThread posts the ticket card in the department's channel; the card
// is the thread's root.
func (s *Surface) OpenThread(ctx context.Context, v bridge.ConversationView) (bridge.ThreadRef, error) {
	channel := s.channelFor(v)
	if !v.TriedSince.IsZero() {
		// An earlier try may have posted the card (its answer lost).
		id, err := s.findCard(ctx, channel, v.ID, v.TriedSince, v.PreviousThread)
		if err != nil {
			return "", err
		}
		if id != "" {
			s.log.Info("mattermost: the card an earlier try posted is used", "conversation", v.ID, "post", id)
			return threadRef(channel, id), nil
		}
	}
	msg, props := renderCard(v, s.ActionsURL(), s.sign, v.PreviousThread != "")
	p, err := s.createPost(ctx, Post{ChannelID: channel, Message: msg, Props: props})
	if err != nil {
		if statusOf(err) == http.StatusNotFound || statusOf(err) == http.StatusForbidden {
			return "", bridge.Permanent(fmt.Errorf("mattermost: cannot post in channel %s: it does not exist or the bot is not a member (add the bot to the channel): %w", channel, err))
		}
		return "", classify(err)
	}
	return threadRef(channel, p.ID), nil
}

// findCard looks in channel's posts since an earlier try for conv's card
// posted by the bot, other than the root of the thread not.
func (s *Surface) findCard(ctx context.Context, channel string, conv bridge.ConversationID, since time.Time, not bridge.ThreadRef) (string, error) {
	l, err := s.channelPostsSince(ctx, channel, since.Add(-time.Minute))
	if err != nil {
		return "", classify(err)
	}
	bot := s.botUser()
	for _, id := range l.Order {
		p := l.Posts[id]
		if p == nil || p.DeleteAt != 0 || (bot != "" && p.UserID != bot) || cardOf(*p) != conv || threadRef(channel, p.ID) == not {
			continue
		}
		return p.ID, nil
	}
	return "", nil
}

// Post writes a message into the thread, split under Mattermost's limit;
// stored files are uploaded with its last part (up to 5 per post, the
// API's limit), the others named as links.
func (s *Surface) Post(ctx context.Context, t bridge.ThreadRef, p bridge.StaffPost) (bridge.ExternalRef, error) {
	channel, root, err := parseRef(t)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	override := p.Direction == bridge.DirCustomer && s.useOverride()
	var fileIDs []string
	var links []string
	for _, a := range p.Attachments {
		if a.Path != "" && len(fileIDs) < 5 {
			if fi, err := os.Stat(a.Path); err == nil && fi.Size() <= s.o.MaxUploadBytes {
				id, err := s.uploadFile(ctx, channel, a)
				if err == nil {
					fileIDs = append(fileIDs, id)
					continue
				}
				s.log.Warn("mattermost: file upload failed; the message names it instead", "file", a.Name, "err", err)
			}
		}
		links = append(links, attachmentLine(a))
	}
	text := postText(p, override, links, s.mentions(ctx, p.Mentions))
	var props map[string]any
	if override {
		// The web app shows override_username only on posts marked
		// from_webhook (and only when the server allows overrides).
		props = map[string]any{"override_username": overrideName(p), "from_webhook": "true"}
	}
	parts := textcut.Split(text, maxMessage)
	var first string
	for i, part := range parts {
		post := Post{ChannelID: channel, RootID: root, Message: part, Props: props}
		if i == len(parts)-1 {
			post.FileIDs = fileIDs
		}
		out, err := s.createPost(ctx, post)
		if err != nil {
			if first != "" {
				// Part of a long message is out; retrying would repeat it.
				s.log.Warn("mattermost: long message partly posted", "thread", t, "err", err)
				break
			}
			return bridge.ExternalRef{}, classifyThread(err)
		}
		if first == "" {
			first = out.ID
		}
	}
	return bridge.ExternalRef{Platform: Platform, ID: first}, nil
}

// useOverride reports whether customer posts go under the customer's name.
func (s *Surface) useOverride() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.override
}

// mentions renders staff to ping: Mattermost users by @username (looked
// up by id) and @here; staff of other surfaces cannot be pinged here.
func (s *Surface) mentions(ctx context.Context, ids []bridge.StaffID) string {
	var out []string
	for _, id := range ids {
		if id == bridge.MentionHere {
			out = append(out, "@here")
			continue
		}
		uid, ok := UserID(id)
		if !ok {
			continue
		}
		if u, err := s.cachedUser(ctx, uid); err == nil && u.Username != "" {
			out = append(out, "@"+u.Username)
		}
	}
	return strings.Join(out, " ")
}

// UpdateCard edits the root post in place.
func (s *Surface) UpdateCard(ctx context.Context, t bridge.ThreadRef, v bridge.ConversationView) error {
	_, root, err := parseRef(t)
	if err != nil {
		return err
	}
	msg, props := renderCard(v, s.ActionsURL(), s.sign, v.PreviousThread != "")
	return classifyThread(s.patchPost(ctx, root, postPatch{Message: &msg, Props: &props}))
}

// Receipt reacts on the staff post that caused a customer reply: the sent
// reaction, the read one, or the failed one and a reply saying why.
func (s *Surface) Receipt(ctx context.Context, t bridge.ThreadRef, r bridge.Receipt) error {
	if !IsID(r.Source) {
		return nil // not a Mattermost post (written elsewhere)
	}
	emoji := s.cfg.SentReaction
	switch {
	case !r.OK:
		emoji = s.cfg.FailedReaction
	case r.Status == bridge.ReceiptDelivered:
		return nil // the sent reaction says it already
	case r.Status == bridge.ReceiptRead:
		emoji = s.cfg.ReadReaction
	}
	if err := s.react(ctx, r.Source, emoji); err != nil {
		if statusOf(err) == http.StatusNotFound {
			return nil // the staff post was deleted meanwhile
		}
		return classify(err)
	}
	if r.OK {
		return nil
	}
	channel, root, err := parseRef(t)
	if err != nil {
		return nil
	}
	_, err = s.createPost(ctx, Post{ChannelID: channel, RootID: root, Message: "❌ Not delivered to the customer: " + neutralize(clip(oneLine(r.Error), 500))})
	return classifyThread(err)
}

// --- users ------------------------------------------------------------------

// cachedUser looks a user up, keeping answers for an hour.
func (s *Surface) cachedUser(ctx context.Context, id string) (User, error) {
	s.mu.Lock()
	c, ok := s.users[id]
	s.mu.Unlock()
	if ok && s.clock.Now().Sub(c.at) < time.Hour {
		return c.u, nil
	}
	u, err := s.user(ctx, id)
	if err != nil {
		if ok {
			return c.u, nil
		}
		return User{ID: id}, err
	}
	s.remember(u)
	return u, nil
}

func (s *Surface) remember(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) > 10000 {
		clear(s.users)
		clear(s.usernames)
	}
	s.users[u.ID] = cachedUser{u: u, at: s.clock.Now()}
	if u.Username != "" {
		s.usernames[strings.ToLower(u.Username)] = u.ID
	}
}

// userNamed looks a user up by username ("" when there is none).
func (s *Surface) userNamed(ctx context.Context, name string) string {
	name = strings.ToLower(name)
	s.mu.Lock()
	id, ok := s.usernames[name]
	s.mu.Unlock()
	if ok {
		return id
	}
	u, err := s.userByName(ctx, name)
	if err != nil {
		if statusOf(err) == http.StatusNotFound {
			s.mu.Lock()
			s.usernames[name] = ""
			s.mu.Unlock()
		}
		return ""
	}
	s.remember(u)
	return u.ID
}

// actor is the staff member behind a post or a click.
func (s *Surface) actor(ctx context.Context, user string) bridge.Actor {
	name := user
	if u, err := s.cachedUser(ctx, user); err == nil {
		name = u.DisplayName()
	} else {
		s.log.Warn("mattermost: looking a user up failed; using the id as the name", "user", user, "err", err)
	}
	return bridge.Actor{ID: bridge.StaffID(string(Platform) + ":" + user), Name: name}
}

package discord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/live"
)

// Platform is the surface's name.
const Platform bridge.Platform = "discord"

// autoArchive is the inactivity (minutes) after which Discord hides a post;
// a new message unarchives it. 10080 = 7 days, the longest Discord allows.
const autoArchive = 10080

// Options are the surface's own settings besides Config; what every
// adapter shares (log, clock, store, engine, HTTP transport, command
// prefix) comes through Init.
type Options struct {
	// SlashCommands to register (default DefaultSlashCommands()).
	SlashCommands []SlashCommand
	// GatewayIdleTimeout: a gateway read waiting longer than this fails and
	// the connection is resumed. Default 2 minutes (heartbeats come every ~41 s).
	GatewayIdleTimeout time.Duration
	// MaxUploadBytes: bigger attachments are linked instead of uploaded.
	// Default 10 MiB, Discord's limit in servers without boosts.
	MaxUploadBytes int64
	// InteractionBudget is how long an interaction may take before it is
	// answered "thinking…" (deferred) and edited later. Default 2 s of
	// Discord's 3 s.
	InteractionBudget time.Duration
	// ReconnectBackoff is the first wait after a failed gateway connect
	// (doubling to 2 minutes). Default 1 s.
	ReconnectBackoff time.Duration
	// MaxFileBytes: staff uploads up to this size are downloaded to the
	// attachments directory and reach customers as files; bigger ones as
	// links. Default 25 MiB.
	MaxFileBytes int64
}

// Surface is the Discord staff surface.
type Surface struct {
	cfg  Config
	o    Options
	sess *discordgo.Session

	// Set by Init (New leaves a system clock and no log, enough for the
	// checks doctor and `threadline discord register` run).
	log    *slog.Logger
	clock  bridge.Clock
	store  bridge.AdapterStore // tells Threadline's threads apart, dedupes redelivered events
	prefix string              // commands.prefix: slash commands and buttons become "<prefix><name> <args>"
	// cu lets the surface catch up after a stop or a new gateway session:
	// it reads the messages of open conversations' posts written since it
	// last listened and handles those not handled yet (catchup.go).
	cu *live.CatchUp

	hookMu sync.Mutex // serialises finding/creating webhooks
	mu     sync.Mutex
	chans  map[string]chanInfo
	parent map[string]string // thread id -> parent channel id
	hooks  map[string]*discordgo.Webhook
	cards  map[bridge.ConversationID]string // text channels: card posted, thread not started yet
	botID  string
	appID  string

	conn *live.Conn // connection state for /readyz (nil: not reported)

	filesDir string       // Deps.AttachmentsDir: staff uploads are kept there ("": linked)
	files    *http.Client // downloads staff uploads from Discord's CDN
	relay    bridge.Relay // typing indicators both ways
	typed    map[bridge.ConversationID]time.Time
}

// SetConn implements bridge.ConnReporter; call it before Run.
func (s *Surface) SetConn(c *live.Conn) { s.conn = c }

type chanInfo struct {
	guild string
	typ   discordgo.ChannelType
	tags  []discordgo.ForumTag
	at    time.Time
}

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
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, errors.New("discord: " + cfg.OffReason())
	}
	if o.SlashCommands == nil {
		o.SlashCommands = DefaultSlashCommands()
	}
	if o.GatewayIdleTimeout <= 0 {
		o.GatewayIdleTimeout = 2 * time.Minute
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 10 << 20
	}
	if o.InteractionBudget <= 0 {
		o.InteractionBudget = 2 * time.Second
	}
	if o.ReconnectBackoff <= 0 {
		o.ReconnectBackoff = time.Second
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 25 << 20
	}
	sess, err := discordgo.New("Bot " + cfg.BotToken)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	s := &Surface{cfg: cfg, o: o, log: slog.New(slog.DiscardHandler), clock: bridge.SystemClock(), prefix: "!", sess: sess,
		chans: map[string]chanInfo{}, parent: map[string]string{}, hooks: map[string]*discordgo.Webhook{},
		cards: map[bridge.ConversationID]string{}, appID: cfg.ApplicationID, typed: map[bridge.ConversationID]time.Time{},
		files: &http.Client{Timeout: 2 * time.Minute}, relay: bridge.NewLocalRelay()}
	// discordgo builds every URL from discordgo.EndpointAPI; the transport
	// rewrites them to api_url instead of touching the package variables.
	sess.Client = &http.Client{Timeout: 30 * time.Second, Transport: s.rewrite(http.DefaultTransport)}
	// The gateway URL comes from GET {api_url}/gateway, so the dialer
	// follows whatever that answers (the fake in tests).
	sess.Dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 15 * time.Second,
		NetDialContext: dialIdle(o.GatewayIdleTimeout)}
	sess.ShouldRetryOnRateLimit = false // 429s go back to the outbox, which honours retry_after
	sess.ShouldReconnectOnError = false // Run owns reconnects (resume), with a context
	sess.ShouldReconnectVoiceOnSessionError = false
	sess.MaxRestRetries = 0
	sess.StateEnabled = false
	sess.SyncEvents = true // events arrive in order; handlers only enqueue
	sess.LogLevel = -1     // discordgo logs through the standard logger; errors are logged here instead
	// Typing (not privileged) lets staff typing in a thread show in the
	// customer's web chat.
	sess.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsMessageContent |
		discordgo.IntentsGuildMessageTyping
	return s, nil
}

// Init gives the surface the daemon's dependencies; it needs Clock and Store.
func (s *Surface) Init(d bridge.Deps) error {
	if err := d.Validate(Platform); err != nil {
		return err
	}
	s.log, s.clock, s.store, s.prefix = d.Logger("surface", string(Platform)), d.Clock, d.Store, d.Prefix()
	s.sess.Client.Transport = s.rewrite(d.Transport())
	s.cu = &live.CatchUp{Store: d.Store, Surface: Platform, Log: s.log, Clock: d.Clock}
	s.filesDir, s.relay = d.AttachmentsDir, d.LiveRelay()
	s.files = &http.Client{Timeout: 2 * time.Minute, Transport: d.Transport()}
	return nil
}

// rewrite sends discordgo's requests to api_url through next.
func (s *Surface) rewrite(next http.RoundTripper) http.RoundTripper {
	return rewriteTransport{from: discordgo.EndpointAPI, to: s.cfg.APIURL + "/", next: next}
}

// Name is "discord".
func (s *Surface) Name() bridge.Platform { return Platform }

// Pacing follows Discord's limits: about 5 messages per 5 s per channel
// (the outbox paces surfaces per department, i.e. per staff channel) and
// 50 requests per second per bot, kept below. 429s are honoured on top.
func (s *Surface) Pacing() bridge.Pacing { return bridge.Pacing{PerDestination: 1, PerAdapter: 45} }

// --- channels -------------------------------------------------------------

// channelInfo returns a parent channel's type and tags, cached for a minute.
func (s *Surface) channelInfo(ctx context.Context, id string) (chanInfo, error) {
	s.mu.Lock()
	ci, ok := s.chans[id]
	s.mu.Unlock()
	if ok && s.clock.Now().Sub(ci.at) < time.Minute {
		return ci, nil
	}
	ch, err := s.sess.Channel(id, discordgo.WithContext(ctx))
	if err != nil {
		if hasCode(err, codeUnknownChannel) {
			return chanInfo{}, bridge.Permanent(fmt.Errorf("discord: channel %s does not exist or the bot cannot see it (discord.channel_id)", id))
		}
		return chanInfo{}, classify("get channel", err)
	}
	ci = chanInfo{guild: ch.GuildID, typ: ch.Type, tags: ch.AvailableTags, at: s.clock.Now()}
	s.mu.Lock()
	s.chans[id] = ci
	s.mu.Unlock()
	return ci, nil
}

func (s *Surface) forgetChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.chans, id)
}

func isForum(t discordgo.ChannelType) bool {
	return t == discordgo.ChannelTypeGuildForum || t == discordgo.ChannelTypeGuildMedia
}

func isText(t discordgo.ChannelType) bool {
	return t == discordgo.ChannelTypeGuildText || t == discordgo.ChannelTypeGuildNews
}

// parentOf returns a thread's parent channel.
func (s *Surface) parentOf(ctx context.Context, thread string) (string, error) {
	s.mu.Lock()
	p, ok := s.parent[thread]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	ch, err := s.sess.Channel(thread, discordgo.WithContext(ctx))
	if err != nil {
		return "", classifyThread("get thread", err)
	}
	s.rememberParent(thread, ch.ParentID)
	return ch.ParentID, nil
}

func (s *Surface) rememberParent(thread, parent string) {
	if parent == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.parent) > 50000 {
		clear(s.parent)
	}
	s.parent[thread] = parent
}

// self returns the bot's user id.
func (s *Surface) self(ctx context.Context) (string, error) {
	s.mu.Lock()
	id := s.botID
	s.mu.Unlock()
	if id != "" {
		return id, nil
	}
	u, err := s.sess.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return "", classify("get bot user", err)
	}
	s.mu.Lock()
	s.botID = u.ID
	s.mu.Unlock()
	return u.ID, nil
}

// webhook returns Threadline's webhook on a parent channel, creating it
// once (Manage Webhooks permission).
func (s *Surface) webhook(ctx context.Context, parent string) (*discordgo.Webhook, error) {
	s.mu.Lock()
	w := s.hooks[parent]
	s.mu.Unlock()
	if w != nil {
		return w, nil
	}
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.mu.Lock()
	w = s.hooks[parent]
	s.mu.Unlock()
	if w != nil {
		return w, nil
	}
	bot, err := s.self(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.sess.ChannelWebhooks(parent, discordgo.WithContext(ctx))
	if err != nil {
		return nil, classify("list webhooks", err)
	}
	for _, h := range list {
		if h.Type == discordgo.WebhookTypeIncoming && h.Token != "" && h.Name == s.cfg.WebhookName && h.User != nil && h.User.ID == bot {
			w = h
			break
		}
	}
	if w == nil {
		if w, err = s.sess.WebhookCreate(parent, s.cfg.WebhookName, "", discordgo.WithContext(ctx)); err != nil {
			return nil, classify("create webhook", err)
		}
		s.log.Info("discord: created webhook for customer messages", "channel", parent, "name", s.cfg.WebhookName)
	}
	s.mu.Lock()
	s.hooks[parent] = w
	s.mu.Unlock()
	return w, nil
}

func (s *Surface) forgetWebhook(parent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.hooks, parent)
}

// --- StaffSurface ---------------------------------------------------------

// OpenThread opens a conversation's thread: a forum post whose starter
// message is the card, or (text channel) the card plus a thread started
// from it. Either way the thread id equals the card message id, so the
// ThreadRef is just the thread id and the engine's exact-match lookup finds
// the conversation from any message in it.
func (s *Surface) OpenThread(ctx context.Context, v bridge.ConversationView) (bridge.ThreadRef, error) {
	parent := s.channelFor(v)
	ci, err := s.channelInfo(ctx, parent)
	if err != nil {
		return "", err
	}
	c := renderCard(v)
	name := threadName(v)
	switch {
	case isForum(ci.typ):
		if !v.TriedSince.IsZero() {
			// An earlier try may have made the post (its answer lost).
			if id, err := s.findPost(ctx, ci.guild, parent, name, string(v.PreviousThread)); err != nil {
				return "", err
			} else if id != "" {
				s.log.Info("discord: the forum post an earlier try made is used", "conversation", v.ID, "thread", id)
				s.rememberParent(id, parent)
				return bridge.ThreadRef(id), nil
			}
		}
		th, err := s.sess.ForumThreadStartComplex(parent,
			&discordgo.ThreadStart{Name: name, AutoArchiveDuration: autoArchive, AppliedTags: s.cfg.wantedTags(ci.tags, v)},
			&discordgo.MessageSend{Embeds: c.Embeds, Components: c.Components, AllowedMentions: noMentions()},
			discordgo.WithContext(ctx))
		if err != nil {
			if hasCode(err, 50035) {
				s.forgetChannel(parent) // a tag may have been deleted
			}
			return "", classify("create forum post", err)
		}
		s.rememberParent(th.ID, parent)
		return bridge.ThreadRef(th.ID), nil
	case isText(ci.typ):
		s.mu.Lock()
		cardID := s.cards[v.ID]
		s.mu.Unlock()
		if cardID == "" {
			m, err := s.sess.ChannelMessageSendComplex(parent,
				&discordgo.MessageSend{Embeds: c.Embeds, Components: c.Components, AllowedMentions: noMentions()},
				discordgo.WithContext(ctx))
			if err != nil {
				return "", classify("post card", err)
			}
			cardID = m.ID
			s.mu.Lock()
			s.cards[v.ID] = cardID
			s.mu.Unlock()
		}
		th, err := s.sess.MessageThreadStartComplex(parent, cardID,
			&discordgo.ThreadStart{Name: name, AutoArchiveDuration: autoArchive}, discordgo.WithContext(ctx))
		switch {
		case hasCode(err, codeThreadExists):
			// An earlier try started it but its answer was lost; a thread
			// started from a message has the message's id.
			th = &discordgo.Channel{ID: cardID}
		case err != nil:
			if hasCode(err, codeUnknownMessage) {
				s.dropCard(v.ID)
			}
			return "", classify("start thread", err)
		}
		s.dropCard(v.ID)
		s.rememberParent(th.ID, parent)
		return bridge.ThreadRef(th.ID), nil
	}
	return "", bridge.Permanent(fmt.Errorf("discord: channel %s is neither a forum nor a text channel (type %d); set discord.channel_id to a forum channel", parent, ci.typ))
}

// findPost looks for an active post in forum named name, made by the bot,
// other than not.
func (s *Surface) findPost(ctx context.Context, guild, forum, name, not string) (string, error) {
	list, err := s.sess.GuildThreadsActive(guild, discordgo.WithContext(ctx))
	if err != nil {
		return "", classify("list active threads", err)
	}
	s.mu.Lock()
	bot := s.botID
	s.mu.Unlock()
	for _, th := range list.Threads {
		if th.ParentID == forum && th.Name == name && th.ID != not && (bot == "" || th.OwnerID == bot) {
			return th.ID, nil
		}
	}
	return "", nil
}

func (s *Surface) dropCard(conv bridge.ConversationID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cards, conv)
}

// Post shows a message in the thread: customer messages through the
// channel's webhook under the customer's name, everything else as the bot.
// Nothing in either can ping anyone.
func (s *Surface) Post(ctx context.Context, t bridge.ThreadRef, p bridge.StaffPost) (bridge.ExternalRef, error) {
	thread := string(t)
	text, files, closeFiles := s.attachments(p)
	defer closeFiles()
	if p.Direction == bridge.DirCustomer {
		return s.postAsCustomer(ctx, thread, p, text, files)
	}
	body, pings := withMentions(botText(p, text), p.Mentions)
	chunks := split(body, maxMessage)
	var first string
	for i, chunk := range chunks {
		m := &discordgo.MessageSend{Content: chunk, AllowedMentions: pings}
		if i == len(chunks)-1 {
			m.Files = files
		}
		msg, err := s.sess.ChannelMessageSendComplex(thread, m, discordgo.WithContext(ctx))
		if err != nil {
			return bridge.ExternalRef{}, classifyThread("post message", err)
		}
		if first == "" {
			first = msg.ID
		}
	}
	return bridge.ExternalRef{Platform: Platform, ID: first}, nil
}

func (s *Surface) postAsCustomer(ctx context.Context, thread string, p bridge.StaffPost, text string, files []*discordgo.File) (bridge.ExternalRef, error) {
	parent, err := s.parentOf(ctx, thread)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	wh, err := s.webhook(ctx, parent)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	name := webhookUsername(p.Author, string(p.Origin))
	chunks := split(escapeCustomer(text), maxMessage)
	var first string
	for i, chunk := range chunks {
		params := &discordgo.WebhookParams{Content: chunk, Username: name, AllowedMentions: noMentions()}
		if i == len(chunks)-1 {
			params.Files = files
		}
		msg, err := s.sess.WebhookThreadExecute(wh.ID, wh.Token, true, thread, params, discordgo.WithContext(ctx))
		if err != nil {
			if hasCode(err, codeUnknownWebhook) {
				s.forgetWebhook(parent) // deleted by someone; made again on the retry
				return bridge.ExternalRef{}, fmt.Errorf("discord: the webhook was deleted; recreating it")
			}
			return bridge.ExternalRef{}, classifyThread("post customer message", err)
		}
		if first == "" && msg != nil {
			first = msg.ID
		}
	}
	return bridge.ExternalRef{Platform: Platform, ID: first}, nil
}

// attachments uploads stored files (up to Discord's size limit and 10 per
// message) and lists the rest as links under the text.
func (s *Surface) attachments(p bridge.StaffPost) (string, []*discordgo.File, func()) {
	text := p.Text
	var files []*discordgo.File
	var closers []io.Closer
	var links []string
	for _, a := range p.Attachments {
		if a.Path != "" && len(files) < 10 {
			if fi, err := os.Stat(a.Path); err == nil && fi.Size() <= s.o.MaxUploadBytes {
				if f, err := os.Open(a.Path); err == nil {
					closers = append(closers, f)
					files = append(files, &discordgo.File{Name: a.Name, ContentType: a.MIME, Reader: f})
					continue
				}
			}
		}
		switch {
		case a.URL != "":
			links = append(links, fmt.Sprintf("📎 %s: %s", a.Name, a.URL))
		default:
			links = append(links, fmt.Sprintf("📎 %s (not uploaded: too large or not stored)", a.Name))
		}
	}
	if len(links) > 0 {
		if text != "" {
			text += "\n"
		}
		text += strings.Join(links, "\n")
	}
	return text, files, func() {
		for _, c := range closers {
			c.Close()
		}
	}
}

// botText is how a message written elsewhere (or by Threadline) reads in
// the thread.
func botText(p bridge.StaffPost, text string) string {
	via := ""
	if p.Origin != "" && p.Origin != Platform {
		via = " via " + string(p.Origin)
	}
	switch p.Direction {
	case bridge.DirStaff:
		return fmt.Sprintf("💬 **%s**%s → customer:\n%s", escapeMarkdown(p.Author), via, text)
	case bridge.DirNote:
		return fmt.Sprintf("📝 **%s**%s (note, staff only):\n%s", escapeMarkdown(p.Author), via, text)
	}
	if strings.HasPrefix(text, "⚠") {
		return text
	}
	return "ℹ️ " + text
}

func escapeMarkdown(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, ">", `\>`).Replace(oneLine(s))
}

// UpdateCard refreshes the card (embed and buttons), the post's title and
// tags, and archives the post when the conversation is closed (unarchiving
// first when it is not, and before any other edit).
func (s *Surface) UpdateCard(ctx context.Context, t bridge.ThreadRef, v bridge.ConversationView) error {
	th, err := s.sess.Channel(string(t), discordgo.WithContext(ctx))
	if err != nil {
		return classifyThread("get thread", err)
	}
	s.rememberParent(th.ID, th.ParentID)
	ci, err := s.channelInfo(ctx, th.ParentID)
	if err != nil {
		return err
	}
	closed := v.Status == bridge.StatusClosed
	if th.ThreadMetadata != nil && th.ThreadMetadata.Archived {
		f := false
		if _, err := s.sess.ChannelEdit(th.ID, &discordgo.ChannelEdit{Archived: &f}, discordgo.WithContext(ctx)); err != nil {
			return classifyThread("unarchive thread", err)
		}
	}
	c := renderCard(v)
	cardChannel := th.ID // a forum post's starter message lives in the post
	if isText(ci.typ) {
		cardChannel = th.ParentID // a thread's starter message lives in the parent
	}
	edit := &discordgo.MessageEdit{Channel: cardChannel, ID: th.ID, Embeds: &c.Embeds, Components: &c.Components, AllowedMentions: noMentions()}
	if _, err := s.sess.ChannelMessageEditComplex(edit, discordgo.WithContext(ctx)); err != nil {
		if !hasCode(err, codeUnknownMessage) {
			return classifyThread("edit card", err)
		}
		s.log.Warn("discord: the card message was deleted; the post keeps its title and tags", "thread", th.ID)
	}
	var ce discordgo.ChannelEdit
	changed := false
	if name := threadName(v); name != th.Name {
		ce.Name, changed = name, true
	}
	if isForum(ci.typ) {
		tags := s.cfg.mergeTags(ci.tags, th.AppliedTags, v)
		if !sameSet(tags, th.AppliedTags) {
			ce.AppliedTags, changed = &tags, true
		}
	}
	if closed {
		tr := true
		ce.Archived, changed = &tr, true
	}
	if changed {
		if _, err := s.sess.ChannelEdit(th.ID, &ce, discordgo.WithContext(ctx)); err != nil {
			if hasCode(err, 50035) {
				s.forgetChannel(th.ParentID)
			}
			return classifyThread("edit thread", err)
		}
	}
	return nil
}

// Receipt marks the staff message that caused a reply: ✅ delivered, or ❌
// and a short reply saying why not.
func (s *Surface) Receipt(ctx context.Context, t bridge.ThreadRef, r bridge.Receipt) error {
	thread := string(t)
	if r.Source == "" {
		return nil
	}
	emoji := "✅"
	switch {
	case !r.OK:
		emoji = "❌"
	case r.Status == bridge.ReceiptDelivered:
		return nil // the ✅ says it already
	case r.Status == bridge.ReceiptRead:
		emoji = "👀"
	}
	if err := s.sess.MessageReactionAdd(thread, r.Source, emoji, discordgo.WithContext(ctx)); err != nil {
		return classify("add reaction", err)
	}
	if r.OK {
		return nil
	}
	msg := &discordgo.MessageSend{
		Content:         clip("❌ Not delivered to the customer: "+oneLine(r.Error), 500),
		AllowedMentions: noMentions(),
		Reference:       &discordgo.MessageReference{MessageID: r.Source, ChannelID: thread, FailIfNotExists: new(bool)},
	}
	_, err := s.sess.ChannelMessageSendComplex(thread, msg, discordgo.WithContext(ctx))
	return classifyThread("post receipt", err)
}

// channelFor routes a conversation to its department's channel.
func (s *Surface) channelFor(v bridge.ConversationView) string {
	if ch := s.cfg.Channels[v.Department]; ch != "" && v.Department != "" {
		return ch
	}
	return s.cfg.ChannelID
}

// withMentions appends pings for the Discord staff and roles in ids and
// allows exactly those users and roles to be pinged (nobody else, no other
// role; @everyone only for MentionHere).
func withMentions(text string, ids []bridge.StaffID) (string, *discordgo.MessageAllowedMentions) {
	allowed := noMentions()
	var tags []string
	for _, id := range ids {
		if id == bridge.MentionHere {
			tags = append(tags, "@here")
			allowed.Parse = []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeEveryone}
		} else if r, ok := RoleID(id); ok {
			tags = append(tags, "<@&"+r+">")
			allowed.Roles = append(allowed.Roles, r)
		} else if u, ok := strings.CutPrefix(string(id), "discord:"); ok && u != "" && !id.IsGroup() {
			tags = append(tags, "<@"+u+">")
			allowed.Users = append(allowed.Users, u)
		}
	}
	if len(tags) > 0 {
		text += " " + strings.Join(tags, " ")
	}
	return text, allowed
}

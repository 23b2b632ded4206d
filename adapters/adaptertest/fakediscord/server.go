// Package fakediscord is a loopback fake of Discord for tests: the REST API
// (v9 paths, real JSON shapes, Discord's error objects and 429 bodies) and
// the gateway WebSocket (HELLO, IDENTIFY, READY, HEARTBEAT/ACK, RESUME,
// INVALID_SESSION, dispatches with sequence numbers and replay on resume).
// Tests inject staff messages and interactions, drop the socket, inject
// faults and inspect what the bot posted.
package fakediscord

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
)

// Options configure a fake.
type Options struct {
	// Token is the bot token the fake accepts ("Bot <token>"). Default "fake-bot-token".
	Token string
	// HeartbeatInterval sent in HELLO. Default 41.25 s, as Discord.
	HeartbeatInterval time.Duration
	// DenyMessageContent behaves like a bot whose Message Content intent is
	// not enabled in the developer portal: an IDENTIFY asking for it is
	// closed with 4014.
	DenyMessageContent bool
	// InteractionDeadline is how long an interaction may go unanswered;
	// later callbacks get 10062 Unknown interaction. Default 3 s.
	InteractionDeadline time.Duration
}

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	srv    *httptest.Server
	prefix string

	mu           sync.Mutex
	next         uint64
	guildID      string
	bot          User
	appID        string
	channels     map[string]*Channel
	messages     map[string][]*Message // by channel id, in order
	byID         map[string]*Message
	webhooks     map[string]*Webhook
	reactions    map[string][]string // "channel/message" -> emoji
	commands     map[string][]json.RawMessage
	interactions map[string]*interaction
	faults       []*Fault
	faultFn      func(method, path string) *Fault
	requests     []Request
	botRole      string            // the bot's managed role (guild.go)
	botPerms     int64             // what it allows server-wide
	members      map[string]Member // people who wrote, by user id (history.go)
	appFlags     int               // the application's flags (SetApplicationFlags)
	guard        *contract.Guard
	files        map[string][]byte // attachment URL path -> bytes people uploaded

	gw gateway
}

type interaction struct {
	id, token, channelID string
	created              time.Time
	acked                bool
	responses            []Response
}

// New starts a fake on a loopback port; it is closed when the test ends if
// t is given to Cleanup by the caller (see Close).
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "fake-bot-token"
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = 41250 * time.Millisecond
	}
	if opts.InteractionDeadline <= 0 {
		opts.InteractionDeadline = 3 * time.Second
	}
	s := &Server{
		opts: opts, prefix: "/api/v9", next: 1_100_000_000_000_000_000,
		channels: map[string]*Channel{}, messages: map[string][]*Message{}, byID: map[string]*Message{},
		webhooks: map[string]*Webhook{}, reactions: map[string][]string{}, commands: map[string][]json.RawMessage{},
		interactions: map[string]*interaction{},
	}
	s.gw.init()
	s.guildID = s.id()
	s.appID = s.id()
	s.bot = User{ID: s.appID, Username: "Threadline", Discriminator: "0", Bot: true}
	s.botRole, s.botPerms = s.id(), BotPermissions
	if !opts.DenyMessageContent {
		s.appFlags = FlagMessageContentLimited
	}
	// Every REST call is checked against Discord's published description
	// (contract.Discord); what Discord would refuse fails the test.
	s.guard = contract.NewGuard("fakediscord", func(c *contract.Shared) contract.Checker { return c.Discord },
		func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, s.prefix+"/") })
	s.srv = httptest.NewServer(s.guard.Wrap(s.routes()))
	return s
}

// Close stops the server and drops every gateway connection. REST calls
// Discord's description refuses that no test took (TakeViolations) or was
// told of (ReportTo) make it panic, failing the test that owns the fake.
func (s *Server) Close() {
	s.gw.closeAll()
	s.srv.Close()
	s.guard.Close()
}

// ReportTo makes each REST call Discord's description refuses an error of
// t (when t ends) rather than a panic at Close.
func (s *Server) ReportTo(t testing.TB) { s.guard.Report(t) }

// TakeViolations returns and forgets the REST calls Discord's description
// refused so far (a test that sends a bad call on purpose takes them).
func (s *Server) TakeViolations() []string { return s.guard.Take() }

// URL is the server's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the REST base to configure as api_url (http://127.0.0.1:port/api/v9).
func (s *Server) APIURL() string { return s.srv.URL + s.prefix }

// GatewayURL is what GET /gateway answers (like wss://gateway.discord.gg,
// no path: clients add "/?v=9&encoding=json").
func (s *Server) GatewayURL() string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http")
}

// Token is the accepted bot token (without "Bot ").
func (s *Server) Token() string { return s.opts.Token }

// GuildID is the fake guild's id.
func (s *Server) GuildID() string { return s.guildID }

// BotID is the bot user's id (also the application id).
func (s *Server) BotID() string { return s.bot.ID }

// ApplicationID is the application id.
func (s *Server) ApplicationID() string { return s.appID }

func (s *Server) id() string {
	s.next++
	return strconv.FormatUint(s.next, 10)
}

// AddForum creates a forum channel with the given tag names.
func (s *Server) AddForum(name string, tags ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Channel{ID: s.id(), Type: TypeForum, GuildID: s.guildID, Name: name}
	for _, t := range tags {
		c.AvailableTags = append(c.AvailableTags, Tag{ID: s.id(), Name: t})
	}
	s.channels[c.ID] = c
	return c.ID
}

// AddTextChannel creates a text channel.
func (s *Server) AddTextChannel(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Channel{ID: s.id(), Type: TypeText, GuildID: s.guildID, Name: name}
	s.channels[c.ID] = c
	return c.ID
}

// AddChannel creates a channel of any type (e.g. TypeVoice for error tests).
func (s *Server) AddChannel(name string, typ int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Channel{ID: s.id(), Type: typ, GuildID: s.guildID, Name: name}
	s.channels[c.ID] = c
	return c.ID
}

// DeleteChannel deletes a channel or thread (and its messages), as staff would.
func (s *Server) DeleteChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.channels, id)
	for _, m := range s.messages[id] {
		delete(s.byID, m.ID)
	}
	delete(s.messages, id)
}

// SetArchived archives or unarchives a thread, as Discord's auto-archive or staff would.
func (s *Server) SetArchived(threadID string, archived bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[threadID]; c != nil && c.ThreadMetadata != nil {
		c.ThreadMetadata.Archived = archived
	}
}

// Channel returns a copy of a channel or thread.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return copyChannel(c), true
}

// Threads lists the threads of a parent channel, oldest first.
func (s *Server) Threads(parentID string) []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, c := range s.channels {
		if c.ParentID == parentID && c.ThreadMetadata != nil {
			out = append(out, copyChannel(c))
		}
	}
	slices.SortFunc(out, func(a, b Channel) int { return cmpID(a.ID, b.ID) })
	return out
}

// AppliedTagNames returns the names of the tags applied to a forum post.
func (s *Server) AppliedTagNames(threadID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[threadID]
	if c == nil {
		return nil
	}
	p := s.channels[c.ParentID]
	var out []string
	for _, id := range c.AppliedTags {
		if p != nil {
			for _, t := range p.AvailableTags {
				if t.ID == id {
					out = append(out, t.Name)
				}
			}
		}
	}
	return out
}

// Messages returns copies of a channel's messages, oldest first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channelID]))
	for _, m := range s.messages[channelID] {
		out = append(out, copyMessage(m))
	}
	return out
}

// Message returns a copy of one message.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byID[id]
	if !ok {
		return Message{}, false
	}
	return copyMessage(m), true
}

// Reactions lists the emoji the bot put on a message.
func (s *Server) Reactions(channelID, messageID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reactions[channelID+"/"+messageID]...)
}

// Webhooks lists a channel's webhooks.
func (s *Server) Webhooks(channelID string) []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Webhook
	for _, w := range s.webhooks {
		if w.ChannelID == channelID {
			out = append(out, *w)
		}
	}
	return out
}

// Commands returns the application commands registered globally (guildID
// "") or for a guild.
func (s *Server) Commands(guildID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.commands[guildID]...)
}

// Responses returns what the bot answered to an interaction.
func (s *Server) Responses(interactionID string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.interactions[interactionID]; in != nil {
		return append([]Response(nil), in.responses...)
	}
	return nil
}

// Requests returns every REST request served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Inject queues a fault for the next matching requests.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// RateLimit makes the next matching request answer 429 with retry_after.
func (s *Server) RateLimit(method, pathContains string, retryAfter time.Duration) {
	s.Inject(Fault{Method: method, PathContains: pathContains, Status: http.StatusTooManyRequests, RetryAfter: retryAfter.Seconds()})
}

// InjectMessage is a person writing content in a channel or thread: the
// message is stored and MESSAGE_CREATE is dispatched. It returns the id.
func (s *Server) InjectMessage(channelID string, from Person, content string, atts ...Attachment) string {
	out := s.write(channelID, from, content, atts)
	s.dispatchMessage("MESSAGE_CREATE", out)
	return out.ID
}

// write stores a person's message and returns a copy.
func (s *Server) write(channelID string, from Person, content string, atts []Attachment) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members == nil {
		s.members = map[string]Member{}
	}
	s.members[from.ID] = *from.member(true)
	m := &Message{ID: s.id(), ChannelID: channelID, GuildID: s.guildID, Author: from.user(), Member: from.member(false),
		Content: content, Timestamp: now(), Attachments: atts}
	for i := range m.Attachments {
		a := &m.Attachments[i]
		if a.ID == "" {
			a.ID = s.id()
		}
		if a.URL == "" {
			a.URL = s.srv.URL + "/attachments/" + channelID + "/" + a.ID + "/" + a.Filename
			if a.Data != nil { // the CDN serves what was uploaded
				if s.files == nil {
					s.files = map[string][]byte{}
				}
				s.files["/attachments/"+channelID+"/"+a.ID+"/"+a.Filename] = a.Data
			}
		}
		a.ProxyURL = a.URL
	}
	s.store(m, nil)
	return copyMessage(m)
}

// Redeliver dispatches MESSAGE_CREATE for an existing message again, as a
// duplicate delivery would.
func (s *Server) Redeliver(messageID string) {
	s.mu.Lock()
	m, ok := s.byID[messageID]
	var out Message
	if ok {
		out = copyMessage(m)
	}
	s.mu.Unlock()
	if ok {
		s.dispatchMessage("MESSAGE_CREATE", out)
	}
}

// InjectTyping is a person starting to type in a channel or thread:
// TYPING_START is dispatched when the bot asked for the
// GUILD_MESSAGE_TYPING intent, as Discord does.
func (s *Server) InjectTyping(channelID string, from Person) {
	if !s.gw.hasIntent(intentGuildMessageTyping) {
		return
	}
	s.gw.dispatch("TYPING_START", map[string]any{"channel_id": channelID, "guild_id": s.guildID, "user_id": from.ID,
		"timestamp": time.Now().Unix(), "member": from.member(true)})
}

// triggerTyping is POST /channels/{id}/typing: the bot shows as typing.
// Tests see it in Requests.
func (s *Server) triggerTyping(r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	c := s.channels[r.PathValue("id")]
	s.mu.Unlock()
	if c == nil {
		return 0, nil, errUnknownChannel()
	}
	return http.StatusNoContent, nil, nil
}

// InjectSlash is a person running a slash command in a channel or thread;
// it returns the interaction id (see Responses).
func (s *Server) InjectSlash(channelID string, from Person, name string, options map[string]string) string {
	var opts []map[string]any
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		opts = append(opts, map[string]any{"name": k, "type": 3, "value": options[k]})
	}
	data := map[string]any{"id": "cmd-" + name, "name": name, "type": 1}
	if len(opts) > 0 {
		data["options"] = opts
	}
	return s.injectInteraction(2, channelID, from, data, nil)
}

// InjectButton is a person pressing a button with customID on a message.
func (s *Server) InjectButton(channelID, messageID string, from Person, customID string) string {
	s.mu.Lock()
	var msg *Message
	if m := s.byID[messageID]; m != nil {
		c := copyMessage(m)
		msg = &c
	}
	s.mu.Unlock()
	return s.injectInteraction(3, channelID, from, map[string]any{"custom_id": customID, "component_type": 2}, msg)
}

func (s *Server) injectInteraction(typ int, channelID string, from Person, data map[string]any, msg *Message) string {
	s.mu.Lock()
	in := &interaction{id: s.id(), token: "itok-" + s.id(), channelID: channelID, created: time.Now()}
	s.interactions[in.id] = in
	var ch any
	if c := s.channels[channelID]; c != nil {
		ch = copyChannel(c)
	}
	payload := map[string]any{
		"id": in.id, "application_id": s.appID, "type": typ, "token": in.token, "version": 1,
		"guild_id": s.guildID, "channel_id": channelID, "channel": ch, "member": from.member(true),
		"data": data, "app_permissions": "2248473465835073", "locale": "en-US", "guild_locale": "en-US",
		"entitlements": []any{}, "authorizing_integration_owners": map[string]string{"0": s.guildID}, "context": 0,
	}
	if msg != nil {
		payload["message"] = msg
	}
	s.mu.Unlock()
	s.gw.dispatch("INTERACTION_CREATE", payload)
	return in.id
}

// --- REST ---------------------------------------------------------------

type apiError struct {
	status int
	code   int
	msg    string
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	p := s.prefix
	handle := func(pattern string, auth bool, fn func(r *http.Request) (int, any, *apiError)) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" "+p+path, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, auth, fn) })
	}
	mux.HandleFunc("GET /{$}", s.serveGateway)
	handle("GET /gateway", false, func(*http.Request) (int, any, *apiError) {
		return 200, map[string]string{"url": s.GatewayURL()}, nil
	})
	handle("GET /gateway/bot", true, func(*http.Request) (int, any, *apiError) {
		return 200, map[string]any{"url": s.GatewayURL(), "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}, nil
	})
	handle("GET /users/@me", true, func(*http.Request) (int, any, *apiError) { return 200, s.bot, nil })
	handle("GET /oauth2/applications/@me", true, func(*http.Request) (int, any, *apiError) {
		s.mu.Lock()
		flags := s.appFlags
		s.mu.Unlock()
		return 200, map[string]any{"id": s.appID, "name": "Threadline", "bot": s.bot, "flags": flags}, nil
	})
	handle("GET /channels/{id}", true, s.getChannel)
	handle("GET /guilds/{id}", true, s.getGuild)
	handle("GET /guilds/{id}/members/{user}", true, s.getMember)
	handle("GET /guilds/{id}/threads/active", true, s.activeThreads)
	handle("PATCH /channels/{id}", true, s.patchChannel)
	handle("POST /channels/{id}/threads", true, s.startThread)
	handle("POST /channels/{id}/messages/{mid}/threads", true, s.startThreadFromMessage)
	handle("POST /channels/{id}/messages", true, s.createMessage)
	handle("GET /channels/{id}/messages/{mid}", true, s.getMessage)
	handle("GET /channels/{id}/messages", true, s.listMessages)
	handle("PATCH /channels/{id}/messages/{mid}", true, s.editMessage)
	handle("PUT /channels/{id}/messages/{mid}/reactions/{emoji}/{user}", true, s.addReaction)
	handle("POST /channels/{id}/typing", true, s.triggerTyping)
	handle("GET /channels/{id}/webhooks", true, s.listWebhooks)
	handle("POST /channels/{id}/webhooks", true, s.createWebhook)
	handle("POST /webhooks/{id}/{token}", false, s.executeWebhook)
	handle("PATCH /webhooks/{id}/{token}/messages/{mid}", false, s.editWebhookMessage)
	handle("PUT /applications/{app}/commands", true, s.overwriteCommands)
	handle("PUT /applications/{app}/guilds/{guild}/commands", true, s.overwriteCommands)
	handle("POST /interactions/{id}/{token}/callback", false, s.interactionCallback)
	mux.HandleFunc("GET /attachments/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		data, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			data = []byte("attachment")
		}
		w.Write(data)
	})
	return mux
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, auth bool, fn func(*http.Request) (int, any, *apiError)) {
	path := strings.TrimPrefix(r.URL.Path, s.prefix)
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	f := s.takeFault(r.Method, path)
	if f != nil && !f.Lost {
		s.applyFault(w, r, path, f)
		return
	}
	var (
		status int
		body   any
		aerr   *apiError
	)
	if auth && r.Header.Get("Authorization") != "Bot "+s.opts.Token {
		aerr = &apiError{401, 0, "401: Unauthorized"}
	} else {
		status, body, aerr = fn(r)
	}
	if aerr != nil {
		status = aerr.status
		body = map[string]any{"message": aerr.msg, "code": aerr.code}
	}
	s.logRequest(r.Method, path, status)
	if f != nil { // Lost: done, but the client never hears of it
		dropConn(w)
		return
	}
	if status == http.StatusNoContent || body == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) logRequest(method, path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: method, Path: path, Status: status})
}

// SetFaults installs fn, asked for every REST request that no injected
// fault matched; a non-nil Fault is answered instead of the request, which
// is then not performed. nil removes it. Tests use it for fault storms.
func (s *Server) SetFaults(fn func(method, path string) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultFn = fn
}

func (s *Server) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == method) && strings.Contains(path, f.PathContains) {
			f.Times--
			if f.Times <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			c := *f
			return &c
		}
	}
	if s.faultFn != nil {
		return s.faultFn(method, path)
	}
	return nil
}

// dropConn closes the connection without an answer.
func dropConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, path string, f *Fault) {
	switch {
	case f.Hang:
		s.logRequest(r.Method, path, 0)
		// The server notices the client giving up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	case f.Drop:
		s.logRequest(r.Method, path, 0)
		dropConn(w)
		return
	case f.Malformed:
		s.logRequest(r.Method, path, 200)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": "12`)
		return
	}
	status := f.Status
	if status == 0 {
		status = 500
	}
	body := f.Body
	if status == http.StatusTooManyRequests {
		ra := f.RetryAfter
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra))))
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", strconv.FormatFloat(ra, 'f', 3, 64))
		w.Header().Set("X-RateLimit-Bucket", "fake-bucket")
		scope := "user"
		if f.Global {
			w.Header().Set("X-RateLimit-Global", "true")
			scope = "global"
		}
		w.Header().Set("X-RateLimit-Scope", scope)
		if body == "" {
			b, _ := json.Marshal(map[string]any{"message": "You are being rate limited.", "retry_after": ra, "global": f.Global})
			body = string(b)
		}
	}
	if body == "" {
		b, _ := json.Marshal(map[string]any{"message": http.StatusText(status), "code": 0})
		body = string(b)
	}
	s.logRequest(r.Method, path, status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func errUnknownChannel() *apiError { return &apiError{404, CodeUnknownChannel, "Unknown Channel"} }
func errUnknownMessage() *apiError { return &apiError{404, CodeUnknownMessage, "Unknown Message"} }
func errForm(msg string) *apiError {
	return &apiError{400, CodeInvalidFormBody, "Invalid Form Body: " + msg}
}

func (s *Server) getChannel(r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[r.PathValue("id")]
	if c == nil {
		return 0, nil, errUnknownChannel()
	}
	return 200, copyChannel(c), nil
}

func (s *Server) patchChannel(r *http.Request) (int, any, *apiError) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return 0, nil, errForm("body is not JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[r.PathValue("id")]
	if c == nil {
		return 0, nil, errUnknownChannel()
	}
	if c.ThreadMetadata != nil && c.ThreadMetadata.Archived {
		var unarchive bool
		if raw, ok := body["archived"]; ok && string(raw) == "false" {
			unarchive = true
		}
		onlyArchive := len(body) == 1 && body["archived"] != nil
		if !unarchive && !onlyArchive {
			return 0, nil, &apiError{400, CodeThreadArchived, "Thread is archived"}
		}
	}
	if raw, ok := body["name"]; ok {
		var name string
		_ = json.Unmarshal(raw, &name)
		if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
			return 0, nil, errForm("name must be 1 to 100 characters")
		}
		c.Name = name
	}
	if raw, ok := body["applied_tags"]; ok {
		var tags []string
		_ = json.Unmarshal(raw, &tags)
		p := s.channels[c.ParentID]
		if c.ThreadMetadata == nil || p == nil || (p.Type != TypeForum && p.Type != TypeMedia) {
			return 0, nil, errForm("applied_tags only apply to forum posts")
		}
		if aerr := checkTags(p, tags); aerr != nil {
			return 0, nil, aerr
		}
		c.AppliedTags = tags
	}
	if raw, ok := body["available_tags"]; ok {
		if c.Type != TypeForum && c.Type != TypeMedia {
			return 0, nil, errForm("available_tags only apply to forum channels")
		}
		var tags []Tag
		_ = json.Unmarshal(raw, &tags)
		if len(tags) > 20 {
			return 0, nil, errForm("at most 20 tags")
		}
		for i := range tags {
			if tags[i].ID == "" {
				tags[i].ID = s.id()
			}
		}
		c.AvailableTags = tags
	}
	if c.ThreadMetadata != nil {
		if raw, ok := body["locked"]; ok {
			_ = json.Unmarshal(raw, &c.ThreadMetadata.Locked)
		}
		if raw, ok := body["archived"]; ok {
			_ = json.Unmarshal(raw, &c.ThreadMetadata.Archived)
			c.ThreadMetadata.ArchiveTimestamp = now()
		}
	}
	return 200, copyChannel(c), nil
}

func checkTags(forum *Channel, tags []string) *apiError {
	if len(tags) > 5 {
		return errForm("at most 5 applied tags")
	}
	for _, id := range tags {
		if !slices.ContainsFunc(forum.AvailableTags, func(t Tag) bool { return t.ID == id }) {
			return errForm("applied_tags: unknown tag " + id)
		}
	}
	return nil
}

// messageBody is what the bot sends for a message (JSON or multipart payload_json).
type messageBody struct {
	Content          *string           `json:"content"`
	Embeds           []json.RawMessage `json:"embeds"`
	Components       []json.RawMessage `json:"components"`
	AllowedMentions  json.RawMessage   `json:"allowed_mentions"`
	MessageReference *MessageReference `json:"message_reference"`
	Flags            int               `json:"flags"`
	Username         string            `json:"username"`
	AvatarURL        string            `json:"avatar_url"`
	ThreadName       string            `json:"thread_name"`

	// thread start fields
	Name                string          `json:"name"`
	AutoArchiveDuration int             `json:"auto_archive_duration"`
	AppliedTags         []string        `json:"applied_tags"`
	Type                int             `json:"type"`
	Message             json.RawMessage `json:"message"`

	files []Attachment
}

func (s *Server) readBody(r *http.Request) (messageBody, *apiError) {
	var b messageBody
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr, err := (&http.Request{Header: http.Header{"Content-Type": {r.Header.Get("Content-Type")}}, Body: r.Body}).MultipartReader()
		if err != nil || params["boundary"] == "" {
			return b, errForm("bad multipart body")
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return b, errForm("bad multipart body")
			}
			data, _ := io.ReadAll(io.LimitReader(part, 26<<20))
			if part.FormName() == "payload_json" {
				if err := json.Unmarshal(data, &b); err != nil {
					return b, errForm("payload_json is not JSON")
				}
				continue
			}
			if strings.HasPrefix(part.FormName(), "files[") {
				b.files = append(b.files, Attachment{Filename: part.FileName(), Size: len(data), ContentType: part.Header.Get("Content-Type"), Data: data})
			}
		}
		return b, nil
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		return b, errForm("body is not JSON")
	}
	return b, nil
}

func (b messageBody) validate() *apiError {
	content := ""
	if b.Content != nil {
		content = *b.Content
	}
	if utf8.RuneCountInString(content) > 2000 {
		return errForm("content: Must be 2000 or fewer in length.")
	}
	if content == "" && len(b.Embeds) == 0 && len(b.files) == 0 && len(b.Components) == 0 {
		return &apiError{400, 50006, "Cannot send an empty message"}
	}
	if len(b.files) > 10 {
		return errForm("at most 10 files")
	}
	return nil
}

// newMessage builds a message from a body; the caller holds s.mu.
func (s *Server) newMessage(id, channelID string, author *User, b messageBody) *Message {
	m := &Message{ID: id, ChannelID: channelID, GuildID: s.guildID, Author: author, Timestamp: now(),
		Embeds: b.Embeds, Components: b.Components, AllowedMentions: b.AllowedMentions, MessageReference: b.MessageReference,
		Flags: b.Flags}
	if b.MessageReference != nil {
		m.Type = 19
	}
	if b.Content != nil {
		m.Content = *b.Content
	}
	for _, f := range b.files {
		f.ID = s.id()
		f.URL = s.srv.URL + "/attachments/" + channelID + "/" + f.ID + "/" + f.Filename
		f.ProxyURL = f.URL
		m.Attachments = append(m.Attachments, f)
	}
	s.store(m, b.AllowedMentions)
	return m
}

var (
	userMention = regexp.MustCompile(`<@!?(\d+)>`)
	roleMention = regexp.MustCompile(`<@&(\d+)>`)
)

// store records m and works out the mentions Discord would parse.
func (s *Server) store(m *Message, allowed json.RawMessage) {
	parse := []string{"everyone", "users", "roles"} // default when allowed_mentions is absent
	var explicitUsers, explicitRoles []string
	if len(allowed) > 0 && string(allowed) != "null" {
		var am struct {
			Parse []string `json:"parse"`
			Users []string `json:"users"`
			Roles []string `json:"roles"`
		}
		_ = json.Unmarshal(allowed, &am)
		parse, explicitUsers, explicitRoles = am.Parse, am.Users, am.Roles
	}
	m.Mentions, m.MentionRoles = []User{}, []string{}
	if slices.Contains(parse, "everyone") && (strings.Contains(m.Content, "@everyone") || strings.Contains(m.Content, "@here")) {
		m.MentionEveryone = true
	}
	for _, sm := range userMention.FindAllStringSubmatch(m.Content, -1) {
		if slices.Contains(parse, "users") || slices.Contains(explicitUsers, sm[1]) {
			m.Mentions = append(m.Mentions, User{ID: sm[1], Username: "user" + sm[1], Discriminator: "0"})
		}
	}
	for _, sm := range roleMention.FindAllStringSubmatch(m.Content, -1) {
		if slices.Contains(parse, "roles") || slices.Contains(explicitRoles, sm[1]) {
			m.MentionRoles = append(m.MentionRoles, sm[1])
		}
	}
	m.Pinged = m.MentionEveryone || len(m.Mentions) > 0 || len(m.MentionRoles) > 0
	if m.Attachments == nil {
		m.Attachments = []Attachment{}
	}
	if m.Embeds == nil {
		m.Embeds = []json.RawMessage{}
	}
	if m.Components == nil {
		m.Components = []json.RawMessage{}
	}
	s.messages[m.ChannelID] = append(s.messages[m.ChannelID], m)
	s.byID[m.ID] = m
	if c := s.channels[m.ChannelID]; c != nil {
		c.LastMessageID = m.ID
		if c.ThreadMetadata != nil {
			c.MessageCount++
		}
	}
}

// postable checks that the bot may post in channel c, unarchiving an
// archived (unlocked) thread as Discord does.
func postable(c *Channel) *apiError {
	if c == nil {
		return errUnknownChannel()
	}
	if c.Type == TypeForum || c.Type == TypeMedia || c.Type == TypeVoice {
		return &apiError{400, CodeNonTextChannel, "Cannot send messages in a non-text channel"}
	}
	if t := c.ThreadMetadata; t != nil && t.Archived {
		if t.Locked {
			return &apiError{400, CodeThreadArchived, "Thread is locked"}
		}
		t.Archived = false
	}
	return nil
}

func (s *Server) createMessage(r *http.Request) (int, any, *apiError) {
	b, aerr := s.readBody(r)
	if aerr == nil {
		aerr = b.validate()
	}
	if aerr != nil {
		return 0, nil, aerr
	}
	s.mu.Lock()
	c := s.channels[r.PathValue("id")]
	if aerr := postable(c); aerr != nil {
		s.mu.Unlock()
		return 0, nil, aerr
	}
	bot := s.bot
	m := s.newMessage(s.id(), c.ID, &bot, b)
	out := copyMessage(m)
	s.mu.Unlock()
	s.dispatchMessage("MESSAGE_CREATE", out)
	return 200, out, nil
}

func (s *Server) getMessage(r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.channels[r.PathValue("id")] == nil {
		return 0, nil, errUnknownChannel()
	}
	m := s.byID[r.PathValue("mid")]
	if m == nil || m.ChannelID != r.PathValue("id") {
		return 0, nil, errUnknownMessage()
	}
	return 200, copyMessage(m), nil
}

func (s *Server) editMessage(r *http.Request) (int, any, *apiError) {
	b, aerr := s.readBody(r)
	if aerr != nil {
		return 0, nil, aerr
	}
	if b.Content != nil && utf8.RuneCountInString(*b.Content) > 2000 {
		return 0, nil, errForm("content: Must be 2000 or fewer in length.")
	}
	s.mu.Lock()
	c := s.channels[r.PathValue("id")]
	if c == nil {
		s.mu.Unlock()
		return 0, nil, errUnknownChannel()
	}
	m := s.byID[r.PathValue("mid")]
	if m == nil || m.ChannelID != c.ID {
		s.mu.Unlock()
		return 0, nil, errUnknownMessage()
	}
	if m.Author == nil || m.Author.ID != s.bot.ID {
		s.mu.Unlock()
		return 0, nil, &apiError{403, CodeCannotEditOthers, "Cannot edit a message authored by another user"}
	}
	if t := c.ThreadMetadata; t != nil && t.Archived {
		s.mu.Unlock()
		return 0, nil, &apiError{400, CodeThreadArchived, "Thread is archived"}
	}
	s.applyEdit(m, b)
	out := copyMessage(m)
	s.mu.Unlock()
	s.dispatchMessage("MESSAGE_UPDATE", out)
	return 200, out, nil
}

func (s *Server) applyEdit(m *Message, b messageBody) {
	if b.Content != nil {
		m.Content = *b.Content
	}
	if b.Embeds != nil {
		m.Embeds = b.Embeds
	}
	if b.Components != nil {
		m.Components = b.Components
	}
	ts := now()
	m.EditedTimestamp = &ts
	m.Edits++
}

func (s *Server) addReaction(r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cid, mid := r.PathValue("id"), r.PathValue("mid")
	if s.channels[cid] == nil {
		return 0, nil, errUnknownChannel()
	}
	if m := s.byID[mid]; m == nil || m.ChannelID != cid {
		return 0, nil, errUnknownMessage()
	}
	if r.PathValue("user") != "@me" {
		return 0, nil, errForm("user must be @me")
	}
	key := cid + "/" + mid
	if e := r.PathValue("emoji"); !slices.Contains(s.reactions[key], e) {
		s.reactions[key] = append(s.reactions[key], e)
	}
	return 204, nil, nil
}

func (s *Server) startThread(r *http.Request) (int, any, *apiError) {
	b, aerr := s.readBody(r)
	if aerr != nil {
		return 0, nil, aerr
	}
	if n := utf8.RuneCountInString(b.Name); n < 1 || n > 100 {
		return 0, nil, errForm("name must be 1 to 100 characters")
	}
	s.mu.Lock()
	parent := s.channels[r.PathValue("id")]
	if parent == nil {
		s.mu.Unlock()
		return 0, nil, errUnknownChannel()
	}
	th := &Channel{ID: s.id(), Type: TypePublicThread, GuildID: s.guildID, Name: b.Name, ParentID: parent.ID, OwnerID: s.bot.ID,
		ThreadMetadata: &ThreadMetadata{AutoArchiveDuration: orDefault(b.AutoArchiveDuration, 4320), ArchiveTimestamp: now()}}
	var starter *Message
	switch parent.Type {
	case TypeForum, TypeMedia:
		if len(b.Message) == 0 {
			s.mu.Unlock()
			return 0, nil, errForm("message is required in forum channels")
		}
		var mb messageBody
		if err := json.Unmarshal(b.Message, &mb); err != nil {
			s.mu.Unlock()
			return 0, nil, errForm("message is not an object")
		}
		mb.files = b.files
		if aerr := mb.validate(); aerr != nil {
			s.mu.Unlock()
			return 0, nil, aerr
		}
		if aerr := checkTags(parent, b.AppliedTags); aerr != nil {
			s.mu.Unlock()
			return 0, nil, aerr
		}
		th.AppliedTags = b.AppliedTags
		s.channels[th.ID] = th
		bot := s.bot
		// A forum post's starter message has the thread's id.
		starter = s.newMessage(th.ID, th.ID, &bot, mb)
	case TypeText, TypeAnnouncement:
		s.channels[th.ID] = th
	default:
		s.mu.Unlock()
		return 0, nil, &apiError{400, CodeNonTextChannel, "Cannot create threads in this channel"}
	}
	out := map[string]any{}
	raw, _ := json.Marshal(copyChannel(th))
	_ = json.Unmarshal(raw, &out)
	var starterCopy Message
	if starter != nil {
		starterCopy = copyMessage(starter)
		out["message"] = starterCopy
	}
	chCopy := copyChannel(th)
	s.mu.Unlock()
	s.gw.dispatch("THREAD_CREATE", withNewlyCreated(chCopy))
	if starter != nil {
		s.dispatchMessage("MESSAGE_CREATE", starterCopy)
	}
	return 201, out, nil
}

func (s *Server) startThreadFromMessage(r *http.Request) (int, any, *apiError) {
	b, aerr := s.readBody(r)
	if aerr != nil {
		return 0, nil, aerr
	}
	if n := utf8.RuneCountInString(b.Name); n < 1 || n > 100 {
		return 0, nil, errForm("name must be 1 to 100 characters")
	}
	s.mu.Lock()
	parent := s.channels[r.PathValue("id")]
	if parent == nil {
		s.mu.Unlock()
		return 0, nil, errUnknownChannel()
	}
	if parent.Type != TypeText && parent.Type != TypeAnnouncement {
		s.mu.Unlock()
		return 0, nil, &apiError{400, CodeNonTextChannel, "Cannot create threads from messages in this channel"}
	}
	m := s.byID[r.PathValue("mid")]
	if m == nil || m.ChannelID != parent.ID {
		s.mu.Unlock()
		return 0, nil, errUnknownMessage()
	}
	if s.channels[m.ID] != nil {
		s.mu.Unlock()
		return 0, nil, &apiError{400, CodeThreadExists, "A thread has already been created for this message"}
	}
	// A thread started from a message has the message's id.
	th := &Channel{ID: m.ID, Type: TypePublicThread, GuildID: s.guildID, Name: b.Name, ParentID: parent.ID, OwnerID: s.bot.ID,
		ThreadMetadata: &ThreadMetadata{AutoArchiveDuration: orDefault(b.AutoArchiveDuration, 4320), ArchiveTimestamp: now()}}
	s.channels[th.ID] = th
	out := copyChannel(th)
	s.mu.Unlock()
	s.gw.dispatch("THREAD_CREATE", withNewlyCreated(out))
	return 201, out, nil
}

// activeThreads lists the guild's threads and forum posts that are not
// archived, as Discord's GET /guilds/{id}/threads/active does.
func (s *Server) activeThreads(r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Channel{}
	for _, c := range s.channels {
		if c.Type == TypePublicThread && c.GuildID == r.PathValue("id") && (c.ThreadMetadata == nil || !c.ThreadMetadata.Archived) {
			out = append(out, copyChannel(c))
		}
	}
	slices.SortFunc(out, func(a, b Channel) int { return cmpID(a.ID, b.ID) })
	return 200, map[string]any{"threads": out, "members": []any{}}, nil
}

func (s *Server) listWebhooks(r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.channels[r.PathValue("id")] == nil {
		return 0, nil, errUnknownChannel()
	}
	out := []Webhook{}
	for _, w := range s.webhooks {
		if w.ChannelID == r.PathValue("id") {
			out = append(out, *w)
		}
	}
	slices.SortFunc(out, func(a, b Webhook) int { return cmpID(a.ID, b.ID) })
	return 200, out, nil
}

var forbiddenName = regexp.MustCompile(`(?i)discord|clyde`)

func (s *Server) createWebhook(r *http.Request) (int, any, *apiError) {
	var body struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return 0, nil, errForm("body is not JSON")
	}
	if n := utf8.RuneCountInString(body.Name); n < 1 || n > 80 || forbiddenName.MatchString(body.Name) {
		return 0, nil, errForm("name: Username cannot contain \"discord\"")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[r.PathValue("id")]
	if c == nil {
		return 0, nil, errUnknownChannel()
	}
	if c.ThreadMetadata != nil {
		return 0, nil, &apiError{400, CodeNonTextChannel, "Webhooks cannot be created on threads"}
	}
	bot := s.bot
	w := &Webhook{ID: s.id(), Type: 1, GuildID: s.guildID, ChannelID: c.ID, Name: body.Name, Token: "whtok-" + s.id(),
		ApplicationID: s.appID, User: &bot}
	s.webhooks[w.ID] = w
	return 200, *w, nil
}

func (s *Server) executeWebhook(r *http.Request) (int, any, *apiError) {
	id, token := r.PathValue("id"), r.PathValue("token")
	s.mu.Lock()
	in := s.interactionByToken(token)
	s.mu.Unlock()
	if id == s.appID && in != nil {
		return s.followup(r, in)
	}
	b, aerr := s.readBody(r)
	if aerr == nil {
		aerr = b.validate()
	}
	if aerr != nil {
		return 0, nil, aerr
	}
	if b.Username != "" && (utf8.RuneCountInString(b.Username) > 80 || forbiddenName.MatchString(b.Username)) {
		return 0, nil, errForm("username: Username cannot contain \"discord\"")
	}
	s.mu.Lock()
	w := s.webhooks[id]
	if w == nil || w.Token != token {
		s.mu.Unlock()
		return 0, nil, &apiError{404, CodeUnknownWebhook, "Unknown Webhook"}
	}
	target := s.channels[w.ChannelID]
	if tid := r.URL.Query().Get("thread_id"); tid != "" {
		th := s.channels[tid]
		if th == nil || th.ParentID != w.ChannelID {
			s.mu.Unlock()
			return 0, nil, errUnknownChannel()
		}
		target = th
	} else if target != nil && (target.Type == TypeForum || target.Type == TypeMedia) {
		s.mu.Unlock()
		return 0, nil, &apiError{400, CodeForumNeedsThread, "Webhooks posted to forum channels must have a thread_name or thread_id"}
	}
	if aerr := postable(target); aerr != nil {
		s.mu.Unlock()
		return 0, nil, aerr
	}
	name := b.Username
	if name == "" {
		name = w.Name
	}
	author := &User{ID: w.ID, Username: name, Discriminator: "0000", Bot: true}
	m := s.newMessage(s.id(), target.ID, author, b)
	m.WebhookID, m.Username, m.AvatarURL = w.ID, b.Username, b.AvatarURL
	out := copyMessage(m)
	s.mu.Unlock()
	s.dispatchMessage("MESSAGE_CREATE", out)
	if r.URL.Query().Get("wait") != "true" {
		return 204, nil, nil
	}
	return 200, out, nil
}

func (s *Server) interactionByToken(token string) *interaction {
	for _, in := range s.interactions {
		if in.token == token {
			return in
		}
	}
	return nil
}

func (s *Server) followup(r *http.Request, in *interaction) (int, any, *apiError) {
	b, aerr := s.readBody(r)
	if aerr != nil {
		return 0, nil, aerr
	}
	raw, _ := json.Marshal(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !in.acked {
		return 0, nil, &apiError{404, CodeUnknownWebhook, "Unknown Webhook"}
	}
	in.responses = append(in.responses, Response{Kind: "followup", Content: deref(b.Content), Flags: b.Flags, Raw: raw})
	bot := s.bot
	m := &Message{ID: s.id(), ChannelID: in.channelID, Author: &bot, Content: deref(b.Content), Flags: b.Flags, Timestamp: now()}
	if b.Flags&64 == 0 {
		s.store(m, b.AllowedMentions)
	}
	return 200, copyMessage(m), nil
}

func (s *Server) editWebhookMessage(r *http.Request) (int, any, *apiError) {
	b, aerr := s.readBody(r)
	if aerr != nil {
		return 0, nil, aerr
	}
	raw, _ := json.Marshal(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.interactionByToken(r.PathValue("token"))
	if in == nil || r.PathValue("id") != s.appID || r.PathValue("mid") != "@original" || !in.acked {
		return 0, nil, &apiError{404, CodeUnknownMessage, "Unknown Message"}
	}
	in.responses = append(in.responses, Response{Kind: "edit_original", Content: deref(b.Content), Flags: b.Flags, Raw: raw})
	bot := s.bot
	return 200, Message{ID: s.id(), ChannelID: in.channelID, Author: &bot, Content: deref(b.Content), Timestamp: now(),
		Mentions: []User{}, MentionRoles: []string{}, Attachments: []Attachment{}, Embeds: []json.RawMessage{}, Components: []json.RawMessage{}}, nil
}

func (s *Server) interactionCallback(r *http.Request) (int, any, *apiError) {
	var body struct {
		Type int         `json:"type"`
		Data messageBody `json:"data"`
	}
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		return 0, nil, errForm("body is not JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.interactions[r.PathValue("id")]
	if in == nil || in.token != r.PathValue("token") || time.Since(in.created) > s.opts.InteractionDeadline {
		return 0, nil, &apiError{404, CodeUnknownInteraction, "Unknown interaction"}
	}
	if in.acked {
		return 0, nil, &apiError{400, CodeAlreadyAcked, "Interaction has already been acknowledged."}
	}
	if body.Type == 4 && utf8.RuneCountInString(deref(body.Data.Content)) > 2000 {
		return 0, nil, errForm("data.content: Must be 2000 or fewer in length.")
	}
	in.acked = true
	in.responses = append(in.responses, Response{Kind: "callback", Type: body.Type, Content: deref(body.Data.Content), Flags: body.Data.Flags, Raw: raw})
	if body.Type == 4 && body.Data.Flags&64 == 0 {
		bot := s.bot
		s.store(&Message{ID: s.id(), Type: 20, ChannelID: in.channelID, GuildID: s.guildID, Author: &bot, Content: deref(body.Data.Content),
			Embeds: body.Data.Embeds, Timestamp: now()}, body.Data.AllowedMentions)
	}
	return 204, nil, nil
}

func (s *Server) overwriteCommands(r *http.Request) (int, any, *apiError) {
	var cmds []map[string]any
	if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		return 0, nil, errForm("body is not a JSON array")
	}
	if r.PathValue("app") != s.appID {
		return 0, nil, &apiError{403, 50001, "Missing Access"}
	}
	nameRe := regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)
	s.mu.Lock()
	defer s.mu.Unlock()
	var stored []json.RawMessage
	out := []map[string]any{}
	for i, c := range cmds {
		name, _ := c["name"].(string)
		desc, _ := c["description"].(string)
		if !nameRe.MatchString(name) || strings.ToLower(name) != name {
			return 0, nil, errForm(fmt.Sprintf("%d.name: invalid command name %q", i, name))
		}
		if n := utf8.RuneCountInString(desc); n < 1 || n > 100 {
			return 0, nil, errForm(fmt.Sprintf("%d.description: must be 1 to 100 characters", i))
		}
		c["id"] = s.id()
		c["application_id"] = s.appID
		c["version"] = s.id()
		if g := r.PathValue("guild"); g != "" {
			c["guild_id"] = g
		}
		raw, _ := json.Marshal(c)
		stored = append(stored, raw)
		out = append(out, c)
	}
	s.commands[r.PathValue("guild")] = stored
	return 200, out, nil
}

// --- helpers ------------------------------------------------------------

func (s *Server) dispatchMessage(t string, m Message) {
	if s.gw.contentAllowed() || m.Author == nil || m.Author.ID == s.bot.ID {
		s.gw.dispatch(t, m)
		return
	}
	// Without the Message Content intent Discord blanks other users' content.
	m.Content = ""
	m.Embeds = []json.RawMessage{}
	m.Attachments = []Attachment{}
	s.gw.dispatch(t, m)
}

func withNewlyCreated(c Channel) map[string]any {
	out := map[string]any{}
	raw, _ := json.Marshal(c)
	_ = json.Unmarshal(raw, &out)
	out["newly_created"] = true
	return out
}

func copyChannel(c *Channel) Channel {
	out := *c
	out.AvailableTags = append([]Tag(nil), c.AvailableTags...)
	out.AppliedTags = append([]string(nil), c.AppliedTags...)
	out.PermissionOverwrites = append([]Overwrite(nil), c.PermissionOverwrites...)
	if c.ThreadMetadata != nil {
		tm := *c.ThreadMetadata
		out.ThreadMetadata = &tm
	}
	return out
}

func copyMessage(m *Message) Message {
	out := *m
	out.Embeds = append([]json.RawMessage{}, m.Embeds...)
	out.Components = append([]json.RawMessage{}, m.Components...)
	out.Attachments = append([]Attachment{}, m.Attachments...)
	out.Mentions = append([]User{}, m.Mentions...)
	out.MentionRoles = append([]string{}, m.MentionRoles...)
	if m.Author != nil {
		a := *m.Author
		out.Author = &a
	}
	return out
}

func cmpID(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000+00:00") }

// Application flags for the Message Content intent.
const (
	FlagMessageContent        = 1 << 18
	FlagMessageContentLimited = 1 << 19
)

// SetApplicationFlags sets the flags GET /oauth2/applications/@me reports.
// By default they say the Message Content intent is on
// (FlagMessageContentLimited), or off with Options.DenyMessageContent; the
// gateway's behaviour follows Options only.
func (s *Server) SetApplicationFlags(flags int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appFlags = flags
}

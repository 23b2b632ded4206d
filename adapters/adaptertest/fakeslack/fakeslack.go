// Package fakeslack is a loopback Slack: the Web API methods Threadline
// uses (form-encoded requests, real JSON answers), Socket Mode over a
// WebSocket (hello, envelopes, acks, pings) and signed HTTP event delivery.
// Tests and the crash suite point the adapter's api_url at it.
package fakeslack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
)

// Message is something posted to the fake workspace.
type Message struct {
	Channel   string
	TS        string
	ThreadTS  string
	Text      string
	Blocks    json.RawMessage
	Username  string
	IconEmoji string
	Ephemeral bool   // chat.postEphemeral
	User      string // ephemeral recipient
	Edits     int    // chat.update count
}

// Server is the fake.
type Server struct {
	srv      *httptest.Server
	BotToken string
	AppToken string
	Secret   string // signing secret for SignedRequest

	mu        sync.Mutex
	seq       int64
	msgs      []*Message
	byKey     map[string]*Message // channel/ts
	deleted   map[string]bool
	reactions map[string][]string
	users     map[string]string
	limits    map[string]*limit
	failures  map[string][]string
	files     map[string][]byte
	uploaded  []Upload
	calls     map[string]int
	sockets   map[*websocket.Conn]*sync.Mutex
	socketOf  map[*websocket.Conn]string // who opened each socket (its address)
	overlaps  []string                   // sockets opened while another was open
	acks      map[string]chan json.RawMessage
	envSeq    int
	changed   chan struct{}
	stop      chan struct{}
	scopes    []string                   // X-OAuth-Scopes of the bot token (workspace.go)
	channels  map[string]Channel         // declared channels (workspace.go)
	groups    map[string][]string        // user groups: subteam id -> user ids (workspace.go)
	faultFn   func(method string) *Fault // faults.go
	faulted   int
	holds     map[string]chan struct{}
	held      int
	written   []*Message // messages people wrote in threads (history.go)
	lastSec   int64      // message ts seconds never go back
	guard     *contract.Guard
}

// Upload is a completed files upload.
type Upload struct {
	Channel, ThreadTS, Name string
	Data                    []byte
	Comment                 string // initial_comment: the message shared with the file
}

type limit struct {
	remaining  int
	retryAfter int
}

// New starts a fake Slack on a loopback port.
func New() *Server {
	return NewTokens("xoxb-fake-bot-token", "xapp-fake-app-token", "fake-signing-secret")
}

// NewTokens starts a fake Slack that accepts the given bot and app tokens
// (and signs with secret).
func NewTokens(bot, app, secret string) *Server {
	s := &Server{
		BotToken: bot, AppToken: app, Secret: secret,
		byKey: map[string]*Message{}, deleted: map[string]bool{}, reactions: map[string][]string{},
		users: map[string]string{}, limits: map[string]*limit{}, failures: map[string][]string{},
		files: map[string][]byte{}, calls: map[string]int{}, sockets: map[*websocket.Conn]*sync.Mutex{},
		socketOf: map[*websocket.Conn]string{},
		acks:     map[string]chan json.RawMessage{}, changed: make(chan struct{}, 1), stop: make(chan struct{}),
		scopes: DefaultScopes(), channels: map[string]Channel{}, groups: map[string][]string{},
		holds: map[string]chan struct{}{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.api)
	mux.HandleFunc("/socket", s.socket)
	mux.HandleFunc("/upload/", s.upload)
	mux.HandleFunc("/files/", s.download)
	// Every Web API call is checked against Slack's published description
	// (contract.Slack); what Slack would refuse fails the test.
	s.guard = contract.NewGuard("fakeslack", func(c *contract.Shared) contract.Checker { return c.Slack },
		func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") })
	s.srv = httptest.NewServer(s.guard.Wrap(mux))
	return s
}

// Close stops the server and drops sockets. Requests Slack's description
// refuses that no test took (TakeViolations) or was told of (ReportTo)
// make it panic, failing the test that owns the fake.
func (s *Server) Close() {
	close(s.stop)
	s.mu.Lock()
	for c := range s.sockets {
		c.Close()
	}
	s.mu.Unlock()
	s.srv.Close()
	s.guard.Close()
}

// ReportTo makes each request Slack's description refuses an error of t
// (when t ends) rather than a panic at Close.
func (s *Server) ReportTo(t testing.TB) { s.guard.Report(t) }

// TakeViolations returns and forgets the requests Slack's description
// refused so far (a test that sends a bad request on purpose takes them).
func (s *Server) TakeViolations() []string { return s.guard.Take() }

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// APIURL is what the adapter's api_url should be.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// AddUser registers a workspace member for users.info.
func (s *Server) AddUser(id, displayName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = displayName
}

// RateLimit answers the next n calls of method with 429 Retry-After.
func (s *Server) RateLimit(method string, n, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits[method] = &limit{remaining: n, retryAfter: retryAfterSeconds}
}

// FailNext answers the next call of method with {"ok":false,"error":slackError}.
func (s *Server) FailNext(method, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], slackError)
}

// Calls counts calls of a method (including failed ones).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// DeleteMessage removes a message, as a user deleting it in Slack would.
func (s *Server) DeleteMessage(channel, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted[channel+"/"+ts] = true
}

// Messages returns copies of everything posted, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.msgs))
	for _, m := range s.msgs {
		out = append(out, *m)
	}
	return out
}

// Message returns one posted message.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byKey[channel+"/"+ts]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Parents returns the top-level (non-ephemeral) messages of a channel.
func (s *Server) Parents(channel string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.Channel == channel && m.ThreadTS == "" && !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

// Thread returns the non-ephemeral replies in a thread, in order.
func (s *Server) Thread(channel, ts string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.Channel == channel && m.ThreadTS == ts && !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

// Ephemerals returns the ephemeral messages shown to user.
func (s *Server) Ephemerals(user string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.Ephemeral && m.User == user {
			out = append(out, m)
		}
	}
	return out
}

// Reactions lists reaction names on a message.
func (s *Server) Reactions(channel, ts string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reactions[channel+"/"+ts]...)
}

// Uploads lists completed file uploads.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploaded...)
}

// AddFile makes a file downloadable at the URL returned (as url_private).
func (s *Server) AddFile(id string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id] = data
	return s.srv.URL + "/files/" + id
}

// nextTS is a message ts as Slack makes them: the Unix time, then a
// sequence, so ts order is time order and conversations.replies can
// filter by oldest.
func (s *Server) nextTS() string {
	s.seq++
	s.lastSec = max(s.lastSec, time.Now().Unix())
	return fmt.Sprintf("%d.%06d", s.lastSec, s.seq%1000000)
}

// NextTS reserves a message timestamp (for staff messages a test injects).
func (s *Server) NextTS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextTS()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code string) {
	writeJSON(w, map[string]any{"ok": false, "error": code})
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = r.Form.Get("token")
	}
	s.mu.Lock()
	s.calls[method]++
	if l := s.limits[method]; l != nil && l.remaining > 0 {
		l.remaining--
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(l.retryAfter))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		return
	}
	if q := s.failures[method]; len(q) > 0 {
		s.failures[method] = q[1:]
		s.mu.Unlock()
		fail(w, q[0])
		return
	}
	if s.faultFn != nil {
		if f := s.faultFn(method); f != nil {
			s.faulted++
			if f.Lost {
				// Performed below; what it answers goes nowhere.
				conn := w
				w = httptest.NewRecorder()
				defer s.writeFault(conn, r, &Fault{Drop: true})
			} else {
				s.mu.Unlock()
				s.writeFault(w, r, f)
				return
			}
		}
	}
	hold := s.holds[method]
	s.mu.Unlock()
	if hold != nil && !s.wait(r, hold) {
		return
	}
	want := s.BotToken
	if method == "apps.connections.open" {
		want = s.AppToken
	}
	if token != want {
		fail(w, "invalid_auth")
		return
	}
	if token == s.BotToken {
		s.scopeHeader(w)
	}
	f := r.Form
	switch method {
	case "conversations.info":
		s.conversationsInfo(w, f)
	case "conversations.replies":
		s.conversationsReplies(w, f)
	case "conversations.history":
		s.conversationsHistory(w, f)
	case "usergroups.users.list":
		s.userGroupUsers(w, f)
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "url": "https://fake.slack.com/", "team": "Fake", "user": "threadline",
			"team_id": "T0FAKE", "user_id": "UBOT", "bot_id": "BBOT"})
	case "apps.connections.open":
		writeJSON(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/socket"})
	case "chat.postMessage":
		s.postMessage(w, f, false)
	case "chat.postEphemeral":
		s.postMessage(w, f, true)
	case "chat.update":
		s.mu.Lock()
		key := f.Get("channel") + "/" + f.Get("ts")
		m, ok := s.byKey[key]
		if !ok || s.deleted[key] {
			s.mu.Unlock()
			fail(w, "message_not_found")
			return
		}
		m.Text, m.Blocks, m.Edits = f.Get("text"), json.RawMessage(f.Get("blocks")), m.Edits+1
		s.mu.Unlock()
		s.signal()
		writeJSON(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text})
	case "chat.getPermalink":
		writeJSON(w, map[string]any{"ok": true, "channel": f.Get("channel"),
			"permalink": "https://fake.slack.com/archives/" + f.Get("channel") + "/p" + strings.ReplaceAll(f.Get("message_ts"), ".", "")})
	case "reactions.add":
		s.mu.Lock()
		key := f.Get("channel") + "/" + f.Get("timestamp")
		for _, n := range s.reactions[key] {
			if n == f.Get("name") {
				s.mu.Unlock()
				fail(w, "already_reacted")
				return
			}
		}
		s.reactions[key] = append(s.reactions[key], f.Get("name"))
		s.mu.Unlock()
		s.signal()
		writeJSON(w, map[string]any{"ok": true})
	case "users.info":
		s.mu.Lock()
		name, ok := s.users[f.Get("user")]
		s.mu.Unlock()
		if !ok {
			fail(w, "user_not_found")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "user": map[string]any{"id": f.Get("user"), "name": strings.ToLower(name),
			"real_name": name, "profile": map[string]any{"display_name": name, "real_name": name}}})
	case "files.getUploadURLExternal":
		s.mu.Lock()
		s.seq++
		id := fmt.Sprintf("F%06d", s.seq)
		s.files[id+".name"] = []byte(f.Get("filename"))
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "upload_url": s.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		_ = json.Unmarshal([]byte(f.Get("files")), &files)
		s.mu.Lock()
		var out []map[string]any
		for _, file := range files {
			s.uploaded = append(s.uploaded, Upload{Channel: f.Get("channel_id"), ThreadTS: f.Get("thread_ts"),
				Name: string(s.files[file.ID+".name"]), Data: s.files[file.ID], Comment: f.Get("initial_comment")})
			out = append(out, map[string]any{"id": file.ID, "title": file.Title})
		}
		s.mu.Unlock()
		s.signal()
		writeJSON(w, map[string]any{"ok": true, "files": out})
	default:
		fail(w, "unknown_method")
	}
}

func (s *Server) postMessage(w http.ResponseWriter, f url.Values, ephemeral bool) {
	channel := f.Get("channel")
	if channel == "" || !strings.HasPrefix(channel, "C") {
		fail(w, "channel_not_found")
		return
	}
	if c := s.channel(channel); c.Missing {
		fail(w, "channel_not_found")
		return
	} else if !c.Member && !ephemeral {
		fail(w, "not_in_channel")
		return
	}
	s.mu.Lock()
	thread := f.Get("thread_ts")
	if thread != "" && s.deleted[channel+"/"+thread] {
		s.mu.Unlock()
		fail(w, "thread_not_found")
		return
	}
	m := &Message{Channel: channel, TS: s.nextTS(), ThreadTS: thread, Text: f.Get("text"), Blocks: json.RawMessage(f.Get("blocks")),
		Username: f.Get("username"), IconEmoji: f.Get("icon_emoji"), Ephemeral: ephemeral, User: f.Get("user")}
	s.msgs = append(s.msgs, m)
	s.byKey[channel+"/"+m.TS] = m
	s.mu.Unlock()
	s.signal()
	if ephemeral {
		writeJSON(w, map[string]any{"ok": true, "message_ts": m.TS})
		return
	}
	msg := map[string]any{"type": "message", "text": m.Text, "ts": m.TS, "user": "UBOT", "bot_id": "BBOT"}
	if thread != "" {
		msg["thread_ts"] = thread
	}
	writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": m.TS, "message": msg})
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	data, _ := io.ReadAll(r.Body)
	// The body was read above, so parse the multipart form from the bytes.
	if ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(bytes.NewReader(data), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			if part.FileName() != "" {
				data, _ = io.ReadAll(part)
				break
			}
		}
	}
	s.mu.Lock()
	s.files[id] = data
	s.mu.Unlock()
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.BotToken {
		http.Error(w, "not authorized", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	data, ok := s.files[strings.TrimPrefix(r.URL.Path, "/files/")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(data)
}

func (s *Server) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// --- Socket Mode ---

func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	wmu := &sync.Mutex{}
	s.mu.Lock()
	for _, from := range s.socketOf {
		s.overlaps = append(s.overlaps, fmt.Sprintf("%s Socket Mode connection from %s while the one from %s was open",
			time.Now().Format("15:04:05.000"), r.RemoteAddr, from))
	}
	s.sockets[c] = wmu
	s.socketOf[c] = r.RemoteAddr
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sockets, c)
		delete(s.socketOf, c)
		s.mu.Unlock()
		c.Close()
	}()
	s.write(c, wmu, map[string]any{"type": "hello", "num_connections": 1,
		"debug_info": map[string]any{"host": "fake", "approximate_connection_time": 3600}, "connection_info": map[string]any{"app_id": "A0FAKE"}})
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-s.stop:
				return
			case <-t.C:
				wmu.Lock()
				err := c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
				wmu.Unlock()
				if err != nil {
					return
				}
			}
		}
	}()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		ch := s.acks[ack.EnvelopeID]
		delete(s.acks, ack.EnvelopeID)
		s.mu.Unlock()
		if ch != nil {
			ch <- ack.Payload
		}
	}
}

func (s *Server) write(c *websocket.Conn, wmu *sync.Mutex, v any) error {
	wmu.Lock()
	defer wmu.Unlock()
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.WriteJSON(v)
}

// Connected reports how many Socket Mode clients are connected.
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sockets)
}

// SocketOverlaps returns every Socket Mode connection opened while
// another was open. Slack allows several (and spreads envelopes over
// them), but an app that means to hold one, such as replicas of which
// only the leader connects, should never have two.
func (s *Server) SocketOverlaps() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.overlaps...)
}

// DropSockets closes every Socket Mode connection abruptly.
func (s *Server) DropSockets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.sockets {
		c.Close()
		delete(s.socketOf, c) // gone now, whenever its reader notices
	}
}

// ErrNotAcked is returned when the client did not acknowledge an envelope.
var ErrNotAcked = errors.New("envelope not acknowledged")

// Send delivers an envelope (events_api, interactive or slash_commands)
// over Socket Mode and waits for the client's ack, returning its payload.
func (s *Server) Send(ctx context.Context, typ string, payload any) (json.RawMessage, error) {
	s.mu.Lock()
	var conn *websocket.Conn
	var wmu *sync.Mutex
	for c, m := range s.sockets {
		conn, wmu = c, m
		break
	}
	if conn == nil {
		s.mu.Unlock()
		return nil, errors.New("no socket mode client connected")
	}
	s.envSeq++
	id := fmt.Sprintf("env-%d", s.envSeq)
	ch := make(chan json.RawMessage, 1)
	s.acks[id] = ch
	s.mu.Unlock()
	env := map[string]any{"envelope_id": id, "type": typ, "payload": payload,
		"accepts_response_payload": typ != "events_api", "retry_attempt": 0, "retry_reason": ""}
	if err := s.write(conn, wmu, env); err != nil {
		return nil, err
	}
	select {
	case p := <-ch:
		return p, nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.acks, id)
		s.mu.Unlock()
		return nil, ErrNotAcked
	}
}

// --- payload builders (real Slack shapes) ---

// Event wraps an inner event in an event_callback with a fresh event_id.
func (s *Server) Event(inner map[string]any) map[string]any {
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("Ev%08d", s.seq)
	s.mu.Unlock()
	return map[string]any{"token": "verification", "team_id": "T0FAKE", "api_app_id": "A0FAKE", "type": "event_callback",
		"event_id": id, "event_time": time.Now().Unix(), "event": inner}
}

// StaffMessage builds a user's message event in a thread and returns it
// with the message ts.
func (s *Server) StaffMessage(channel, threadTS, user, text string) (map[string]any, string) {
	ts := s.record(channel, threadTS, user, text)
	inner := map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
		"event_ts": ts, "channel_type": "channel"}
	if threadTS != "" {
		inner["thread_ts"] = threadTS
	}
	return s.Event(inner), ts
}

// ButtonClick builds a block_actions interaction on a message.
func (s *Server) ButtonClick(channel, messageTS, user, actionID, value string) map[string]any {
	return map[string]any{"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user)},
		"api_app_id": "A0FAKE", "team": map[string]any{"id": "T0FAKE"}, "channel": map[string]any{"id": channel},
		"container": map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel},
		"message":   map[string]any{"type": "message", "ts": messageTS, "text": ""}, "trigger_id": "trig",
		"actions": []map[string]any{{"type": "button", "action_id": actionID, "block_id": "actions", "value": value,
			"action_ts": s.NextTS()}}}
}

// Shortcut builds a message_action (message shortcut) interaction.
func (s *Server) Shortcut(callbackID, channel, messageTS, threadTS, user string) map[string]any {
	msg := map[string]any{"type": "message", "ts": messageTS, "text": "x"}
	if threadTS != "" {
		msg["thread_ts"] = threadTS
	}
	return map[string]any{"type": "message_action", "callback_id": callbackID, "user": map[string]any{"id": user},
		"channel": map[string]any{"id": channel}, "message": msg, "message_ts": messageTS, "trigger_id": "trig",
		"team": map[string]any{"id": "T0FAKE"}}
}

// Slash builds a slash command payload.
func Slash(command, text, user, channel string) map[string]any {
	return map[string]any{"command": command, "text": text, "user_id": user, "user_name": strings.ToLower(user),
		"channel_id": channel, "team_id": "T0FAKE", "response_url": "https://hooks.fake/commands", "trigger_id": "trig"}
}

// SignedRequest builds an HTTP request as Slack sends it, signed with
// secret at time ts (use an old ts or a wrong secret to test rejection).
func SignedRequest(target, contentType string, body []byte, secret string, ts time.Time) *http.Request {
	req, _ := http.NewRequest("POST", target, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

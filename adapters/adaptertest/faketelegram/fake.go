// Package faketelegram is a loopback fake of the Telegram Bot API for tests:
// an httptest server that speaks the Bot API's JSON at
// {URL}/bot{token}/{method} and serves files at {URL}/file/bot{token}/{path}.
// Tests push customer updates, read what the bot sent to each chat, set
// webhooks and inject faults. It is safe for concurrent use.
package faketelegram

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
)

// Token is a well-formed bot token tests may use.
const Token = "123456789:AAF-fake_token_for_tests_0123456789ab"

// Server is the fake Bot API.
type Server struct {
	srv   *httptest.Server
	token string
	botID int64

	ctx    context.Context // ends at Close; stops the webhook pusher
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every state change
	queue      []queued      // updates Telegram still holds (not confirmed)
	nextUpdate int64
	confirmed  int64                    // every update below this was confirmed
	pollGen    int64                    // bumped by each getUpdates: an older waiting call ends with 409
	polls      map[*http.Request]string // getUpdates calls in progress → the caller's address
	overlaps   []string                 // getUpdates calls made while another caller's was in progress
	nextMsg    map[int64]int64
	chats      map[int64]Customer
	sent       []Sent
	files      map[string]File
	faults     map[string][]Fault
	faultFn    func(method string) *Fault
	blocked    map[int64]bool
	webhook    Webhook
	calls      map[string]int
	requests   []Request
	fileSeq    int
	hookErrors int
	hookErrAt  time.Time // last failed webhook delivery (getWebhookInfo's last_error_date)
	guard      *contract.Guard
}

type queued struct {
	id  int64
	raw json.RawMessage
}

// Customer is a Telegram user writing to the bot in a private chat (the
// chat id equals the user id, as in Telegram).
type Customer struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string
}

// Sent is one message the bot sent.
type Sent struct {
	Method    string // sendMessage, sendPhoto, sendDocument
	ChatID    int64
	MessageID int64
	Text      string // text or caption as Telegram shows it (markup parsed)
	Raw       string // text or caption as the bot sent it
	ParseMode string
	FileName  string
	FileMIME  string
	FileData  []byte
	At        time.Time
}

// File is a file the fake stores (sent by a customer or uploaded by the bot).
type File struct {
	ID       string
	UniqueID string
	Name     string
	MIME     string
	Path     string // file_path in getFile answers
	Data     []byte
}

// Fault makes one upcoming call of a method fail.
type Fault struct {
	Pass        bool   // no fault: the call is handled normally (to fail a later call)
	Status      int    // error_code and HTTP status (e.g. 429, 500, 403)
	Description string // default: Telegram's usual text for Status
	RetryAfter  int    // parameters.retry_after, seconds (429)
	Body        string // if set, sent as is with Status (malformed answers)
	Drop        bool   // close the connection without an answer
	Hang        bool   // answer nothing until the client gives up (a timeout)
}

// Webhook is the webhook the bot registered.
type Webhook struct {
	URL            string
	Secret         string
	AllowedUpdates []string
}

// Request is one Bot API call as the fake received it (the token is not
// recorded).
type Request struct {
	Method string
	Params map[string]string
}

// New starts a fake for token (Token if empty).
func New(token string) *Server {
	if token == "" {
		token = Token
	}
	id, _ := strconv.ParseInt(strings.SplitN(token, ":", 2)[0], 10, 64)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		token: token, botID: id, ctx: ctx, cancel: cancel,
		changed: make(chan struct{}), nextUpdate: 1000,
		nextMsg: map[int64]int64{}, chats: map[int64]Customer{}, files: map[string]File{},
		faults: map[string][]Fault{}, blocked: map[int64]bool{}, calls: map[string]int{},
		polls: map[*http.Request]string{},
	}
	// Every Bot API call is checked against the published description
	// (contract.Telegram); what Telegram would refuse fails the test.
	s.guard = contract.NewGuard("faketelegram", func(c *contract.Shared) contract.Checker { return c.Telegram },
		func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/bot") })
	s.srv = httptest.NewServer(s.guard.Wrap(http.HandlerFunc(s.serve)))
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.pushWebhooks() }()
	return s
}

// URL is the api_url to configure.
func (s *Server) URL() string { return s.srv.URL }

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.token }

// BotUsername is getMe's username.
func (s *Server) BotUsername() string { return "threadline_test_bot" }

// Close stops the server and the webhook pusher. Calls the Bot API
// description refuses that no test took (TakeViolations) or was told of
// (ReportTo) make it panic, failing the test that owns the fake.
func (s *Server) Close() {
	s.cancel()
	s.srv.CloseClientConnections()
	s.srv.Close()
	s.wg.Wait()
	s.guard.Close()
}

// ReportTo makes each call the Bot API description refuses an error of t
// (when t ends) rather than a panic at Close.
func (s *Server) ReportTo(t testing.TB) { s.guard.Report(t) }

// TakeViolations returns and forgets the calls the Bot API description
// refused so far (a test that sends a bad call on purpose takes them).
func (s *Server) TakeViolations() []string { return s.guard.Take() }

// notify wakes long polls and the webhook pusher. Call with mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// FailNext queues faults for the next calls of method ("sendMessage",
// "getUpdates", "file" for downloads, ...), one call each.
func (s *Server) FailNext(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], faults...)
}

// Block makes the customer block (or unblock) the bot: sends to the chat
// get 403, and, as Telegram does, the bot gets a my_chat_member update
// (status "kicked", or "member" again) if the chat is known.
func (s *Server) Block(chatID int64, blocked bool) {
	s.mu.Lock()
	s.blocked[chatID] = blocked
	c, known := s.chats[chatID]
	s.mu.Unlock()
	if !known {
		return
	}
	old, now := "member", "kicked"
	if !blocked {
		old, now = "kicked", "member"
	}
	bot := map[string]any{"id": s.botID, "is_bot": true, "first_name": "Threadline Test", "username": s.BotUsername()}
	s.PushUpdate(map[string]any{"my_chat_member": map[string]any{
		"chat": c.chat(), "from": c.user(), "date": time.Now().Unix(),
		"old_chat_member": map[string]any{"user": bot, "status": old},
		"new_chat_member": map[string]any{"user": bot, "status": now, "until_date": 0},
	}})
}

// Sent returns what the bot sent to a chat, oldest first.
func (s *Server) Sent(chatID int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// AllSent returns every message the bot sent, oldest first.
func (s *Server) AllSent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Pending is the number of updates not yet confirmed by the bot.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Confirmed is the offset the bot confirmed: every update below it is gone.
func (s *Server) Confirmed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

// PollOverlaps returns every getUpdates call that arrived while another
// one was still waiting for its client: two bots polling with one token
// at once. Telegram answers the older call 409 Conflict (so does the
// fake); a client that polls alone never overlaps itself, since it makes
// its next call only after the last one ended.
func (s *Server) PollOverlaps() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.overlaps...)
}

// Calls counts the calls of a method.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Requests returns every call received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WebhookInfo returns the registered webhook (URL empty if none).
func (s *Server) WebhookInfo() Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// File returns a stored file by file_id.
func (s *Server) File(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	return f, ok
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/file/bot"); ok {
		tok, fpath, _ := strings.Cut(rest, "/")
		s.serveFile(w, r, tok, fpath)
		return
	}
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	tok, method, _ := strings.Cut(rest, "/")
	if tok != s.token {
		// Telegram answers an unknown token with 401 (and a malformed one with 404).
		writeError(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	s.mu.Lock()
	s.calls[method]++
	s.requests = append(s.requests, Request{Method: method, Params: p.summary()})
	f, faulted := s.takeFault(method)
	s.mu.Unlock()
	if faulted && !f.Pass {
		writeFault(w, r, f)
		return
	}
	h, ok := s.methods()[method]
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found: method not found", 0)
		return
	}
	h(w, r, p)
}

// SetFaults installs fn, asked for every Bot API call that no FailNext
// fault is queued for; a non-nil Fault is answered instead of the call,
// which is then not performed. nil removes it. Tests use it for storms.
func (s *Server) SetFaults(fn func(method string) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultFn = fn
}

func (s *Server) takeFault(method string) (Fault, bool) {
	q := s.faults[method]
	if len(q) == 0 {
		if s.faultFn != nil {
			if f := s.faultFn(method); f != nil {
				return *f, true
			}
		}
		return Fault{}, false
	}
	s.faults[method] = q[1:]
	return q[0], true
}

func writeFault(w http.ResponseWriter, r *http.Request, f Fault) {
	if f.Hang {
		// The server notices the client giving up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		fmt.Fprint(w, f.Body)
		return
	}
	desc := f.Description
	if desc == "" {
		desc = defaultDescription(f.Status, f.RetryAfter)
	}
	writeError(w, f.Status, desc, f.RetryAfter)
}

func defaultDescription(status, retry int) string {
	switch status {
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden: bot was blocked by the user"
	case 409:
		return "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
	case 429:
		return fmt.Sprintf("Too Many Requests: retry after %d", retry)
	case 502:
		return "Bad Gateway"
	}
	return "Internal Server Error"
}

func writeOK(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func writeError(w http.ResponseWriter, status int, desc string, retryAfter int) {
	body := map[string]any{"ok": false, "error_code": status, "description": desc}
	if retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": retryAfter}
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

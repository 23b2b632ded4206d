package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Platform is the surface's name.
const Platform bridge.Platform = "console"

// Event is one line of the watch stream.
type Event struct {
	Type         string    `json:"type"` // hello, thread, post, card, receipt, typing
	Conversation int64     `json:"conversation,omitempty"`
	Message      int64     `json:"message,omitempty"`
	Direction    string    `json:"direction,omitempty"`
	Author       string    `json:"author,omitempty"`
	Origin       string    `json:"origin,omitempty"`
	Text         string    `json:"text,omitempty"`
	Files        []string  `json:"files,omitempty"` // names of the files a post carries
	Card         *Card     `json:"card,omitempty"`
	OK           bool      `json:"ok,omitempty"`
	Error        string    `json:"error,omitempty"`
	Status       string    `json:"status,omitempty"` // receipts: "" (sent), delivered, read
	At           time.Time `json:"at"`
}

// Card is the ticket header as the console shows it.
type Card struct {
	Customer   string `json:"customer"`
	Channel    string `json:"channel"`
	Via        string `json:"via,omitempty"` // the entry point: sales@example.com, widget billing, @acme_bot
	Status     string `json:"status"`
	Priority   string `json:"priority"`
	Owner      string `json:"owner,omitempty"`
	Department string `json:"department,omitempty"`
	Subject    string `json:"subject,omitempty"`
}

func cardOf(v bridge.ConversationView) *Card {
	return &Card{Customer: v.CustomerName, Channel: string(v.Channel), Via: v.Via(), Status: string(v.Status), Priority: string(v.Priority),
		Owner: v.OwnerName, Department: v.Department, Subject: v.Subject}
}

// Options are the surface's own settings; what every adapter shares (log,
// clock, store) comes through Init.
type Options struct {
	Listener net.Listener // the loopback admin listener (the caller checks it is loopback)
	Token    string       // bearer token the CLI must present
	Version  string
}

// Surface is the console staff surface.
type Surface struct {
	opts Options
	mu   sync.Mutex
	subs map[chan Event]struct{}

	// Set by Init.
	log   *slog.Logger
	clock bridge.Clock
	store bridge.AdapterStore                 // to show what console users wrote
	relay bridge.Relay                        // events reach watchers on every replica
	typed map[bridge.ConversationID]time.Time // customer typing last shown (guarded by mu)
}

var (
	_ bridge.StaffSurface   = (*Surface)(nil)
	_ bridge.ReceiptSurface = (*Surface)(nil)
	_ bridge.Initer         = (*Surface)(nil)
)

// New builds the surface. Init must follow before Run.
func New(o Options) (*Surface, error) {
	if o.Listener == nil {
		return nil, errors.New("console: no admin listener")
	}
	if o.Token == "" {
		return nil, errors.New("console: no admin token")
	}
	return &Surface{opts: o, log: slog.New(slog.DiscardHandler), clock: bridge.SystemClock(), subs: make(map[chan Event]struct{}),
		typed: map[bridge.ConversationID]time.Time{}}, nil
}

// Init gives the surface the daemon's dependencies; it needs Clock and Store.
func (s *Surface) Init(d bridge.Deps) error {
	if err := d.Validate(Platform); err != nil {
		return err
	}
	s.log, s.clock, s.store = d.Logger("surface", string(Platform)), d.Clock, d.Store
	s.relay = d.LiveRelay()
	s.relay.Subscribe(relayTopic, func(payload []byte) {
		var e Event
		if err := json.Unmarshal(payload, &e); err == nil {
			s.deliver(e)
		}
	})
	// Every replica gets the typing indicator; each shows it to its own
	// watchers.
	bridge.SubscribeTyping(s.relay, s.customerTyping)
	return nil
}

// typingEvery: a customer who keeps typing is shown once in this long.
const typingEvery = 15 * time.Second

// customerTyping shows "… is typing" in the watch stream, once per
// conversation in typingEvery.
func (s *Surface) customerTyping(t bridge.Typing) {
	if t.Staff {
		return
	}
	now := s.now()
	s.mu.Lock()
	if now.Sub(s.typed[t.Conversation]) < typingEvery {
		s.mu.Unlock()
		return
	}
	if len(s.typed) > 10000 {
		clear(s.typed)
	}
	s.typed[t.Conversation] = now
	s.mu.Unlock()
	s.deliver(Event{Type: "typing", Conversation: int64(t.Conversation), Author: t.Name, At: now})
}

// relayTopic carries watch events to every replica's watchers: the
// leader's outbox posts, but `threadline watch` may be connected anywhere.
const relayTopic = "console"

// OnEveryReplica: each replica serves its own admin API.
func (s *Surface) OnEveryReplica() {}

// now reads the surface's clock.
func (s *Surface) now() time.Time { return s.clock.Now() }

// Name is "console".
func (s *Surface) Name() bridge.Platform { return Platform }

// Run serves the admin API until ctx ends.
func (s *Surface) Run(ctx context.Context, in bridge.StaffInbox) error {
	if s.store == nil {
		return errors.New("console: Run before Init")
	}
	// Loopback only, but bounded all the same: a request must arrive within
	// a minute and idle keep-alive connections close.
	srv := &http.Server{Handler: s.Handler(in), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.opts.Listener) }()
	select {
	case <-ctx.Done():
		s.closeSubscribers()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// OpenThread: on the console a conversation's thread is its id.
func (s *Surface) OpenThread(_ context.Context, v bridge.ConversationView) (bridge.ThreadRef, error) {
	s.publish(Event{Type: "thread", Conversation: int64(v.ID), Card: cardOf(v), Text: v.LastMessage, At: s.now()})
	return bridge.ThreadRef(strconv.FormatInt(int64(v.ID), 10)), nil
}

// Post shows a message to everyone watching.
func (s *Surface) Post(_ context.Context, t bridge.ThreadRef, p bridge.StaffPost) (bridge.ExternalRef, error) {
	conv, _ := strconv.ParseInt(string(t), 10, 64)
	s.publish(Event{Type: "post", Conversation: conv, Message: int64(p.Message), Direction: string(p.Direction),
		Author: p.Author, Origin: string(p.Origin), Text: p.Text, Files: fileNames(p.Attachments), At: p.At})
	if p.Message == 0 {
		return bridge.ExternalRef{}, nil
	}
	return bridge.ExternalRef{Platform: Platform, ID: "m" + strconv.FormatInt(int64(p.Message), 10)}, nil
}

// UpdateCard shows the new state.
func (s *Surface) UpdateCard(_ context.Context, t bridge.ThreadRef, v bridge.ConversationView) error {
	s.publish(Event{Type: "card", Conversation: int64(v.ID), Card: cardOf(v), At: s.now()})
	return nil
}

// Receipt shows whether a reply typed on the console reached the customer.
func (s *Surface) Receipt(_ context.Context, t bridge.ThreadRef, r bridge.Receipt) error {
	conv, _ := strconv.ParseInt(string(t), 10, 64)
	s.publish(Event{Type: "receipt", Conversation: conv, Message: int64(r.Message), OK: r.OK, Error: r.Error, Status: string(r.Status), At: s.now()})
	return nil
}

// publish sends e to the watchers of every replica.
func (s *Surface) publish(e Event) {
	b, _ := json.Marshal(e)
	if err := s.relay.Publish(context.Background(), relayTopic, b); err != nil {
		s.log.Warn("console: relaying a watch event failed; only this replica's watchers get it", "err", err)
		s.deliver(e)
	}
}

// deliver sends e to this replica's watchers.
func (s *Surface) deliver(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- e:
		default: // a watcher that cannot keep up is dropped; it reconnects
			delete(s.subs, ch)
			close(ch)
		}
	}
}

func (s *Surface) subscribe() chan Event {
	ch := make(chan Event, 256)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch
}

func (s *Surface) unsubscribe(ch chan Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[ch]; ok {
		delete(s.subs, ch)
		close(ch)
	}
}

func (s *Surface) closeSubscribers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		delete(s.subs, ch)
		close(ch)
	}
}

// SayRequest is POST /v1/say.
type SayRequest struct {
	Conversation int64  `json:"conversation"`
	Text         string `json:"text"`
	As           string `json:"as"`
}

// SayResponse is the answer to a say.
type SayResponse struct {
	Conversation int64  `json:"conversation"`
	Message      int64  `json:"message,omitempty"`
	Text         string `json:"text,omitempty"`
	Error        bool   `json:"error,omitempty"`
}

// Handler is the admin API.
func (s *Surface) Handler(in bridge.StaffInbox) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		writeJSON(w, 200, map[string]any{"ok": true, "version": s.opts.Version, "heap_inuse": m.HeapInuse, "heap_alloc": m.HeapAlloc,
			"sys": m.Sys, "goroutines": runtime.NumGoroutine()})
	})
	mux.HandleFunc("POST /v1/say", func(w http.ResponseWriter, r *http.Request) { s.say(w, r, in) })
	mux.HandleFunc("POST /v1/typing", s.typing)
	mux.HandleFunc("GET /v1/watch", s.watch)
	return s.auth(mux)
}

func (s *Surface) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := bridge.BearerToken(r.Header.Get("Authorization"))
		if s.opts.Token == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "admin token missing or wrong (it is in the token file in the data directory)"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Surface) say(w http.ResponseWriter, r *http.Request, in bridge.StaffInbox) {
	var req SayRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "bad request body: " + err.Error()})
		return
	}
	name := strings.TrimSpace(req.As)
	if name == "" {
		name = "console"
	}
	ext := make([]byte, 8)
	_, _ = rand.Read(ext)
	fb, err := in.HandleStaffMessage(r.Context(), bridge.StaffMessage{
		Surface: Platform, Conversation: bridge.ConversationID(req.Conversation), Text: req.Text,
		Actor:      bridge.Actor{ID: bridge.StaffID("console:" + name), Name: name, Role: bridge.RoleAdmin},
		ExternalID: "say-" + hex.EncodeToString(ext),
	})
	if err != nil {
		s.log.Error("console: say failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	if fb.Message != 0 {
		// The console's own "thread" is the watch stream: show what was written.
		if m, err := s.message(r.Context(), fb.Message); err == nil {
			s.publish(m)
		}
	}
	writeJSON(w, http.StatusOK, SayResponse{Conversation: int64(fb.Conversation), Message: int64(fb.Message), Text: fb.Text, Error: fb.Error})
}

// TypingRequest is POST /v1/typing: a console user is writing a reply in
// a conversation (sent every few seconds while they do); the customer's
// web chat shows it.
type TypingRequest struct {
	Conversation int64  `json:"conversation"`
	As           string `json:"as"`
}

func (s *Surface) typing(w http.ResponseWriter, r *http.Request) {
	var req TypingRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil || req.Conversation <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "want {\"conversation\": ID, \"as\": name}"})
		return
	}
	name := strings.TrimSpace(req.As)
	if name == "" {
		name = "console"
	}
	if err := bridge.PublishTyping(r.Context(), s.relay, bridge.Typing{Conversation: bridge.ConversationID(req.Conversation), Staff: true, Name: name, Surface: Platform}); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// message rebuilds the event for a message the console itself stored.
func (s *Surface) message(ctx context.Context, id bridge.MessageID) (Event, error) {
	m, err := s.store.Message(ctx, id)
	if err != nil {
		return Event{}, err
	}
	return Event{Type: "post", Conversation: int64(m.Conversation), Message: int64(m.ID), Direction: string(m.Direction),
		Author: m.Author, Origin: string(m.Platform), Text: m.Body, Files: fileNames(m.Attachments), At: m.CreatedAt}, nil
}

func fileNames(atts []bridge.Attachment) []string {
	var out []string
	for _, a := range atts {
		out = append(out, a.Name)
	}
	return out
}

func (s *Surface) watch(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeJSON(w, 500, map[string]any{"error": "streaming unsupported"})
		return
	}
	ch := s.subscribe()
	defer s.unsubscribe(ch)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	_ = enc.Encode(Event{Type: "hello", Text: s.opts.Version, At: s.now()})
	fl.Flush()
	keepalive := time.NewTicker(20 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-ch:
			if !ok {
				return
			}
			if err := enc.Encode(e); err != nil {
				return
			}
			fl.Flush()
		case <-keepalive.C:
			if _, err := w.Write([]byte("\n")); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

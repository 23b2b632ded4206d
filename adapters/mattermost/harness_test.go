package mattermost_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemattermost"
	"github.com/threadlinehq/threadline/adapters/mattermost"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

const wait = 10 * time.Second

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// harness is the real core (SQLite store, engine, outbox, command
// handler) with the Mattermost surface against the fake, its HTTP
// endpoints served where the fake's buttons and slash command call them,
// and a recording web chat channel as the customer.
type harness struct {
	t       *testing.T
	fake    *fakemattermost.Server
	channel string
	alice   string // staff user ids
	bob     string
	st      *sqlite.Store
	eng     *engine.Engine
	surf    *mattermost.Surface
	web     *adaptertest.Channel
	public  *httptest.Server
	cmdTok  string
	hmu     sync.Mutex
	handler http.Handler // what public serves (the running surface's)
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type setup struct {
	fake    fakemattermost.Options
	config  func(*mattermost.Config)
	options func(*mattermost.Options)
	secret  string
	st      *sqlite.Store // reuse a store (a restart)
}

func start(t *testing.T, s setup) *harness {
	t.Helper()
	fake := fakemattermost.New(s.fake)
	t.Cleanup(fake.Close)
	fake.ReportTo(t)
	h := &harness{t: t, fake: fake, channel: fake.AddChannel("support", true), st: s.st}
	h.alice = fake.AddUser("alice", "Alice", "Archer")
	h.bob = fake.AddUser("bob", "Bob", "Baker")
	if h.st == nil {
		h.st = storetest.Open(t)
	}
	h.public = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.hmu.Lock()
		hd := h.handler
		h.hmu.Unlock()
		if hd == nil {
			hd = http.NotFoundHandler()
		}
		hd.ServeHTTP(w, r)
	}))
	t.Cleanup(h.public.Close)
	h.start(s)
	return h
}

// start builds the surface and the core on h's fake and store and runs them.
func (h *harness) start(s setup) {
	t := h.t
	h.cmdTok = h.fake.RegisterCommand("ticket", h.public.URL+mattermost.CommandPath)
	cfg := mattermost.Config{URL: h.fake.URL(), BotToken: h.fake.Token(), ChannelID: h.channel, CommandToken: h.cmdTok}
	if s.config != nil {
		s.config(&cfg)
	}
	secret := s.secret
	if secret == "" {
		secret = strings.Repeat("s", 32)
	}
	opts := mattermost.Options{PublicURL: h.public.URL, ActionSecret: []byte(secret), ReconnectBackoff: 20 * time.Millisecond}
	if s.options != nil {
		s.options(&opts)
	}
	surf, err := mattermost.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.surf = surf
	h.web = adaptertest.NewChannel("webchat")
	ob := outbox.New(outbox.Options{Store: h.st, Surfaces: []bridge.StaffSurface{surf}, Channels: []bridge.CustomerChannel{h.web},
		Log: testLog(t).With("part", "outbox"), BaseBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Pacing: map[bridge.Platform]bridge.Pacing{"mattermost": {}}})
	h.eng = engine.New(engine.Options{Store: h.st, Surfaces: []bridge.Platform{"mattermost"}, Notify: ob.Notify})
	table, err := commands.NewTable(commands.Core()...)
	if err != nil {
		t.Fatal(err)
	}
	cmd := commands.NewHandler(h.eng, table, commands.DefaultSyntax(), testLog(t))
	if err := surf.Init(bridge.Deps{Log: testLog(t), Clock: bridge.SystemClock(), Store: h.st, Core: h.eng, AttachmentsDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	h.hmu.Lock()
	h.handler = surf.Handler(cmd)
	h.hmu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.wg.Add(2)
	go func() { defer h.wg.Done(); ob.Run(ctx) }()
	go func() {
		defer h.wg.Done()
		if err := surf.Run(ctx, cmd); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(h.stop)
	adaptertest.Eventually(t, wait, func() bool { return h.fake.Connected() == 1 }, "WebSocket connected")
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		h.wg.Wait()
		h.cancel = nil
	}
}

// customer writes as a web chat visitor.
func (h *harness) customer(name, text string) bridge.ConversationID {
	h.t.Helper()
	res, err := h.eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "visitor-" + name, Name: name, Text: text})
	if err != nil {
		h.t.Fatal(err)
	}
	return res.Conversation
}

// root waits for the conversation's thread and returns its root post id.
func (h *harness) root(conv bridge.ConversationID) string {
	h.t.Helper()
	var ref bridge.ThreadRef
	adaptertest.Eventually(h.t, wait, func() bool {
		r, err := h.st.Thread(context.Background(), conv, "mattermost")
		ref = r
		return err == nil
	}, "thread of %s opened", conv)
	ch, root, _ := strings.Cut(string(ref), "/")
	if ch != h.channel {
		h.t.Fatalf("thread %s is not in the staff channel %s", ref, h.channel)
	}
	return root
}

// replies waits until root has at least n replies and returns them.
func (h *harness) replies(root string, n int) []fakemattermost.Post {
	h.t.Helper()
	var ps []fakemattermost.Post
	adaptertest.Eventually(h.t, wait, func() bool { ps = h.fake.Thread(root); return len(ps) >= n }, "%d replies under %s", n, root)
	return ps
}

// card returns the root post's card attachment.
func (h *harness) card(root string) fakemattermost.Attachment {
	h.t.Helper()
	p, ok := h.fake.Post(root)
	if !ok || len(p.Attachments()) != 1 {
		h.t.Fatalf("post %s has no card: %+v", root, p)
	}
	return p.Attachments()[0]
}

// sent returns the texts delivered to customers.
func (h *harness) sent() []string {
	var out []string
	for _, d := range h.web.Deliveries() {
		out = append(out, d.Text)
	}
	return out
}

func buttons(a fakemattermost.Attachment) []string {
	var out []string
	for _, b := range a.Actions {
		out = append(out, b.ID)
	}
	return out
}

// restart stops the surface and the core and starts them again on the
// same fake and store, with s.
func (h *harness) restart(s setup) {
	h.t.Helper()
	h.stop()
	adaptertest.Eventually(h.t, wait, func() bool { return h.fake.Connected() == 0 }, "socket closed")
	h.start(s)
}

package email

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/live"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// rig is the real core (SQLite store, engine, outbox, command handler)
// with a recording staff surface, the email adapter, and loopback IMAP and
// SMTP servers.
type rig struct {
	t       testing.TB
	st      *sqlite.Store
	eng     *engine.Engine
	ob      *outbox.Outbox
	handler *commands.Handler
	surf    *adaptertest.Surface
	imap    *fakemail.IMAPServer
	smtp    *fakemail.SMTPServer
	cfg     Config
	opts    Options
	deps    bridge.Deps
	ad      *Adapter

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type rigOptions struct {
	imap      fakemail.IMAPOptions
	smtp      fakemail.SMTPOptions
	configure func(*Config)
	dbPath    string
	attDir    string
	workflow  team.Options // departments and rules (default: none)
}

var testKey = []byte("0123456789abcdef0123456789abcdef-test-key")

func testLog(t testing.TB) *slog.Logger {
	if os.Getenv("EMAIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t}
	if o.dbPath != "" {
		r.st = storetest.OpenAt(t, o.dbPath)
	} else {
		r.st = storetest.Open(t)
	}
	r.imap = fakemail.NewIMAP(t, o.imap)
	r.smtp = fakemail.NewSMTP(t, o.smtp)
	r.cfg = Config{From: "Example Support <support@example.com>", PlusAddressing: true}
	r.cfg.IMAP.URL = r.imap.URL()
	r.cfg.SMTP.URL = r.smtp.URL()
	if o.configure != nil {
		o.configure(&r.cfg)
	}
	r.cfg.Defaults()
	if err := r.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r.cfg.IMAP.PollInterval = bridge.Duration(50 * time.Millisecond) // below the 1s a config may ask for
	if o.attDir == "" {
		o.attDir = t.TempDir()
	}
	r.surf = adaptertest.NewSurface("console")
	log := testLog(t)
	r.opts = Options{Key: testKey, TLSConfig: fakemail.TrustTLS(r.imap.Cert(), r.smtp.Cert())}
	var err error
	r.ad, err = New(r.cfg, r.opts)
	if err != nil {
		t.Fatal(err)
	}
	r.ob = outbox.New(outbox.Options{Store: r.st, Surfaces: []bridge.StaffSurface{r.surf}, Channels: []bridge.CustomerChannel{r.ad}, Log: log,
		BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 4,
		Pacing: map[bridge.Platform]bridge.Pacing{"email": {}}, // no pacing in tests
		Jitter: func() float64 { return 0.5 }})
	r.eng = engine.New(engine.Options{Store: r.st, Surfaces: []bridge.Platform{"console"}, Notify: r.ob.Notify, Log: log,
		Config: engine.Config{ReopenWindow: time.Hour}, Directory: team.New(o.workflow)})
	table, err := commands.NewTable(commands.Core()...)
	if err != nil {
		t.Fatal(err)
	}
	r.handler = commands.NewHandler(r.eng, table, commands.Syntax{Prefix: "!", NotePrefixes: []string{"//"}}, log)
	// Bounces of our replies become notes through the engine (Deps.Core).
	r.deps = bridge.Deps{Log: log, Clock: bridge.SystemClock(), Store: r.st, Core: r.eng, AttachmentsDir: o.attDir}
	if err := r.ad.Init(r.deps); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	return r
}

// start runs the outbox and the adapter (supervised, as the daemon does).
func (r *rig) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(2)
	go func() { defer r.wg.Done(); r.ob.Run(ctx) }()
	go func() {
		defer r.wg.Done()
		live.Supervise(ctx, nil, "email", testLog(r.t), 200*time.Millisecond, func(ctx context.Context) error { return r.ad.Run(ctx, r.eng) })
	}()
}

// stop ends the adapter and the outbox.
func (r *rig) stop() {
	r.mu.Lock()
	cancel := r.cancel
	r.cancel = nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		r.wg.Wait()
	}
}

func (r *rig) append(raw string) {
	r.t.Helper()
	if _, err := r.imap.Append("", []byte(raw)); err != nil {
		r.t.Fatal(err)
	}
}

// customerPosts returns the texts of customer messages shown to staff.
func (r *rig) customerPosts() []adaptertest.RecordedPost {
	posts, _, _ := r.surf.Snapshot()
	var out []adaptertest.RecordedPost
	for _, p := range posts {
		if p.Post.Direction == bridge.DirCustomer {
			out = append(out, p)
		}
	}
	return out
}

func (r *rig) waitPosts(n int) []adaptertest.RecordedPost {
	r.t.Helper()
	adaptertest.Eventually(r.t, 10*time.Second, func() bool { return len(r.customerPosts()) >= n }, "%d customer posts (have %d)", n, len(r.customerPosts()))
	return r.customerPosts()
}

func (r *rig) waitSent(n int) []fakemail.SMTPMessage {
	r.t.Helper()
	adaptertest.Eventually(r.t, 10*time.Second, func() bool { return len(r.smtp.Messages()) >= n }, "%d emails sent (have %d)", n, len(r.smtp.Messages()))
	return r.smtp.Messages()
}

func (r *rig) allSeen() bool {
	msgs, err := r.imap.Messages("")
	if err != nil {
		return false
	}
	for _, m := range msgs {
		if !m.Seen() {
			return false
		}
	}
	return true
}

// reply is staff typing text in the conversation's thread.
func (r *rig) reply(conv bridge.ConversationID, text, id string) {
	r.t.Helper()
	fb, err := r.handler.HandleStaffMessage(context.Background(), bridge.StaffMessage{Surface: "console", Conversation: conv,
		Actor: bridge.Actor{ID: "console:alice", Name: "Alice"}, Text: text, ExternalID: id})
	if err != nil || fb.Error {
		r.t.Fatalf("staff reply: %v %+v", err, fb)
	}
}

// conversations lists every conversation, oldest first.
func (r *rig) conversations() []bridge.Conversation {
	r.t.Helper()
	cs, err := r.st.ListConversations(context.Background(), store.ListFilter{All: true, Limit: 10000})
	if err != nil {
		r.t.Fatal(err)
	}
	slices.SortFunc(cs, func(a, b bridge.Conversation) int { return int(a.ID - b.ID) })
	return cs
}

// messages lists a conversation's messages, oldest first.
func (r *rig) messages(conv bridge.ConversationID) []bridge.Message {
	r.t.Helper()
	ms, err := r.st.Messages(context.Background(), conv, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	return ms
}

// mail builds a simple customer email.
func customerMail(from, id, subject, body string, headers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: support@example.com\r\nSubject: %s\r\nMessage-ID: %s\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n", from, subject, id)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	return b.String()
}

package whatsapp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakewhatsapp"
	"github.com/threadlinehq/threadline/adapters/whatsapp"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

var sheena = fakewhatsapp.Customer{WaID: "16505551234", Name: "Sheena Nelson"}

// staffSurface is the name of the recording staff surface.
const staffSurface bridge.Platform = "rec"

// fixture is the adapter on a real SQLite store and engine, its webhook
// served over HTTP and registered with the fake, and (once started) an
// outbox delivering to the fake and to a recording staff surface.
type fixture struct {
	fake    *fakewhatsapp.Server
	st      *sqlite.Store
	eng     *engine.Engine
	surface *adaptertest.Surface
	in      *recordingInbox
	ad      *whatsapp.Adapter
	hook    *httptest.Server
	cfg     whatsapp.Config
	logs    *syncBuffer
	ob      *outbox.Outbox
}

func newFixture(t *testing.T, mutate func(*whatsapp.Config, *whatsapp.Options)) *fixture {
	t.Helper()
	return newFixtureWith(t, []fakewhatsapp.Number{fakewhatsapp.DefaultNumber}, mutate)
}

// newFixtureWith is newFixture with the account's business numbers; the
// adapter serves the first one unless mutate says otherwise.
func newFixtureWith(t *testing.T, numbers []fakewhatsapp.Number, mutate func(*whatsapp.Config, *whatsapp.Options)) *fixture {
	t.Helper()
	fake := fakewhatsapp.New(numbers...)
	fake.ReportTo(t)
	t.Cleanup(fake.Close)
	st := storetest.Open(t)
	f := &fixture{fake: fake, st: st, surface: adaptertest.NewSurface(staffSurface), logs: &syncBuffer{}}
	f.eng = engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{staffSurface}, Notify: func() {
		if f.ob != nil {
			f.ob.Notify()
		}
	}})
	f.in = &recordingInbox{next: f.eng}
	cfg := whatsapp.Config{Token: fake.Token(), APIURL: fake.URL(), PhoneNumberIDs: []string{numbers[0].ID},
		VerifyToken: fakewhatsapp.VerifyToken, AppSecret: fake.AppSecret()}
	opts := whatsapp.Options{PartGap: time.Millisecond}
	if mutate != nil {
		mutate(&cfg, &opts)
	}
	cfg.Defaults()
	f.cfg = cfg
	ad, err := whatsapp.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	deps := bridge.Deps{Clock: bridge.SystemClock(), Store: st, Core: f.eng, AttachmentsDir: t.TempDir(),
		Log: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if err := ad.Init(deps); err != nil {
		t.Fatal(err)
	}
	f.ad = ad
	f.hook = httptest.NewServer(ad.Handler(f.in))
	t.Cleanup(f.hook.Close)
	fake.SetWebhook(f.hook.URL + whatsapp.WebhookPath)
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), fake.Token()) || strings.Contains(f.logs.String(), fake.AppSecret()) {
			t.Error("a secret appeared in the logs")
		}
		if t.Failed() {
			t.Logf("adapter logs:\n%s", f.logs.String())
		}
	})
	return f
}

// startOutbox runs an outbox that delivers replies to the fake and
// staff posts to the recording surface.
func (f *fixture) startOutbox(t *testing.T) {
	t.Helper()
	f.ob = outbox.New(outbox.Options{Store: f.st, Surfaces: []bridge.StaffSurface{f.surface}, Channels: []bridge.CustomerChannel{f.ad},
		BaseBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Pacing: map[bridge.Platform]bridge.Pacing{whatsapp.Platform: {PerDestination: 100, PerAdapter: 1000}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.ob.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// conversation waits for the customer's first message and returns its conversation.
func (f *fixture) conversation(t *testing.T) bridge.ConversationID {
	t.Helper()
	return f.in.waitFor(t, 1)[0].res.Conversation
}

// reply stores a staff reply written on the recording surface.
func (f *fixture) reply(t *testing.T, conv bridge.ConversationID, extID, text string, atts ...bridge.Attachment) bridge.MessageID {
	t.Helper()
	id, err := f.eng.Reply(context.Background(), engine.StaffContext{Conversation: conv, Surface: staffSurface, ExternalID: extID,
		Actor: bridge.Actor{ID: "U1", Name: "Alice", Role: bridge.RoleAgent}}, text, atts)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// posts returns the texts posted on the staff surface.
func (f *fixture) posts() []string {
	posts, _, _ := f.surface.Snapshot()
	var out []string
	for _, p := range posts {
		out = append(out, p.Post.Text)
	}
	return out
}

func (f *fixture) postWith(sub string) bool {
	for _, p := range f.posts() {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	adaptertest.Eventually(t, 10*time.Second, cond, "%s", what)
}

// delivery is one message that reached Deliver, with its result.
type delivery struct {
	msg bridge.InboundMessage
	res bridge.DeliverResult
}

// recordingInbox records what reached Deliver and passes it on.
type recordingInbox struct {
	next bridge.Inbox
	fail func(m bridge.InboundMessage) error

	mu   sync.Mutex
	msgs []delivery
}

func (r *recordingInbox) Deliver(ctx context.Context, m bridge.InboundMessage) (bridge.DeliverResult, error) {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(m); err != nil {
			return bridge.DeliverResult{}, err
		}
	}
	res, err := r.next.Deliver(ctx, m)
	if err == nil {
		r.mu.Lock()
		r.msgs = append(r.msgs, delivery{m, res})
		r.mu.Unlock()
	}
	return res, err
}

func (r *recordingInbox) setFail(fn func(m bridge.InboundMessage) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fn
}

func (r *recordingInbox) delivered() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.msgs...)
}

func (r *recordingInbox) waitFor(t *testing.T, n int) []delivery {
	t.Helper()
	adaptertest.Eventually(t, 10*time.Second, func() bool { return len(r.delivered()) >= n }, "%d delivered messages", n)
	return r.delivered()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

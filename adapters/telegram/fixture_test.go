package telegram_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

var anna = faketelegram.Customer{ID: 4242, FirstName: "Anna", LastName: "Smith", Username: "anna_s"}

// fixture is an adapter on a real SQLite store, talking to the fake.
type fixture struct {
	fake *faketelegram.Server
	st   *sqlite.Store
	eng  *engine.Engine
	in   *recordingInbox
	cfg  telegram.Config
	opts telegram.Options
	deps bridge.Deps // what the daemon hands the adapter (Init)
	logs *syncBuffer
}

func newFixture(t testing.TB, mutate func(*telegram.Config, *telegram.Options)) *fixture {
	t.Helper()
	fake := faketelegram.New("")
	t.Cleanup(fake.Close)
	st := storetest.Open(t)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}})
	logs := &syncBuffer{}
	cfg := telegram.Config{BotToken: fake.Token(), APIURL: fake.URL(), PollTimeout: bridge.Duration(time.Second)}
	opts := telegram.Options{PartGap: time.Millisecond, RetryBackoff: 10 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg, &opts)
	}
	cfg.Defaults()
	deps := bridge.Deps{Clock: bridge.SystemClock(), Store: st, Core: eng, AttachmentsDir: t.TempDir(),
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	f := &fixture{fake: fake, st: st, eng: eng, in: &recordingInbox{next: eng}, cfg: cfg, opts: opts, deps: deps, logs: logs}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), fake.Token()) {
			t.Error("the bot token appeared in the logs")
		}
		if t.Failed() {
			t.Logf("adapter logs:\n%s", logs.String())
		}
	})
	return f
}

func (f *fixture) adapter(t testing.TB) *telegram.Adapter {
	t.Helper()
	ad, err := telegram.New(f.cfg, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.Init(f.deps); err != nil {
		t.Fatal(err)
	}
	return ad
}

// run starts an adapter; the returned stop cancels it and waits for Run.
func (f *fixture) run(t testing.TB, in bridge.Inbox) (ad *telegram.Adapter, stop func() error) {
	t.Helper()
	ad = f.adapter(t)
	if in == nil {
		in = f.in
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ad.Run(ctx, in) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return ad, stop
}

// recordingInbox records what reached Deliver and passes it on.
type recordingInbox struct {
	next bridge.Inbox
	fail func(m bridge.InboundMessage) error

	mu   sync.Mutex
	msgs []bridge.InboundMessage
	res  []bridge.DeliverResult
}

func (r *recordingInbox) Deliver(ctx context.Context, m bridge.InboundMessage) (bridge.DeliverResult, error) {
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return bridge.DeliverResult{}, err
		}
	}
	res, err := r.next.Deliver(ctx, m)
	if err == nil {
		r.mu.Lock()
		r.msgs = append(r.msgs, m)
		r.res = append(r.res, res)
		r.mu.Unlock()
	}
	return res, err
}

func (r *recordingInbox) delivered() []bridge.InboundMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bridge.InboundMessage(nil), r.msgs...)
}

func (r *recordingInbox) results() []bridge.DeliverResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bridge.DeliverResult(nil), r.res...)
}

func (r *recordingInbox) waitFor(t testing.TB, n int) []bridge.InboundMessage {
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

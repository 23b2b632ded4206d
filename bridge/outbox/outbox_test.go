package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// httpChannel is a minimal customer channel that POSTs replies to a URL and
// classifies answers the way real adapters do.
type httpChannel struct {
	url    string
	client *http.Client
}

func (h *httpChannel) Name() bridge.Platform                         { return "webchat" }
func (h *httpChannel) Run(ctx context.Context, _ bridge.Inbox) error { <-ctx.Done(); return nil }
func (h *httpChannel) Send(ctx context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	body, _ := json.Marshal(map[string]any{"conversation": d.Conversation, "text": d.Text})
	req, _ := http.NewRequestWithContext(ctx, "POST", h.url, bytes.NewReader(body))
	resp, err := h.client.Do(req)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return bridge.ExternalRef{}, bridge.HTTPStatusError(resp.StatusCode, resp.Header.Get("Retry-After"), string(b), time.Now())
	}
	return bridge.ExternalRef{Platform: "webchat", ID: strings.TrimSpace(string(b))}, nil
}

// fakeDestination answers with a scripted status per request, then 200, and
// records the texts it accepted.
type fakeDestination struct {
	mu       sync.Mutex
	script   []int // statuses to answer before succeeding
	always   int   // if set, answer this forever
	hang     bool  // if set, never answer (the client times out)
	got      map[string][]string
	requests int
}

func (f *fakeDestination) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Conversation int64  `json:"conversation"`
		Text         string `json:"text"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if f.hang {
		f.mu.Unlock()
		<-r.Context().Done()
		f.mu.Lock()
		return
	}
	status := 200
	switch {
	case f.always != 0:
		status = f.always
	case len(f.script) > 0:
		status, f.script = f.script[0], f.script[1:]
	}
	switch status {
	case 200:
		if f.got == nil {
			f.got = make(map[string][]string)
		}
		key := fmt.Sprint(in.Conversation)
		f.got[key] = append(f.got[key], in.Text)
		fmt.Fprintf(w, "ext-%d", f.requests)
	case 429:
		w.Header().Set("Retry-After", "0.05")
		w.WriteHeader(429)
		io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
	default:
		w.WriteHeader(status)
		io.WriteString(w, `{"ok":false,"error":"boom"}`)
	}
}

func (f *fakeDestination) texts(conv bridge.ConversationID) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got[fmt.Sprint(int64(conv))]...)
}

type outboxRig struct {
	st      *sqlite.Store
	eng     *engine.Engine
	ob      *outbox.Outbox
	surface *adaptertest.Surface
	dest    *fakeDestination
	cancel  context.CancelFunc
	done    chan struct{}
}

func startOutbox(t *testing.T, st *sqlite.Store, dest *fakeDestination, cfg outbox.Options) *outboxRig {
	t.Helper()
	srv := httptest.NewServer(dest)
	t.Cleanup(srv.Close)
	surface := adaptertest.NewSurface("console")
	ch := &httpChannel{url: srv.URL, client: srv.Client()}
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff = 10 * time.Millisecond
	}
	cfg.Store, cfg.Surfaces, cfg.Channels, cfg.Jitter = st, []bridge.StaffSurface{surface}, []bridge.CustomerChannel{ch}, func() float64 { return 0.5 }
	ob := outbox.New(cfg)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify})
	ctx, cancel := context.WithCancel(context.Background())
	r := &outboxRig{st: st, eng: eng, ob: ob, surface: surface, dest: dest, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); ob.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *outboxRig) stop() {
	r.cancel()
	<-r.done
}

func staff(conv bridge.ConversationID) engine.StaffContext {
	return engine.StaffContext{Conversation: conv, Actor: bridge.Actor{ID: "console:alice", Name: "Alice"}, Surface: "console"}
}

func TestOutboxDeliversRepliesAndReceipts(t *testing.T) {
	st := storetest.Open(t)
	r := startOutbox(t, st, &fakeDestination{}, outbox.Options{})
	ctx := context.Background()
	res, err := r.eng.Deliver(ctx, msg("v1", "m1", "Where is my parcel?"))
	if err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { p, _, _ := r.surface.Snapshot(); return len(p) == 1 }, "customer message posted in the staff thread")
	posts, cards, _ := r.surface.Snapshot()
	if posts[0].Post.Text != "Where is my parcel?" || posts[0].Post.Direction != bridge.DirCustomer || posts[0].Conv != res.Conversation {
		t.Errorf("post = %+v", posts[0])
	}
	if len(cards) != 1 || cards[0].ID != res.Conversation || cards[0].LastMessage != "Where is my parcel?" {
		t.Errorf("thread card = %+v", cards)
	}
	sc := staff(res.Conversation)
	sc.ExternalID = "console-msg-1"
	if _, err := r.eng.Reply(ctx, sc, "It ships today.", nil); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.dest.texts(res.Conversation)) == 1 }, "reply delivered")
	adaptertest.Eventually(t, 5*time.Second, func() bool { _, _, rc := r.surface.Snapshot(); return len(rc) == 1 }, "receipt shown")
	_, _, receipts := r.surface.Snapshot()
	if !receipts[0].OK || receipts[0].Source != "console-msg-1" {
		t.Errorf("receipt = %+v", receipts[0])
	}
	refs, _ := st.References(ctx, res.Conversation, "webchat")
	if len(refs) != 2 || refs[1] != "ext-1" {
		t.Errorf("references = %v, want the customer message id and ext-1", refs)
	}
}

func TestOutboxRetriesRateLimitsAndServerErrorsInOrder(t *testing.T) {
	st := storetest.Open(t)
	dest := &fakeDestination{script: []int{429, 429, 500, 429, 500}}
	r := startOutbox(t, st, dest, outbox.Options{MaxAttempts: 5})
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "hi"))
	var want []string
	for i := 0; i < 5; i++ {
		text := fmt.Sprintf("reply %d", i)
		want = append(want, text)
		if _, err := r.eng.Reply(ctx, staff(res.Conversation), text, nil); err != nil {
			t.Fatal(err)
		}
	}
	adaptertest.Eventually(t, 10*time.Second, func() bool { return len(r.dest.texts(res.Conversation)) == 5 }, "all replies delivered")
	if got := strings.Join(r.dest.texts(res.Conversation), "|"); got != strings.Join(want, "|") {
		t.Errorf("delivered %s, want %s", got, strings.Join(want, "|"))
	}
	var rows []store.OutboxRow
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		rows, _ = st.OutboxRows(ctx, res.Conversation)
		for _, row := range rows {
			if row.State != "sent" {
				return false
			}
		}
		return true
	}, "every row recorded as sent")
	for _, row := range rows {
		if row.State != "sent" {
			t.Errorf("row %d %s is %s (%s)", row.ID, row.Kind, row.State, row.LastError)
		}
		// Only the two 500s count as attempts; 429s are pacing.
		if row.Kind == bridge.KindCustomerSend && row.Message != 0 && row.Attempts > 3 {
			t.Errorf("row %d used %d attempts", row.ID, row.Attempts)
		}
	}
}

func TestOutboxDeadLettersPermanentFailures(t *testing.T) {
	st := storetest.Open(t)
	r := startOutbox(t, st, &fakeDestination{always: 400}, outbox.Options{})
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "hi"))
	sc := staff(res.Conversation)
	sc.ExternalID = "c1"
	if _, err := r.eng.Reply(ctx, sc, "this will bounce", nil); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		p, _, rc := r.surface.Snapshot()
		return len(rc) == 1 && len(p) >= 2
	}, "dead-letter notice and failed receipt")
	posts, _, receipts := r.surface.Snapshot()
	last := posts[len(posts)-1].Post
	if last.Direction != bridge.DirSystem || !strings.Contains(last.Text, "could not be delivered") || !strings.Contains(last.Text, "HTTP 400") {
		t.Errorf("notice = %+v", last)
	}
	if receipts[0].OK || !strings.Contains(receipts[0].Error, "400") {
		t.Errorf("receipt = %+v", receipts[0])
	}
	if n := r.dest.requests; n != 1 {
		t.Errorf("permanent failure was tried %d times, want 1", n)
	}
}

func TestOutboxDeadLettersAfterMaxAttempts(t *testing.T) {
	replyUntilDead(t, &fakeDestination{always: 503}, outbox.Options{MaxAttempts: 3}, 5*time.Second)
}

// A send that times out is a failed attempt: it is retried, counted, and
// dead-lettered after max_attempts like any other transient failure (the
// outcome is recorded with its own deadline, not the spent send's).
func TestOutboxTimeoutsCountAsAttempts(t *testing.T) {
	replyUntilDead(t, &fakeDestination{hang: true}, outbox.Options{MaxAttempts: 3,
		SendTimeout: 50 * time.Millisecond, BaseBackoff: 10 * time.Millisecond}, 10*time.Second)
}

// replyUntilDead sends one staff reply to a destination that keeps failing
// and checks it is dead-lettered after exactly cfg.MaxAttempts (3) tries.
func replyUntilDead(t *testing.T, dest *fakeDestination, cfg outbox.Options, wait time.Duration) {
	t.Helper()
	st := storetest.Open(t)
	r := startOutbox(t, st, dest, cfg)
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "hi"))
	if _, err := r.eng.Reply(ctx, staff(res.Conversation), "x", nil); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, wait, func() bool {
		rows, _ := st.OutboxRows(ctx, res.Conversation)
		for _, row := range rows {
			if row.Kind == bridge.KindCustomerSend {
				return row.State == "dead"
			}
		}
		return false
	}, "customer send dead-lettered")
	r.dest.mu.Lock()
	n := r.dest.requests
	r.dest.mu.Unlock()
	if n != 3 {
		t.Errorf("tried %d times, want 3", n)
	}
}

func TestOutboxResumesAfterRestartAndKeepsThreads(t *testing.T) {
	path := t.TempDir() + "/t.db"
	ctx := context.Background()
	// First run: the daemon stores messages but dies before delivering.
	st := storetest.OpenAt(t, path)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}})
	res, _ := eng.Deliver(ctx, msg("v1", "m1", "one"))
	eng.Deliver(ctx, msg("v1", "m2", "two"))
	st.Close()

	// Second run: pending rows go out, in order, in one thread.
	st2 := storetest.OpenAt(t, path)
	r := startOutbox(t, st2, &fakeDestination{}, outbox.Options{})
	adaptertest.Eventually(t, 5*time.Second, func() bool { p, _, _ := r.surface.Snapshot(); return len(p) == 2 }, "resumed posts")
	posts, _, _ := r.surface.Snapshot()
	if posts[0].Post.Text != "one" || posts[1].Post.Text != "two" || posts[0].Thread != posts[1].Thread {
		t.Errorf("posts = %+v", posts)
	}
	thread, _ := st2.Thread(ctx, res.Conversation, "console")
	r.stop()
	st2.Close()

	// Third run: the mapping is still there; a new message goes to the same thread.
	st3 := storetest.OpenAt(t, path)
	if got, _ := st3.Thread(ctx, res.Conversation, "console"); got != thread {
		t.Fatalf("thread after restart = %q, want %q", got, thread)
	}
	id, _ := st3.ConversationByThread(ctx, "console", thread)
	if id != res.Conversation {
		t.Errorf("thread maps to %s, want %s", id, res.Conversation)
	}
}

func TestOutboxReopensDeletedThread(t *testing.T) {
	st := storetest.Open(t)
	r := startOutbox(t, st, &fakeDestination{}, outbox.Options{})
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "one"))
	old := recordedThread(t, st, r, res.Conversation)
	r.surface.DeleteThread(old)
	r.eng.Deliver(ctx, msg("v1", "m2", "two"))
	adaptertest.Eventually(t, 5*time.Second, func() bool { p, _, _ := r.surface.Snapshot(); return len(p) == 2 }, "post in new thread")
	_, cards, _ := r.surface.Snapshot()
	if last := cards[len(cards)-1]; last.PreviousThread != old {
		t.Errorf("new thread card PreviousThread = %q, want %q", last.PreviousThread, old)
	}
	if id, _ := st.ConversationByThread(ctx, "console", old); id != res.Conversation {
		t.Errorf("old thread no longer maps to the conversation")
	}
}

func TestOutboxKeepsPerConversationOrderUnderFailures(t *testing.T) {
	st := storetest.Open(t)
	dest := &fakeDestination{}
	r := startOutbox(t, st, dest, outbox.Options{Workers: 4})
	rng := rand.New(rand.NewPCG(1, 2))
	var fmu sync.Mutex
	dest.mu.Lock()
	for i := 0; i < 60; i++ {
		fmu.Lock()
		dest.script = append(dest.script, []int{200, 200, 500, 429}[rng.IntN(4)])
		fmu.Unlock()
	}
	dest.mu.Unlock()
	ctx := context.Background()
	var convs []bridge.ConversationID
	for c := 0; c < 5; c++ {
		res, _ := r.eng.Deliver(ctx, msg(fmt.Sprintf("v%d", c), "", "hi"))
		convs = append(convs, res.Conversation)
	}
	for i := 0; i < 10; i++ {
		for _, c := range convs {
			if _, err := r.eng.Reply(ctx, staff(c), fmt.Sprint(i), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range convs {
		adaptertest.Eventually(t, 20*time.Second, func() bool { return len(dest.texts(c)) == 10 }, "10 replies in %s", c)
		if got := strings.Join(dest.texts(c), ","); got != "0,1,2,3,4,5,6,7,8,9" {
			t.Errorf("%s got %s", c, got)
		}
	}
}

// recordedThread waits for conv's first thread to be opened on the surface
// and recorded in the store, and returns it. The surface has the thread as
// soon as it answered; the store records it right after (outcomes are
// recorded behind the sends).
func recordedThread(t *testing.T, st *sqlite.Store, r *outboxRig, conv bridge.ConversationID) bridge.ThreadRef {
	t.Helper()
	var ref bridge.ThreadRef
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		got, err := st.Thread(context.Background(), conv, "console")
		ref = got
		return err == nil && r.surface.Threads() == 1
	}, "thread opened and recorded")
	return ref
}

func TestThreadGoneOpensLinkedThread(t *testing.T) {
	st := storetest.Open(t)
	r := startOutbox(t, st, &fakeDestination{}, outbox.Options{})
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "one"))
	old := recordedThread(t, st, r, res.Conversation)
	if err := r.eng.ThreadGone(ctx, "console", old); err != nil {
		t.Fatal(err)
	}
	if err := r.eng.ThreadGone(ctx, "console", old); err != nil { // a second event is harmless
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return r.surface.Threads() == 2 }, "new thread opened")
	_, cards, _ := r.surface.Snapshot()
	if cards[len(cards)-1].PreviousThread != old {
		t.Errorf("new card does not link the old thread: %+v", cards[len(cards)-1])
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		p, _, _ := r.surface.Snapshot()
		return len(p) == 2 && strings.Contains(p[1].Post.Text, "was deleted")
	}, "notice in the new thread")
}

// gateChannel blocks every Send until released and records how many were
// in progress at once.
type gateChannel struct {
	mu        sync.Mutex
	now, peak int
	sent      int
	release   chan struct{}
}

func (g *gateChannel) Name() bridge.Platform                         { return "webchat" }
func (g *gateChannel) Run(ctx context.Context, _ bridge.Inbox) error { <-ctx.Done(); return nil }
func (g *gateChannel) Send(ctx context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	g.mu.Lock()
	g.now++
	g.peak = max(g.peak, g.now)
	g.mu.Unlock()
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	g.mu.Lock()
	g.now--
	g.sent++
	g.mu.Unlock()
	return bridge.ExternalRef{}, nil
}

func (g *gateChannel) stats() (now, peak, sent int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now, g.peak, g.sent
}

// Recording outcomes is pipelined behind the sends, but no more than
// Workers sends are ever in progress at once.
func TestOutboxBoundsConcurrentSendsByWorkers(t *testing.T) {
	st := storetest.Open(t)
	g := &gateChannel{release: make(chan struct{})}
	surface := adaptertest.NewSurface("console")
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface},
		Channels: []bridge.CustomerChannel{g}, Workers: 3})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ob.Run(ctx) }()
	defer func() { cancel(); <-done }()

	const convs = 12
	for c := 0; c < convs; c++ {
		res, err := eng.Deliver(ctx, msg(fmt.Sprintf("v%d", c), "", "hi"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Reply(ctx, staff(res.Conversation), "answer", nil); err != nil {
			t.Fatal(err)
		}
	}
	// Let the workers fill up before any send finishes: released at once,
	// a loaded machine may never have had three waiting together.
	adaptertest.Eventually(t, 10*time.Second, func() bool { now, _, _ := g.stats(); return now >= 3 }, "3 sends in progress")
	for i := 0; i < convs; i++ {
		g.release <- struct{}{} // blocks until some send is waiting
	}
	adaptertest.Eventually(t, 10*time.Second, func() bool { _, _, s := g.stats(); return s == convs }, "all sent")
	if _, peak, _ := g.stats(); peak != 3 {
		t.Errorf("at most %d sends were in progress at once, want exactly Workers=3", peak)
	}
}

// TestOutboxRetriesTheRecordNotTheSend: a post succeeds but the database is
// locked when the outbox records it. The record is retried until the lock
// is gone; the post is not repeated.
func TestOutboxRetriesTheRecordNotTheSend(t *testing.T) {
	r, thread := recordWhileLocked(t, "post", 600*time.Millisecond)
	if posts, _, _ := r.surface.Snapshot(); len(posts) != 1 || posts[0].Thread != thread {
		t.Errorf("posts = %+v, want one in %s: the send was repeated while the record failed", posts, thread)
	}
}

// slowSurface opens threads slowly and answers posts late: the platform
// keeps a post even when the answer comes after the client gave up.
type slowSurface struct {
	*adaptertest.Surface
	open, answer time.Duration
}

func (s *slowSurface) OpenThread(ctx context.Context, c bridge.ConversationView) (bridge.ThreadRef, error) {
	time.Sleep(s.open)
	return s.Surface.OpenThread(ctx, c)
}

func (s *slowSurface) Post(ctx context.Context, t bridge.ThreadRef, p bridge.StaffPost) (bridge.ExternalRef, error) {
	ref, err := s.Surface.Post(ctx, t, p)
	select {
	case <-time.After(s.answer):
		return ref, err
	case <-ctx.Done():
		return bridge.ExternalRef{}, ctx.Err()
	}
}

// TestOutboxPostAfterSlowThreadOpeningHasItsOwnDeadline: opening the thread
// takes most of send_timeout; the first post still gets a whole
// send_timeout, so it is not cut off after the platform took it (which
// would show it twice after the retry).
func TestOutboxPostAfterSlowThreadOpeningHasItsOwnDeadline(t *testing.T) {
	st := storetest.Open(t)
	timeout := 400 * time.Millisecond
	surface := &slowSurface{Surface: adaptertest.NewSurface("console"), open: timeout * 7 / 10, answer: timeout / 2}
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface},
		SendTimeout: timeout, BaseBackoff: 10 * time.Millisecond})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ob.Run(ctx) }()
	defer func() { cancel(); <-done }()
	res, err := eng.Deliver(ctx, msg("v1", "m1", "one"))
	if err != nil {
		t.Fatal(err)
	}
	postSent(t, st, res.Conversation)
	if posts, _, _ := surface.Snapshot(); len(posts) != 1 {
		t.Errorf("%d posts, want 1: the post was cut off by the thread opening's deadline and repeated", len(posts))
	}
}

// TestOutboxRetriesTheThreadRecordNotTheOpening: a thread opens on the
// platform but the database is locked, for longer than send_timeout, when
// the outbox records it. The record is retried; no second thread is opened.
func TestOutboxRetriesTheThreadRecordNotTheOpening(t *testing.T) {
	r, thread := recordWhileLocked(t, "open", 700*time.Millisecond)
	if n := r.surface.Threads(); n != 1 {
		t.Errorf("%d threads opened, want 1: the opening was repeated while its record failed", n)
	}
	if posts, _, _ := r.surface.Snapshot(); len(posts) != 1 || posts[0].Thread != thread {
		t.Errorf("posts = %+v, want one in %s", posts, thread)
	}
}

// recordWhileLocked delivers one message; right after the surface call op
// (open or post) went through, another process holds the database's write
// lock for hold, so recording what the platform did fails for a while. It
// returns once the post is recorded as sent, with the outbox stopped, and
// the conversation's recorded thread.
func recordWhileLocked(t *testing.T, op string, hold time.Duration) (*outboxRig, bridge.ThreadRef) {
	t.Helper()
	path := t.TempDir() + "/t.db"
	st, err := sqlite.Open(store.Config{Path: path, BusyTimeout: bridge.Duration(50 * time.Millisecond)}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	lock := storetest.NewWriteLock(t, path)
	r := startOutbox(t, st, &fakeDestination{}, outbox.Options{SendTimeout: 300 * time.Millisecond})
	var locked sync.Once
	released := make(chan struct{})
	r.surface.Fail = func(got string, _ int) error {
		if got == op {
			locked.Do(func() {
				lock.Lock()
				go func() {
					time.Sleep(hold)
					lock.Unlock()
					close(released)
				}()
			})
		}
		return nil
	}
	res, err := r.eng.Deliver(ctx, msg("v1", "m1", "one"))
	if err != nil {
		t.Fatal(err)
	}
	<-released
	postSent(t, st, res.Conversation)
	r.stop()
	thread, err := st.Thread(ctx, res.Conversation, "console")
	if err != nil {
		t.Fatal(err)
	}
	return r, thread
}

// postSent waits until conv's staff post is recorded as sent.
func postSent(t *testing.T, st *sqlite.Store, conv bridge.ConversationID) {
	t.Helper()
	adaptertest.Eventually(t, 10*time.Second, func() bool {
		rows, _ := st.OutboxRows(context.Background(), conv)
		for _, row := range rows {
			if row.Kind == bridge.KindStaffPost {
				return row.State == "sent"
			}
		}
		return false
	}, "the post recorded as sent")
}

// A retry of a row whose thread opening failed tells the surface when it
// first tried (ConversationView.TriedSince), so it can look for a thread
// the platform made while the answer was lost; a first try does not.
func TestOutboxTellsTheSurfaceAboutAnEarlierOpeningTry(t *testing.T) {
	st := storetest.Open(t)
	r := startOutbox(t, st, &fakeDestination{}, outbox.Options{})
	failed := false
	r.surface.Fail = func(op string, _ int) error {
		if op == "open" && !failed {
			failed = true
			return errors.New("connection reset")
		}
		return nil
	}
	ctx := context.Background()
	first, _ := r.eng.Deliver(ctx, msg("v1", "m1", "one"))
	postSent(t, st, first.Conversation)
	second, _ := r.eng.Deliver(ctx, msg("v2", "m2", "two"))
	postSent(t, st, second.Conversation)
	r.stop()
	_, cards, _ := r.surface.Snapshot()
	opened := map[bridge.ConversationID]bridge.ConversationView{}
	for _, c := range cards {
		if _, ok := opened[c.ID]; !ok {
			opened[c.ID] = c
		}
	}
	if opened[first.Conversation].TriedSince.IsZero() {
		t.Error("the retry after a failed opening did not say when it first tried")
	}
	if !opened[second.Conversation].TriedSince.IsZero() {
		t.Errorf("a first try says TriedSince %s", opened[second.Conversation].TriedSince)
	}
}

func msg(addr, ext, text string) bridge.InboundMessage {
	return bridge.InboundMessage{Channel: "webchat", Address: addr, ExternalID: ext, Name: "Anna", Text: text}
}

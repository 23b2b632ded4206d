package outbox_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/store/storetest"
)

// The outbox hands rows to workers it keeps while it runs; when Run
// returns, every worker has been told to stop and none is left behind.
func TestOutboxWorkersStopWithRun(t *testing.T) {
	st := storetest.OpenAt(t, t.TempDir()+"/threadline.db")
	surface := adaptertest.NewSurface("console")
	before := runtime.NumGoroutine()
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ob.Run(ctx) }()
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify})
	const n = 120
	for i := range n {
		if _, err := eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprint("v", i%12),
			ExternalID: fmt.Sprint("m", i), Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	waitPosts(t, surface, n)
	cancel()
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Run returned, %d before it started:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countingSources counts the outbox's per-post source reads and its
// read-ahead batches.
type countingSources struct {
	bridge.Store
	single, batch atomic.Int32
}

func (c *countingSources) PostSource(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform, msg bridge.MessageID) (bridge.ThreadRef, bridge.Message, error) {
	c.single.Add(1)
	return c.Store.PostSource(ctx, conv, surface, msg)
}

func (c *countingSources) PostSources(ctx context.Context, surface bridge.Platform, msgs []bridge.MessageID) (map[bridge.MessageID]bridge.PostSource, error) {
	c.batch.Add(1)
	return c.Store.PostSources(ctx, surface, msgs)
}

// Staff posts show what the due read fetched with them (the thread and the
// message, one query for the batch), not a read per post, once a batch
// holds enough of them; the posts land in each conversation's thread with
// their text.
func TestOutboxStaffPostsUseTheSourcesReadWithTheRows(t *testing.T) {
	st := &countingSources{Store: storetest.OpenAt(t, t.TempDir()+"/threadline.db")}
	surface := adaptertest.NewSurface("console")
	clk := clocktest.Monday()
	ctx := context.Background()
	run := func() (*outbox.Outbox, func()) {
		ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface}, Clock: clk})
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); ob.Run(rctx) }()
		return ob, func() { cancel(); <-done }
	}
	const convs = 20
	deliver := func(eng *engine.Engine, round int) {
		t.Helper()
		for i := range convs {
			if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprint("v", i),
				ExternalID: fmt.Sprint("m", round, "-", i), Text: fmt.Sprint("round ", round, " to ", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The first message of each conversation opens its thread.
	ob, stop := run()
	deliver(engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Clock: clk, Notify: ob.Notify}), 1)
	waitPosts(t, surface, convs)
	settle(t, st)
	stop()
	// The second messages wait while no outbox runs: its first due read
	// finds them all, one lane head per conversation.
	deliver(engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Clock: clk}), 2)
	single, batch := st.single.Load(), st.batch.Load()
	_, stop = run()
	defer stop()
	waitPosts(t, surface, 2*convs)
	if n := st.single.Load() - single; n != 0 {
		t.Errorf("%d posts read their source one by one; want all read with the rows", n)
	}
	if n := st.batch.Load() - batch; n != 1 {
		t.Errorf("%d reads ahead, want 1", n)
	}
	posts, _, _ := surface.Snapshot()
	threads := map[bridge.ConversationID]bridge.ThreadRef{}
	for _, p := range posts {
		if th, ok := threads[p.Conv]; ok && th != p.Thread {
			t.Errorf("conversation %d: posts in threads %s and %s", p.Conv, th, p.Thread)
		}
		threads[p.Conv] = p.Thread
		var round, to int
		if _, err := fmt.Sscanf(p.Post.Text, "round %d to %d", &round, &to); err != nil || p.Post.Message == 0 {
			t.Errorf("post %+v", p.Post)
		}
	}
	if len(threads) != convs {
		t.Errorf("posts in %d conversations, want %d", len(threads), convs)
	}
}

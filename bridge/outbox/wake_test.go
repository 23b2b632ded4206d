package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// runOnFrozenClock runs an outbox on st whose clock never moves, so its
// safety-net timer never fires: every row it sends, it found because a
// Notify, a Wake or a finished row made it read again.
func runOnFrozenClock(t *testing.T, st bridge.Store) (*outbox.Outbox, *adaptertest.Surface, *clocktest.Clock) {
	t.Helper()
	return runOnFrozenClockWith(t, st, adaptertest.NewSurface("console"))
}

func runOnFrozenClockWith(t *testing.T, st bridge.Store, surface *adaptertest.Surface) (*outbox.Outbox, *adaptertest.Surface, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.Monday()
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface}, Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ob.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return ob, surface, clk
}

func waitPosts(t *testing.T, s *adaptertest.Surface, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		posts, _, _ := s.Snapshot()
		if len(posts) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d posts arrived", len(posts), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Notify says this process committed rows; when nothing was committed
// through this store since the last read, there is nothing new to read.
// Rows another process queued (a replica, here a second handle on the
// same file) come in through Wake.
func TestOutboxWakeReadsRowsAnotherProcessQueued(t *testing.T) {
	path := filepath.Join(t.TempDir(), "threadline.db")
	st := &countingReads{Store: storetest.OpenAt(t, path)}
	other := storetest.OpenAt(t, path)
	ob, surface, clk := runOnFrozenClock(t, st)
	ctx := context.Background()
	here := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Clock: clk, Notify: ob.Notify})
	if _, err := here.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", ExternalID: "m1", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	waitPosts(t, surface, 1)
	settle(t, st)
	// A read after every commit so far: from here on, the loop's last read
	// has seen all this process committed.
	reads := st.due.Load()
	ob.Wake()
	for st.due.Load() == reads {
		time.Sleep(5 * time.Millisecond)
	}

	there := engine.New(engine.Options{Store: other, Surfaces: []bridge.Platform{"console"}, Clock: clk})
	if _, err := there.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v2", ExternalID: "m2", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	ob.Notify()
	time.Sleep(200 * time.Millisecond)
	if posts, _, _ := surface.Snapshot(); len(posts) != 1 {
		t.Fatalf("Notify read rows this process did not commit: %d posts", len(posts))
	}
	ob.Wake()
	waitPosts(t, surface, 2)
}

// Rows behind a lane's head go out as the heads finish, with no timer to
// catch rows the loop passed over: a row read while its lane was still
// busy is read again when the lane finishes, and outcomes that share a
// commit are read once.
func TestOutboxLanesDrainWithoutTheSafetyNet(t *testing.T) {
	st := storetest.Open(t)
	ob, surface, clk := runOnFrozenClock(t, st)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Clock: clk, Notify: ob.Notify})
	const visitors, each = 5, 40
	errs := make(chan error, visitors)
	for v := range visitors {
		go func() {
			for i := range each {
				_, err := eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprintf("v%d", v),
					ExternalID: fmt.Sprintf("m%d-%d", v, i), Text: fmt.Sprintf("message %d", i)})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range visitors {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	waitPosts(t, surface, visitors*each)
	posts, _, _ := surface.Snapshot()
	next := map[bridge.ConversationID]int{}
	for _, p := range posts {
		if want := fmt.Sprintf("message %d", next[p.Conv]); p.Post.Text != want {
			t.Fatalf("conversation %d: got %q, want %q", p.Conv, p.Post.Text, want)
		}
		next[p.Conv]++
	}
}

// failingWrites is a store whose next writes fail while fail is above 0
// (the database refusing writes for a moment); it still counts commits.
type failingWrites struct {
	*sqlite.Store
	fail   atomic.Int32
	failed atomic.Int32 // writes failed so far
}

func (f *failingWrites) Write(ctx context.Context, fn func(bridge.Tx) error) error {
	if f.fail.Add(-1) >= 0 {
		f.failed.Add(1)
		return errors.New("disk I/O error")
	}
	return f.Store.Write(ctx, fn)
}

// When the outcome of a failed send cannot be written, nothing was
// committed, but the row is due again once the one-second pause for its
// destination is over: the loop reads it then, not at the safety net.
func TestOutboxRetriesARowWhoseOutcomeWasNotRecorded(t *testing.T) {
	st := &failingWrites{Store: storetest.Open(t)}
	surface := adaptertest.NewSurface("console")
	var posts atomic.Int32
	surface.Fail = func(op string, _ int) error {
		if op == "post" && posts.Add(1) == 2 {
			st.fail.Store(1) // the retry's record fails
			return errors.New("connection reset")
		}
		return nil
	}
	ob, surface, clk := runOnFrozenClockWith(t, st, surface)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Clock: clk, Notify: ob.Notify})
	ctx := context.Background()
	if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", ExternalID: "m1", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	waitPosts(t, surface, 1)
	settle(t, st)
	// The loop's last read is now after every commit: the failed send
	// of m2 and its unrecorded outcome commit nothing.
	if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", ExternalID: "m2", Text: "again"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	advanced := time.Duration(0)
	for {
		if p, _, _ := surface.Snapshot(); len(p) == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the row was not sent again (%d post attempts)", posts.Load())
		}
		// Past the destination's pause, never as far as the 5 s safety net.
		if st.failed.Load() > 0 && advanced < 2*time.Second {
			clk.Advance(100 * time.Millisecond)
			advanced += 100 * time.Millisecond
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits until no outbox row is pending and the loop had time to
// take the last outcome.
func settle(t *testing.T, st bridge.Store) {
	t.Helper()
	for {
		next, err := st.NextOutboxDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if next.IsZero() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
}

// countingReads counts the outbox's due reads.
type countingReads struct {
	*sqlite.Store
	due atomic.Int32
}

func (c *countingReads) DueOutbox(ctx context.Context, now time.Time, limit int, skip []bridge.OutboxID) ([]bridge.OutboxItem, error) {
	c.due.Add(1)
	return c.Store.DueOutbox(ctx, now, limit, skip)
}

package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/live"
	"github.com/threadlinehq/threadline/store/storetest"
)

// TestCatchUpMarks: nothing to catch up on a first start; after Caught the
// mark is written and beats follow only while listening; the next start
// reaches back a margin before the mark, never further than the window.
func TestCatchUpMarks(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	c := &live.CatchUp{Store: st, Surface: "slack", Clock: clocktest.Func(func() time.Time { return now })}
	if _, _, ok, err := c.Start(ctx); ok || err != nil {
		t.Fatalf("first start: ok=%v err=%v, want nothing to do", ok, err)
	}
	c.Caught(ctx)
	since, ok, err := c.Since(ctx)
	if !ok || err != nil || !since.Before(now) || now.Sub(since) > 2*time.Minute {
		t.Errorf("since = %v ok=%v err=%v, want shortly before %v", since, ok, err, now)
	}
	// Disconnected: beats do not move the mark.
	c.Listening(false)
	now = now.Add(time.Hour)
	c.Beat(ctx)
	if s2, _, _ := c.Since(ctx); !s2.Equal(since) {
		t.Errorf("a beat while not listening moved the mark: %v -> %v", since, s2)
	}
	c.Listening(true)
	c.Beat(ctx)
	if s3, _, _ := c.Since(ctx); !s3.After(since) {
		t.Errorf("a beat while listening did not move the mark: %v", s3)
	}
	// Stopped for a month: only the last CatchUpWindow is read.
	now = now.Add(30 * 24 * time.Hour)
	if s4, _, _ := c.Since(ctx); !s4.Equal(now.Add(-live.CatchUpWindow)) {
		t.Errorf("since after a month = %v, want %v", s4, now.Add(-live.CatchUpWindow))
	}
}

package live_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/live"
)

func TestConnStateTracksReportsAndRestarts(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s := live.NewState(clocktest.Func(func() time.Time { return now }))
	slack := s.Adapter("slack")
	web := s.Adapter("webchat")
	if got := s.Snapshot(); len(got) != 2 || got[0].Connected || got[0].Detail != "connecting" || got[0].Ever {
		t.Fatalf("initial %+v", got)
	}

	// A self-reporting adapter is only up when it says so.
	ctx, cancel := context.WithCancel(context.Background())
	running := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- slack.Track(true, func(ctx context.Context) error {
			close(running)
			<-ctx.Done()
			return errors.New("socket closed")
		})(ctx)
	}()
	<-running
	if s.Snapshot()[0].Connected {
		t.Error("self-reporting adapter counted as connected before it reported")
	}
	now = now.Add(time.Second)
	slack.Up("Socket Mode")
	if st := s.Snapshot()[0]; !st.Connected || !st.Ever || st.Detail != "Socket Mode" || !st.Since.Equal(now) {
		t.Errorf("after Up: %+v", st)
	}
	cancel()
	<-done
	if st := s.Snapshot()[0]; st.Connected || st.Detail != "stopped: socket closed" {
		t.Errorf("after Run returned on shutdown: %+v", st)
	}

	// Other adapters are up while Run runs and down while being restarted.
	err := web.Track(false, func(ctx context.Context) error {
		if st := s.Snapshot()[1]; !st.Connected || st.Detail != "running" {
			t.Errorf("while running: %+v", st)
		}
		return errors.New("boom")
	})(context.Background())
	if err == nil || err.Error() != "boom" {
		t.Errorf("Track changed the error: %v", err)
	}
	if st := s.Snapshot()[1]; st.Connected || st.Detail != "stopped: boom; restarting" {
		t.Errorf("after a failure: %+v", st)
	}

	// A panic is reported and passed on to Supervise.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		web.Track(false, func(context.Context) error { panic("oops") })(context.Background())
	}()
	if st := s.Snapshot()[1]; st.Detail != "stopped: panic; restarting" {
		t.Errorf("after a panic: %+v", st)
	}

	// A nil handle ignores reports (adapters built without one).
	var none *live.Conn
	none.Up("x")
	none.Down("y")
}

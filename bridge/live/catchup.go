package live

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// CatchUpStore is what a staff surface needs to catch up on messages staff
// wrote while Threadline was not listening (stopped, or disconnected for
// longer than the platform redelivers events).
type CatchUpStore interface {
	bridge.Cursors
	// ThreadsActiveSince lists the surface's active threads of
	// conversations that are not closed or changed since since.
	ThreadsActiveSince(ctx context.Context, surface bridge.Platform, since time.Time) ([]bridge.ThreadRef, error)
}

// Catch-up defaults.
const (
	// CatchUpBeat is how often a connected surface records that it was
	// listening.
	CatchUpBeat = 30 * time.Second
	// CatchUpWindow is the furthest back a catch-up looks (a daemon stopped
	// for a month does not replay a month of thread chatter).
	CatchUpWindow = 7 * 24 * time.Hour
	// catchUpMargin is how far before the last beat a catch-up starts:
	// beats are CatchUpBeat apart and clocks differ a little.
	catchUpMargin = CatchUpBeat + 30*time.Second
)

// CatchUp remembers until when a surface was certainly listening (a cursor
// beaten every CatchUpBeat while connected) and tells the surface, when it
// connects again, since when it must look for missed staff messages. The
// surface fetches its threads' messages since then and hands those not
// yet handled to the staff inbox; it records each handled message in its
// event log (Options.Events), so a message is handled once whether it came
// live or by catch-up.
type CatchUp struct {
	Store   CatchUpStore
	Surface bridge.Platform
	Log     *slog.Logger
	Clock   bridge.Clock // nil: the system clock

	mu     sync.Mutex
	live   bool
	caught bool          // the last catch-up finished
	kick   chan struct{} // Kick -> Serve
}

const catchUpKey = "listening_until"

func (c *CatchUp) clock() bridge.Clock { return bridge.OrSystem(c.Clock) }

func (c *CatchUp) now() time.Time { return c.clock().Now() }

// Since reports from when the surface must catch up, and false when there
// is nothing to do (first start: no beat recorded yet). It never reaches
// further back than CatchUpWindow.
func (c *CatchUp) Since(ctx context.Context) (time.Time, bool, error) {
	v, err := c.Store.Cursor(ctx, string(c.Surface), catchUpKey)
	if err != nil || v == "" {
		return time.Time{}, false, err
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, nil // unreadable: start afresh
	}
	since := time.UnixMilli(ms).Add(-catchUpMargin)
	if floor := c.now().Add(-CatchUpWindow); since.Before(floor) {
		since = floor
	}
	return since, true, nil
}

// Listening records whether the surface is connected and receiving events;
// beats are written only while it is and the last catch-up finished. A
// surface whose connection resumed with every missed event replayed says
// Listening(true); one that reconnected without calls Kick.
func (c *CatchUp) Listening(on bool) {
	c.mu.Lock()
	c.live = on && c.caught
	c.mu.Unlock()
}

// Beat records now as "listening until" if the surface is connected.
func (c *CatchUp) Beat(ctx context.Context) {
	c.mu.Lock()
	live := c.live
	c.mu.Unlock()
	if !live {
		return
	}
	if err := c.Store.SetCursor(ctx, string(c.Surface), catchUpKey, strconv.FormatInt(c.now().UnixMilli(), 10)); err != nil && ctx.Err() == nil && c.Log != nil {
		c.Log.Warn("catch-up: recording the listening time failed", "surface", c.Surface, "err", err)
	}
}

// Run beats every CatchUpBeat until ctx ends, then a last time (a clean stop
// records how long the surface listened).
func (c *CatchUp) Run(ctx context.Context) {
	t := c.clock().NewTimer(CatchUpBeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			c.Beat(sctx)
			cancel()
			return
		case <-t.C():
			c.Beat(ctx)
			t.Reset(CatchUpBeat)
		}
	}
}

// Start is called when the surface is connected: it reads since when to
// catch up and returns the threads to look at; ok is false when there is
// nothing to catch up. Once the surface has handled what it found it calls
// Caught; until then no beat is written, so a catch-up that fails or is
// cut short is done again from the same point on the next connect.
func (c *CatchUp) Start(ctx context.Context) (since time.Time, threads []bridge.ThreadRef, ok bool, err error) {
	c.mu.Lock()
	c.caught, c.live = false, false
	c.mu.Unlock()
	since, ok, err = c.Since(ctx)
	if err != nil || !ok {
		return since, nil, false, err
	}
	threads, err = c.Store.ThreadsActiveSince(ctx, c.Surface, since)
	if err != nil {
		return since, nil, false, err
	}
	return since, threads, true, nil
}

// Caught records that everything up to now was handled: the surface is
// listening from here on, and beats start.
func (c *CatchUp) Caught(ctx context.Context) {
	c.mu.Lock()
	c.caught, c.live = true, true
	c.mu.Unlock()
	c.Beat(ctx)
}

// Do runs one catch-up: Start, then thread for each thread to look at (it
// handles the thread's unhandled staff messages written since since and
// says how many), a log line, then Caught. It stops at the first error;
// what was handled stays handled and the next attempt skips it.
func (c *CatchUp) Do(ctx context.Context, thread func(ctx context.Context, ref bridge.ThreadRef, since time.Time) (int, error)) error {
	since, threads, ok, err := c.Start(ctx)
	if err != nil {
		return err
	}
	if ok {
		start, handled := c.now(), 0
		for _, ref := range threads {
			n, err := thread(ctx, ref, since)
			handled += n
			if err != nil {
				return fmt.Errorf("thread %s: %w", ref, err)
			}
		}
		if c.Log != nil {
			lvl := c.Log.Debug
			if handled > 0 {
				lvl = c.Log.Info
			}
			lvl("caught up on staff messages written while not listening", "surface", c.Surface, "since", since.UTC().Format(time.RFC3339),
				"threads", len(threads), "handled", handled, "took", c.now().Sub(start).Round(time.Millisecond))
		}
	}
	c.Caught(ctx)
	return nil
}

func (c *CatchUp) kicks() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kick == nil {
		c.kick = make(chan struct{}, 1)
	}
	return c.kick
}

// Kick asks Serve for a catch-up (the surface connected); a kick while one
// runs makes another follow it.
func (c *CatchUp) Kick() {
	select {
	case c.kicks() <- struct{}{}:
	default:
	}
}

// Serve beats (Run) and runs catchUp on every Kick until ctx ends; a
// failed catch-up is retried with backoff (5 s doubling to 5 min), and
// what it handled stays handled. catchUp calls Start and, when done,
// Caught.
func (c *CatchUp) Serve(ctx context.Context, catchUp func(context.Context) error) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.Run(ctx) }()
	defer wg.Wait()
	kick := c.kicks()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		for wait := 5 * time.Second; ; wait = min(wait*2, 5*time.Minute) {
			err := catchUp(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			if c.Log != nil {
				c.Log.Warn("catching up on staff messages written while not listening failed; retrying", "surface", c.Surface, "err", err, "in", wait)
			}
			if !bridge.Sleep(c.clock(), wait, ctx.Done()) {
				return
			}
		}
	}
}

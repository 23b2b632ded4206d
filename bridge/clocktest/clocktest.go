// Package clocktest is a bridge.Clock for tests: time stands still until
// the test moves it (Advance, Set), and timers fire when it passes them.
package clocktest

import (
	"sort"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Clock is a manual clock. The zero value is not usable; call New.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
	added  chan struct{} // signalled when a timer is armed (WaitForTimers)
}

var _ bridge.Clock = (*Clock)(nil)

// New starts a clock at t.
func New(t time.Time) *Clock { return &Clock{now: t, added: make(chan struct{}, 1)} }

// Monday is 2026-03-02 10:00 UTC, a working Monday morning: the usual start.
func Monday() *Clock { return New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)) }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, firing every timer it passes, in
// order of their deadlines.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set moves the clock to t (never backwards), firing the timers it passes.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		return
	}
	c.now = t
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	keep := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(t) {
			select {
			case tm.c <- tm.at:
			default:
			}
			continue
		}
		keep = append(keep, tm)
	}
	c.timers = keep
}

// Timers counts the armed timers.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// NewTimer arms a timer d from now; d <= 0 fires at once.
func (c *Clock) NewTimer(d time.Duration) bridge.Timer {
	tm := &timer{clock: c, c: make(chan time.Time, 1)}
	tm.Reset(d)
	return tm
}

type timer struct {
	clock *Clock
	c     chan time.Time
	at    time.Time
}

func (t *timer) C() <-chan time.Time { return t.c }

// Stop disarms the timer; as with time.Timer since Go 1.23, no stale
// value is received after it returns.
func (t *timer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-t.c:
	default:
	}
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

func (t *timer) Reset(d time.Duration) bool {
	active := t.Stop()
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	t.at = c.now.Add(d)
	if d <= 0 {
		select {
		case t.c <- t.at:
		default:
		}
		return active
	}
	c.timers = append(c.timers, t)
	select {
	case c.added <- struct{}{}:
	default:
	}
	return active
}

// BlockUntil waits until at least n timers are armed: the code under test
// is waiting on the clock, so advancing it now is seen. (A test that never
// gets there is ended by go test's -timeout.)
func (c *Clock) BlockUntil(n int) {
	for c.Timers() < n {
		<-c.added
	}
}

// Func is a clock that reads the time from now, for code that only asks
// the time (the engine); its timers panic: use New for code that waits.
func Func(now func() time.Time) bridge.Clock { return funcClock(now) }

type funcClock func() time.Time

func (f funcClock) Now() time.Time { return f() }
func (f funcClock) NewTimer(time.Duration) bridge.Timer {
	panic("clocktest.Func clocks have no timers; use clocktest.New")
}

package bridge

import "time"

// Clock is where time comes from. Every part that reads the time or waits
// takes one (through its options), so tests run on a clock they advance
// instead of sleeping; production uses SystemClock.
type Clock interface {
	Now() time.Time
	// NewTimer fires once d has passed on this clock.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer of a Clock (time.Timer's methods).
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; false if it already fired or was stopped.
	Stop() bool
	// Reset makes the timer fire d from now (on its clock).
	Reset(d time.Duration) bool
}

// SystemClock is the real clock.
func SystemClock() Clock { return systemClock{} }

// OrSystem returns c, or the real clock when c is nil.
func OrSystem(c Clock) Clock {
	if c == nil {
		return systemClock{}
	}
	return c
}

// Sleep waits d on c, or until done is closed (false then).
func Sleep(c Clock, d time.Duration, done <-chan struct{}) bool {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-done:
		return false
	}
}

type systemClock struct{}

func (systemClock) Now() time.Time                 { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time        { return t.t.C }
func (t sysTimer) Stop() bool                 { return t.t.Stop() }
func (t sysTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }

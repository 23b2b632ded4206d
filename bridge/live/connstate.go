package live

import (
	"context"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// ConnState tracks whether each adapter is connected to its platform, for
// /readyz and the adapter_connected metric. It is safe for concurrent use.
type State struct {
	now   func() time.Time
	mu    sync.Mutex
	conns map[bridge.Platform]*Status
	order []bridge.Platform
}

// ConnStatus is one adapter's connection as last reported.
type Status struct {
	Adapter   bridge.Platform
	Connected bool
	// Ever is true once the adapter has been connected since start.
	Ever bool
	// Since is when the current state began.
	Since time.Time
	// Detail says how it is connected, or why not.
	Detail string
}

// NewState starts with no adapters (nil clock: the system clock).
func NewState(clock bridge.Clock) *State {
	return &State{now: bridge.OrSystem(clock).Now, conns: make(map[bridge.Platform]*Status)}
}

// Adapter registers an adapter (not connected yet: "connecting") and
// returns the handle it reports through. Registering twice returns a
// handle to the same entry.
func (s *State) Adapter(name bridge.Platform) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[name]; !ok {
		s.conns[name] = &Status{Adapter: name, Since: s.now(), Detail: "connecting"}
		s.order = append(s.order, name)
	}
	return &Conn{state: s, name: name}
}

// Snapshot returns every registered adapter's state, in registration order.
func (s *State) Snapshot() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, *s.conns[n])
	}
	return out
}

func (s *State) set(name bridge.Platform, up bool, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[name]
	if !ok {
		return
	}
	if c.Connected != up {
		c.Since = s.now()
	}
	c.Connected, c.Detail = up, detail
	if up {
		c.Ever = true
	}
}

// Conn is an adapter's handle for reporting its connection. A nil *Conn
// ignores reports, so adapters built without one (tests) need no checks.
type Conn struct {
	state *State
	name  bridge.Platform
}

// Up reports the adapter connected; detail says how (e.g. "Socket Mode").
func (c *Conn) Up(detail string) {
	if c != nil {
		c.state.set(c.name, true, detail)
	}
}

// Down reports the adapter disconnected; reason says why. Never put
// secrets in it: it is shown on /readyz.
func (c *Conn) Down(reason string) {
	if c != nil {
		c.state.set(c.name, false, reason)
	}
}

// Track wraps an adapter's Run for Supervise. Adapters that report their
// own connection (selfReporting) are marked down when Run returns (while
// Supervise waits to restart them); the others count as connected while
// Run runs.
func (c *Conn) Track(selfReporting bool, run func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) (err error) {
		if !selfReporting {
			c.Up("running")
		}
		defer func() {
			p := recover()
			reason := "stopped"
			switch {
			case p != nil:
				reason = "stopped: panic"
			case err != nil:
				reason = "stopped: " + err.Error()
			}
			if ctx.Err() == nil {
				reason += "; restarting"
			}
			c.Down(reason)
			if p != nil {
				panic(p) // Supervise recovers it and restarts the adapter
			}
		}()
		return run(ctx)
	}
}

// ConnReporter is implemented by adapters that hold a connection to their
// platform (a WebSocket, a long poll, an IMAP session). The daemon hands
// them a Conn before Run; they call Up once connected and Down when the
// connection is lost. Adapters that do not implement it count as
// connected while their Run runs.
type Reporter interface {
	SetConn(c *Conn)
}

// Package bench measures Threadline on this machine: end-to-end throughput
// against the raw SQLite commit rate, latency at a fixed offered rate,
// memory with many open conversations, the SLA sweep, and start-up time.
// It runs the real engine, store and outbox with counting in-process
// adapters; `threadline bench` and the go test benchmarks call it.
package bench

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// surface is a staff surface that only counts posts and records when each
// message reached it (for latency); it keeps no history.
type surface struct {
	mu      sync.Mutex
	posts   int
	arrived map[bridge.MessageID]time.Time // only while measuring latency
	notify  chan struct{}
}

func newSurface() *surface { return &surface{notify: make(chan struct{}, 1)} }

func (s *surface) Name() bridge.Platform                              { return "bench" }
func (s *surface) Run(ctx context.Context, _ bridge.StaffInbox) error { <-ctx.Done(); return nil }
func (s *surface) OpenThread(_ context.Context, c bridge.ConversationView) (bridge.ThreadRef, error) {
	return bridge.ThreadRef(strconv.FormatInt(int64(c.ID), 10)), nil
}
func (s *surface) UpdateCard(context.Context, bridge.ThreadRef, bridge.ConversationView) error {
	return nil
}
func (s *surface) Post(_ context.Context, _ bridge.ThreadRef, p bridge.StaffPost) (bridge.ExternalRef, error) {
	now := time.Now()
	s.mu.Lock()
	s.posts++
	if s.arrived != nil {
		s.arrived[p.Message] = now
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return bridge.ExternalRef{}, nil
}

func (s *surface) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts
}

// waitFor blocks until n posts arrived or ctx ends.
func (s *surface) waitFor(ctx context.Context, n int) error {
	for s.count() < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.notify:
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// channel is a customer channel that accepts every send.
type channel struct{}

func (channel) Name() bridge.Platform                         { return "webchat" }
func (channel) Run(ctx context.Context, _ bridge.Inbox) error { <-ctx.Done(); return nil }
func (channel) Send(context.Context, bridge.Delivery) (bridge.ExternalRef, error) {
	return bridge.ExternalRef{}, nil
}

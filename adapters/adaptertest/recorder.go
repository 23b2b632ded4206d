package adaptertest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Surface is an in-process staff surface that records what it was asked to
// show. Fail, if set, is consulted before every call.
type Surface struct {
	Platform bridge.Platform
	Fail     func(op string, n int) error

	mu       sync.Mutex
	threads  map[bridge.ThreadRef]bridge.ConversationID
	Posts    []RecordedPost
	Cards    []bridge.ConversationView
	Receipts []bridge.Receipt
	calls    int
	changed  chan struct{}
}

// RecordedPost is one Post call.
type RecordedPost struct {
	Thread bridge.ThreadRef
	Conv   bridge.ConversationID
	Post   bridge.StaffPost
}

// NewSurface returns a recording surface named name.
func NewSurface(name bridge.Platform) *Surface {
	return &Surface{Platform: name, threads: make(map[bridge.ThreadRef]bridge.ConversationID), changed: make(chan struct{}, 1)}
}

func (s *Surface) Name() bridge.Platform                              { return s.Platform }
func (s *Surface) Run(ctx context.Context, _ bridge.StaffInbox) error { <-ctx.Done(); return nil }

func (s *Surface) fail(op string) error {
	s.calls++
	if s.Fail != nil {
		return s.Fail(op, s.calls)
	}
	return nil
}

func (s *Surface) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// OpenThread records a new thread named after the conversation.
func (s *Surface) OpenThread(_ context.Context, c bridge.ConversationView) (bridge.ThreadRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("open"); err != nil {
		return "", err
	}
	ref := bridge.ThreadRef(fmt.Sprintf("%s-thread-%d-%d", s.Platform, c.ID, len(s.threads)+1))
	s.threads[ref] = c.ID
	s.Cards = append(s.Cards, c)
	s.signal()
	return ref, nil
}

// Post records a post.
func (s *Surface) Post(_ context.Context, t bridge.ThreadRef, p bridge.StaffPost) (bridge.ExternalRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("post"); err != nil {
		return bridge.ExternalRef{}, err
	}
	conv, ok := s.threads[t]
	if !ok {
		return bridge.ExternalRef{}, bridge.ErrThreadGone
	}
	s.Posts = append(s.Posts, RecordedPost{Thread: t, Conv: conv, Post: p})
	s.signal()
	return bridge.ExternalRef{Platform: s.Platform, ID: "p" + strconv.Itoa(len(s.Posts))}, nil
}

// UpdateCard records a card update.
func (s *Surface) UpdateCard(_ context.Context, t bridge.ThreadRef, c bridge.ConversationView) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("card"); err != nil {
		return err
	}
	s.Cards = append(s.Cards, c)
	s.signal()
	return nil
}

// Receipt records a delivery receipt.
func (s *Surface) Receipt(_ context.Context, _ bridge.ThreadRef, r bridge.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Receipts = append(s.Receipts, r)
	s.signal()
	return nil
}

// DeleteThread forgets a thread, as if staff deleted its parent message.
func (s *Surface) DeleteThread(t bridge.ThreadRef) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.threads, t)
}

// Snapshot returns copies of what was recorded.
func (s *Surface) Snapshot() (posts []RecordedPost, cards []bridge.ConversationView, receipts []bridge.Receipt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RecordedPost(nil), s.Posts...), append([]bridge.ConversationView(nil), s.Cards...), append([]bridge.Receipt(nil), s.Receipts...)
}

// Threads returns how many threads were opened.
func (s *Surface) Threads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.threads)
}

// Channel is an in-process customer channel that records deliveries.
type Channel struct {
	Platform bridge.Platform
	Fail     func(d bridge.Delivery, n int) error

	mu    sync.Mutex
	Sent  []bridge.Delivery
	calls int
}

// NewChannel returns a recording channel named name.
func NewChannel(name bridge.Platform) *Channel { return &Channel{Platform: name} }

func (c *Channel) Name() bridge.Platform                         { return c.Platform }
func (c *Channel) Run(ctx context.Context, _ bridge.Inbox) error { <-ctx.Done(); return nil }

// Send records a delivery.
func (c *Channel) Send(_ context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.Fail != nil {
		if err := c.Fail(d, c.calls); err != nil {
			return bridge.ExternalRef{}, err
		}
	}
	c.Sent = append(c.Sent, d)
	return bridge.ExternalRef{Platform: c.Platform, ID: "sent-" + strconv.Itoa(len(c.Sent))}, nil
}

// Deliveries returns a copy of what was sent.
func (c *Channel) Deliveries() []bridge.Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bridge.Delivery(nil), c.Sent...)
}

// Eventually polls cond every few milliseconds until it holds or timeout
// passes; it fails the test with msg then. It waits for outcomes, it does
// not assert on timing.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", timeout, fmt.Sprintf(msg, args...))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

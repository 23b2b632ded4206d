package discord_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
)

// BenchmarkPostCustomer: one customer message through the webhook into a
// forum post, against the loopback fake (HTTP + JSON both ways).
func BenchmarkPostCustomer(b *testing.B) {
	_, s, _ := direct(b, false)
	ctx := context.Background()
	ref, err := s.OpenThread(ctx, view(1, bridge.StatusOpen))
	if err != nil {
		b.Fatal(err)
	}
	p := bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Origin: "webchat", Text: "Hello, my parcel never arrived. Can you check?"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Post(ctx, ref, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateCard: GET thread + edit card + PATCH tags.
func BenchmarkUpdateCard(b *testing.B) {
	_, s, _ := direct(b, false)
	ctx := context.Background()
	v := view(1, bridge.StatusOpen)
	ref, err := s.OpenThread(ctx, v)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			v.Status = bridge.StatusWaiting
		} else {
			v.Status = bridge.StatusOpen
		}
		if err := s.UpdateCard(ctx, ref, v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestThroughput reports customer messages per second from Deliver to the
// forum posts through the real outbox (pacing off), 20 conversations.
func TestThroughput(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("measurement")
	}
	h := start(t, setup{})
	h.waitConnected()
	const convs, per = 20, 10
	begin := time.Now()
	for i := range per {
		for c := range convs {
			h.customer(fmt.Sprintf("Customer%d", c), fmt.Sprintf("message %d", i))
		}
	}
	adaptertest.Eventually(t, 60*time.Second, func() bool {
		n := 0
		for _, th := range h.fake.Threads(h.channel) {
			n += len(h.fake.Messages(th.ID)) - 1 // minus the card
		}
		return n == convs*per
	}, "all customer messages posted")
	d := time.Since(begin)
	t.Logf("%d customer messages in %d forum posts: %v (%.0f messages/s, including %d posts opened)", convs*per, convs, d.Round(time.Millisecond),
		float64(convs*per)/d.Seconds(), convs)
}

package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// failingCursors loses every offset write, as if the process died right
// after Deliver committed and before the offset was saved.
type failingCursors struct{ bridge.AdapterStore }

func (failingCursors) SetCursor(context.Context, string, string, string) error {
	return errors.New("simulated crash before the offset was saved")
}

// stopAfter cancels the adapter once n messages were delivered.
type stopAfter struct {
	next   bridge.Inbox
	n      int64
	count  atomic.Int64
	cancel context.CancelFunc
}

func (s *stopAfter) Deliver(ctx context.Context, m bridge.InboundMessage) (bridge.DeliverResult, error) {
	res, err := s.next.Deliver(ctx, m)
	if err == nil && s.count.Add(1) == s.n {
		s.cancel()
	}
	return res, err
}

func TestRestartMidStreamLosesAndDuplicatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash bool // the offset is never saved by the first run
	}{
		{"stop mid-batch", false},
		{"crash before the offset is saved", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			customers := []faketelegram.Customer{anna, {ID: 7, FirstName: "Bo"}, {ID: 8, FirstName: "Cy", Username: "cy"}}
			const perCustomer = 20
			for i := range perCustomer {
				for _, c := range customers {
					f.fake.SendText(c, fmt.Sprintf("%s message %d", c.FirstName, i))
				}
			}
			// Run 1 stops after 25 of 60 updates (inside the first batch).
			deps := f.deps
			if tc.crash {
				f.deps.Store = failingCursors{f.st}
			}
			first := f.adapter(t)
			f.deps = deps
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := first.Run(ctx, &stopAfter{next: f.eng, n: 25, cancel: cancel}); err != nil && !tc.crash {
				t.Fatalf("first run: %v", err)
			}
			// More customer messages arrive while the daemon is down.
			for _, c := range customers {
				f.fake.SendText(c, c.FirstName+" wrote while you were away")
			}
			// Run 2 on the same database.
			_, stop := f.run(t, nil)
			want := len(customers) * (perCustomer + 1)
			adaptertest.Eventually(t, 10*time.Second, func() bool { return countTelegramMessages(t, f.st) == want && f.fake.Pending() == 0 },
				"%d messages stored and every update confirmed", want)
			stop()
			if got := countTelegramMessages(t, f.st); got != want {
				t.Errorf("%d messages stored, want %d", got, want)
			}
			// Per customer: one conversation, messages in order.
			convs, _ := f.st.ListConversations(context.Background(), store.ListFilter{All: true})
			if len(convs) != len(customers) {
				t.Fatalf("%d conversations, want %d", len(convs), len(customers))
			}
			for _, c := range convs {
				msgs, _ := f.st.Messages(context.Background(), c.ID, 0)
				for i, m := range msgs[:perCustomer] {
					if want := fmt.Sprintf("%s message %d", strings.Fields(m.Author)[0], i); m.Body != want {
						t.Errorf("conversation %s message %d = %q, want %q", c.ID, i, m.Body, want)
					}
				}
			}
			redelivered := 0
			for _, r := range f.in.results() {
				if r.Duplicate {
					redelivered++
				}
			}
			t.Logf("second run: %d updates delivered again and recognised as duplicates", redelivered)
			if tc.crash && redelivered < 25 {
				t.Errorf("the crash run saved no offset, so its 25 messages should have come again (got %d)", redelivered)
			}
		})
	}
}

func countTelegramMessages(t *testing.T, st *sqlite.Store) int {
	convs, err := st.ListConversations(context.Background(), store.ListFilter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range convs {
		msgs, err := st.Messages(context.Background(), c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range msgs {
			if m.Platform == "telegram" {
				if seen[m.ExternalID] {
					t.Errorf("message %s stored twice", m.ExternalID)
				}
				seen[m.ExternalID] = true
				n++
			}
		}
	}
	return n
}

// BenchmarkIngest measures updates/s from the fake through the polling
// loop into SQLite (one update per op; 50 customers).
func BenchmarkIngest(b *testing.B) {
	f := newFixture(b, nil)
	for i := range b.N {
		f.fake.SendText(faketelegram.Customer{ID: int64(1 + i%50), FirstName: "C"}, fmt.Sprintf("message %d", i))
	}
	b.ResetTimer()
	_, stop := f.run(b, nil)
	f.in.waitFor(b, b.N)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

package outbox_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/store/storetest"
)

// countingMetrics records every bridge.Metrics call as "event:label:label".
type countingMetrics struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *countingMetrics) add(parts ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	var s []string
	for _, p := range parts {
		s = append(s, fmt.Sprint(p))
	}
	m.counts[strings.Join(s, ":")]++
}

func (m *countingMetrics) MessageIn(a bridge.Platform, d bridge.Direction)     { m.add("in", a, d) }
func (m *countingMetrics) Delivered(a bridge.Platform, k bridge.OutboxKind)    { m.add("out", a, k) }
func (m *countingMetrics) Retried(a bridge.Platform, k bridge.OutboxKind)      { m.add("retry", a, k) }
func (m *countingMetrics) DeadLettered(a bridge.Platform, k bridge.OutboxKind) { m.add("dead", a, k) }
func (m *countingMetrics) SLANag(s sla.NagStep, clock string)                  { m.add("nag", s, clock) }
func (m *countingMetrics) RateLimited(a bridge.Platform, _ time.Duration, platform bool) {
	m.add("limited", a, platform)
}

func (m *countingMetrics) get(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[key]
}

func (m *countingMetrics) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k, v := range m.counts {
		keys = append(keys, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

func TestMetricsCountMessagesRetriesRateLimitsAndDeadLetters(t *testing.T) {
	st := storetest.Open(t)
	dest := &fakeDestination{script: []int{429, 500, 200, 400}}
	srv := httptest.NewServer(dest)
	t.Cleanup(srv.Close)
	m := &countingMetrics{}
	surface := adaptertest.NewSurface("console")
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface},
		Channels:    []bridge.CustomerChannel{&httpChannel{url: srv.URL, client: srv.Client()}},
		BaseBackoff: 10 * time.Millisecond, Jitter: func() float64 { return 0.5 }, Metrics: m})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify, Metrics: m})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ob.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	res, err := eng.Deliver(ctx, msg("v1", "m1", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Deliver(ctx, msg("v1", "m1", "hello")); err != nil { // redelivery: not counted
		t.Fatal(err)
	}
	sc := staff(res.Conversation)
	sc.ExternalID = "s1"
	if _, err := eng.Reply(ctx, sc, "first reply", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Reply(ctx, sc, "first reply", nil); err != nil { // same staff message again
		t.Fatal(err)
	}
	if _, err := eng.Note(ctx, staff(res.Conversation), "a note", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Reply(ctx, staff(res.Conversation), "second reply", nil); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 10*time.Second, func() bool {
		return m.get("out:webchat:customer_send") == 1 && m.get("dead:webchat:customer_send") == 1
	}, "one reply delivered after a 429 and a 500, the other dead-lettered")
	for key, want := range map[string]int{
		"in:webchat:customer":         1,
		"in:console:staff":            2,
		"in:console:note":             1,
		"limited:webchat:true":        1,
		"retry:webchat:customer_send": 1,
	} {
		if got := m.get(key); got != want {
			t.Errorf("%s = %d, want %d (all: %s)", key, got, want, m)
		}
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return m.get("out:console:staff_post") >= 1 }, "staff posts counted")
}

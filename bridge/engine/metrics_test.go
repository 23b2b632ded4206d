package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/sla"
)

// nagCounter counts the engine's SLA nags as "step:clock".
type nagCounter struct {
	mu   sync.Mutex
	nags map[string]int
}

func (m *nagCounter) MessageIn(bridge.Platform, bridge.Direction) {}
func (m *nagCounter) SLANag(s sla.NagStep, clock string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nags == nil {
		m.nags = map[string]int{}
	}
	m.nags[fmt.Sprintf("nag:%s:%s", s, clock)]++
}

func (m *nagCounter) get(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nags[key]
}

func TestMetricsCountSLANags(t *testing.T) {
	c := mondayClock()
	r := newSLARig(t, t.TempDir()+"/s.db", c)
	m := &nagCounter{}
	eng := engine.New(engine.Options{Store: r.st, Surfaces: []bridge.Platform{"slack"}, Clock: clocktest.Func(c.Now),
		SLA: sla.New(slaOptions(t)), Metrics: m})
	ctx := context.Background()
	if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Name: "Anna", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	c.Add(50 * time.Minute) // past 75 % of the 1h first-response target
	if err := eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	c.Add(15 * time.Minute) // past the target
	if err := eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if m.get("nag:warning:first") != 1 || m.get("nag:breach:first") != 1 {
		t.Errorf("nags counted: %v", m.nags)
	}
}

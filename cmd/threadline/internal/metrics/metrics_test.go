package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/live"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/store/storetest"
)

func TestHotPathDoesNotAllocate(t *testing.T) {
	m := New(Options{Adapters: []bridge.Platform{"webchat", "slack"}})
	allocs := testing.AllocsPerRun(1000, func() {
		m.MessageIn("webchat", bridge.DirCustomer)
		m.Delivered("slack", bridge.KindStaffPost)
		m.Retried("slack", bridge.KindCard)
		m.RateLimited("slack", time.Second, true)
		m.SLANag(sla.StepBreach, "first")
	})
	if allocs != 0 {
		t.Errorf("%v allocations per event batch, want 0", allocs)
	}
	if got := testutil.ToFloat64(m.in.WithLabelValues("webchat", "customer")); got != 1001 {
		t.Errorf("messages_in = %v", got)
	}
	// An adapter that was not declared still counts (slower path).
	m.MessageIn("other", bridge.DirCustomer)
	if got := testutil.ToFloat64(m.in.WithLabelValues("other", "customer")); got != 1 {
		t.Errorf("undeclared adapter counted %v", got)
	}
}

func TestStoreGaugesAreCachedAndConnectionStateReported(t *testing.T) {
	st := storetest.Open(t)
	now := time.Now() // outbox rows are stamped with the real time
	clock := func() time.Time { return now }
	conns := live.NewState(clocktest.Func(clock))
	conns.Adapter("slack").Up("Socket Mode")
	conns.Adapter("telegram")
	m := New(Options{Store: st, Conns: conns, Adapters: []bridge.Platform{"webchat", "slack", "telegram"}, Now: clock})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}, Clock: clocktest.Func(clock)})
	if _, err := eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP threadline_adapter_connected 1 while the adapter is connected to its platform, 0 while it connects, reconnects or restarts.
# TYPE threadline_adapter_connected gauge
threadline_adapter_connected{adapter="slack"} 1
threadline_adapter_connected{adapter="telegram"} 0
# HELP threadline_conversations Conversations not closed: status=open waits on staff, status=waiting on the customer.
# TYPE threadline_conversations gauge
threadline_conversations{status="open"} 1
threadline_conversations{status="waiting"} 0
# HELP threadline_conversations_unclaimed Open or waiting conversations nobody owns.
# TYPE threadline_conversations_unclaimed gauge
threadline_conversations_unclaimed 1
# HELP threadline_outbox_pending Outbox rows waiting to be delivered, per target adapter (the outbox depth).
# TYPE threadline_outbox_pending gauge
threadline_outbox_pending{adapter="slack"} 1
threadline_outbox_pending{adapter="telegram"} 0
threadline_outbox_pending{adapter="webchat"} 0
`
	names := []string{"threadline_adapter_connected", "threadline_conversations", "threadline_conversations_unclaimed", "threadline_outbox_pending"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// A second conversation within the cache time is not seen yet...
	if _, err := eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "v2", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := testutil.GatherAndCount(m.Registry(), "threadline_conversations"); got != 2 {
		t.Fatalf("series = %d", got)
	}
	mf, _ := m.Registry().Gather()
	if v := gauge(mf, "threadline_conversations", "open"); v != 1 {
		t.Errorf("cached open = %v, want 1", v)
	}
	// ...and is after it.
	now = now.Add(6 * time.Second)
	mf, _ = m.Registry().Gather()
	if v := gauge(mf, "threadline_conversations", "open"); v != 2 {
		t.Errorf("open after the cache expired = %v, want 2", v)
	}
	if v := gauge(mf, "threadline_outbox_oldest_pending_age_seconds", "slack"); v < 5 {
		t.Errorf("oldest pending age = %v, want about 6s", v)
	}
}

func TestMiddlewareLabels(t *testing.T) {
	m := New(Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err == nil {
			c.Close()
		}
	})
	srv := httptest.NewServer(m.Middleware(mux))
	defer srv.Close()
	for _, p := range []string{"/items/1", "/items/2", "/nothing/here"} {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	want := `
# HELP threadline_http_requests_total HTTP requests on the public listener, per route pattern, method and status code.
# TYPE threadline_http_requests_total counter
threadline_http_requests_total{code="101",handler="/ws",method="GET"} 1
threadline_http_requests_total{code="404",handler="none",method="GET"} 1
threadline_http_requests_total{code="418",handler="/items/{id}",method="GET"} 2
`
	// The server finishes the handler after the client has its answer.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "threadline_http_requests_total")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, _ := testutil.GatherAndCount(m.Registry(), "threadline_http_request_duration_seconds"); n != 2 {
		t.Errorf("latency series = %d, want 2 (the WebSocket is not timed)", n)
	}
}

func TestHandlerToken(t *testing.T) {
	m := New(Options{})
	h := m.Handler("tok")
	for _, tc := range []struct {
		auth string
		code int
	}{{"", 401}, {"Bearer nope", 401}, {"tok", 401}, {"Bearer tok", 200}} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, rec.Code, tc.code)
		}
	}
}

func gauge(mfs []*dto.MetricFamily, name, label string) float64 {
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

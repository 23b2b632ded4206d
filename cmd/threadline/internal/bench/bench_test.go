package bench

import (
	"context"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/metrics"
)

// BenchmarkEndToEnd: customer messages through Deliver, the outbox and a
// staff surface, 64 concurrent senders; reports msg/s. The metrics
// variants count into the daemon's Prometheus metrics, as serve does.
func BenchmarkEndToEnd(b *testing.B) {
	for _, v := range []struct {
		sync    string
		metrics bool
	}{{"normal", false}, {"full", false}, {"normal", true}, {"full", true}} {
		name := v.sync
		if v.metrics {
			name += "/metrics"
		}
		sync := v.sync
		b.Run(name, func(b *testing.B) {
			var m metrics.Counters
			if v.metrics {
				m = metrics.New(metrics.Options{Adapters: []bridge.Platform{"webchat", "bench"}})
			}
			r, err := StartWith(b.TempDir(), sync, m)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			n := max(b.N, 2000)
			b.ResetTimer()
			cpu0 := cpuTime()
			c0, w0 := r.Store.WriteStats()
			rate, err := r.Throughput(context.Background(), n, 1000, 64, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-us/msg")
			b.ReportMetric(rate, "msg/s")
			if c1, w1 := r.Store.WriteStats(); c1 > c0 {
				b.ReportMetric(float64(w1-w0)/float64(c1-c0), "writes/commit")
			}
			raw, _ := RawTxPerSecond(b.TempDir(), sync, time.Second)
			b.ReportMetric(raw, "raw-tx/s")
			b.ReportMetric(rate/raw, "ratio")
		})
	}
}

func TestLatencySmoke(t *testing.T) {
	r, err := Start(t.TempDir(), "normal")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p50, p99, err := r.Latency(context.Background(), 200, 500*time.Millisecond, 100)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("p50 %s p99 %s", p50, p99)
}

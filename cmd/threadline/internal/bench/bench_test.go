package bench

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/metrics"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/postgres/pgtest"
	"github.com/threadlinehq/threadline/store/sqlite"
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
			c0, w0, _ := r.WriteStats()
			rate, err := r.Throughput(context.Background(), n, 1000, 64, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-us/msg")
			b.ReportMetric(rate, "msg/s")
			if c1, w1, _ := r.WriteStats(); c1 > c0 {
				b.ReportMetric(float64(w1-w0)/float64(c1-c0), "writes/commit")
			}
			be, _ := NewBackend(context.Background(), b.TempDir(), sync, "")
			rawStore, err := be.Open(context.Background(), "raw")
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := RawTxPerSecond(context.Background(), rawStore, false, time.Second)
			rawStore.Close()
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

// The same-work baseline runs every statement of a message on the
// conversations an end-to-end run left, and leaves them as that run would:
// one more message and a sent outbox row per transaction.
func TestSameWorkBaselineDoesAMessagesWork(t *testing.T) {
	dir := t.TempDir()
	r, err := Start(dir, "normal")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Throughput(ctx, 50, 10, 4, nil); err != nil {
		t.Fatal(err)
	}
	r.Close()
	db, err := sqlite.OpenRaw(store.Config{Path: filepath.Join(dir, "bench.db"), Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) (n int) {
		t.Helper()
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	msgs, sent := count(`SELECT count(*) FROM messages`), count(`SELECT count(*) FROM outbox WHERE state = 'sent'`)
	rate, err := SameWorkTxPerSecond(ctx, db, "sqlite", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rate <= 0 {
		t.Fatalf("rate %v", rate)
	}
	added := count(`SELECT count(*) FROM messages`) - msgs
	if added == 0 || count(`SELECT count(*) FROM outbox WHERE state = 'sent'`)-sent != added {
		t.Errorf("%d messages added, %d outbox rows sent: want one sent row per message", added, count(`SELECT count(*) FROM outbox WHERE state = 'sent'`)-sent)
	}
	if n := count(`SELECT count(*) FROM outbox WHERE state = 'pending'`); n != 0 {
		t.Errorf("%d outbox rows left pending", n)
	}
	if hits := count(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'arrived'`); hits != added+msgs {
		t.Errorf("search index has %d of %d messages", hits, added+msgs)
	}
}

// threadline bench --store postgres://: every figure but the daemon's
// memory and start-up, on databases the run creates and drops again.
func TestBenchMeasuresPostgreSQL(t *testing.T) {
	cluster, err := pgtest.Start()
	pgtest.Need(t, cluster, err)
	defer cluster.Stop()
	ctx := context.Background()
	r, err := Run(ctx, t.TempDir(), Options{Store: cluster.URL("postgres"), Messages: 300, LatencyFor: 300 * time.Millisecond,
		BaselineFor: 300 * time.Millisecond, SweepOpen: 2000, SkipDaemon: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Store != "postgres" || r.Synchronous != "" {
		t.Errorf("store %q, synchronous %q", r.Store, r.Synchronous)
	}
	for name, v := range map[string]float64{"e2e": r.E2EMsgsPerSec, "cpu": r.E2ECPUMicrosPerMs, "raw": r.RawTxPerSec,
		"same work": r.SameWorkTxPerSec, "ratio same work": r.RatioSameWork, "p99": r.LatencyP99Ms, "sweep": r.Sweep1PctMs} {
		if v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}
	db, err := sql.Open("pgx", cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM pg_database WHERE datname LIKE 'threadline_bench_%'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d bench databases left behind (%v)", left, err)
	}
}

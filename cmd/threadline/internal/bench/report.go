package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Report is what `threadline bench --json` prints (field names are stable;
// docs/performance.md documents them).
type Report struct {
	Store             string  `json:"store"`
	Synchronous       string  `json:"synchronous,omitempty"`
	CPUs              int     `json:"cpus"`
	GoVersion         string  `json:"go_version"`
	Messages          int     `json:"e2e_messages"`
	E2EMsgsPerSec     float64 `json:"e2e_msgs_per_sec"`
	E2ECPUMicrosPerMs float64 `json:"e2e_cpu_us_per_msg"`
	E2EAvgBatch       float64 `json:"e2e_writes_per_commit"`
	RawTxPerSec       float64 `json:"raw_tx_per_sec"`
	Ratio             float64 `json:"ratio"`
	SameWorkTxPerSec  float64 `json:"same_work_tx_per_sec"`
	RatioSameWork     float64 `json:"ratio_same_work"`
	LatencyRate       int     `json:"latency_offered_msgs_per_sec"`
	LatencyP50Ms      float64 `json:"latency_p50_ms"`
	LatencyP99Ms      float64 `json:"latency_p99_ms"`
	// The same for the first message of a conversation (which opens the
	// staff thread), measured before the steady state above.
	LatencyFirstP50Ms float64 `json:"latency_first_p50_ms"`
	LatencyFirstP99Ms float64 `json:"latency_first_p99_ms"`
	Open10kPeakRSSMB  float64 `json:"rss_peak_10k_open_mb"`
	Open10kHeapMB     float64 `json:"heap_10k_open_mb"`
	Open100kPeakRSSMB float64 `json:"rss_peak_100k_open_mb"`
	Open100kHeapMB    float64 `json:"heap_100k_open_mb"`
	SweepOpen         int     `json:"sla_sweep_open_conversations"`
	SweepIdleMs       float64 `json:"sla_sweep_idle_ms"`
	Sweep1PctMs       float64 `json:"sla_sweep_1pct_due_ms"`
	StartupMessages   int     `json:"startup_stored_messages"`
	StartupMs         float64 `json:"startup_ms"`
}

// Options sizes a run.
type Options struct {
	Synchronous string
	Store       string // a postgres:// URL to measure PostgreSQL; "" for SQLite
	Exe         string // the threadline binary, for memory and start-up
	Messages    int    // end-to-end messages
	LatencyFor  time.Duration
	BaselineFor time.Duration // each of the raw and same-work baselines (default 3 s)
	SweepOpen   int
	StartupMsgs int
	SkipDaemon  bool // no subprocess measurements
	// Step reports progress: a step name and how far it is (0..1).
	Step func(name string, done, total int)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Run measures everything and returns the report.
func Run(ctx context.Context, dir string, o Options) (Report, error) {
	step := o.Step
	if step == nil {
		step = func(string, int, int) {}
	}
	r := Report{Synchronous: o.Synchronous, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Messages: o.Messages,
		LatencyRate: 500, SweepOpen: o.SweepOpen, StartupMessages: o.StartupMsgs}

	if o.BaselineFor <= 0 {
		o.BaselineFor = 3 * time.Second
	}
	b, err := NewBackend(ctx, dir, o.Synchronous, o.Store)
	if err != nil {
		return r, err
	}
	defer b.Close()
	r.Store = b.Name()
	if b.Postgres() {
		r.Synchronous = ""
	}

	step("raw commit rate", 0, 1)
	st, err := b.Open(ctx, "raw")
	if err != nil {
		return r, err
	}
	raw, err := RawTxPerSecond(ctx, st, b.Postgres(), o.BaselineFor)
	st.Close()
	if err != nil {
		return r, err
	}
	r.RawTxPerSec = raw
	step("raw commit rate", 1, 1)

	st, err = b.Open(ctx, "bench")
	if err != nil {
		return r, err
	}
	rig := StartOn(st, nil)
	cpu0 := cpuTime()
	c0, w0, grouped := rig.WriteStats()
	rate, err := rig.Throughput(ctx, o.Messages, 1000, 64, func(done int) { step("end-to-end throughput", done, o.Messages) })
	if err != nil {
		rig.Close()
		return r, err
	}
	step("end-to-end throughput", o.Messages, o.Messages)
	r.E2EMsgsPerSec, r.Ratio = rate, rate/raw
	r.E2ECPUMicrosPerMs = float64((cpuTime() - cpu0).Microseconds()) / float64(o.Messages)
	if c1, w1, _ := rig.WriteStats(); grouped && c1 > c0 {
		r.E2EAvgBatch = float64(w1-w0) / float64(c1-c0)
	}
	step("latency at 500 msg/s", 0, 1)
	// The first message of each of the 200 conversations opens its staff
	// thread before it is posted (a platform call and one more commit):
	// measured on its own, then the steady state on the same conversations.
	const latencyVisitors = 200
	f50, f99, err := rig.Latency(ctx, 500, latencyVisitors*time.Second/500, latencyVisitors)
	if err != nil {
		rig.Close()
		return r, err
	}
	r.LatencyFirstP50Ms, r.LatencyFirstP99Ms = ms(f50), ms(f99)
	p50, p99, err := rig.Latency(ctx, 500, o.LatencyFor, latencyVisitors)
	rig.Close()
	if err != nil {
		return r, err
	}
	r.LatencyP50Ms, r.LatencyP99Ms = ms(p50), ms(p99)
	step("latency at 500 msg/s", 1, 1)

	step("same-work baseline", 0, 1)
	rawDB, err := b.Raw(ctx, "bench")
	if err != nil {
		return r, err
	}
	same, err := SameWorkTxPerSecond(ctx, rawDB, b.Name(), o.BaselineFor)
	rawDB.Close()
	if err != nil {
		return r, err
	}
	r.SameWorkTxPerSec, r.RatioSameWork = same, rate/same
	step("same-work baseline", 1, 1)

	idle, one, err := SweepTimes(ctx, b, o.SweepOpen, func(done, total int) { step("SLA sweep: seeding", done, total) })
	if err != nil {
		return r, err
	}
	r.SweepIdleMs, r.Sweep1PctMs = ms(idle), ms(one)

	// Memory and start-up are the daemon's own; they are measured on
	// SQLite files.
	if o.SkipDaemon || o.Exe == "" || b.Postgres() {
		return r, nil
	}
	for _, n := range []int{10_000, 100_000} {
		name := fmt.Sprintf("memory with %d open conversations", n)
		sub := filepath.Join(dir, fmt.Sprintf("mem%d", n))
		if err := os.MkdirAll(sub, 0o750); err != nil {
			return r, err
		}
		db := filepath.Join(sub, "threadline.db")
		if err := Seed(ctx, db, n, n*5, func(done, total int) { step(name, done, total*2) }); err != nil {
			return r, err
		}
		d, _, err := StartDaemon(ctx, o.Exe, sub, db)
		if err != nil {
			return r, err
		}
		err = d.Traffic(2000, 100)
		peak, _, heap, merr := d.Memory()
		d.Stop()
		if err != nil {
			return r, err
		}
		if merr != nil {
			return r, merr
		}
		if n == 10_000 {
			r.Open10kPeakRSSMB, r.Open10kHeapMB = float64(peak)/(1<<20), float64(heap)/(1<<20)
		} else {
			r.Open100kPeakRSSMB, r.Open100kHeapMB = float64(peak)/(1<<20), float64(heap)/(1<<20)
		}
		step(name, 1, 1)
	}
	name := fmt.Sprintf("start-up with %d stored messages", o.StartupMsgs)
	sub := filepath.Join(dir, "startup")
	if err := os.MkdirAll(sub, 0o750); err != nil {
		return r, err
	}
	db := filepath.Join(sub, "threadline.db")
	if err := Seed(ctx, db, o.StartupMsgs/10, o.StartupMsgs, func(done, total int) { step(name, done, total) }); err != nil {
		return r, err
	}
	d, took, err := StartDaemon(ctx, o.Exe, sub, db)
	if err != nil {
		return r, err
	}
	d.Stop()
	r.StartupMs = ms(took)
	step(name, 1, 1)
	return r, nil
}

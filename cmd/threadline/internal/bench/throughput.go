package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/metrics"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// Rig is a running core on a temporary database.
type Rig struct {
	Store   *sqlite.Store
	Engine  *engine.Engine
	surface *surface
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start opens a migrated store in dir and runs the outbox.
func Start(dir, synchronous string) (*Rig, error) { return StartWith(dir, synchronous, nil) }

// StartWith is Start with the engine and outbox counting into m (nil: no metrics).
func StartWith(dir, synchronous string, m metrics.Counters) (*Rig, error) {
	st, err := sqlite.Open(store.Config{Path: filepath.Join(dir, "bench.db"), Synchronous: synchronous}, store.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		st.Close()
		return nil, err
	}
	sf := newSurface()
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{sf}, Channels: []bridge.CustomerChannel{channel{}},
		Workers: 8, Metrics: m})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"bench"}, Notify: ob.Notify, Metrics: m})
	ctx, cancel := context.WithCancel(context.Background())
	r := &Rig{Store: st, Engine: eng, surface: sf, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); ob.Run(ctx) }()
	return r, nil
}

// Close stops the outbox and closes the store.
func (r *Rig) Close() {
	r.cancel()
	<-r.done
	r.Store.Close()
}

// RawTxPerSecond measures one small insert per transaction through the
// same writer for d: the physical commit rate of these settings.
func RawTxPerSecond(dir, synchronous string, d time.Duration) (float64, error) {
	st, err := sqlite.Open(store.Config{Path: filepath.Join(dir, "raw.db"), Synchronous: synchronous}, store.Options{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Write(ctx, func(tx bridge.Tx) error {
		return sqlite.ExecForTest(tx, `CREATE TABLE raw (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`)
	}); err != nil {
		return 0, err
	}
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if err := st.Write(ctx, func(tx bridge.Tx) error {
			return sqlite.ExecForTest(tx, `INSERT INTO raw (body) VALUES ('My order #1234 has not arrived yet')`)
		}); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// Throughput delivers n customer messages from `visitors` customers with
// `senders` concurrent callers and returns messages/second until every
// message was posted to the staff thread.
func (r *Rig) Throughput(ctx context.Context, n, visitors, senders int, progress func(done int)) (float64, error) {
	base := r.surface.count()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, senders)
	start := time.Now()
	for w := 0; w < senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				_, err := r.Engine.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprintf("visitor-%d", i%visitors),
					ExternalID: fmt.Sprintf("bench-%d-%d", start.UnixNano(), i), Name: "Customer", Text: "My order #1234 has not arrived yet"})
				if err != nil {
					errc <- err
					return
				}
				if progress != nil && i%1000 == 0 {
					progress(i)
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return 0, err
	default:
	}
	if err := r.surface.waitFor(ctx, base+n); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// Latency offers `rate` messages/second for d and returns the p50 and p99
// time from calling Deliver to the post reaching the staff thread.
func (r *Rig) Latency(ctx context.Context, rate int, d time.Duration, visitors int) (p50, p99 time.Duration, err error) {
	r.surface.mu.Lock()
	r.surface.arrived = map[bridge.MessageID]time.Time{}
	r.surface.mu.Unlock()
	defer func() {
		r.surface.mu.Lock()
		r.surface.arrived = nil
		r.surface.mu.Unlock()
	}()
	base := r.surface.count()
	var mu sync.Mutex
	started := map[bridge.MessageID]time.Time{}
	total := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	begin := time.Now()
	for i := 0; i < total; i++ {
		// Open-loop: messages are offered on schedule whatever the latency.
		if wait := time.Until(begin.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			res, err := r.Engine.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprintf("lat-%d", i%visitors),
				ExternalID: fmt.Sprintf("lat-%d-%d", begin.UnixNano(), i), Text: "Where is my parcel?"})
			if err != nil {
				select {
				case errc <- err:
				default:
				}
				return
			}
			mu.Lock()
			started[res.Message] = t0
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	select {
	case err := <-errc:
		return 0, 0, err
	default:
	}
	if err := r.surface.waitFor(ctx, base+total); err != nil {
		return 0, 0, err
	}
	r.surface.mu.Lock()
	var lat []time.Duration
	for id, t0 := range started {
		if t1, ok := r.surface.arrived[id]; ok {
			lat = append(lat, t1.Sub(t0))
		}
	}
	r.surface.mu.Unlock()
	if len(lat) == 0 {
		return 0, 0, fmt.Errorf("no latencies recorded")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2], lat[len(lat)*99/100], nil
}

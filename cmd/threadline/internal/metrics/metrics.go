// Package metrics is Threadline's Prometheus instrumentation: the
// Counters the engine and outbox increment, gauges read from
// the store and the adapters' connection state at scrape time, HTTP request
// counts and latency, and the Go and process collectors. Everything lives on
// the registry New creates; nothing is registered globally.
package metrics

import (
	"bufio"
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/live"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/store"
)

// Namespace prefixes every Threadline metric.
const Namespace = "threadline"

// Source is what metrics read from the store at scrape time.
type Source interface {
	QueueStats(ctx context.Context, now time.Time) (store.QueueStats, error)
	CommitStats() store.CommitStats
}

// Options wires the metrics.
type Options struct {
	// Store is read at scrape time for queue gauges (nil: none).
	Store Source
	// Conns is the adapters' connection state (nil: no adapter gauge).
	Conns *live.State
	// Adapters are the configured channels and surfaces. Their series are
	// created up front, so they show as 0 before anything happened and the
	// hot path finds them without allocating.
	Adapters []bridge.Platform
	// Version is reported in threadline_build_info.
	Version string
	// CacheFor is how long store gauges are reused between scrapes (default 5s).
	CacheFor time.Duration
	// QueryTimeout bounds the store read of one scrape (default 2s).
	QueryTimeout time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// Metrics implements Counters on a private Prometheus registry.
type Metrics struct {
	reg   *prometheus.Registry
	log   *slog.Logger
	store *storeCollector // nil without a store

	in      *prometheus.CounterVec
	out     *prometheus.CounterVec
	retries *prometheus.CounterVec
	dead    *prometheus.CounterVec
	limited *prometheus.CounterVec
	waited  *prometheus.CounterVec
	nags    *prometheus.CounterVec
	reqs    *prometheus.CounterVec
	latency *prometheus.HistogramVec

	// Children resolved up front: read-only after New, so the hot path
	// looks them up without locks or allocation.
	inC      map[pair]prometheus.Counter
	outC     map[pair]prometheus.Counter
	retryC   map[pair]prometheus.Counter
	deadC    map[pair]prometheus.Counter
	limitedC map[pair]prometheus.Counter
	waitedC  map[pair]prometheus.Counter
	nagC     map[pair]prometheus.Counter
	leader   prometheus.Gauge
	terms    prometheus.Counter
}

type pair struct{ a, b string }

// Counters is what the engine and the outbox count into.
type Counters interface {
	engine.Metrics
	outbox.Metrics
}

var _ Counters = (*Metrics)(nil)

// New builds the registry with every Threadline metric, the Go runtime and
// process collectors.
func New(o Options) *Metrics {
	if o.CacheFor <= 0 {
		o.CacheFor = 5 * time.Second
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: o.Log,
		in: counter("messages_in_total",
			"Messages stored: customer messages per channel, staff replies and notes per surface (redeliveries not counted).",
			"adapter", "direction"),
		out: counter("messages_out_total",
			"Outbox rows delivered, per target adapter and kind (staff_post, customer_send, card, receipt, notice, move, announce).",
			"adapter", "kind"),
		retries: counter("outbox_retries_total",
			"Deliveries that failed with a transient error and were rescheduled.", "adapter", "kind"),
		dead: counter("outbox_dead_letters_total",
			"Deliveries that failed permanently or ran out of attempts (dead letters).", "adapter", "kind"),
		limited: counter("rate_limit_waits_total",
			"Times a delivery had to wait: source=platform is a 429 with Retry-After, source=pacer is Threadline's own pacing.",
			"adapter", "source"),
		waited: counter("rate_limit_wait_seconds_total",
			"Seconds of waiting asked for by rate limits (source as in rate_limit_waits_total).", "adapter", "source"),
		nags: counter("sla_nags_total",
			"SLA nags posted: step=breach counts SLA breaches, warning the warnings before, repeat the reminders after.",
			"step", "clock"),
		reqs: counter("http_requests_total",
			"HTTP requests on the public listener, per route pattern, method and status code.", "handler", "method", "code"),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request latency on the public listener (WebSocket sessions are not observed).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"handler", "method"}),
		inC: map[pair]prometheus.Counter{}, outC: map[pair]prometheus.Counter{}, retryC: map[pair]prometheus.Counter{},
		deadC: map[pair]prometheus.Counter{}, limitedC: map[pair]prometheus.Counter{}, waitedC: map[pair]prometheus.Counter{},
		nagC: map[pair]prometheus.Counter{},
	}
	directions := []bridge.Direction{bridge.DirCustomer, bridge.DirStaff, bridge.DirNote}
	kinds := []bridge.OutboxKind{bridge.KindStaffPost, bridge.KindCard, bridge.KindCustomerSend, bridge.KindReceipt,
		bridge.KindNotice, bridge.KindMove, bridge.KindAnnounce}
	for _, a := range o.Adapters {
		name := string(a)
		for _, d := range directions {
			m.inC[pair{name, string(d)}] = m.in.WithLabelValues(name, string(d))
		}
		for _, k := range kinds {
			p := pair{name, string(k)}
			m.outC[p] = m.out.WithLabelValues(name, string(k))
			m.retryC[p] = m.retries.WithLabelValues(name, string(k))
			m.deadC[p] = m.dead.WithLabelValues(name, string(k))
		}
		for _, src := range []string{"platform", "pacer"} {
			m.limitedC[pair{name, src}] = m.limited.WithLabelValues(name, src)
			m.waitedC[pair{name, src}] = m.waited.WithLabelValues(name, src)
		}
	}
	for _, s := range []sla.NagStep{sla.StepWarning, sla.StepBreach, sla.StepRepeat} {
		for _, c := range []string{"first", "next", "resolution"} {
			m.nagC[pair{string(s), c}] = m.nags.WithLabelValues(string(s), c)
		}
	}
	m.leader = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "leader",
		Help: "1 while this replica is the leader (it polls, holds gateways, runs the outbox and scheduled jobs), 0 while it follows."})
	m.terms = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "leadership_changes_total",
		Help: "Times this replica became leader or stopped being it."})
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; the labels say which build runs.",
		ConstLabels: prometheus.Labels{"version": o.Version, "goversion": runtime.Version()}})
	buildInfo.Set(1)
	m.reg.MustRegister(m.in, m.out, m.retries, m.dead, m.limited, m.waited, m.nags, m.reqs, m.latency, buildInfo, m.leader, m.terms,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if o.Store != nil {
		m.store = newStoreCollector(o)
		m.reg.MustRegister(m.store)
	}
	if o.Conns != nil {
		m.reg.MustRegister(connCollector{conns: o.Conns, desc: prometheus.NewDesc(Namespace+"_adapter_connected",
			"1 while the adapter is connected to its platform, 0 while it connects, reconnects or restarts.",
			[]string{"adapter"}, nil)})
	}
	return m
}

// Registry is the private registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Refresh makes the next scrape read the store instead of reusing the
// gauges of the last few seconds (tests use it to see changes at once).
func (m *Metrics) Refresh() {
	if m.store != nil {
		m.store.mu.Lock()
		m.store.at = time.Time{}
		m.store.mu.Unlock()
	}
}

func inc(known map[pair]prometheus.Counter, vec *prometheus.CounterVec, a, b string) {
	if c, ok := known[pair{a, b}]; ok {
		c.Inc()
		return
	}
	vec.WithLabelValues(a, b).Inc()
}

func add(known map[pair]prometheus.Counter, vec *prometheus.CounterVec, a, b string, v float64) {
	if c, ok := known[pair{a, b}]; ok {
		c.Add(v)
		return
	}
	vec.WithLabelValues(a, b).Add(v)
}

// MessageIn implements Counters.
func (m *Metrics) MessageIn(adapter bridge.Platform, dir bridge.Direction) {
	inc(m.inC, m.in, string(adapter), string(dir))
}

// Delivered implements Counters.
func (m *Metrics) Delivered(target bridge.Platform, kind bridge.OutboxKind) {
	inc(m.outC, m.out, string(target), string(kind))
}

// Retried implements Counters.
func (m *Metrics) Retried(target bridge.Platform, kind bridge.OutboxKind) {
	inc(m.retryC, m.retries, string(target), string(kind))
}

// DeadLettered implements Counters.
func (m *Metrics) DeadLettered(target bridge.Platform, kind bridge.OutboxKind) {
	inc(m.deadC, m.dead, string(target), string(kind))
}

// RateLimited implements Counters.
func (m *Metrics) RateLimited(target bridge.Platform, wait time.Duration, platform bool) {
	src := "pacer"
	if platform {
		src = "platform"
	}
	inc(m.limitedC, m.limited, string(target), src)
	add(m.waitedC, m.waited, string(target), src, wait.Seconds())
}

// SLANag implements Counters.
func (m *Metrics) SLANag(step sla.NagStep, clock string) {
	inc(m.nagC, m.nags, string(step), clock)
}

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics when asked). With a token, requests must carry
// "Authorization: Bearer <token>".
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError, // a failed store read must not hide the other metrics
		Timeout:       10 * time.Second,
	})
	if token == "" {
		return h
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := bridge.BearerToken(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="threadline metrics"`)
			http.Error(w, "metrics need Authorization: Bearer <http.metrics_token>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Middleware counts and times every request to next (the public mux). The
// handler label is the ServeMux pattern's path that matched ("none" when
// nothing did), so the label set stays bounded whatever URLs are requested.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &recorder{ResponseWriter: w}
		defer func() {
			handler := r.Pattern
			if _, path, ok := strings.Cut(handler, " "); ok {
				handler = path // "GET /healthz" → "/healthz"; the method is its own label
			}
			if handler == "" {
				handler = "none"
			}
			method := normMethod(r.Method)
			code := rw.status
			switch {
			case rw.hijacked:
				code = http.StatusSwitchingProtocols
			case code == 0:
				code = http.StatusOK
			}
			m.reqs.WithLabelValues(handler, method, strconv.Itoa(code)).Inc()
			if !rw.hijacked {
				m.latency.WithLabelValues(handler, method).Observe(time.Since(start).Seconds())
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

func normMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// storeCollector reads queue gauges from the store, at most once per
// CacheFor, with a bounded query.
type storeCollector struct {
	o                                        Options
	conversations, unclaimed, overdue        *prometheus.Desc
	pending, oldest, commits, commitFailures *prometheus.Desc

	mu     sync.Mutex
	at     time.Time
	cached store.QueueStats
	err    error
}

func newStoreCollector(o Options) *storeCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
	}
	return &storeCollector{o: o,
		conversations: d("conversations", "Conversations not closed: status=open waits on staff, status=waiting on the customer.", "status"),
		unclaimed:     d("conversations_unclaimed", "Open or waiting conversations nobody owns."),
		overdue:       d("conversations_overdue", "Open conversations past their SLA due time."),
		pending:       d("outbox_pending", "Outbox rows waiting to be delivered, per target adapter (the outbox depth).", "adapter"),
		oldest: d("outbox_oldest_pending_age_seconds",
			"Age of the oldest outbox row still waiting, per target adapter (0 when none waits).", "adapter"),
		commits:        d("store_commits_total", "SQLite write transactions committed since start."),
		commitFailures: d("store_commit_failures_total", "SQLite writes that failed for a storage reason (disk full, I/O error, locked past busy_timeout)."),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conversations, c.unclaimed, c.overdue, c.pending, c.oldest, c.commits, c.commitFailures} {
		ch <- d
	}
}

func (c *storeCollector) stats() (store.QueueStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.o.Now()
	if !c.at.IsZero() && now.Sub(c.at) < c.o.CacheFor && !now.Before(c.at) {
		return c.cached, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.o.QueryTimeout)
	defer cancel()
	c.cached, c.err = c.o.Store.QueueStats(ctx, now)
	c.at = now
	return c.cached, c.err
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	cs := c.o.Store.CommitStats()
	ch <- prometheus.MustNewConstMetric(c.commits, prometheus.CounterValue, float64(cs.Commits))
	ch <- prometheus.MustNewConstMetric(c.commitFailures, prometheus.CounterValue, float64(cs.Failures))
	q, err := c.stats()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.conversations, err)
		return
	}
	g := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	g(c.conversations, q.Open, "open")
	g(c.conversations, q.Waiting, "waiting")
	g(c.unclaimed, q.Unclaimed)
	g(c.overdue, q.Overdue)
	now := c.o.Now()
	seen := map[bridge.Platform]bool{}
	for _, t := range q.Outbox {
		seen[t.Target] = true
		g(c.pending, t.Pending, string(t.Target))
		age := 0.0
		if !t.Oldest.IsZero() {
			age = max(0, now.Sub(t.Oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, string(t.Target))
	}
	for _, a := range c.o.Adapters {
		if !seen[a] {
			g(c.pending, 0, string(a))
			g(c.oldest, 0, string(a))
		}
	}
}

// connCollector reports each adapter's connection state.
type connCollector struct {
	conns *live.State
	desc  *prometheus.Desc
}

func (c connCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c connCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.conns.Snapshot() {
		v := 0.0
		if s.Connected {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, string(s.Adapter))
	}
}

// recorder remembers the status code and whether the connection was taken
// over (WebSocket upgrades). It passes Flush and Hijack through and
// unwraps for http.ResponseController.
type recorder struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	r.hijacked = true
	return h.Hijack()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Leader records whether this replica leads (and counts the change).
func (m *Metrics) Leader(on bool) {
	v := 0.0
	if on {
		v = 1
	}
	m.leader.Set(v)
	m.terms.Inc()
}

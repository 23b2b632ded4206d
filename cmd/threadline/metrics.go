package main

import (
	"context"
	"net/http"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/live"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/metrics"
)

// connHandle is how one adapter's connection state is tracked: adapters
// that implement bridge.ConnReporter report it themselves; the others count
// as connected while their Run runs.
type connHandle struct {
	conn    *live.Conn
	reports bool
}

// wireOps sets up connection tracking for every wired adapter and, unless
// http.metrics is false, the Prometheus metrics. It runs after the
// adapters are wired and before the core, which counts into the metrics.
func (a *app) wireOps() {
	a.conns = live.NewState(a.clock)
	a.connOf = map[bridge.Platform]connHandle{}
	var names []bridge.Platform
	track := func(name bridge.Platform, adapter any) {
		h := connHandle{conn: a.conns.Adapter(name)}
		if r, ok := adapter.(live.Reporter); ok {
			r.SetConn(h.conn)
			h.reports = true
		}
		a.connOf[name] = h
		names = append(names, name)
	}
	for _, ch := range a.channels {
		track(ch.Name(), ch)
	}
	for _, s := range a.surfaces {
		track(s.Name(), s)
	}
	if !a.cfg.HTTP.MetricsEnabled() {
		a.status = append(a.status, statusLine{"metrics", "off", "http.metrics is false"})
		return
	}
	a.metrics = metrics.New(metrics.Options{Store: a.st, Conns: a.conns, Adapters: names, Version: versionString(),
		Log: a.log.With("part", "metrics")})
	detail := a.cfg.PublicURL + "/metrics (Prometheus)"
	if a.cfg.HTTP.MetricsToken != "" {
		detail += ", bearer token required"
	}
	a.status = append(a.status, statusLine{"metrics", "on", detail})
}

// counters is what the engine and the outbox count into (nil: nothing).
func (a *app) counters() metrics.Counters {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}

// supervised wraps an adapter's Run so its connection state follows it.
func (a *app) supervised(name bridge.Platform, run func(context.Context) error) func(context.Context) error {
	h := a.connOf[name]
	return h.conn.Track(h.reports, run)
}

// publicHandler is the public listener's handler: the mux, counted and
// timed when metrics are on.
func (a *app) publicHandler() http.Handler {
	if a.metrics == nil {
		return a.mux
	}
	return a.metrics.Middleware(a.mux)
}

// metricsRoute serves /metrics when metrics are on.
func (a *app) metricsRoute() {
	if a.metrics != nil {
		a.mux.Handle("GET /metrics", a.metrics.Handler(a.cfg.HTTP.MetricsToken))
	}
}

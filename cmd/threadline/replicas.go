package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/live"
)

// Replicas. Every replica serves HTTP (web chat, webhooks, Slack HTTP
// events, metrics, health) and runs the adapters that serve its own
// connections (bridge.EveryReplica). The leader also does the leader
// work (lead): it polls and holds gateways, runs the scheduled jobs and
// the outbox. One process on SQLite is always the leader; replicas on
// PostgreSQL elect one (postgres.Elector), and a replica that loses the
// election stops its leader work at once.

// everywhere reports whether an adapter's Run belongs on every replica.
func everywhere(adapter any) bool {
	_, ok := adapter.(bridge.EveryReplica)
	return ok
}

// running is a set of adapters whose Run has not returned yet.
type running struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	names map[bridge.Platform]bool
}

func (r *running) start(name bridge.Platform, run func()) {
	r.wg.Add(1)
	r.mu.Lock()
	r.names[name] = true
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			delete(r.names, name)
			r.mu.Unlock()
		}()
		run()
	}()
}

// still names the adapters still running, sorted.
func (r *running) still() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for n := range r.names {
		out = append(out, string(n))
	}
	slices.Sort(out)
	return out
}

// runAdapters starts the Run of every adapter for which pick is true,
// supervised, until ctx ends; wait waits for them.
func (a *app) runAdapters(ctx context.Context, pick func(adapter any) bool) *running {
	r := &running{names: map[bridge.Platform]bool{}}
	for _, ch := range a.channels {
		if pick(ch) {
			r.start(ch.Name(), func() {
				live.Supervise(ctx, a.clock, string(ch.Name()), a.log, time.Minute, a.supervised(ch.Name(), func(ctx context.Context) error { return ch.Run(ctx, a.engine) }))
			})
		}
	}
	for _, s := range a.surfaces {
		if pick(s) {
			r.start(s.Name(), func() {
				live.Supervise(ctx, a.clock, string(s.Name()), a.log, time.Minute, a.supervised(s.Name(), func(ctx context.Context) error { return s.Run(ctx, a.handler) }))
			})
		}
	}
	return r
}

// campaign runs the leader work while this replica leads, until ctx ends.
func (a *app) campaign(ctx context.Context) {
	if a.cluster == nil {
		a.lead(ctx)
		return
	}
	if err := a.cluster.Elector().Run(ctx, a.lead); err != nil {
		a.log.Error("leader election stopped", "err", err)
	}
}

// lead is the leader's work: pollers and gateways, scheduled jobs, the SLA
// re-check and the outbox, until ctx ends. On shutdown the input side stops
// first and the outbox drains what is in flight (outbox.drain). When
// leadership is lost nothing drains (the next leader sends what is
// queued): the outbox stops taking rows at once and sends in flight are cut
// off within a second, whatever the input takes to stop, well inside the
// next leader's grace period.
func (a *app) lead(ctx context.Context) {
	a.setLeader(true)
	defer a.setLeader(false)
	sends, cutSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cutSends()
	outCtx, stopOut := context.WithCancel(context.WithoutCancel(ctx))
	defer stopOut()
	outDone := make(chan struct{})
	go func() { defer close(outDone); a.outbox.RunAbortable(outCtx, sends) }()

	sched, err := a.schedule(ctx)
	if err != nil {
		a.log.Error("scheduled jobs cannot run", "err", err)
	} else {
		sched.Start()
	}
	go func() {
		if err := a.engine.RecheckSLA(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("SLA re-check failed", "err", err)
		}
	}()
	adapters := a.runAdapters(ctx, func(ad any) bool { return !everywhere(ad) })
	<-ctx.Done()

	stopping := a.stopping.Load()
	bound := a.cfg.HTTP.ShutdownTimeout.D()
	if !stopping {
		a.log.Warn("no longer the leader: stopping pollers, gateways, scheduled jobs and the outbox now")
		// The input may take a moment (Discord's client waits a second
		// after its close frame); the outbox does not wait for it.
		stopOut()
		cut := a.clock.NewTimer(time.Second)
		defer cut.Stop()
		go func() {
			select {
			case <-cut.C():
				cutSends()
			case <-outDone:
			}
		}()
		bound = 2 * time.Second
	}
	inputDone := make(chan struct{})
	go func() {
		if sched != nil {
			<-sched.Stop().Done()
		}
		adapters.wg.Wait()
		close(inputDone)
	}()
	t := a.clock.NewTimer(bound)
	defer t.Stop()
	select {
	case <-inputDone:
	case <-t.C():
		a.log.Warn("leader work did not stop in time; going on without it", "within", bound, "running", strings.Join(adapters.still(), ", "))
	}
	stopOut()
	<-outDone
}

// schedule builds the cron scheduler of the time-based work (snoozes, claim
// expiry, SLA nags, digests, retention).
func (a *app) schedule(ctx context.Context) (*cron.Cron, error) {
	sched := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	jobs := append([]job{{name: "sweep", schedule: a.cfg.Sweep, fn: a.engine.Sweep}}, a.jobs...)
	for _, j := range jobs {
		if _, err := sched.AddFunc(j.schedule, func() {
			if err := j.fn(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("scheduled job failed; it runs again on schedule", "job", j.name, "err", err)
			}
		}); err != nil {
			return nil, fmt.Errorf("%s schedule %q: %w", j.name, j.schedule, err)
		}
	}
	return sched, nil
}

// setLeader records this replica's role for /readyz, metrics and logs.
func (a *app) setLeader(on bool) {
	a.leader.Store(on)
	if a.metrics != nil {
		a.metrics.Leader(on)
	}
	if a.cluster != nil && on {
		a.log.Info("this replica is the leader now: it polls, holds gateways, runs the outbox and scheduled jobs")
	}
}

// role is this replica's role, for /readyz and the banner.
func (a *app) role() string {
	switch {
	case a.cluster == nil:
		return "leader (one process)"
	case a.leader.Load():
		return "leader"
	}
	return "follower (another replica leads)"
}

// leaderOnly reports whether the named adapter's Run is leader work.
func (a *app) leaderOnly(name bridge.Platform) bool {
	for _, ch := range a.channels {
		if ch.Name() == name {
			return !everywhere(ch)
		}
	}
	for _, s := range a.surfaces {
		if s.Name() == name {
			return !everywhere(s)
		}
	}
	return false
}

// outboxTopic carries "rows were queued" from any replica to the leader's
// outbox, so a message a follower took is sent at once, not at the
// outbox's next safety-net look (5 s).
const outboxTopic = "outbox"

// wakeOutbox is the engine's Notify: it wakes this process's outbox and,
// among replicas, the leader's (coalesced: one relay message covers every
// commit made while the last one was being sent).
func (a *app) wakeOutbox() {
	a.outbox.Notify()
	if a.cluster == nil {
		return
	}
	select {
	case a.wakes <- struct{}{}:
	default:
	}
}

// relayWakes sends wakes to the leader, and wakes this replica's outbox
// when another replica queued rows, until ctx ends.
func (a *app) relayWakes(ctx context.Context) {
	stop := a.relay.Subscribe(outboxTopic, func([]byte) { a.outbox.Wake() })
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.wakes:
			if err := a.relay.Publish(ctx, outboxTopic, nil); err != nil && ctx.Err() == nil {
				a.log.Debug("relay: waking the leader's outbox failed; it looks again within seconds", "err", err)
			}
		}
	}
}

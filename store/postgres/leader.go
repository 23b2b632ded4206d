package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/threadlinehq/threadline/bridge"
)

// leaderLockKey is the advisory lock every replica of one database
// campaigns for ("threadline" in ASCII, truncated to 64 bits).
const leaderLockKey int64 = 0x7468726561646c6e

// Elector decides which replica leads: the one holding a session advisory
// lock on a dedicated connection. Its guarantees:
//
//   - Never two leaders, even for a moment. The leader renews a lease with a
//     heartbeat on the lock connection every Heartbeat; leader work stops
//     the moment a heartbeat fails or the lease (Lease) lapses unrenewed,
//     and lead's context is cancelled before the lock is given up. A
//     replica that takes the lock waits Grace (longer than the lease plus a
//     heartbeat) before it starts, so a leader that lost its connection
//     without noticing has stopped by then.
//   - A follower takes over within Poll + Grace of the lock being freed: at
//     once when the leader's process dies or its connection is terminated
//     (PostgreSQL ends the session), or once the server notices a dead
//     peer through TCP keepalives (about 8 s) when the network goes.
type Elector struct {
	URL   string
	Clock bridge.Clock
	Log   *slog.Logger
	// Heartbeat is how often the leader checks its lock connection
	// (default 250ms); Lease how long leader work runs without a successful
	// check (default 1.5s); Grace how long a new leader waits (default
	// 3s); Poll how often followers try the lock (default 1s).
	Heartbeat, Lease, Grace, Poll time.Duration
	// OnChange is told when this replica becomes leader or stops being it.
	OnChange func(leader bool)

	mu     sync.Mutex
	leader bool
}

func (e *Elector) defaults() {
	e.Clock = bridge.OrSystem(e.Clock)
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if e.Heartbeat <= 0 {
		e.Heartbeat = 250 * time.Millisecond
	}
	if e.Lease <= 0 {
		e.Lease = 1500 * time.Millisecond
	}
	if e.Grace <= 0 {
		e.Grace = 3 * time.Second
	}
	if e.Poll <= 0 {
		e.Poll = time.Second
	}
}

// Leader reports whether this replica leads right now.
func (e *Elector) Leader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

func (e *Elector) set(on bool) {
	e.mu.Lock()
	changed := e.leader != on
	e.leader = on
	e.mu.Unlock()
	if changed && e.OnChange != nil {
		e.OnChange(on)
	}
}

// Run campaigns until ctx ends. Each time this replica wins, lead runs
// with a context that is cancelled when leadership is lost (or ctx ends);
// Run waits for lead to return before it campaigns again, so leader work
// never outlives the leadership.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	e.defaults()
	backoff := e.Poll
	for ctx.Err() == nil {
		worked, err := e.term(ctx, lead)
		if ctx.Err() != nil {
			return nil
		}
		if worked {
			// The connection worked until it failed: a new incident, not
			// one more of a series (the backoff is for a database that
			// cannot be reached, so a cut leader campaigns again at once).
			backoff = e.Poll
		}
		e.Log.Warn("leader election: lock connection failed; campaigning again", "err", err, "in", backoff)
		if !bridge.Sleep(e.Clock, backoff, ctx.Done()) {
			return nil
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	return nil
}

// term is one connection's life: campaign on it, lead while it holds. It
// returns why it ended (nil when ctx did) and whether the connection
// worked: connected, and asked for the lock at least once.
func (e *Elector) term(ctx context.Context, lead func(ctx context.Context)) (worked bool, err error) {
	conn, err := e.connect(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := e.campaign(ctx, conn, &worked); err != nil {
		return worked, err
	}
	e.Log.Info("leader election: took the leader lock; starting leader work after the grace period", "grace", e.Grace)
	// The grace period: whoever held the lock before has stopped by its end.
	if err := e.hold(ctx, conn, e.Grace, nil); err != nil {
		return true, err
	}
	leadCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	e.set(true)
	go func() { defer close(done); lead(leadCtx) }()
	err = e.hold(ctx, conn, 0, done)
	stop()
	<-done
	e.set(false)
	if ctx.Err() != nil {
		// A clean stop hands over at once: the lock goes with the session.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", leaderLockKey)
		e.Log.Info("leader election: stepped down (stopping)")
		return true, nil
	}
	e.Log.Warn("leader election: lost the leader lock; leader work stopped", "err", err)
	return true, err
}

func (e *Elector) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(e.URL)
	if err != nil {
		return nil, err
	}
	// The server notices a vanished leader within about 8 s and frees its
	// lock; the client notices through its own heartbeat.
	cfg.RuntimeParams["tcp_keepalives_idle"] = "5"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "1"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	cfg.RuntimeParams["application_name"] = "threadline-leader-lock"
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return pgx.ConnectConfig(cctx, cfg)
}

// campaign tries the lock every Poll until it is ours; worked is set once
// a try got an answer.
func (e *Elector) campaign(ctx context.Context, conn *pgx.Conn, worked *bool) error {
	for {
		var got bool
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := conn.QueryRow(qctx, "SELECT pg_try_advisory_lock($1)", leaderLockKey).Scan(&got)
		cancel()
		if err != nil {
			return fmt.Errorf("try lock: %w", err)
		}
		*worked = true
		if got {
			return nil
		}
		if !bridge.Sleep(e.Clock, e.Poll, ctx.Done()) {
			return ctx.Err()
		}
	}
}

// hold heartbeats on the lock connection until ctx ends, for (when > 0),
// done closes, or a heartbeat fails or the lease lapses (an error).
func (e *Elector) hold(ctx context.Context, conn *pgx.Conn, forDur time.Duration, done <-chan struct{}) error {
	start := e.Clock.Now()
	lastOK := start
	t := e.Clock.NewTimer(e.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			return errors.New("leader work ended by itself")
		case <-t.C():
		}
		hctx, cancel := context.WithTimeout(ctx, e.Lease/2)
		_, err := conn.Exec(hctx, "SELECT 1")
		cancel()
		now := e.Clock.Now()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return fmt.Errorf("heartbeat: %w", err)
		case now.Sub(lastOK) > e.Lease:
			return fmt.Errorf("heartbeat: lease lapsed (%s since the last good one)", now.Sub(lastOK).Round(time.Millisecond))
		}
		lastOK = now
		if forDur > 0 && now.Sub(start) >= forDur {
			return nil
		}
		t.Reset(e.Heartbeat)
	}
}

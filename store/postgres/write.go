package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

// Retries of a write that lost a conflict: at most maxAttempts runs of fn,
// waiting between them a random time in [d/2, d), d doubling from
// firstBackoff up to maxBackoff; in the worst case a write gives up after
// about five seconds of waiting. (Under the tests' heaviest contention,
// twelve writers in two processes on one conversation with the race
// detector on, no write needed more than 19 attempts. Letting a write that
// lost several times run alone in its process bounded that in one process
// but doubled the retries between two, so writes do not do that.)
const (
	maxAttempts  = 30
	firstBackoff = 2 * time.Millisecond
	maxBackoff   = 250 * time.Millisecond
)

// retryStats counts writes and the retries they took.
type retryStats struct {
	writes, retries, gaveUp, most atomic.Int64
}

// RetryStats is how writes fared against conflicts since Open.
type RetryStats struct {
	Writes  int64 // committed
	Retries int64 // attempts run again after a serialization failure or deadlock
	GaveUp  int64 // writes that failed because all their attempts lost
	Most    int64 // the most attempts one write took
}

// RetryStats reports how writes fared against conflicts since Open.
func (s *Store) RetryStats() RetryStats {
	return RetryStats{Writes: s.retries.writes.Load(), Retries: s.retries.retries.Load(),
		GaveUp: s.retries.gaveUp.Load(), Most: s.retries.most.Load()}
}

func (r *retryStats) attempts(n int) {
	for {
		m := r.most.Load()
		if int64(n) <= m || r.most.CompareAndSwap(m, int64(n)) {
			return
		}
	}
}

// Write runs fn in one SERIALIZABLE transaction and returns after it
// committed. When the transaction loses a conflict with another one
// (serialization failure 40001, deadlock 40P01), in this process or in
// another replica, it is rolled back and fn runs again on a fresh
// transaction, after a jittered backoff, up to maxAttempts times: the
// store contract allows fn to be called more than once. The serializable
// isolation level is what serialises writes to one conversation: two
// transactions that read and write the same rows (a conversation, its
// outbox lane) cannot both commit as if the other did not exist.
func (s *Store) Write(ctx context.Context, fn func(bridge.Tx) error) error {
	return s.write(ctx, fn, false)
}

func (s *Store) write(ctx context.Context, fn func(bridge.Tx) error, probe bool) error {
	for attempt := 1; ; attempt++ {
		if s.closed.Load() {
			return store.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err, again := s.attempt(ctx, fn)
		s.retries.attempts(attempt)
		if err == nil {
			s.retries.writes.Add(1)
			s.commits.Committed(1)
			if !probe {
				s.commits.Succeeded()
			}
			return nil
		}
		if !again || ctx.Err() != nil {
			if storageError(err) && ctx.Err() == nil {
				s.commits.Failed(err)
			}
			return err
		}
		if attempt == maxAttempts {
			s.retries.gaveUp.Add(1)
			return fmt.Errorf("write lost %d conflicts in a row with other writers, giving up: %w", attempt, err)
		}
		s.retries.retries.Add(1)
		// Real time, not the store's clock: this waits for other
		// transactions to finish, which happens in real time.
		d := min(firstBackoff<<(attempt-1), maxBackoff)
		t := time.NewTimer(d/2 + rand.N(d/2))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// attempt runs fn once in a serializable transaction; again reports
// whether it lost a conflict and may be run again.
func (s *Store) attempt(ctx context.Context, fn func(bridge.Tx) error) (err error, again bool) {
	tx, err := s.w.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return fmt.Errorf("begin: %w", err), retryable(err)
	}
	t := sqlstore.NewTx(ctx, tx, s.d)
	// A conflict a statement met counts even if fn swallowed the error:
	// the transaction is aborted either way.
	lost := func(err error) bool { return retryable(err) || retryable(t.StatementError()) }
	if err := run(fn, t); err != nil {
		_ = tx.Rollback()
		return err, lost(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err), lost(err)
	}
	return nil, false
}

// run calls fn, turning a panic into an error.
func run(fn func(bridge.Tx) error, tx bridge.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}

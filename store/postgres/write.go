package postgres

import (
	"cmp"
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

// Write runs fn in a SERIALIZABLE transaction and returns after it
// committed.
//
// Group commit, as SQLite's writer does: writes that arrive while the
// committer is busy are gathered (up to MaxBatch) and run one after
// another in one transaction, on one connection, so writes of this process
// never conflict with each other and share a commit. When one of them
// fails, the transaction is rolled back and the batch runs again with each
// write inside its own SAVEPOINT, so the failing function rolls back
// alone. When the transaction loses a conflict with another replica's
// (serialization failure 40001, deadlock 40P01), it is rolled back and,
// after a jittered backoff, a batch of several is split in halves that run
// on their own, and a single write runs again on a fresh transaction up to
// maxAttempts times: the store contract allows fn to be called more than
// once. The serializable isolation level is what serialises writes to one
// conversation across processes: two transactions that read and write the
// same rows (a conversation, its outbox lane) cannot both commit as if the
// other did not exist.
func (s *Store) Write(ctx context.Context, fn func(bridge.Tx) error) error {
	return s.write(ctx, fn, false)
}

func (s *Store) write(ctx context.Context, fn func(bridge.Tx) error, probe bool) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return s.queue.Submit(ctx, fn, probe)
}

// committer runs batches of waiting writes until the store closes.
func (s *Store) committer() {
	defer close(s.stopped)
	for {
		batch, ok := s.queue.Next(nil)
		if !ok {
			return
		}
		for i, err := range s.runBatch(batch) {
			batch[i].Reply(err)
		}
	}
}

// batchOutcome is what one run of a batch came to.
type batchOutcome int

const (
	batchDone       batchOutcome = iota // committed, or failed for good (errs says which)
	batchLost                           // lost a conflict: run it all again after a backoff
	batchSavepoints                     // a write failed: run it again, each write in a savepoint
)

// runBatch runs batch until it committed or failed for good and returns
// each write's error.
func (s *Store) runBatch(batch []*sqlstore.WriteReq) []error {
	errs := make([]error, len(batch))
	savepoints := false
	for attempt := 1; ; attempt++ {
		clear(errs)
		live := 0
		for i, r := range batch {
			if s.closed.Load() {
				errs[i] = store.ErrClosed
			} else if err := r.Ctx.Err(); err != nil {
				errs[i] = err
			} else {
				live++
			}
		}
		if live == 0 {
			return errs
		}
		out, lost := s.attempt(batch, errs, savepoints && len(batch) > 1)
		switch out {
		case batchSavepoints:
			savepoints = true
			attempt-- // not a conflict
			continue
		case batchDone:
			ok := 0
			for i, r := range batch {
				if errs[i] == nil {
					ok++
					s.retries.attempts(attempt)
					if !r.Probe {
						s.commits.Succeeded()
					}
				}
			}
			if ok > 0 {
				s.retries.writes.Add(int64(ok))
				s.commits.Committed(ok)
			}
			return errs
		}
		if len(batch) > 1 {
			// A large transaction locks much (PostgreSQL widens its
			// predicate locks from rows to pages to whole relations as
			// they grow), so it conflicts with any concurrent writer,
			// another replica's for one: run the halves on their own.
			s.retries.retries.Add(int64(live))
			if !s.backoff(attempt) {
				return fill(errs, store.ErrClosed)
			}
			h := len(batch) / 2
			copy(errs, s.runBatch(batch[:h]))
			copy(errs[h:], s.runBatch(batch[h:]))
			return errs
		}
		if attempt == maxAttempts {
			s.retries.gaveUp.Add(int64(live))
			s.retries.attempts(attempt)
			return fill(errs, fmt.Errorf("write lost %d conflicts in a row with other writers, giving up: %w", attempt, lost))
		}
		s.retries.retries.Add(int64(live))
		if !s.backoff(attempt) {
			return fill(errs, store.ErrClosed)
		}
	}
}

// backoff waits before the next attempt, a random time in [d/2, d) with d
// doubling from firstBackoff; false if the store closed meanwhile. Real
// time, not the store's clock: this waits for other transactions to
// finish, which happens in real time.
func (s *Store) backoff(attempt int) bool {
	d := min(firstBackoff<<(attempt-1), maxBackoff)
	t := time.NewTimer(d/2 + rand.N(d/2))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.queue.Stopped():
		return false
	}
}

// fill sets err for every write that has no error yet.
func fill(errs []error, err error) []error {
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
}

// batchTimeout bounds one run of a batch: a server that stopped answering
// fails the writes rather than hold every writer of the process.
const batchTimeout = 30 * time.Second

// attempt runs the writes of batch that have no error yet in one
// serializable transaction, each inside a SAVEPOINT if savepoints. It
// records in errs what failed for good; lost is the conflict when the
// outcome is batchLost.
func (s *Store) attempt(batch []*sqlstore.WriteReq, errs []error, savepoints bool) (out batchOutcome, lost error) {
	// The transaction is not bound to any caller's context: one caller
	// giving up must not roll back the others.
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	tx, err := s.w.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return s.failed(errs, fmt.Errorf("begin: %w", err))
	}
	abort := func(err error) (batchOutcome, error) {
		_ = tx.Rollback()
		return s.failed(errs, err)
	}
	ok := 0
	for i, r := range batch {
		if errs[i] != nil {
			continue
		}
		if savepoints {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
				return abort(err)
			}
		}
		// fn's statements carry the caller's values and the batch's
		// deadline, not the caller's cancellation.
		wctx, wcancel := context.WithDeadline(context.WithoutCancel(r.Ctx), deadline)
		t := sqlstore.NewTx(wctx, tx, s.d)
		// A statement's error counts even if fn swallowed it or wrapped
		// it out of sight: on PostgreSQL it aborted the transaction (or
		// the savepoint), and a lost conflict loses the whole batch.
		err, serr := sqlstore.RunWrite(r.Fn, t), t.StatementError()
		wcancel()
		if retryable(serr) || storageError(serr) {
			return abort(serr)
		}
		err = cmp.Or(err, serr)
		switch {
		case err == nil:
			ok++
			if savepoints {
				if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT w"); err != nil {
					return abort(err)
				}
			}
		case retryable(err) || storageError(err):
			return abort(err)
		case savepoints:
			errs[i] = err
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w; RELEASE SAVEPOINT w"); err != nil {
				return abort(err)
			}
		case len(batch) > 1:
			_ = tx.Rollback()
			return batchSavepoints, nil
		default:
			errs[i] = err
		}
	}
	if ok == 0 {
		_ = tx.Rollback()
		return batchDone, nil
	}
	if err := tx.Commit(); err != nil {
		return s.failed(errs, fmt.Errorf("commit: %w", err))
	}
	return batchDone, nil
}

// failed ends a run of a batch on err: a lost conflict runs it again;
// anything else fails every write still without an error (a storage
// failure is recorded for /readyz).
func (s *Store) failed(errs []error, err error) (batchOutcome, error) {
	if retryable(err) {
		return batchLost, err
	}
	if storageError(err) {
		s.commits.Failed(err)
	}
	fill(errs, err)
	return batchDone, nil
}

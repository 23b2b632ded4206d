package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

// Write runs fn in a write transaction and returns after it committed.
//
// Group commit: writes that arrive while a transaction is being committed
// are gathered (up to MaxBatch) and run in the next transaction. When one of
// them fails, the transaction is rolled back and the batch runs again with
// each write inside its own SAVEPOINT, so the failing function rolls back
// alone. Every caller still returns only after its own changes are durable.
func (s *Store) Write(ctx context.Context, fn func(bridge.Tx) error) error {
	return s.write(ctx, fn, false)
}

func (s *Store) write(ctx context.Context, fn func(bridge.Tx) error, probe bool) error {
	return s.queue.Submit(ctx, fn, probe)
}

func (s *Store) committer() {
	defer close(s.stopped)
	for {
		batch, ok := s.queue.Next(s.ckpt.idle)
		if !ok {
			return
		}
		s.commit(batch)
	}
}

func (s *Store) commit(batch []*sqlstore.WriteReq) {
	if len(batch) > 1 && s.commitAll(batch) {
		return
	}
	errs := make([]error, len(batch))
	reply := func() {
		for i, r := range batch {
			r.Reply(errs[i])
		}
	}
	// The transaction is not bound to any caller's context: one caller giving
	// up must not roll back the others (and an interrupted statement inside
	// a SQLite transaction rolls back the whole transaction).
	tx, err := s.begin()
	if err != nil {
		s.commits.Failed(fmt.Errorf("begin: %w", err))
		for i := range errs {
			errs[i] = fmt.Errorf("begin: %w", err)
		}
		reply()
		return
	}
	ok, wrote, failed := 0, false, false
	single := len(batch) == 1
	for i, r := range batch {
		if err := r.Ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if !single {
			if _, err := tx.Exec("SAVEPOINT w"); err != nil {
				errs[i] = err
				continue
			}
		}
		wt := sqlstore.NewConnTx(context.WithoutCancel(r.Ctx), tx.c, dialect{})
		err := sqlstore.RunWrite(r.Fn, wt)
		if err != nil && storageError(err) {
			s.commits.Failed(err)
			failed = true
		}
		switch {
		case err != nil && single:
			errs[i] = err
		case err != nil:
			errs[i] = err
			if _, rerr := tx.Exec("ROLLBACK TO w; RELEASE w"); rerr != nil {
				// The transaction is unusable; fail the batch.
				s.abort(tx, errs, fmt.Errorf("rollback to savepoint: %w", rerr))
				reply()
				return
			}
		default:
			ok++
			wrote = wrote || !r.Probe
			tx.inserted = tx.inserted || wt.InsertedMessages()
			if !single {
				if _, err := tx.Exec("RELEASE w"); err != nil {
					s.abort(tx, errs, fmt.Errorf("release savepoint: %w", err))
					reply()
					return
				}
			}
		}
	}
	if ok == 0 {
		_ = tx.Rollback()
		reply()
		return
	}
	s.finish(tx, batch, errs, ok, wrote && !failed)
	reply()
}

// commitAll is the common case of a batch: every write succeeds. It runs
// them all in one transaction without a SAVEPOINT around each (those cost
// about a seventh of the writer's time) and reports false, having committed
// nothing and answered no one, if any write fails, was given up, or the
// transaction cannot begin: commit then runs the batch again, each write in
// its own savepoint. The store contract lets a backend run fn again.
func (s *Store) commitAll(batch []*sqlstore.WriteReq) bool {
	tx, err := s.begin()
	if err != nil {
		return false
	}
	wrote := false
	for _, r := range batch {
		wt := sqlstore.NewConnTx(context.WithoutCancel(r.Ctx), tx.c, dialect{})
		if r.Ctx.Err() != nil || sqlstore.RunWrite(r.Fn, wt) != nil {
			_ = tx.Rollback()
			return false
		}
		wrote = wrote || !r.Probe
		tx.inserted = tx.inserted || wt.InsertedMessages()
	}
	errs := make([]error, len(batch))
	s.finish(tx, batch, errs, len(batch), wrote)
	for i, r := range batch {
		r.Reply(errs[i])
	}
	return true
}

// finish commits tx, which carries ok successful writes of batch, and
// records the outcome; a failed commit fails every write that had not
// failed already. succeeded: a write that changed something committed.
func (s *Store) finish(tx *wtx, batch []*sqlstore.WriteReq, errs []error, ok int, succeeded bool) {
	if err := tx.Commit(); err != nil {
		s.log.Error("store: commit failed", "err", err, "batch", len(batch))
		s.commits.Failed(fmt.Errorf("commit: %w", err))
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("commit: %w", err)
			}
		}
		return
	}
	s.commits.Committed(ok)
	s.ckpt.committed()
	if succeeded {
		s.commits.Succeeded()
	}
}

func (s *Store) abort(tx *wtx, errs []error, err error) {
	_ = tx.Rollback()
	if storageError(err) {
		s.commits.Failed(err)
	}
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
}

// wtx is the writer's transaction: BEGIN IMMEDIATE and COMMIT run as SQL
// on the writer's one connection. database/sql's Tx would start a
// goroutine per transaction to watch its context and, because that context
// can be cancelled, another for every query inside it (four or five per
// message).
//
// inserted: a write that stays in the transaction inserted a message, so
// Commit first adds the new messages to the search index.
type wtx struct {
	c        *sql.Conn
	inserted bool
}

// begin takes the writer connection and begins a transaction on it,
// holding SQLite's write lock from the start.
func (s *Store) begin() (*wtx, error) {
	ctx := context.Background()
	c, err := s.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		c.Close()
		return nil, err
	}
	return &wtx{c: c}, nil
}

// Exec runs a statement without arguments (savepoints).
func (t *wtx) Exec(query string) (sql.Result, error) {
	return t.c.ExecContext(context.Background(), query)
}

// Commit commits and gives the connection back. A COMMIT that failed may
// leave the transaction open (SQLite keeps it after some errors): it is
// rolled back, so the connection returns to the pool with none.
func (t *wtx) Commit() error {
	var err error
	if t.inserted {
		if _, err = t.c.ExecContext(context.Background(), IndexNewMessages, 0); err != nil {
			err = fmt.Errorf("index new messages for search: %w", err)
		}
	}
	if err == nil {
		_, err = t.c.ExecContext(context.Background(), "COMMIT")
	}
	if err != nil {
		_, _ = t.c.ExecContext(context.Background(), "ROLLBACK")
	}
	return errors.Join(err, t.c.Close())
}

// IndexNewMessages adds the messages inserted since the last commit to the
// search index (schema v11): every message above the highest indexed id,
// which is the highest docid of the index's docsize table. The parameter
// (always 0) gives the statement an argument, so the driver prepares it once
// and keeps it instead of parsing it at every commit.
const IndexNewMessages = `INSERT INTO messages_fts(docid, body) SELECT id, body FROM messages
	WHERE id > (SELECT coalesce(max(docid), ?) FROM messages_fts_docsize)`

// Rollback rolls back and gives the connection back.
func (t *wtx) Rollback() error {
	_, err := t.c.ExecContext(context.Background(), "ROLLBACK")
	return errors.Join(err, t.c.Close())
}

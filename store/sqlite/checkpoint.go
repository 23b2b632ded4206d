package sqlite

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
)

const (
	// checkpointEvery is how many commits pass between WAL checkpoints
	// while writes keep coming; checkpointIdle how many it takes for one
	// when the writer has nothing to do (that checkpoint copies every
	// frame, so the next write starts the WAL afresh).
	checkpointEvery = 32
	checkpointIdle  = 8
	// writerCheckpointPages is where the writer checkpoints itself: a
	// bound on the WAL for when writes never pause (a PASSIVE checkpoint
	// beside a busy writer copies frames but cannot end the WAL, which
	// only restarts once a checkpoint caught up with every frame). By then
	// the goroutine has copied most frames, so it is quick.
	writerCheckpointPages = 10000
)

// checkpointer copies the WAL back into the database beside the writer,
// not in it. SQLite's default does it inside the commit that takes the WAL
// past 1,000 pages, and every write batched into that commit waits: that
// was the p99 of Deliver-to-post at 500 messages/s (11–14 ms; 2.8–3.4 ms
// with this). So the writer checkpoints itself only at
// writerCheckpointPages, and every checkpointEvery commits the committer
// nudges a goroutine that runs a PASSIVE checkpoint on a connection of its
// own: it waits for no writer and no writer waits for it. The next write
// after a checkpoint that copied every frame starts the WAL afresh.
type checkpointer struct {
	db    *sql.DB
	log   *slog.Logger
	nudge chan struct{}
	done  chan struct{}
	since int          // commits since the last nudge; the committer's alone
	runs  atomic.Int64 // checkpoints run (tests)
}

// startCheckpointer opens the checkpointer's connection and turns the
// writer's own checkpoints off; if the connection cannot be had, the
// writer keeps checkpointing itself and nil is returned.
func startCheckpointer(path string, q url.Values, w *sql.DB, log *slog.Logger) *checkpointer {
	db, err := openWriter(path, q)
	if err != nil {
		log.Debug("store: no checkpoint connection; the writer checkpoints", "err", err)
		return nil
	}
	if _, err := w.Exec(fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, writerCheckpointPages)); err != nil {
		db.Close()
		return nil
	}
	c := &checkpointer{db: db, log: log, nudge: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// committed counts a commit; every checkpointEvery it wakes the
// checkpoint goroutine (without waiting for it).
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	if c.since++; c.since >= checkpointEvery {
		c.wake()
	}
}

// idle is called when the writer has no write waiting.
func (c *checkpointer) idle() {
	if c != nil && c.since >= checkpointIdle {
		c.wake()
	}
}

func (c *checkpointer) wake() {
	c.since = 0
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for range c.nudge {
		if _, err := c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			c.log.Debug("store: checkpoint", "err", err)
		}
		c.runs.Add(1)
	}
}

// stop ends the goroutine once the committer has stopped (it alone
// nudges) and closes the connection.
func (c *checkpointer) stop() error {
	if c == nil {
		return nil
	}
	close(c.nudge)
	<-c.done
	return c.db.Close()
}

package sqlstore

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// CommitLog counts a backend's write transactions and remembers the last
// one that failed because of the database itself (locked, disk full, I/O
// errors, a lost connection), so /readyz can report it. Errors of the
// callers' own logic (a duplicate external id, a conversation not found)
// are not the store's health. The backend's writer reports to it; the
// shared Store answers LastError and CommitStats from it.
type CommitLog struct {
	clock  bridge.Clock
	log    *slog.Logger
	window time.Duration

	commits, writes atomic.Int64

	mu       sync.Mutex
	err      error     // last storage failure
	at       time.Time // when it happened
	started  time.Time // first failure of the episode
	lastOK   time.Time // last commit that wrote something
	logged   bool      // "writes work again" was logged for this episode
	failures uint64    // storage failures since Open
}

// NewCommitLog returns a CommitLog that reports a failure for window
// after the last one (see LastError).
func NewCommitLog(clock bridge.Clock, log *slog.Logger, window time.Duration) *CommitLog {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CommitLog{clock: bridge.OrSystem(clock), log: log, window: window}
}

// Committed counts one committed transaction that carried writes Write calls.
func (h *CommitLog) Committed(writes int) {
	h.commits.Add(1)
	h.writes.Add(int64(writes))
}

// Counts reports the committed transactions and the Write calls they carried.
func (h *CommitLog) Counts() (commits, writes int64) {
	return h.commits.Load(), h.writes.Load()
}

// WriteStats reports how many transactions the writer committed and how
// many successful Write calls they carried since Open: writes/commit is the
// average group-commit batch.
func (s *Store) WriteStats() (commits, writes int64) {
	if s.commits == nil {
		return 0, 0
	}
	return s.commits.Counts()
}

// Commits is the number of committed transactions (bridge.CommitCounter):
// it grows after the commit, so whatever it counted is visible to reads.
func (s *Store) Commits() int64 {
	if s.commits == nil {
		return -1
	}
	n, _ := s.commits.Counts()
	return n
}

// failing reports whether the episode is still on: a failure without a
// successful write since, or one younger than window. Call with mu held.
func (h *CommitLog) failing(now time.Time) bool {
	return h.err != nil && (!h.lastOK.After(h.at) || now.Sub(h.at) < h.window)
}

// Failed records a storage failure; the first of an episode is logged.
func (h *CommitLog) Failed(err error) {
	now := h.clock.Now()
	h.mu.Lock()
	first := !h.failing(now)
	if first {
		h.started, h.logged = now, false
	}
	h.err, h.at = err, now
	h.failures++
	h.mu.Unlock()
	if first {
		h.log.Error("store: writes are failing; nothing is acknowledged upstream until they work again", "err", err)
	}
}

// Succeeded records a commit that wrote something; the first after a
// failure is logged.
func (h *CommitLog) Succeeded() {
	now := h.clock.Now()
	h.mu.Lock()
	h.lastOK = now
	announce := h.err != nil && !h.logged
	h.logged = h.logged || announce
	since := h.started
	h.mu.Unlock()
	if announce {
		h.log.Info("store: writes succeed again", "failing_for", now.Sub(since).Round(time.Millisecond))
	}
}

// LastError returns the error of the most recent write transaction that
// failed for a storage reason (database locked beyond busy_timeout, disk
// or size limit full, I/O error, read-only file, connection lost) and when
// it happened. It is reported until a write has succeeded after it and
// FailureWindow has passed: on a full disk small updates may still fit
// while new messages do not, so one success does not mean the store works.
// Writes that failed were never acknowledged upstream, so platforms
// deliver them again.
func (s *Store) LastError() (error, time.Time) {
	h := s.commits
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.failing(h.clock.Now()) {
		return nil, time.Time{}
	}
	return h.err, h.at
}

// CommitStats reports how writes went since Open. A function failing
// inside a transaction for its own reasons (a duplicate, a conversation
// not found) is the caller's error; only storage failures count (disk
// full, I/O errors, the database locked past busy_timeout): see LastError.
func (s *Store) CommitStats() store.CommitStats {
	h := s.commits
	st := store.CommitStats{Commits: uint64(h.commits.Load())}
	h.mu.Lock()
	st.Failures, st.LastErr, st.LastAt = h.failures, h.err, h.at
	h.mu.Unlock()
	return st
}

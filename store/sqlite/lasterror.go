package sqlite

import (
	"errors"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// health remembers the last write transaction that failed because of the
// database itself (locked past busy_timeout, disk full, I/O errors), so
// /readyz can report it. Errors of the callers' own logic (a duplicate
// external id, a conversation not found) are not the store's health.
type health struct {
	mu       sync.Mutex
	err      error     // last storage failure
	at       time.Time // when it happened
	started  time.Time // first failure of the episode
	lastOK   time.Time // last commit that wrote something
	logged   bool      // "writes work again" was logged for this episode
	failures uint64    // storage failures since Open
}

// failing reports whether the episode is still on: a failure without a
// successful write since, or one younger than window. Call with mu held.
func (h *health) failing(now time.Time, window time.Duration) bool {
	return h.err != nil && (!h.lastOK.After(h.at) || now.Sub(h.at) < window)
}

// LastError returns the error of the most recent write transaction that
// failed for a storage reason (database locked beyond busy_timeout, disk
// or size limit full, I/O error, read-only file) and when it happened. It
// is reported until a write has succeeded after it and FailureWindow has
// passed: on a full disk small updates may still fit while new messages do
// not, so one success does not mean the store works. Writes that failed
// were never acknowledged upstream, so platforms deliver them again.
func (s *Store) LastError() (error, time.Time) {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	if !s.health.failing(s.clock.Now(), s.cfg.FailureWindow) {
		return nil, time.Time{}
	}
	return s.health.err, s.health.at
}

// storageError reports whether err comes from the database rather than
// from the caller's logic.
func storageError(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrNomem, sqlite3.ErrReadonly, sqlite3.ErrIoErr,
		sqlite3.ErrCorrupt, sqlite3.ErrFull, sqlite3.ErrCantOpen, sqlite3.ErrProtocol, sqlite3.ErrNotADB:
		return true
	}
	return false
}

// noteFailure records a storage failure; the first of an episode is logged.
func (s *Store) noteFailure(err error) {
	now := s.clock.Now()
	s.health.mu.Lock()
	first := !s.health.failing(now, s.cfg.FailureWindow)
	if first {
		s.health.started, s.health.logged = now, false
	}
	s.health.err, s.health.at = err, now
	s.health.failures++
	s.health.mu.Unlock()
	if first {
		s.log.Error("store: writes are failing; nothing is acknowledged upstream until they work again", "err", err)
	}
}

// noteSuccess records a commit that wrote something; the first after a
// failure is logged.
func (s *Store) noteSuccess() {
	now := s.clock.Now()
	s.health.mu.Lock()
	s.health.lastOK = now
	announce := s.health.err != nil && !s.health.logged
	s.health.logged = s.health.logged || announce
	since := s.health.started
	s.health.mu.Unlock()
	if announce {
		s.log.Info("store: writes succeed again", "failing_for", now.Sub(since).Round(time.Millisecond))
	}
}

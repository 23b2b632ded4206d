package store

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
	mu      sync.Mutex
	err     error
	at      time.Time
	started time.Time // first failure of the current episode
}

// LastError returns the error of the most recent write transaction that
// failed for a storage reason (database locked beyond busy_timeout, disk
// or size limit full, I/O error, read-only file) and when it happened. It
// returns nil once a later transaction with real writes committed: the
// store works again. Writes that failed were never acknowledged upstream,
// so platforms redeliver them.
func (s *Store) LastError() (error, time.Time) {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
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
	now := time.Now()
	s.health.mu.Lock()
	first := s.health.err == nil
	s.health.err, s.health.at = err, now
	if first {
		s.health.started = now
	}
	s.health.mu.Unlock()
	if first {
		s.log.Error("store: writes are failing; nothing is acknowledged upstream until they work again", "err", err)
	}
}

// noteSuccess clears the failure after a commit that wrote something.
func (s *Store) noteSuccess() {
	s.health.mu.Lock()
	failed, since := s.health.err != nil, s.health.started
	s.health.err, s.health.at, s.health.started = nil, time.Time{}, time.Time{}
	s.health.mu.Unlock()
	if failed {
		s.log.Info("store: writes work again", "failing_for", time.Since(since).Round(time.Millisecond))
	}
}

package store

import (
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// ListFilter selects conversations for listings.
type ListFilter struct {
	Statuses []bridge.Status // empty: open and waiting
	All      bool            // every status
	Limit    int
}

// OutboxRow is an outbox row as operators see it.
type OutboxRow struct {
	bridge.OutboxItem
	State      string
	LastError  string
	ExternalID string
}

// OutboxStats summarises the outbox for status output and metrics.
type OutboxStats struct {
	Pending, Dead int
	OldestPending time.Time
}

// CommitStats counts write transactions since Open.
type CommitStats struct {
	Commits  uint64    // transactions committed
	Failures uint64    // writes that failed for a storage reason
	LastErr  error     // the last storage failure, nil if none
	LastAt   time.Time // when it happened
}

// QueueStats is the work waiting right now, for metrics.
type QueueStats struct {
	Open      int // conversations waiting on staff
	Waiting   int // conversations waiting on the customer
	Unclaimed int // open or waiting, no owner
	Overdue   int // open, past their SLA due time
	Outbox    []OutboxTargetStats
}

// OutboxTargetStats is the pending outbox for one target adapter.
type OutboxTargetStats struct {
	Target  bridge.Platform
	Pending int
	Oldest  time.Time // created_at of the oldest pending row
}

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

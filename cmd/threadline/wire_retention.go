package main

import (
	"context"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/store"
)

// wireRetention schedules the retention purge when retention.closed_after is set.
func (a *app) wireRetention() {
	r := a.cfg.Retention
	if r.ClosedAfter <= 0 {
		a.status = append(a.status, statusLine{"retention", "off", "closed conversations are kept forever (retention.closed_after: 0)"})
		return
	}
	a.status = append(a.status, statusLine{"retention", "on", fmt.Sprintf("closed conversations untouched for %s are deleted (schedule %q)", r.ClosedAfter.D(), r.Schedule)})
	a.jobs = append(a.jobs, job{name: "retention", schedule: r.Schedule, fn: a.runRetention})
}

// eventsKept is how long handled platform event and message ids are
// remembered for dedupe (Slack retries for minutes, catch-ups look back a
// week at most).
const eventsKept = 30 * 24 * time.Hour

// wirePruneEvents forgets old event ids daily, so the dedupe table does
// not grow with history.
func (a *app) wirePruneEvents() {
	a.jobs = append(a.jobs, job{name: "prune-events", schedule: "23 3 * * *", fn: func(ctx context.Context) error {
		n, err := a.st.PruneEvents(ctx, a.clock.Now().Add(-eventsKept), 0)
		if n > 0 {
			a.log.Debug("forgot old event ids", "deleted", n)
		}
		return err
	}})
}

func (a *app) runRetention(ctx context.Context) error {
	r := a.cfg.Retention
	cutoff := a.clock.Now().Add(-r.ClosedAfter.D())
	start := time.Now()
	files := 0
	d, err := a.st.PurgeClosed(ctx, cutoff, store.DeleteOptions{Batch: r.Batch,
		Files: func(paths []string) { files += removeAttachments(a.cfg.DataDir, paths, a.log) }})
	if d.Conversations > 0 || err != nil {
		a.log.Info("retention: deleted closed conversations", "cutoff", cutoff, "conversations", d.Conversations,
			"messages", d.Messages, "customers", d.Customers, "files", files, "transactions", d.Batches, "took", time.Since(start))
	}
	return err
}

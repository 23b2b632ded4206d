package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// recentCommitFailure is how long a failed commit keeps /readyz at 503
// after the store answers again (disk full, I/O errors come and go).
const recentCommitFailure = time.Minute

// readiness checks what /readyz reports: the store is writable, no commit
// failed recently, and every adapter is connected (or has been trying for
// less than http.ready_grace). Each line says what was checked.
func (a *app) readiness(ctx context.Context, now time.Time) (ok bool, lines []string) {
	ok = true
	line := func(good bool, format string, args ...any) {
		mark := "ok  "
		if !good {
			mark, ok = "FAIL", false
		}
		lines = append(lines, mark+" "+fmt.Sprintf(format, args...))
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.st.Ping(pctx); err != nil {
		line(false, "store: not writable: %v", err)
	} else {
		line(true, "store: writable")
	}
	if cs := a.st.CommitStats(); cs.LastErr != nil && now.Sub(cs.LastAt) < recentCommitFailure {
		line(false, "store: a commit failed %s ago: %v", now.Sub(cs.LastAt).Round(time.Second), cs.LastErr)
	}
	grace := a.cfg.HTTP.ReadyGrace.D()
	for _, c := range a.conns.Snapshot() {
		down := now.Sub(c.Since).Round(time.Second)
		switch {
		case c.Connected:
			line(true, "%s: connected (%s)", c.Adapter, c.Detail)
		case down < grace:
			line(true, "%s: not connected for %s, within http.ready_grace %s (%s)", c.Adapter, down, grace, c.Detail)
		default:
			line(false, "%s: not connected for %s (%s)", c.Adapter, down, c.Detail)
		}
	}
	return ok, lines
}

// ready serves /readyz: 200 "ready" or 503 "not ready", then one line per check.
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ok, lines := a.readiness(r.Context(), time.Now())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	head := "ready"
	if !ok {
		head = "not ready"
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintf(w, "%s\n%s\n", head, strings.Join(lines, "\n"))
}

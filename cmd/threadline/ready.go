package main

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// readiness checks what /readyz reports: the store is writable, no commit
// failed recently (store.LastError), and every adapter is connected (or has been trying for
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
	// A storage failure is reported until writes work again and
	// store.FailureWindow has passed (a full disk may still take small
	// updates while new messages fail).
	if err, at := a.st.LastError(); err != nil {
		line(false, "store: last write failed %s ago (%s): %v", now.Sub(at).Round(time.Second), at.UTC().Format(time.RFC3339), err)
	}
	line(true, "role: %s", a.role())
	grace := a.cfg.HTTP.ReadyGrace.D()
	for _, c := range a.conns.Snapshot() {
		down := now.Sub(c.Since).Round(time.Second)
		switch {
		case !a.leader.Load() && a.leaderOnly(c.Adapter):
			line(true, "%s: runs on the leader", c.Adapter)
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

// ready serves /readyz: 200 "ready" or 503 "not ready", then one line per
// check for those who may see them (see mayReadDetail).
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ok, lines := a.readiness(r.Context(), a.clock.Now())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	head := "ready"
	if !ok {
		head = "not ready"
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	if !a.mayReadDetail(r) {
		fmt.Fprintf(w, "%s\n", head)
		return
	}
	fmt.Fprintf(w, "%s\n%s\n", head, strings.Join(lines, "\n"))
}

// mayReadDetail: the check lines name internal URLs and quote errors, so
// they go only to a request from this machine that no proxy forwarded,
// or to one with the metrics token.
func (a *app) mayReadDetail(r *http.Request) bool {
	if tok, ok := bridge.BearerToken(r.Header.Get("Authorization")); ok && a.cfg.HTTP.MetricsToken != "" &&
		subtle.ConstantTimeCompare([]byte(tok), []byte(a.cfg.HTTP.MetricsToken)) == 1 {
		return true
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

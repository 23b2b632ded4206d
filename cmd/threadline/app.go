package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/live"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/metrics"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store"
)

// app is a wired daemon: every part built, nothing running yet.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	clock    bridge.Clock
	st       store.DB
	engine   *engine.Engine
	dir      *team.Directory
	outbox   *outbox.Outbox
	handler  *commands.Handler
	channels []bridge.CustomerChannel
	surfaces []bridge.StaffSurface
	adapters []bridge.Initer // every channel and surface: given Deps once the core exists
	mounts   []mount         // HTTP routes adapters serve, added by wire_*.go
	httpLn   net.Listener
	adminLn  net.Listener
	mux      *http.ServeMux
	status   []statusLine
	applied  []store.Migration
	jobs     []job       // scheduled work, added by wire_*.go
	conns    *live.State // adapters' connection state (metrics.go, ready.go)
	connOf   map[bridge.Platform]connHandle
	metrics  *metrics.Metrics // nil when http.metrics is false
}

// job is scheduled work: fn runs on a cron schedule while the daemon runs.
type job struct {
	name     string
	schedule string
	fn       func(ctx context.Context) error
}

// mount is an HTTP route an adapter serves. Its handler is made from the
// inboxes once the core exists (nothing holds on to the engine before it
// is built); every pattern gets the same handler.
type mount struct {
	patterns []string
	handler  func(in bridge.Inbox, staff bridge.StaffInbox) http.Handler
}

// channelAdapter and surfaceAdapter are what wire_*.go build: a port that
// takes the daemon's dependencies (Init) before it runs.
type channelAdapter interface {
	bridge.CustomerChannel
	bridge.Initer
}

type surfaceAdapter interface {
	bridge.StaffSurface
	bridge.Initer
}

func (a *app) addChannel(c channelAdapter) {
	a.channels = append(a.channels, c)
	a.adapters = append(a.adapters, c)
}

func (a *app) addSurface(s surfaceAdapter) {
	a.surfaces = append(a.surfaces, s)
	a.adapters = append(a.adapters, s)
}

// statusLine is one row of the start-up banner: what runs, or why not.
type statusLine struct {
	name, state, detail string
}

// buildApp opens the store, migrates, and wires the daemon in three steps:
// the adapters are built from their config, then the core (outbox and
// engine, which need the list of adapters), then every adapter is given
// the same dependencies, the core among them. It listens on the ports (so
// "address in use" is reported before anything starts).
func buildApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (a *app, err error) {
	a = &app{cfg: cfg, log: log, clock: bridge.SystemClock(), mux: http.NewServeMux(), dir: team.New(cfg.TeamOptions())}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	a.st, err = openStore(cfg.Store, store.Options{Log: log, Clock: a.clock})
	if err != nil {
		return nil, err
	}
	if a.applied, err = a.st.Migrate(ctx); err != nil {
		return nil, err
	}

	// Adapters. Each one's wiring lives in wire_<name>.go: it builds the
	// adapter (New) if its credentials are present, adds a banner line
	// saying why not otherwise, and may add HTTP routes (mounted below).
	for _, wire := range []func(context.Context) error{
		a.wireConsole,
		a.wireSlack,
		a.wireDiscord,
		a.wireWebchat,
		a.wireTelegram,
		a.wireEmail,
	} {
		if err := wire(ctx); err != nil {
			return nil, err
		}
	}
	a.digestJob()
	a.overdueJob()
	a.wireRetention()
	a.wirePruneEvents()
	if len(a.surfaces) == 0 {
		return nil, errors.New("no staff surface is enabled: set console.enabled: true or configure Slack/Discord, or nobody can answer customers")
	}
	a.wireOps()

	// Core.
	ob := cfg.OutboxOptions()
	ob.Store, ob.Clock, ob.Surfaces, ob.Channels = a.st, a.clock, a.surfaces, a.channels
	ob.Log, ob.Metrics = log.With("part", "outbox"), a.counters()
	a.outbox = outbox.New(ob)
	var names []bridge.Platform
	for _, s := range a.surfaces {
		names = append(names, s.Name())
	}
	a.engine = engine.New(engine.Options{Store: a.st, Clock: a.clock, Surfaces: names, Log: log, Notify: a.outbox.Notify,
		Directory: a.dir, SLA: sla.New(cfg.SLAOptions()), Metrics: a.counters(), Config: cfg.EngineConfig()})
	table, err := commands.All()
	if err != nil {
		return nil, err
	}
	syntax := commands.Syntax{Prefix: cfg.Commands.Prefix, NotePrefixes: cfg.Commands.NotePrefixes}
	a.handler = commands.NewHandler(a.engine, table, syntax, log)

	// Every adapter gets the same dependencies.
	deps := bridge.Deps{Log: log, Clock: a.clock, Store: a.st, Core: a.engine,
		AttachmentsDir: filepath.Join(cfg.DataDir, "attachments"), CommandPrefix: cfg.Commands.Prefix}
	for _, ad := range a.adapters {
		if err := ad.Init(deps); err != nil {
			return nil, err
		}
	}

	// HTTP.
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	a.mux.HandleFunc("GET /readyz", a.ready)
	a.metricsRoute()
	for _, m := range a.mounts {
		h := m.handler(a.engine, a.handler)
		for _, p := range m.patterns {
			a.mux.Handle(p, h)
		}
	}
	a.httpLn, err = net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	return a, nil
}

// banner says what runs and where, and why the rest does not.
func (a *app) banner(w io.Writer) {
	fmt.Fprintf(w, "Threadline %s is running.\n\n", versionString())
	d := a.st.Describe()
	fmt.Fprintf(w, "  %-9s %s (%s, schema v%d, %s)\n", "database", d.Location, d.Backend, a.st.LatestVersion(), d.Durability)
	for _, m := range a.applied {
		fmt.Fprintf(w, "  %-9s applied migration %s\n", "", m.Name)
	}
	fmt.Fprintf(w, "  %-9s %s (listening on %s)\n", "http", a.cfg.PublicURL, a.httpLn.Addr())
	for _, s := range a.status {
		fmt.Fprintf(w, "  %-9s %-3s  %s\n", s.name, s.state, s.detail)
	}
	for _, n := range a.cfg.Notes() {
		fmt.Fprintf(w, "  %-9s %s\n", "note", n)
	}
	if a.cfg.Webchat.Enabled && a.cfg.Webchat.DemoPage && a.cfg.Console.Enabled {
		fmt.Fprintf(w, "\nTry it: open %s/ and write as a customer; in another terminal run\n  threadline watch\nand answer with\n  threadline say 1 \"Hello! How can we help?\"\n", a.cfg.PublicURL)
	}
	fmt.Fprintln(w)
}

// run serves until ctx ends, then shuts down in order: stop taking input,
// let the outbox drain, close the database.
func (a *app) run(ctx context.Context) error {
	inCtx, stopIn := context.WithCancel(ctx)
	defer stopIn()
	outCtx, stopOut := context.WithCancel(context.WithoutCancel(ctx))
	defer stopOut()

	var outWG sync.WaitGroup
	outWG.Add(1)
	go func() { defer outWG.Done(); a.outbox.Run(outCtx) }()

	// Time-based work (snoozes, claim expiry, SLA nags, digests) on cron schedules.
	sched := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	jobs := append([]job{{name: "sweep", schedule: a.cfg.Sweep, fn: a.engine.Sweep}}, a.jobs...)
	for _, j := range jobs {
		if _, err := sched.AddFunc(j.schedule, func() {
			if err := j.fn(inCtx); err != nil && inCtx.Err() == nil {
				a.log.Error("scheduled job failed; it runs again on schedule", "job", j.name, "err", err)
			}
		}); err != nil {
			return fmt.Errorf("%s schedule %q: %w", j.name, j.schedule, err)
		}
	}
	sched.Start()
	go func() {
		if err := a.engine.RecheckSLA(inCtx); err != nil && inCtx.Err() == nil {
			a.log.Error("SLA re-check failed", "err", err)
		}
	}()

	var inWG sync.WaitGroup
	for _, ch := range a.channels {
		inWG.Add(1)
		go func() {
			defer inWG.Done()
			live.Supervise(inCtx, a.clock, string(ch.Name()), a.log, time.Minute, a.supervised(ch.Name(), func(ctx context.Context) error { return ch.Run(ctx, a.engine) }))
		}()
	}
	for _, s := range a.surfaces {
		inWG.Add(1)
		go func() {
			defer inWG.Done()
			live.Supervise(inCtx, a.clock, string(s.Name()), a.log, time.Minute, a.supervised(s.Name(), func(ctx context.Context) error { return s.Run(ctx, a.handler) }))
		}()
	}
	srv := &http.Server{Handler: a.publicHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(a.httpLn) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-httpErr:
		err = fmt.Errorf("http server: %w", err)
	}
	a.log.Info("shutting down: no new messages accepted; delivering what is in flight")
	// Input stops within http.shutdown_timeout (HTTP requests finish,
	// adapters return), then sends in flight get outbox.drain: the whole
	// shutdown is bounded by the two.
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownTimeout.D())
	_ = srv.Shutdown(sctx)
	stopIn()
	inDone := make(chan struct{})
	go func() { <-sched.Stop().Done(); inWG.Wait(); close(inDone) }()
	select {
	case <-inDone:
	case <-sctx.Done():
		a.log.Warn("shutdown: channels and surfaces did not stop within http.shutdown_timeout; going on without them")
	}
	cancel()
	stopOut()
	outWG.Wait()
	a.close()
	a.log.Info("stopped")
	return err
}

func (a *app) close() {
	if a.httpLn != nil {
		a.httpLn.Close()
	}
	if a.adminLn != nil {
		a.adminLn.Close()
	}
	if a.st != nil {
		a.st.Close()
	}
}

// loadOrCreateSecret reads a secret file, creating it with 32 random bytes
// (hex) and mode 0600 if missing; a readable-by-others file is tightened.
func loadOrCreateSecret(path string, log *slog.Logger) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("secret file was readable by others; setting mode 0600", "file", path)
			if err := os.Chmod(path, 0o600); err != nil {
				return "", err
			}
		}
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return "", fmt.Errorf("%s holds a secret shorter than 32 characters; delete it to generate a new one", path)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	s := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return "", err
	}
	return s, f.Close()
}

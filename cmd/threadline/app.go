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
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/live"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/metrics"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/postgres"
)

// app is a wired daemon: every part built, nothing running yet.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	clock    bridge.Clock
	cluster  *postgres.Cluster // replicas share a PostgreSQL database (nil: one process)
	relay    bridge.Relay      // live pushes: this process, or every replica through the cluster
	leader   atomic.Bool       // this replica runs the leader work now
	wakes    chan struct{}     // commits that queued outbox rows, for the leader's outbox (replicas.go)
	stopping atomic.Bool       // shutdown began (leader work drains instead of stopping at once)
	st       store.DB
	engine   *engine.Engine
	dir      *team.Directory
	outbox   *outbox.Outbox
	handler  *commands.Handler
	kb       *answers.KB      // answers.kb_dir (nil: none)
	answers  *answers.Service // suggestions, knowledge base, AI drafts
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

	// The web chat's email follow-up (wire_followup.go): a channel of the
	// outbox alone, and the engine's second way to reach visitors.
	sendOnly  []bridge.CustomerChannel
	followUps []engine.FollowUp
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
func buildApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	// What was opened before a failure is closed here, on the app being
	// built: a named result would be nil by then (every failure panicked
	// in close and hid its cause).
	a := &app{cfg: cfg, log: log, clock: bridge.SystemClock(), mux: http.NewServeMux(), dir: team.New(cfg.TeamOptions())}
	if err := a.build(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) build(ctx context.Context) (err error) {
	cfg, log := a.cfg, a.log
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	a.st, err = openStore(cfg.Store, store.Options{Log: log, Clock: a.clock})
	if err != nil {
		return err
	}
	a.relay, a.wakes = bridge.NewLocalRelay(), make(chan struct{}, 1)
	if store.IsPostgresURL(cfg.Store.Path) {
		// Replicas: leadership, live pushes and shared secrets go through
		// the database they share.
		if a.cluster, err = postgres.NewCluster(cfg.Store.Path, store.Options{Log: log, Clock: a.clock}); err != nil {
			return err
		}
		a.relay = a.cluster.Relay()
	}
	if a.applied, err = a.st.Migrate(ctx); err != nil {
		return err
	}

	// The knowledge base, which the web chat offers visitors.
	if err := a.wireKB(); err != nil {
		return err
	}

	// Adapters. Each one's wiring lives in wire_<name>.go: it builds the
	// adapter (New) if its credentials are present, adds a banner line
	// saying why not otherwise, and may add HTTP routes (mounted below).
	for _, wire := range []func(context.Context) error{
		a.wireConsole,
		a.wireSlack,
		a.wireDiscord,
		a.wireMattermost,
		a.wireWebchat,
		a.wireTelegram,
		a.wireEmail,
		a.wireWhatsApp,
	} {
		if err := wire(ctx); err != nil {
			return err
		}
	}
	a.wireEmailFollowUp()
	a.digestJob()
	a.overdueJob()
	a.wireRetention()
	a.wirePruneEvents()
	if len(a.surfaces) == 0 {
		return errors.New("no staff surface is enabled: set console.enabled: true or configure Slack/Discord/Mattermost, or nobody can answer customers")
	}
	a.wireOps()

	// Core.
	ob := cfg.OutboxOptions()
	ob.Store, ob.Clock, ob.Surfaces, ob.Channels = a.st, a.clock, a.surfaces, slices.Concat(a.channels, a.sendOnly)
	ob.Log, ob.Metrics = log.With("part", "outbox"), a.counters()
	a.outbox = outbox.New(ob)
	var names []bridge.Platform
	for _, s := range a.surfaces {
		names = append(names, s.Name())
	}
	a.engine = engine.New(engine.Options{Store: a.st, Clock: a.clock, Surfaces: names, Log: log, Notify: a.wakeOutbox,
		Directory: a.dir, SLA: sla.New(cfg.SLAOptions()), Metrics: a.counters(), Config: cfg.EngineConfig(), FollowUps: a.followUps})
	table, err := commands.All()
	if err != nil {
		return err
	}
	if err := a.wireAnswers(ctx); err != nil {
		return err
	}
	syntax := commands.Syntax{Prefix: cfg.Commands.Prefix, NotePrefixes: cfg.Commands.NotePrefixes}
	a.handler = commands.NewHandler(a.engine, table, syntax, log, commands.WithAnswers(a.answers))

	// Every adapter gets the same dependencies.
	deps := bridge.Deps{Log: log, Clock: a.clock, Store: a.st, Core: a.engine,
		AttachmentsDir: filepath.Join(cfg.DataDir, "attachments"), CommandPrefix: cfg.Commands.Prefix, Relay: a.relay}
	for _, ad := range a.adapters {
		if err := ad.Init(deps); err != nil {
			return err
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
		return listenError("http.listen", "THREADLINE_LISTEN", cfg.HTTP.Listen, err)
	}
	return nil
}

// banner says what runs and where, and why the rest does not.
func (a *app) banner(w io.Writer) {
	fmt.Fprintf(w, "Threadline %s is running.\n\n", versionString())
	d := a.st.Describe()
	fmt.Fprintf(w, "  %-9s %s (%s, schema v%d, %s)\n", "database", d.Location, d.Backend, a.st.LatestVersion(), d.Durability)
	if a.cluster != nil {
		fmt.Fprintf(w, "  %-9s replica: campaigning for leadership; every replica serves HTTP, the leader polls and delivers\n", "role")
	}
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
	// Input is stopped by run itself, after it marked the shutdown, so the
	// leader work knows it is draining, not losing its leadership.
	inCtx, stopIn := context.WithCancel(context.WithoutCancel(ctx))
	defer stopIn()
	if a.cluster != nil {
		go a.cluster.RunRelay(inCtx)
		go a.relayWakes(inCtx)
	}
	// Every replica serves its own connections; the leader work runs here
	// while this replica leads (replicas.go).
	local := a.runAdapters(inCtx, everywhere)
	waitAnswers := a.runAnswers(inCtx)
	leaderDone := make(chan struct{})
	go func() { defer close(leaderDone); a.campaign(inCtx) }()

	srv := &http.Server{Handler: a.publicHandler(), ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       a.cfg.HTTP.ReadTimeout.D(), IdleTimeout: a.cfg.HTTP.IdleTimeout.D()}
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
	a.stopping.Store(true)
	stopIn()
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownTimeout.D())
	_ = srv.Shutdown(sctx)
	localDone := make(chan struct{})
	go func() { local.wg.Wait(); waitAnswers(); close(localDone) }()
	select {
	case <-localDone:
	case <-sctx.Done():
		a.log.Warn("shutdown: channels and surfaces did not stop within http.shutdown_timeout; going on without them")
	}
	cancel()
	<-leaderDone
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
	if a.cluster != nil {
		a.cluster.Close()
	}
}

// secret returns a generated secret: shared through the database when
// replicas share one (so a visitor token one replica issued is valid on
// every other), else kept in file under the data directory. With
// replicas the file still gets a copy when local is set (the CLI reads
// the admin token from it).
func (a *app) secret(ctx context.Context, name, file string, local bool) (string, error) {
	if a.cluster == nil {
		return loadOrCreateSecret(file, a.log)
	}
	v, err := a.cluster.Secret(ctx, name, randomSecret)
	if err != nil || !local {
		return v, err
	}
	if old, err := os.ReadFile(file); err == nil && strings.TrimSpace(string(old)) == v {
		return v, nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return "", err
	}
	return v, os.WriteFile(file, []byte(v+"\n"), 0o600)
}

// randomSecret is 32 random bytes in hex.
func randomSecret() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return hex.EncodeToString(raw), nil
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
	s, err := randomSecret()
	if err != nil {
		return "", err
	}
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

// listenError says which setting names the address that could not be
// listened on, and what to do.
func listenError(key, env, addr string, err error) error {
	hint := "check the address"
	if errors.Is(err, syscall.EADDRINUSE) {
		hint = "another program listens there (perhaps another threadline): stop it"
	}
	return fmt.Errorf("%s %s: %w; %s, or set %s (or %s) to a free address", key, addr, err, hint, key, env)
}

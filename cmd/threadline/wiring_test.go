package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/adapters/email"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

// initRunner is an adapter as the wiring sees it before Run.
type initRunner interface {
	bridge.Initer
	Name() bridge.Platform
}

// builtAdapters builds every adapter from a minimal config (New contacts
// nothing) with the Run it would be started with.
func builtAdapters(t *testing.T) map[initRunner]func(context.Context) error {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	key := []byte(strings.Repeat("k", 32))
	sl, err := slack.New(slack.Config{BotToken: "xoxb-test", ChannelID: "C0STAFF01", SigningSecret: "s"}, slack.Options{})
	must(err)
	dc, err := discord.New(discord.Config{BotToken: "token", ChannelID: "1100000000000000001"}, discord.Options{})
	must(err)
	tc := telegram.Config{BotToken: "1:test"}
	tc.Defaults()
	tg, err := telegram.New(tc, telegram.Options{})
	must(err)
	ec := email.Config{From: "support@example.com"}
	ec.IMAP.URL, ec.SMTP.URL = "imaps://u:p@127.0.0.1:1/INBOX", "smtps://u:p@127.0.0.1:1"
	ec.Defaults()
	must(ec.Validate())
	em, err := email.New(ec, email.Options{Key: key})
	must(err)
	wc := webchat.Config{Enabled: true}
	wc.Defaults()
	web, err := webchat.New(wc, webchat.Options{Key: key})
	must(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	t.Cleanup(func() { ln.Close() })
	co, err := console.New(console.Options{Listener: ln, Token: "token"})
	must(err)
	return map[initRunner]func(context.Context) error{
		sl:  func(ctx context.Context) error { return sl.Run(ctx, nil) },
		dc:  func(ctx context.Context) error { return dc.Run(ctx, nil) },
		tg:  func(ctx context.Context) error { return tg.Run(ctx, nil) },
		em:  func(ctx context.Context) error { return em.Run(ctx, nil) },
		web: func(ctx context.Context) error { return web.Run(ctx, nil) },
		co:  func(ctx context.Context) error { return co.Run(ctx, nil) },
	}
}

// Every adapter is built in two phases and takes the same Deps: one that
// is not given them refuses to run, Init without a dependency it needs
// says which, and the daemon's Deps satisfy every one of them.
func TestEveryAdapterTakesTheSameDeps(t *testing.T) {
	st := storetest.Open(t)
	clock := clocktest.Monday()
	full := bridge.Deps{Log: testLogger(t), Clock: clock, Store: st, Core: engine.New(engine.Options{Store: st, Clock: clock}),
		AttachmentsDir: t.TempDir(), CommandPrefix: "!"}
	uses := map[bridge.Platform]bool{} // the adapters that use Core
	adapters := builtAdapters(t)
	if len(adapters) != 6 {
		t.Fatalf("%d adapters", len(adapters))
	}
	for ad, run := range adapters {
		name := string(ad.Name())
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := run(ctx); err == nil || !strings.Contains(err.Error(), "Run before Init") {
				t.Errorf("Run before Init = %v", err)
			}
			err := ad.Init(bridge.Deps{})
			if err == nil || !strings.HasPrefix(err.Error(), name+": ") || !strings.Contains(err.Error(), "Deps.Store") || !strings.Contains(err.Error(), "Deps.Clock") {
				t.Errorf("Init without deps = %v, want an error naming %s, Deps.Clock and Deps.Store", err, name)
			}
			noCore := full
			noCore.Core = nil
			if err := ad.Init(noCore); err != nil {
				if !strings.Contains(err.Error(), "Deps.Core") {
					t.Errorf("Init without Core = %v", err)
				}
				uses[ad.Name()] = true
			}
			if err := ad.Init(full); err != nil {
				t.Errorf("Init with the daemon's deps = %v", err)
			}
		})
	}
	// The engine's side is needed by those that queue notices (Slack) or
	// store bounce notes (email); the others need not be given it.
	if !uses["slack"] || !uses["email"] || len(uses) != 2 {
		t.Errorf("adapters that need Core: %v, want slack and email", uses)
	}
}

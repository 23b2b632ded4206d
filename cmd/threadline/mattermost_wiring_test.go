package main

import (
	"context"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/mattermost"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

// The Mattermost surface is built in two phases like every adapter: it
// refuses to run before Init, names what Init lacks (it queues notices
// and reports gone threads, so it needs Core), and takes the daemon's Deps.
func TestMattermostTakesTheSameDeps(t *testing.T) {
	mm, err := mattermost.New(mattermost.Config{URL: "http://127.0.0.1:1", BotToken: "token", ChannelID: strings.Repeat("a", 26)},
		mattermost.Options{ActionSecret: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := mm.Run(ctx, nil); err == nil || !strings.Contains(err.Error(), "Run before Init") {
		t.Errorf("Run before Init = %v", err)
	}
	if err := mm.Init(bridge.Deps{}); err == nil || !strings.HasPrefix(err.Error(), "mattermost: ") ||
		!strings.Contains(err.Error(), "Deps.Store") || !strings.Contains(err.Error(), "Deps.Clock") {
		t.Errorf("Init without deps = %v", err)
	}
	st := storetest.Open(t)
	clock := clocktest.Monday()
	full := bridge.Deps{Log: testLogger(t), Clock: clock, Store: st, Core: engine.New(engine.Options{Store: st, Clock: clock}),
		AttachmentsDir: t.TempDir(), CommandPrefix: "!"}
	noCore := full
	noCore.Core = nil
	if err := mm.Init(noCore); err == nil || !strings.Contains(err.Error(), "Deps.Core") {
		t.Errorf("Init without Core = %v", err)
	}
	if err := mm.Init(full); err != nil {
		t.Errorf("Init with the daemon's deps = %v", err)
	}
}

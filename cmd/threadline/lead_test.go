package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
)

// A replica that loses its leadership cuts its sends in flight off within
// a second, however long its pollers and gateways take to stop: the next
// leader may start three seconds after the lock moved. (Discord's client
// waits a second after its close frame, and the outbox used to stop only
// once the input had or a second had passed, so sends ran on for two.)
func TestLostLeadershipCutsSendsWithinASecondWhateverTheInputTakes(t *testing.T) {
	slack := fakeslack.New()
	defer slack.Close()
	dc := fakediscord.New(fakediscord.Options{})
	defer dc.Close()
	forum := dc.AddForum("support", "Open", "Waiting", "Closed")
	dir := t.TempDir()
	yml := testConfig + fmt.Sprintf(`slack: {bot_token: %s, signing_secret: %s, channel_id: C0SUPPORT1, api_url: %s}
discord: {bot_token: %s, channel_id: %q, api_url: %s}
`, slack.BotToken, slack.Secret, slack.APIURL(), dc.Token(), forum, dc.APIURL())
	cfg, err := config.Load(writeFile(t, dir, "config.yaml", yml), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != dir || filepath.Dir(cfg.Store.Path) != dir {
		t.Fatalf("data in %s", cfg.DataDir)
	}
	a, err := buildApp(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()

	release := slack.Hold("chat.postMessage")
	defer release()
	ctx, lose := context.WithCancel(context.Background())
	defer lose()
	done := make(chan struct{})
	go func() { defer close(done); a.lead(ctx) }()
	eventually(t, "the Discord gateway connected", func() bool { _, _, up := dc.GatewayStats(); return up })
	if _, err := a.engine.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "v-anna", Name: "Anna", Text: "Hello"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Slack card in flight", func() bool { return slack.Held() == 1 })

	lost := time.Now()
	lose()
	eventually(t, "the send cut off", func() bool { return slack.Held() == 0 })
	cut := time.Since(lost)
	<-done
	if cut > 1500*time.Millisecond {
		t.Errorf("the send in flight ran on for %s after the leadership was lost, want about a second", cut.Round(time.Millisecond))
	}
	if a.leader.Load() {
		t.Error("still marked leader")
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
)

func TestOverdueDigestPostsPerDepartment(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	cfgText := testConfig + slackYAML(fake) + `
departments:
  support: {}
  billing: {channels: {slack: C0BILLING1}}
default_department: support
rules:
  - {when: {keywords: [invoice]}, set: {department: billing}}
sla:
  policies: [{name: quick, first_response: 1m}]
  overdue_digest: "@every 1h"
`
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte(cfgText), 0o600)
	cfg, err := config.Load(path, config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	ctx := context.Background()
	// Conversations created two minutes ago: their one-minute target is past.
	past := time.Now().Add(-2 * time.Minute)
	eng := engine.New(engine.Options{Store: a.st, Surfaces: []bridge.Platform{"slack"}, Directory: a.dir,
		SLA: sla.New(cfg.SLAOptions()), Clock: clocktest.Func(func() time.Time { return past })})
	eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Name: "Anna", Text: "my invoice"})
	eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "b", Name: "Ben", Text: "help"})
	if err := a.postOverdue(ctx); err != nil {
		t.Fatal(err)
	}
	for ch, want := range map[string]string{"C0BILLING1": "Overdue in billing (1):\n#1 Anna (webchat)", "C0SUPPORT1": "Overdue in support (1):\n#2 Ben (webchat)"} {
		var got string
		for _, m := range fake.Parents(ch) {
			got += m.Text
		}
		if !strings.Contains(got, want) || !strings.Contains(got, "first response 1m over") {
			t.Errorf("%s got %q, want %q", ch, got, want)
		}
	}
}

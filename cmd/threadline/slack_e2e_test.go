package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
)

// TestEndToEndSlack runs the real daemon wiring against the fake Slack:
// web chat customer -> Slack thread -> staff reply in the thread -> the
// customer's browser; a card button claims and the card updates.
func TestEndToEndSlack(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	fake.AddUser("U0ALICE", "Alice")
	dir := t.TempDir()
	cfg := testConfig + slackYAML(fake)
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(cfg), 0o600)
	d := startDaemon(t, path)
	eventually(t, "socket mode connected", func() bool { return fake.Connected() == 1 })

	v := newVisitor(t, d.http)
	v.connect(d.http)
	v.say("Hi, the app crashes on login", "c1")
	card := slackCard(t, d, fake, "C0SUPPORT1")
	eventually(t, "customer message in the thread", func() bool { return len(fake.Thread("C0SUPPORT1", card)) == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev, ts := fake.StaffMessage("C0SUPPORT1", card, "U0ALICE", "Thanks! Which version are you on?")
	if _, err := fake.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, "staff reply in the browser", func() bool { return len(v.staffTexts()) == 1 })
	if got := v.staffTexts()[0]; got != "Thanks! Which version are you on?" {
		t.Errorf("customer saw %q", got)
	}
	eventually(t, "delivery receipt", func() bool { return len(fake.Reactions("C0SUPPORT1", ts)) == 1 })

	if _, err := fake.Send(ctx, "interactive", fake.ButtonClick("C0SUPPORT1", card, "U0ALICE", "tl_claim", "1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "card shows the owner", func() bool {
		m, _ := fake.Message("C0SUPPORT1", card)
		return strings.Contains(string(m.Blocks), `"*Owner*\nAlice"`)
	})
	// The console surface mirrors what happened in Slack.
	res, err := d.admin.Say(ctx, consoleSay(1, "!status"))
	if err != nil || !strings.Contains(res.Text, "owned by Alice") {
		t.Errorf("status via console = %+v %v", res, err)
	}
}

// slackYAML is the slack section for the fake workspace in Socket Mode with
// staff channel C0SUPPORT1, to append to testConfig.
func slackYAML(fake *fakeslack.Server) string {
	return `
slack:
  bot_token: ` + fake.BotToken + `
  app_token: ` + fake.AppToken + `
  channel_id: C0SUPPORT1
  api_url: ` + fake.APIURL() + `
`
}

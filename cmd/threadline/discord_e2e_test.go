package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
)

// TestEndToEndDiscord runs the real wiring with the Discord surface against
// the fake: web chat customer -> forum post -> staff reply in the post ->
// browser; after a restart the conversation keeps its post.
func TestEndToEndDiscord(t *testing.T) {
	fake := fakediscord.New(fakediscord.Options{})
	t.Cleanup(fake.Close)
	forum := fake.AddForum("support", "Open", "Waiting", "Closed")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := testConfig + "discord:\n  bot_token: " + fake.Token() + "\n  channel_id: \"" + forum + "\"\n  api_url: " + fake.APIURL() + "\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	alice := fakediscord.Person{ID: "200000000000000001", Username: "alice", GlobalName: "Alice"}

	d1 := startDaemon(t, cfgPath)
	var banner bytes.Buffer
	d1.app.banner(&banner)
	if !strings.Contains(banner.String(), "discord   on   staff channel "+forum) {
		t.Errorf("banner:\n%s", banner.String())
	}
	v := newVisitor(t, d1.http)
	v.connect(d1.http)
	v.say("Hello, my parcel never arrived", "c1")
	var thread string
	eventually(t, "forum post for the conversation", func() bool {
		ths := fake.Threads(forum)
		if len(ths) == 1 {
			thread = ths[0].ID
		}
		return thread != "" && len(fake.Messages(thread)) == 2
	})
	if ms := fake.Messages(thread); ms[1].Content != "Hello, my parcel never arrived" || ms[1].Username != "Anna (webchat)" {
		t.Errorf("customer message in the post = %+v", ms[1])
	}
	eventually(t, "gateway connected", func() bool { _, _, c := fake.GatewayStats(); return c })
	fake.InjectMessage(thread, alice, "Sorry! Checking with the courier.")
	eventually(t, "staff reply in the browser", func() bool { return len(v.staffTexts()) == 1 })
	d1.stop()

	// Run 2: the mapping survived; staff in the old post still reach the
	// customer, and the customer's next message lands in the same post.
	d2 := startDaemon(t, cfgPath)
	v.connect(d2.http)
	eventually(t, "gateway reconnected", func() bool { i, _, c := fake.GatewayStats(); return i == 2 && c })
	fake.InjectMessage(thread, alice, "It arrives tomorrow.")
	eventually(t, "reply after restart", func() bool { return len(v.staffTexts()) == 2 })
	v.say("Thanks!", "c2")
	eventually(t, "customer message in the same post", func() bool {
		ms := fake.Messages(thread)
		return len(ms) > 0 && ms[len(ms)-1].Content == "Thanks!"
	})
	if n := len(fake.Threads(forum)); n != 1 {
		t.Errorf("%d forum posts, want 1", n)
	}
}

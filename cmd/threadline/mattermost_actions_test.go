package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemattermost"
	"github.com/threadlinehq/threadline/adapters/mattermost"
)

// The card buttons are signed with a secret generated once per install
// (<data_dir>/mattermost.key, mode 0600) and kept across restarts, so
// cards posted before a restart still work; forged clicks and forged
// slash commands reach the daemon's public listener and are refused.
func TestMattermostActionSecretIsKeptAndClicksAreVerified(t *testing.T) {
	r := newMattermostRig(t, fakemattermost.Options{}, "")
	d := startDaemon(t, r.config)
	eventually(t, "WebSocket connected", func() bool { return r.fake.Connected() == 1 })
	v := newVisitor(t, d.http)
	v.say("Hello", "c1")
	root := r.root(t, d)

	key := filepath.Join(filepath.Dir(r.config), "mattermost.key")
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	b, _ := os.ReadFile(key)
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(b) {
		t.Errorf("secret file holds %q", b)
	}
	card, _ := r.fake.Post(root)
	if secret := strings.TrimSpace(string(b)); strings.Contains(card.Message+strings.Join(attachmentTexts(card), " "), secret) {
		t.Error("the secret itself is on the card")
	}

	forged := map[string]any{"user_id": r.bob, "channel_id": r.channel, "post_id": root,
		"context": map[string]any{"action": "claim", "conversation": "1", "sig": strings.Repeat("ab", 32)}}
	if code, _, err := r.fake.PostAction(d.http+mattermost.ActionsPath, forged); err != nil || code != 401 {
		t.Errorf("forged click: %d %v, want 401", code, err)
	}
	if _, err := r.fake.RunCommandWithToken(r.channel, r.bob, "/ticket claim 1", "not-the-token"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("forged command: %v, want 401", err)
	}
	if r.owner(root) != "Unclaimed" {
		t.Fatalf("a forged request changed the owner to %q", r.owner(root))
	}

	d.stop()
	startDaemon(t, r.config)
	eventually(t, "WebSocket reconnected", func() bool { return r.fake.Connected() == 1 })
	if _, err := r.fake.ClickButton(root, "claim", r.alice); err != nil {
		t.Fatalf("a card posted before the restart: %v", err)
	}
	eventually(t, "claimed after the restart", func() bool { return r.owner(root) == "Alice Archer" })
	b2, _ := os.ReadFile(key)
	if string(b2) != string(b) {
		t.Error("the secret changed across a restart")
	}
}

func attachmentTexts(p fakemattermost.Post) []string {
	var out []string
	for _, a := range p.Attachments() {
		out = append(out, a.Text, a.Footer)
		for _, act := range a.Actions {
			for _, v := range act.Integration.Context {
				if s, ok := v.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

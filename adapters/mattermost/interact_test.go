package mattermost_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/mattermost"
)

// A card button runs its command as the clicker and answers only them;
// the card changes in place.
func TestCardButtonClaimsAndAnswersTheClickerOnly(t *testing.T) {
	h := start(t, setup{})
	root := h.root(h.customer("Anna", "Hello"))
	res, err := h.fake.ClickButton(root, "claim", h.alice)
	if err != nil {
		t.Fatal(err)
	}
	if res.EphemeralText == "" || res.Update != nil {
		t.Errorf("answer = %+v, want an ephemeral text and no update", res)
	}
	if es := h.fake.Ephemerals(h.alice); len(es) != 1 || es[0].RootID != root {
		t.Errorf("ephemerals = %+v", es)
	}
	adaptertest.Eventually(t, wait, func() bool { return h.card(root).Field("Owner") == "Alice Archer" }, "card shows the owner")
	res, err = h.fake.ClickButton(root, "status", h.bob)
	if err != nil || !strings.Contains(res.EphemeralText, "Alice Archer") {
		t.Errorf("status = %+v %v", res, err)
	}
	if _, err := h.fake.ClickButton(root, "close", h.alice); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, wait, func() bool { return slices.Equal(buttons(h.card(root)), []string{"reopen", "status"}) }, "closed card")
}

// Clicks must carry the signature the card was posted with: forged ones,
// ones whose action or conversation was changed, and ones signed with
// another install's secret are refused, and nothing happens.
func TestButtonClicksAreVerified(t *testing.T) {
	h := start(t, setup{})
	conv := h.customer("Anna", "Hello")
	root := h.root(conv)
	status := h.card(root).Actions[2]
	if status.ID != "status" {
		t.Fatalf("third button = %s", status.ID)
	}
	sig, _ := status.Integration.Context["sig"].(string)
	url := h.public.URL + mattermost.ActionsPath
	click := func(ctx map[string]any) map[string]any {
		return map[string]any{"user_id": h.bob, "channel_id": h.channel, "post_id": root, "context": ctx}
	}
	for name, req := range map[string]map[string]any{
		"no context":            click(nil),
		"forged signature":      click(map[string]any{"action": "claim", "conversation": "1", "sig": strings.Repeat("0", 64)}),
		"action changed":        click(map[string]any{"action": "claim", "conversation": "1", "sig": sig}),
		"conversation changed":  click(map[string]any{"action": "status", "conversation": "2", "sig": sig}),
		"signature missing":     click(map[string]any{"action": "claim", "conversation": "1"}),
		"conversation is words": click(map[string]any{"action": "claim", "conversation": "one", "sig": sig}),
	} {
		code, body, err := h.fake.PostAction(url, req)
		if err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s: %d %q %v, want 401", name, code, body, err)
		}
	}
	code, body, err := h.fake.PostAction(url, click(map[string]any{"action": "status", "conversation": "1", "sig": sig}))
	if err != nil || code != http.StatusOK || !strings.Contains(body, "ephemeral_text") {
		t.Errorf("genuine click: %d %q %v", code, body, err)
	}
	if h.card(root).Field("Owner") != "Unclaimed" {
		t.Error("a refused click changed the conversation")
	}

	// Another install (another secret) cannot drive this one's cards.
	h.restart(setup{secret: strings.Repeat("x", 32)})
	if _, err := h.fake.ClickButton(root, "claim", h.alice); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("click on a card signed with another secret = %v, want refused", err)
	}
}

// /ticket names the conversation; its token must match.
func TestSlashCommand(t *testing.T) {
	h := start(t, setup{})
	root := h.root(h.customer("Anna", "Hello"))
	res, err := h.fake.RunCommand(h.channel, h.alice, "/ticket claim 1")
	if err != nil || res.ResponseType != "ephemeral" {
		t.Fatalf("claim: %+v %v", res, err)
	}
	adaptertest.Eventually(t, wait, func() bool { return h.card(root).Field("Owner") == "Alice Archer" }, "claimed by /ticket")
	res, err = h.fake.RunCommand(h.channel, h.bob, "/ticket 1")
	if err != nil || !strings.Contains(res.Text, "Alice Archer") {
		t.Errorf("status: %+v %v", res, err)
	}
	res, err = h.fake.RunCommand(h.channel, h.bob, "/ticket")
	if err != nil || !strings.HasPrefix(res.Text, "Usage: `/ticket list`") {
		t.Errorf("usage: %+v %v", res, err)
	}
	res, err = h.fake.RunCommand(h.channel, h.bob, "/ticket list")
	if err != nil || !strings.Contains(res.Text, "#1") {
		t.Errorf("list: %+v %v", res, err)
	}
	if _, err := h.fake.RunCommandWithToken(h.channel, h.bob, "/ticket release 1", "wrong-token"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token = %v, want 401", err)
	}
	if h.card(root).Field("Owner") != "Alice Archer" {
		t.Error("a refused command changed the conversation")
	}
}

// Without a command token the slash command is off, whatever is sent.
func TestSlashCommandIsOffWithoutAToken(t *testing.T) {
	h := start(t, setup{config: func(c *mattermost.Config) { c.CommandToken = "" }})
	if _, err := h.fake.RunCommand(h.channel, h.alice, "/ticket list"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("command without a configured token = %v, want 404", err)
	}
}

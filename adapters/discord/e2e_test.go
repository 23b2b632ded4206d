package discord_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/bridge"
)

// TestEndToEndForum: customer -> forum post (webhook under the customer's
// name, no pings) -> staff reply in the post -> customer; slash commands
// and buttons in the post change state, tags and the card; a second surface
// mirrored at the same time sees the owner and cannot claim again.
func TestEndToEndForum(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.waitConnected()
	ctx := context.Background()

	conv := h.customer("Anna", "Hi @everyone and @here <@&123> <@456>, my invoice is wrong. [click](http://evil.example)")
	thread := h.thread(conv)
	post, ok := h.fake.Channel(thread)
	if !ok || post.ParentID != h.channel || post.Name != "#1 · Anna (webchat)" {
		t.Fatalf("forum post = %+v", post)
	}
	if got := h.fake.AppliedTagNames(thread); !slices.Equal(got, []string{"Open"}) {
		t.Errorf("tags = %v, want [Open]", got)
	}
	ms := h.messages(thread, 2)
	starter, cust := ms[0], ms[1]
	if starter.ID != thread || len(starter.Embeds) == 0 {
		t.Errorf("starter message %s is not the card", starter.ID)
	}
	if got := buttons(t, starter); !slices.Equal(got, []string{"tl:claim", "tl:close", "tl:status", "tl:suggest"}) {
		t.Errorf("card buttons = %v", got)
	}
	if cust.WebhookID == "" || cust.Username != "Anna (webchat)" {
		t.Errorf("customer message not posted through the webhook under her name: webhook=%q username=%q", cust.WebhookID, cust.Username)
	}
	if cust.Pinged || cust.MentionEveryone {
		t.Errorf("customer message pinged someone: %+v", cust)
	}
	if string(cust.AllowedMentions) == "" || !strings.Contains(string(cust.AllowedMentions), `"parse":[]`) {
		t.Errorf("allowed_mentions = %s, want parse []", cust.AllowedMentions)
	}
	if !strings.Contains(cust.Content, `\[click](http://evil.example)`) {
		t.Errorf("masked link not escaped: %q", cust.Content)
	}

	// Staff reply typed in the post reaches the customer, with a receipt.
	replyID := h.fake.InjectMessage(thread, alice, "Hi Anna, checking now.")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "reply delivered to the customer")
	if d := h.web.Deliveries()[0]; d.Text != "Hi Anna, checking now." || d.Author != "Alice" {
		t.Errorf("delivery = %+v", d)
	}
	adaptertest.Eventually(t, wait, func() bool { return slices.Contains(h.fake.Reactions(thread, replyID), "✅") }, "✅ receipt on the staff message")
	adaptertest.Eventually(t, wait, func() bool {
		posts, _, _ := h.slack.Snapshot()
		return slices.ContainsFunc(posts, func(p adaptertest.RecordedPost) bool {
			return p.Post.Direction == bridge.DirStaff && p.Post.Origin == "discord" && p.Post.Author == "Alice"
		})
	}, "reply mirrored to the other surface")
	adaptertest.Eventually(t, wait, func() bool { return slices.Equal(h.fake.AppliedTagNames(thread), []string{"Waiting"}) }, "tag Waiting after the reply")

	// /claim in the post: owner set, card and tags updated, both surfaces.
	iid := h.fake.InjectSlash(thread, alice, "claim", nil)
	if r := h.response(iid); r.Type != 4 || !r.Ephemeral() || r.Content != "You own #1 now." {
		t.Errorf("/claim answer = %+v", r)
	}
	adaptertest.Eventually(t, wait, func() bool {
		m, _ := h.fake.Message(thread)
		return field(embed(t, m), "Owner") == "Alice" && slices.Contains(buttons(t, m), "tl:release")
	}, "card shows the owner")
	adaptertest.Eventually(t, wait, func() bool {
		_, cards, _ := h.slack.Snapshot()
		return len(cards) > 0 && cards[len(cards)-1].OwnerName == "Alice"
	}, "the other surface shows the owner")
	// Ownership is single: a claim from the other surface, or from another
	// Discord user, is refused and names the owner.
	fb, err := h.handler.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "slack", Conversation: conv,
		Actor: bridge.Actor{ID: "slack:U2", Name: "Sam"}, Text: "!claim"})
	if err != nil || !fb.Error || !strings.Contains(fb.Text, "claimed by Alice") {
		t.Errorf("second claim from slack = %+v, %v", fb, err)
	}
	if r := h.response(h.fake.InjectSlash(thread, bob, "claim", nil)); !r.Ephemeral() || !strings.Contains(r.Content, "claimed by Alice") {
		t.Errorf("second claim on discord = %+v", r)
	}

	// A note by slash command is visible in the post, stays internal.
	if r := h.response(h.fake.InjectSlash(thread, alice, "note", map[string]string{"text": "she is on the legacy plan"})); r.Ephemeral() ||
		!strings.Contains(r.Content, "she is on the legacy plan") {
		t.Errorf("/note answer = %+v", r)
	}
	// Typed commands and unknown commands get feedback in the post.
	badID := h.fake.InjectMessage(thread, alice, "!frobnicate")
	adaptertest.Eventually(t, wait, func() bool {
		return slices.ContainsFunc(h.fake.Messages(thread), func(m fakediscord.Message) bool {
			return m.MessageReference != nil && m.MessageReference.MessageID == badID && strings.Contains(m.Content, "Unknown command !frobnicate")
		})
	}, "feedback for an unknown command")

	// /close with a reason: tags Closed, card says so, the post is archived.
	if r := h.response(h.fake.InjectSlash(thread, alice, "close", map[string]string{"reason": "fixed in 2.3"})); !strings.Contains(r.Content, "closed") {
		t.Errorf("/close answer = %+v", r)
	}
	adaptertest.Eventually(t, wait, func() bool {
		c, _ := h.fake.Channel(thread)
		return c.ThreadMetadata.Archived && slices.Equal(h.fake.AppliedTagNames(thread), []string{"Closed"})
	}, "post archived and tagged Closed")
	m, _ := h.fake.Message(thread)
	if e := embed(t, m); field(e, "Closed") != "fixed in 2.3" || !slices.Contains(buttons(t, m), "tl:reopen") {
		t.Errorf("closed card = %v / %v", e, buttons(t, m))
	}

	// The Reopen button on the card unarchives the post.
	if r := h.response(h.fake.InjectButton(thread, thread, alice, "tl:reopen")); !strings.Contains(r.Content, "open again") {
		t.Errorf("reopen button answer = %+v", r)
	}
	adaptertest.Eventually(t, wait, func() bool {
		c, _ := h.fake.Channel(thread)
		return !c.ThreadMetadata.Archived && slices.Equal(h.fake.AppliedTagNames(thread), []string{"Open"})
	}, "post unarchived and tagged Open")

	// Nothing Threadline posted itself (webhook copies, bot notices) came
	// back as a staff message.
	msgs, err := h.st.Messages(ctx, conv, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Platform == "discord" && m.AuthorID != "discord:"+alice.ID {
			t.Errorf("stored a message from discord that staff did not write: %+v", m)
		}
	}
	var stored []string
	for _, m := range msgs {
		stored = append(stored, string(m.Direction)+":"+m.Body)
	}
	if !slices.Contains(stored, "note:she is on the legacy plan") {
		t.Errorf("note not stored: %v", stored)
	}
	if len(h.web.Deliveries()) != 1 {
		t.Errorf("customer got %d messages, want 1 (notes and commands stay internal)", len(h.web.Deliveries()))
	}
	raw, _ := json.Marshal(h.fake.Commands(""))
	for _, name := range []string{"claim", "release", "close", "reopen", "note", "status", "help"} {
		if !strings.Contains(string(raw), `"name":"`+name+`"`) {
			t.Errorf("slash command /%s not registered", name)
		}
	}
}

package mattermost_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemattermost"
	"github.com/threadlinehq/threadline/bridge"
)

// A conversation opens as a root post with the live card; customer
// messages go under it, named in bold when the server allows no username
// override; staff text in the thread reaches the customer once, gets the
// sent reaction, and the bot's own posts (which the socket echoes back)
// are never taken for staff text.
func TestThreadCarriesTheConversationBothWays(t *testing.T) {
	h := start(t, setup{})
	conv := h.customer("Anna", "Hi, the app crashes on login")
	root := h.root(conv)
	card := h.card(root)
	if got := buttons(card); !slices.Equal(got, []string{"claim", "close", "status"}) {
		t.Errorf("buttons = %v", got)
	}
	if card.Field("Owner") != "Unclaimed" || !strings.Contains(card.Field("Status"), "Open") {
		t.Errorf("card fields = %+v", card.Fields)
	}
	root0, _ := h.fake.Post(root)
	if root0.Message != "**#1 · Anna (webchat)**" || root0.Prop("threadline_conversation") != "1" {
		t.Errorf("root post = %q %v", root0.Message, root0.Props)
	}
	ps := h.replies(root, 1)
	if ps[0].Message != "**Anna:** Hi, the app crashes on login" || ps[0].Prop("override_username") != "" {
		t.Errorf("customer post = %q %v", ps[0].Message, ps[0].Props)
	}

	staff := h.fake.StaffPost(h.channel, root, h.alice, "Thanks! Which version are you on?")
	adaptertest.Eventually(t, wait, func() bool { return len(h.sent()) == 1 }, "reply delivered")
	if got := h.sent()[0]; got != "Thanks! Which version are you on?" {
		t.Errorf("customer got %q", got)
	}
	adaptertest.Eventually(t, wait, func() bool { return slices.Equal(h.fake.Reactions(staff), []string{"white_check_mark"}) }, "sent reaction")
	// The card follows: waiting on the customer.
	adaptertest.Eventually(t, wait, func() bool { return strings.Contains(h.card(root).Field("Status"), "Waiting") }, "card updated")

	msgs, err := h.st.Messages(context.Background(), conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].Author != "Alice Archer" || msgs[1].AuthorID != "mattermost:"+h.alice {
		t.Errorf("stored messages = %+v", msgs)
	}
	if n := len(h.sent()); n != 1 {
		t.Errorf("%d deliveries, want 1 (the bot's own posts must not come back as staff text)", n)
	}
}

// With EnablePostUsernameOverride on, customer posts appear under the
// customer's name (override_username, shown by the web app on posts
// marked from_webhook).
func TestCustomerPostsUseTheUsernameOverrideWhenAllowed(t *testing.T) {
	h := start(t, setup{fake: fakemattermost.Options{UsernameOverride: true}})
	root := h.root(h.customer("Anna", "Hello"))
	p := h.replies(root, 1)[0]
	if p.Message != "Hello" || p.Prop("override_username") != "Anna (webchat)" || p.Prop("from_webhook") != "true" {
		t.Errorf("customer post = %q %v", p.Message, p.Props)
	}
}

// Customers cannot ping staff or disguise links: @channel, @all, @here
// and @user stop being mentions, markdown links show as typed; an email
// address stays as it is.
func TestCustomerMentionsAndLinksAreNeutralised(t *testing.T) {
	h := start(t, setup{})
	root := h.root(h.customer("@channel", "@channel @all @here hi @bob, [click](http://evil) ![](http://pixel) me@example.com"))
	p := h.replies(root, 1)[0]
	for _, bad := range []string{"@channel", "@all", "@here", "@bob", " [click]", "![]"} {
		if strings.Contains(p.Message, bad) {
			t.Errorf("customer post still has %q: %q", bad, p.Message)
		}
	}
	if !strings.Contains(p.Message, "me@example.com") || !strings.Contains(p.Message, "@\u200bchannel") || !strings.Contains(p.Message, `\[click](http://evil)`) {
		t.Errorf("customer post = %q", p.Message)
	}
	if strings.Contains(h.card(root).Text, "@here") {
		t.Errorf("card text = %q", h.card(root).Text)
	}
}

// Notes stay internal; commands act; answers go to their author only
// (the bot is a system admin here, so it may post ephemeral messages).
func TestNotesAndCommandsInTheThread(t *testing.T) {
	h := start(t, setup{fake: fakemattermost.Options{BotSystemAdmin: true}})
	conv := h.customer("Anna", "Hello")
	root := h.root(conv)
	h.replies(root, 1)
	h.fake.StaffPost(h.channel, root, h.alice, "// customer since 2019")
	h.fake.StaffPost(h.channel, root, h.alice, "!claim")
	adaptertest.Eventually(t, wait, func() bool { return h.card(root).Field("Owner") == "Alice Archer" }, "claimed on the card")
	if got := buttons(h.card(root)); !slices.Equal(got, []string{"release", "close", "status"}) {
		t.Errorf("buttons after claim = %v", got)
	}
	h.fake.StaffPost(h.channel, root, h.bob, "!frobnicate")
	adaptertest.Eventually(t, wait, func() bool { return len(h.fake.Ephemerals(h.bob)) == 1 }, "ephemeral answer")
	if e := h.fake.Ephemerals(h.bob)[0]; e.RootID != root || !strings.Contains(e.Text, "frobnicate") {
		t.Errorf("answer = %+v", e)
	}
	if len(h.sent()) != 0 {
		t.Errorf("the customer got %v", h.sent())
	}
	msgs, _ := h.st.Messages(context.Background(), conv, 0)
	if len(msgs) < 2 || msgs[1].Direction != bridge.DirNote || msgs[1].Body != "customer since 2019" {
		t.Errorf("messages = %+v", msgs)
	}
}

// A bot that may not post ephemeral messages (no system admin) answers
// in the thread, naming the author.
func TestAnswersGoInTheThreadWithoutEphemeralPermission(t *testing.T) {
	h := start(t, setup{})
	root := h.root(h.customer("Anna", "Hello"))
	h.replies(root, 1)
	h.fake.StaffPost(h.channel, root, h.bob, "!frobnicate")
	ps := h.replies(root, 3)
	if last := ps[len(ps)-1]; !strings.HasPrefix(last.Message, "↪ @bob ") || !strings.Contains(last.Message, "frobnicate") {
		t.Errorf("answer = %q", last.Message)
	}
}

// "@threadline claim" means "!claim".
func TestMentioningTheBotRunsACommand(t *testing.T) {
	h := start(t, setup{})
	root := h.root(h.customer("Anna", "Hello"))
	h.fake.StaffPost(h.channel, root, h.alice, "@threadline claim")
	adaptertest.Eventually(t, wait, func() bool { return h.card(root).Field("Owner") == "Alice Archer" }, "claimed")
}

// Staff files are fetched and go to the customer; customer files are
// uploaded into the thread.
func TestFilesBothWays(t *testing.T) {
	h := start(t, setup{})
	conv := h.customer("Anna", "Hello")
	root := h.root(conv)
	h.replies(root, 1)
	fi := h.fake.UploadAs(h.alice, h.channel, "invoice.pdf", "application/pdf", []byte("%PDF-1.4 test"))
	h.fake.StaffPost(h.channel, root, h.alice, "Here it is", fi)
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "reply with file delivered")
	d := h.web.Deliveries()[0]
	if len(d.Attachments) != 1 || d.Attachments[0].Name != "invoice.pdf" || d.Attachments[0].Path == "" {
		t.Fatalf("delivery attachments = %+v", d.Attachments)
	}
	// A customer file stored on disk is uploaded with the customer's post.
	_, err := h.eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "visitor-Anna", Name: "Anna", Text: "and the photo",
		Attachments: []bridge.Attachment{{Name: "photo.png", MIME: "image/png", Path: d.Attachments[0].Path}}})
	if err != nil {
		t.Fatal(err)
	}
	var up fakemattermost.Post
	adaptertest.Eventually(t, wait, func() bool {
		for _, p := range h.fake.Thread(root) {
			if p.UserID == h.fake.BotID() && len(p.FileIDs) == 1 {
				up = p
				return true
			}
		}
		return false
	}, "customer file uploaded")
	info, data, ok := h.fake.File(up.FileIDs[0])
	if !ok || info.Name != "photo.png" || string(data) != "%PDF-1.4 test" {
		t.Errorf("uploaded file = %+v %q", info, data)
	}
}

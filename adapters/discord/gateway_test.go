package discord_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

// TestGatewayDropResumes: the socket drops, staff write while the bot is
// away, the bot resumes the session and handles what it missed once.
func TestGatewayDropResumes(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.waitConnected()
	thread := h.thread(h.customer("Anna", "hello"))
	h.messages(thread, 2)

	h.fake.DropGateway()
	h.fake.InjectMessage(thread, alice, "sent while the bot was away")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "missed message handled after resume")
	identifies, resumes, _ := h.fake.GatewayStats()
	if identifies != 1 || resumes != 1 {
		t.Errorf("identifies=%d resumes=%d, want 1 and 1 (resume, not a new session)", identifies, resumes)
	}
	h.fake.InjectMessage(thread, alice, "and one after")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 2 }, "message after resume")
	if d := h.web.Deliveries(); d[0].Text != "sent while the bot was away" || d[1].Text != "and one after" {
		t.Errorf("deliveries = %+v", d)
	}

	// A session Discord no longer knows is re-identified (op 9), and the
	// surface keeps working.
	h.fake.InvalidateSession()
	h.fake.DropGateway()
	adaptertest.Eventually(t, wait, func() bool { i, _, c := h.fake.GatewayStats(); return i == 2 && c }, "re-identified after INVALID_SESSION")
	h.fake.InjectMessage(thread, alice, "third")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 3 }, "message after re-identify")

	// Op 7 RECONNECT is honoured by resuming.
	h.fake.RequestReconnect()
	adaptertest.Eventually(t, wait, func() bool { _, r, c := h.fake.GatewayStats(); return r == 2 && c }, "resumed after op 7")
	if len(h.web.Deliveries()) != 3 {
		t.Errorf("a resume replayed a message twice: %d deliveries", len(h.web.Deliveries()))
	}
}

func TestIntentsRequested(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.waitConnected()
	const guilds, guildMessages, guildMessageTyping, messageContent = 1 << 0, 1 << 9, 1 << 11, 1 << 15
	if got := h.fake.Intents(); got != guilds|guildMessages|guildMessageTyping|messageContent {
		t.Errorf("intents = %b, want GUILDS|GUILD_MESSAGES|GUILD_MESSAGE_TYPING|MESSAGE_CONTENT", got)
	}
}

func TestGuildCommandRegistration(t *testing.T) {
	t.Parallel()
	var guild string
	h := start(t, setup{config: func(c *discord.Config) { c.GuildID = "900000000000000001" }})
	guild = "900000000000000001"
	adaptertest.Eventually(t, wait, func() bool { return len(h.fake.Commands(guild)) == len(discord.DefaultSlashCommands()) }, "guild commands")
	if n := len(h.fake.Commands("")); n != 0 {
		t.Errorf("%d global commands, want none", n)
	}
}

// TestFatalGatewayErrors: a bad token or a refused Message Content intent
// ends Run with an error that tells the operator what to fix.
func TestFatalGatewayErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fake fakediscord.Options
		tok  string
		want string
	}{
		{"bad token", fakediscord.Options{}, "wrong", "DISCORD_BOT_TOKEN"},
		{"message content intent off", fakediscord.Options{DenyMessageContent: true}, "", "Message Content Intent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakediscord.New(tc.fake)
			defer fake.Close()
			tok := tc.tok
			if tok == "" {
				tok = fake.Token()
			}
			st := storetest.Open(t)
			s, err := discord.New(discord.Config{BotToken: tok, ChannelID: fake.AddForum("f"), APIURL: fake.APIURL()}, discord.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Init(bridge.Deps{Log: testLog(t), Clock: bridge.SystemClock(), Store: st}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = s.Run(ctx, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want an error mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), fake.Token()) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

// TestIgnoresForeignMessages: messages outside Threadline's threads, from
// bots and from webhooks are not staff messages.
func TestIgnoresForeignMessages(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.waitConnected()
	thread := h.thread(h.customer("Anna", "hello"))
	other := h.fake.AddTextChannel("general")
	h.fake.InjectMessage(other, alice, "!help")
	h.fake.InjectMessage(other, alice, "just chatting")
	h.fake.InjectMessage(thread, fakediscord.Person{ID: "300000000000000001", Username: "musicbot", Bot: true}, "now playing")
	h.fake.InjectMessage(thread, alice, "the real one")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "staff reply delivered")
	if got := h.web.Deliveries()[0].Text; got != "the real one" {
		t.Errorf("delivered %q", got)
	}
	if ms := h.fake.Messages(other); len(ms) != 2 {
		t.Errorf("the bot answered in a channel it does not own: %+v", ms)
	}
	// /help works anywhere; other commands explain where they work.
	if r := h.response(h.fake.InjectSlash(other, alice, "help", nil)); !strings.Contains(r.Content, "/claim") || !r.Ephemeral() {
		t.Errorf("/help outside a post = %+v", r)
	}
	if r := h.response(h.fake.InjectSlash(other, alice, "claim", nil)); !strings.Contains(r.Content, "inside a Threadline conversation") {
		t.Errorf("/claim outside a post = %+v", r)
	}
}

// TestStaffRoles: with staff roles configured, others cannot act.
func TestStaffRoles(t *testing.T) {
	t.Parallel()
	const staffRole = "700000000000000001"
	h := start(t, setup{config: func(c *discord.Config) { c.StaffRoleIDs = []string{staffRole} }})
	h.waitConnected()
	thread := h.thread(h.customer("Anna", "hello"))
	stranger := bob
	id := h.fake.InjectMessage(thread, stranger, "I am not staff")
	adaptertest.Eventually(t, wait, func() bool {
		return slices.ContainsFunc(h.fake.Messages(thread), func(m fakediscord.Message) bool {
			return m.MessageReference != nil && m.MessageReference.MessageID == id && strings.Contains(m.Content, "staff role")
		})
	}, "refusal for a non-staff member")
	staff := alice
	staff.Roles = []string{staffRole}
	h.fake.InjectMessage(thread, staff, "I am staff")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "staff reply delivered")
	if got := h.web.Deliveries()[0].Text; got != "I am staff" {
		t.Errorf("delivered %q", got)
	}
}

// TestSlowInteractionIsDeferred: work that would miss Discord's 3 seconds
// is acknowledged as "thinking" first and the answer edited in.
func TestSlowInteractionIsDeferred(t *testing.T) {
	t.Parallel()
	h := start(t, setup{options: func(o *discord.Options) { o.InteractionBudget = time.Nanosecond }})
	h.waitConnected()
	thread := h.thread(h.customer("Anna", "hello"))
	iid := h.fake.InjectSlash(thread, alice, "claim", nil)
	r := h.response(iid)
	rs := h.fake.Responses(iid)
	if len(rs) != 2 || rs[0].Type != 5 || !rs[0].Ephemeral() || r.Kind != "edit_original" || r.Content != "You own #1 now." {
		t.Errorf("responses = %+v", rs)
	}
}

// TestRedeliveredMessageHandledOnce: a message delivered twice (a replay)
// acts once: the command's feedback is posted once.
func TestRedeliveredMessageHandledOnce(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.waitConnected()
	thread := h.thread(h.customer("Anna", "hello"))
	id := h.fake.InjectMessage(thread, alice, "!status")
	feedback := func() int {
		n := 0
		for _, m := range h.fake.Messages(thread) {
			if m.MessageReference != nil && m.MessageReference.MessageID == id {
				n++
			}
		}
		return n
	}
	adaptertest.Eventually(t, wait, func() bool { return feedback() == 1 }, "status feedback")
	h.fake.Redeliver(id)
	marker := h.fake.InjectMessage(thread, alice, "!status") // handled after the replay (same lane)
	adaptertest.Eventually(t, wait, func() bool {
		return slices.ContainsFunc(h.fake.Messages(thread), func(m fakediscord.Message) bool {
			return m.MessageReference != nil && m.MessageReference.MessageID == marker
		})
	}, "marker feedback")
	if n := feedback(); n != 1 {
		t.Errorf("feedback posted %d times for one message", n)
	}
}

// TestTextChannelButtons: in a text channel the card sits in the channel
// and the thread hangs off it; a button pressed on the card (whose
// interaction comes from the channel, not the thread) acts on the thread's
// conversation, and staff text in the thread reaches the customer.
func TestTextChannelButtons(t *testing.T) {
	t.Parallel()
	h := start(t, setup{text: true})
	h.waitConnected()
	conv := h.customer("Anna", "hello")
	thread := h.thread(conv)
	h.messages(thread, 1)
	iid := h.fake.InjectButton(h.channel, thread, alice, "tl:claim")
	if r := h.response(iid); r.Content != "You own #1 now." {
		t.Errorf("claim button answer = %+v", r)
	}
	adaptertest.Eventually(t, wait, func() bool {
		c, _ := h.st.Conversation(context.Background(), conv)
		return c.OwnerName == "Alice"
	}, "owner set from the card's button")
	h.fake.InjectMessage(thread, alice, "Hi Anna")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "reply from the thread delivered")
}

// TestSuggestButtonShowsPastAnswersOnlyToWhoPressedIt: the card's
// Suggest button runs !suggest; the answer, longer than one Discord
// message, comes whole, in parts only the presser sees.
func TestSuggestButtonShowsPastAnswersOnlyToWhoPressedIt(t *testing.T) {
	t.Parallel()
	h := start(t, setup{answers: true})
	h.waitConnected()
	ctx := context.Background()
	long := strings.Repeat("Check the spam folder, then the filters of your mailbox. ", 12)
	for i, q := range []string{"How do I reset my password? The reset mail never comes.", "Password reset mail missing", "Reset password email not arriving"} {
		past := h.customer(fmt.Sprintf("Past%d", i), q)
		sc := engine.StaffContext{Conversation: past, Actor: bridge.Actor{ID: "discord:9", Name: "Bob"}, Surface: "discord"}
		if _, err := h.eng.Reply(ctx, sc, fmt.Sprintf("Answer %d: %s", i, long), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.eng.Close(ctx, sc, ""); err != nil {
			t.Fatal(err)
		}
	}
	conv := h.customer("Anna", "I forgot my password and the reset mail does not arrive")
	thread := h.thread(conv)
	iid := h.fake.InjectButton(thread, thread, alice, "tl:suggest")
	var rs []fakediscord.Response
	adaptertest.Eventually(t, wait, func() bool { rs = h.fake.Responses(iid); return len(rs) >= 2 }, "the suggestions in parts")
	var all strings.Builder
	for _, r := range rs {
		if !r.Ephemeral() || len([]rune(r.Content)) > 2000 {
			t.Errorf("response %s: ephemeral %v, %d characters", r.Kind, r.Ephemeral(), len([]rune(r.Content)))
		}
		all.WriteString(r.Content + "\n")
	}
	for i := range 3 {
		if !strings.Contains(all.String(), fmt.Sprintf("Answer %d:", i)) {
			t.Errorf("suggestion %d missing from:\n%s", i, all.String())
		}
	}
	if n := len(h.web.Deliveries()); n != 3 {
		t.Errorf("%d deliveries to customers, want only the 3 past answers", n)
	}
}

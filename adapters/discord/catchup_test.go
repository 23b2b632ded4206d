package discord_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
)

// TestCatchUpAfterNewSession: staff write in a post while the bot is offline
// longer than a session can be resumed. The next session (Discord answers
// the resume with op 9, the bot identifies again) does not replay them; the
// catch-up reads the post and handles exactly what was missed, with the
// authors' roles looked up (REST messages carry no member), and a further
// new session handles nothing twice.
func TestCatchUpAfterNewSession(t *testing.T) {
	const staffRole = "700000000000000001"
	ann := fakediscord.Person{ID: "200000000000000011", Username: "ann", GlobalName: "Ann", Roles: []string{staffRole}}
	ben := fakediscord.Person{ID: "200000000000000012", Username: "ben", GlobalName: "Ben", Roles: []string{staffRole}}
	visitor := fakediscord.Person{ID: "200000000000000013", Username: "lurker"}
	h := start(t, setup{
		config: func(c *discord.Config) { c.StaffRoleIDs = []string{staffRole} },
	})
	h.waitConnected()
	ctx := context.Background()
	mark := func() string { v, _ := h.st.Cursor(ctx, "discord", "listening_until"); return v }
	adaptertest.Eventually(t, wait, func() bool { return mark() != "" }, "listening mark written")

	conv := h.customer("Anna", "Where is my parcel?")
	thread := h.thread(conv)
	h.messages(thread, 1)
	h.fake.InjectMessage(thread, ann, "Checking with the carrier.")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "live reply delivered")

	// Offline: the gateway is gone and its session cannot be resumed.
	h.fake.InvalidateSession()
	h.fake.DropGateway()
	h.fake.WriteUnheard(thread, ben, "!claim")
	h.fake.WriteUnheard(thread, ben, "It left the depot this morning.")
	h.fake.WriteUnheard(thread, visitor, "not staff, must not reach the customer")
	adaptertest.Eventually(t, wait, func() bool { ids, _, c := h.fake.GatewayStats(); return ids == 2 && c }, "new session")

	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 2 }, "missed reply delivered")
	if d := h.web.Deliveries()[1]; d.Text != "It left the depot this morning." || d.Author != "Ben" {
		t.Errorf("customer got %+v", d)
	}
	adaptertest.Eventually(t, wait, func() bool {
		c, err := h.st.Conversation(ctx, conv)
		return err == nil && c.Owner == bridge.StaffID("discord:"+ben.ID)
	}, "Ben owns the conversation")
	adaptertest.Eventually(t, wait, func() bool {
		for _, m := range h.fake.Messages(thread) {
			if strings.Contains(m.Content, "Only members with a staff role") {
				return true
			}
		}
		return false
	}, "the non-staff message refused in the post")

	// Another new session: nothing is handled twice.
	before := mark()
	h.fake.InvalidateSession()
	h.fake.DropGateway()
	adaptertest.Eventually(t, wait, func() bool { ids, _, c := h.fake.GatewayStats(); return ids == 3 && c }, "third session")
	adaptertest.Eventually(t, wait, func() bool { return mark() != before }, "caught up again")
	if n := len(h.web.Deliveries()); n != 2 {
		t.Errorf("customer got %d messages, want 2", n)
	}
	audit, _ := h.st.AuditLog(ctx, conv)
	var acts []string
	for _, a := range audit {
		acts = append(acts, a.Action)
	}
	if got := strings.Join(acts, " "); got != "created reply claim reply" {
		t.Errorf("audit = %s", got)
	}
}

// TestCatchUpRunsOnTheDaemonClock: the catch-up's listening mark is the
// time of the clock the daemon hands every adapter (Deps.Clock), not the
// machine's.
func TestCatchUpRunsOnTheDaemonClock(t *testing.T) {
	clock := clocktest.Monday()
	h := start(t, setup{clock: clock})
	h.waitConnected()
	want := strconv.FormatInt(clock.Now().UnixMilli(), 10)
	mark := func() string { v, _ := h.st.Cursor(context.Background(), "discord", "listening_until"); return v }
	adaptertest.Eventually(t, wait, func() bool { return mark() != "" }, "listening mark written")
	if got := mark(); got != want {
		t.Errorf("listening mark %s, want the daemon clock's %s", got, want)
	}
}

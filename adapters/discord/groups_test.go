package discord_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/team"
)

// TestDiscordRolesAsDepartmentMembers: a department whose members are a
// Discord role accepts replies and commands from its holders (the roles
// come with MESSAGE_CREATE and the interaction), refuses everyone else
// with the reason, and pings its on-call role, and only it.
func TestDiscordRolesAsDepartmentMembers(t *testing.T) {
	t.Parallel()
	const billingRole, oncallRole = "700000000000000010", "700000000000000011"
	wf := &team.Options{
		Departments: map[string]team.Department{"billing": {MembersOnly: true,
			Members: []bridge.StaffID{discord.RolePrefix + billingRole},
			OnCall:  []bridge.StaffID{discord.RolePrefix + oncallRole}}},
		DefaultDepartment: "billing",
	}
	h := start(t, setup{workflow: wf})
	h.waitConnected()
	conv := h.customer("Anna", "charged twice <@&"+oncallRole+"> @everyone")
	thread := h.thread(conv)
	ctx := context.Background()

	// The on-call notice mentions the role, and allowed_mentions lets
	// exactly that role through.
	var notice fakediscord.Message
	adaptertest.Eventually(t, wait, func() bool {
		for _, m := range h.fake.Messages(thread) {
			if strings.Contains(m.Content, "on call:") {
				notice = m
				return true
			}
		}
		return false
	}, "on-call notice")
	if !strings.Contains(notice.Content, "<@&"+oncallRole+">") || !slices.Equal(notice.MentionRoles, []string{oncallRole}) ||
		len(notice.Mentions) != 0 || notice.MentionEveryone {
		t.Errorf("on-call notice %q pings roles %v users %v everyone %v", notice.Content, notice.MentionRoles, notice.Mentions, notice.MentionEveryone)
	}
	for _, m := range h.fake.Messages(thread) {
		if m.WebhookID != "" && m.Pinged {
			t.Errorf("customer text pinged: %q", m.Content)
		}
	}

	// Alice has no billing role: her reply is refused with the reason.
	id := h.fake.InjectMessage(thread, alice, "We'll refund you")
	adaptertest.Eventually(t, wait, func() bool {
		return slices.ContainsFunc(h.fake.Messages(thread), func(m fakediscord.Message) bool {
			return m.MessageReference != nil && m.MessageReference.MessageID == id && strings.Contains(m.Content, "only members of billing")
		})
	}, "refusal of a non-member's reply")
	// ... and so is her /claim.
	iid := h.fake.InjectSlash(thread, alice, "claim", nil)
	if r := h.response(iid); !strings.Contains(r.Content, "only members of billing") || !r.Ephemeral() {
		t.Errorf("non-member /claim answered %+v", r)
	}

	// Bob holds the role (MESSAGE_CREATE's member.roles): his reply goes out.
	member := bob
	member.Roles = []string{"700000000000000099", billingRole}
	h.fake.InjectMessage(thread, member, "Refund is on its way")
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "member's reply delivered")
	if got := h.web.Deliveries()[0].Text; got != "Refund is on its way" {
		t.Errorf("customer got %q", got)
	}
	// The interaction's member.roles count too.
	iid = h.fake.InjectSlash(thread, member, "claim", nil)
	if r := h.response(iid); r.Content != "You own #1 now." {
		t.Errorf("member /claim answered %q", r.Content)
	}
	if c, _ := h.st.Conversation(ctx, conv); c.Owner != bridge.StaffID("discord:"+bob.ID) {
		t.Errorf("owner = %q", c.Owner)
	}
	// The on-call role alone is not membership.
	oncall := alice
	oncall.Roles = []string{oncallRole}
	iid = h.fake.InjectSlash(thread, oncall, "release", nil)
	if r := h.response(iid); !strings.Contains(r.Content, "only members of billing") {
		t.Errorf("on-call-only /release answered %q", r.Content)
	}
	if n := len(h.web.Deliveries()); n != 1 {
		t.Errorf("customer got %d messages, want 1", n)
	}
}

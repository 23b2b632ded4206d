package discord_test

import (
	"context"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/team"
)

// TestWorkflowOnDiscord: a hand-off moves the post to the department's own
// forum, escalations ping exactly the on-call (nobody else), and mentions
// in staff text resolve to the right person.
func TestWorkflowOnDiscord(t *testing.T) {
	wf := &team.Options{
		Departments: map[string]team.Department{
			"support":     {},
			"engineering": {OnCall: []bridge.StaffID{bridge.StaffID("discord:" + bob.ID)}},
		},
		DefaultDepartment: "support",
	}
	h := start(t, setup{workflow: wf, departmentForums: []string{"engineering"}})
	engForum := h.forums["engineering"]
	h.waitConnected()
	conv := h.customer("Anna", "Upload crashes, @everyone help")
	old := h.thread(conv)
	h.fake.InjectMessage(old, alice, "!handoff engineering crash on upload")
	adaptertest.Eventually(t, wait, func() bool { return len(h.fake.Threads(engForum)) == 1 }, "post in the engineering forum")
	moved := h.fake.Threads(engForum)[0].ID
	adaptertest.Eventually(t, wait, func() bool {
		for _, m := range h.fake.Messages(old) {
			if strings.Contains(m.Content, "moved to <#"+moved+">") {
				return true
			}
		}
		return false
	}, "pointer in the old post")
	adaptertest.Eventually(t, wait, func() bool {
		for _, m := range h.fake.Messages(moved) {
			if strings.Contains(m.Content, "Note: crash on upload") {
				return true
			}
		}
		return false
	}, "hand-off summary in the new post")
	if got, _ := h.st.ConversationByThread(context.Background(), "discord", bridge.ThreadRef(moved)); got != conv {
		t.Fatalf("new post maps to %s, want %s", got, conv)
	}

	h.fake.InjectMessage(moved, alice, "!escalate oncall")
	var esc string
	adaptertest.Eventually(t, wait, func() bool {
		for _, m := range h.fake.Messages(moved) {
			if strings.Contains(m.Content, "escalated this conversation") {
				esc = m.ID
				return true
			}
		}
		return false
	}, "escalation notice")
	m, _ := h.fake.Message(esc)
	if !m.Pinged || len(m.Mentions) != 1 || m.Mentions[0].ID != bob.ID || m.MentionEveryone {
		t.Errorf("escalation %q pings %+v (everyone=%v), want exactly bob", m.Content, m.Mentions, m.MentionEveryone)
	}
	for _, ch := range []string{old, moved} {
		for _, cm := range h.fake.Messages(ch) {
			if cm.WebhookID != "" && cm.Pinged {
				t.Errorf("a customer message pinged someone: %q", cm.Content)
			}
		}
	}
	// "!handoff <@bob>" resolves the mention to bob's staff id.
	h.fake.InjectMessage(moved, alice, "!handoff <@"+bob.ID+"> yours")
	adaptertest.Eventually(t, wait, func() bool {
		c, _ := h.st.Conversation(context.Background(), conv)
		return c.Owner == bridge.StaffID("discord:"+bob.ID)
	}, "bob owns it")
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/bridge"
)

// TestEndToEndWorkflow: a conversation is claimed, handed off to
// engineering (its thread moves to engineering's channel) with a note,
// escalated, de-escalated, closed, and reopened by the customer. The
// customer sees exactly the staff replies and none of the notes.
func TestEndToEndWorkflow(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	fake.AddUser("U0ALICE", "Alice")
	fake.AddUser("U0EVE", "Eve")
	cfg := testConfig + slackYAML(fake) + `
departments:
  support:
    channels: {slack: C0SUPPORT1}
    oncall: [slack:U0ALICE]
  engineering:
    channels: {slack: C0ENGINE01}
    members: [slack:U0EVE]
    members_only: true
    oncall: [slack:U0EVE]
default_department: support
staff:
  - {id: "slack:U0ALICE", name: Alice, role: agent}
  - {id: "slack:U0EVE", name: Eve, role: agent}
`
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte(cfg), 0o600)
	d := startDaemon(t, path)
	eventually(t, "slack connected", func() bool { return fake.Connected() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	staff := func(channel, thread, user, text string) {
		t.Helper()
		ev, _ := fake.StaffMessage(channel, thread, user, text)
		if _, err := fake.Send(ctx, "events_api", ev); err != nil {
			t.Fatal(err)
		}
	}
	threadHas := func(channel, thread, substr string) func() bool {
		return func() bool {
			for _, m := range fake.Thread(channel, thread) {
				if strings.Contains(m.Text, substr) {
					return true
				}
			}
			return false
		}
	}

	v := newVisitor(t, d.http)
	v.connect(d.http)
	v.say("The app crashes when I upload a photo", "c1")
	sup := slackCard(t, d, fake, "C0SUPPORT1")
	eventually(t, "on-call pinged on the new conversation", threadHas("C0SUPPORT1", sup, "<@U0ALICE>"))

	staff("C0SUPPORT1", sup, "U0ALICE", "!claim")
	staff("C0SUPPORT1", sup, "U0ALICE", "Sorry about that! Which app version are you on?")
	eventually(t, "first reply reaches the customer", func() bool { return len(v.staffTexts()) == 1 })
	v.say("Version 2.3", "c2")
	staff("C0SUPPORT1", sup, "U0ALICE", "// looks like the upload regression")
	staff("C0SUPPORT1", sup, "U0ALICE", "!handoff engineering crash on photo upload in 2.3")
	eng := slackCard(t, d, fake, "C0ENGINE01")
	eventually(t, "pointer in the old thread", threadHas("C0SUPPORT1", sup, "moved to <#C0ENGINE01>"))
	eventually(t, "summary in the new thread", threadHas("C0ENGINE01", eng, "Note: crash on photo upload in 2.3"))

	// Alice is not in engineering: her replies there are refused (privately).
	staff("C0ENGINE01", eng, "U0ALICE", "I'll keep an eye on it")
	eventually(t, "refusal for a non-member", func() bool {
		for _, e := range fake.Ephemerals("U0ALICE") {
			if strings.Contains(e.Text, "only members of engineering") {
				return true
			}
		}
		return false
	})
	staff("C0ENGINE01", eng, "U0EVE", "!claim")
	staff("C0ENGINE01", eng, "U0EVE", "!escalate oncall needs a hotfix")
	eventually(t, "escalation pings on-call", threadHas("C0ENGINE01", eng, "escalated this conversation to engineering: needs a hotfix. On call: <@U0EVE>"))
	staff("C0ENGINE01", eng, "U0EVE", "!deescalate")
	staff("C0ENGINE01", eng, "U0EVE", "Fixed in 2.3.1, please update the app.")
	staff("C0ENGINE01", eng, "U0EVE", "!close fixed in 2.3.1")
	eventually(t, "second reply reaches the customer", func() bool { return len(v.staffTexts()) == 2 })
	eventually(t, "closed", func() bool {
		c, _ := d.app.st.Conversation(ctx, 1)
		return c.Status == bridge.StatusClosed
	})
	v.say("Works now, thanks!", "c3")
	eventually(t, "reopened by the customer", func() bool {
		c, _ := d.app.st.Conversation(ctx, 1)
		return c.Status == bridge.StatusOpen
	})
	eventually(t, "reopen shows in the engineering thread", threadHas("C0ENGINE01", eng, "Works now, thanks!"))

	got := strings.Join(v.staffTexts(), "|")
	if want := "Sorry about that! Which app version are you on?|Fixed in 2.3.1, please update the app."; got != want {
		t.Errorf("customer saw:\n %s\nwant\n %s", got, want)
	}
	c, _ := d.app.st.Conversation(ctx, 1)
	if c.Department != "engineering" || c.EscalatedTo != "" || c.Priority != bridge.PriorityNormal || c.OwnerName != "Eve" {
		t.Errorf("final state: %+v", c)
	}
	audit, _ := d.app.st.AuditLog(ctx, 1)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, ","); got != "created,claim,reply,note,handoff,claim,escalate,deescalate,reply,close,reopened" {
		t.Errorf("audit = %s", got)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
)

// TestCheckConfigNotesDiscordRolesInRoundRobin: a round-robin department
// that names Discord roles is valid, and check-config says the roles are
// not assigned to.
func TestCheckConfigNotesDiscordRolesInRoundRobin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := testConfig + `departments:
  support: {members: ["discord:1098765432109876540", "discord:role:1098765432109876543"], oncall: ["discord:role:1098765432109876543"]}
assignment:
  departments: [support]
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "--config", path, "check-config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "note       round-robin in support skips its Discord roles") || !strings.Contains(out, "Server Members intent") {
		t.Errorf("no note:\n%s", out)
	}
}

// TestDoctorChecksSlackUserGroups: doctor resolves every Slack user group
// departments name, and needs usergroups:read only then.
func TestDoctorChecksSlackUserGroups(t *testing.T) {
	groups := "departments:\n  billing: {members: [\"slack:group:S0BILL\"], oncall: [\"slack:group:S0NOPE\"]}\n"
	t.Run("healthy and unknown group", func(t *testing.T) {
		r := newDoctorRig(t)
		r.slack.SetUserGroup("S0BILL", "U1", "U2")
		r.extra = groups
		code, out, _ := r.run()
		for _, want := range []string{
			"PASS  slack     scopes: all 11 Threadline needs",
			"PASS  slack     user group S0BILL: 2 member(s)",
			"FAIL  slack     user group S0NOPE: usergroups.users.list S0NOPE: no_such_subteam",
			"until it resolves, nobody counts as a department member through it",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in:\n%s", want, out)
			}
		}
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	})
	t.Run("scope missing", func(t *testing.T) {
		r := newDoctorRig(t)
		r.slack.SetUserGroup("S0BILL", "U1")
		r.slack.SetUserGroup("S0NOPE", "U1")
		r.slack.SetScopes("chat:write", "chat:write.customize", "channels:history", "groups:history", "app_mentions:read",
			"reactions:write", "users:read", "commands", "files:read", "files:write")
		r.extra = groups
		_, out, _ := r.run()
		for _, want := range []string{
			"FAIL  slack     token lacks scopes: usergroups:read",
			"FAIL  slack     user group S0BILL: usergroups.users.list S0BILL: missing_scope: the bot token lacks usergroups:read",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in:\n%s", want, out)
			}
		}
	})
}

// TestEndToEndSlackUserGroup: the daemon's wiring resolves the Slack user
// group a members_only department names: its members may reply, others are
// refused, and round-robin assigns among them.
func TestEndToEndSlackUserGroup(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	fake.AddUser("U0ALICE", "Alice")
	fake.AddUser("U0BOB", "Bob")
	fake.SetUserGroup("S0BILL", "U0ALICE")
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := testConfig + slackYAML(fake) + `
departments:
  billing: {members: ["slack:group:S0BILL"], oncall: ["slack:group:S0BILL"], members_only: true}
default_department: billing
assignment:
  departments: [billing]
`
	os.WriteFile(path, []byte(cfg), 0o600)
	d := startDaemon(t, path)
	eventually(t, "socket mode connected", func() bool { return fake.Connected() == 1 })
	eventually(t, "group resolved at start", func() bool { return len(d.app.dir.Assignable("billing")) == 1 })
	var banner strings.Builder
	d.app.banner(&banner)
	if !strings.Contains(banner.String(), "1 user group(s) (needs scope usergroups:read)") {
		t.Errorf("banner:\n%s", banner.String())
	}

	v := newVisitor(t, d.http)
	v.connect(d.http)
	v.say("I was charged twice", "c1")
	card := slackCard(t, d, fake, "C0SUPPORT1")
	eventually(t, "assigned round robin and on-call group mentioned", func() bool {
		assigned, pinged := false, false
		for _, m := range fake.Thread("C0SUPPORT1", card) {
			// Alice has not been seen yet, so she is shown by id (as for any member id).
			assigned = assigned || strings.Contains(m.Text, "Assigned to slack:U0ALICE (round robin). <@U0ALICE>")
			pinged = pinged || strings.Contains(m.Text, "on call: <!subteam^S0BILL>")
		}
		return assigned && pinged
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev, _ := fake.StaffMessage("C0SUPPORT1", card, "U0BOB", "I can help")
	if _, err := fake.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, "non-member refused", func() bool { return len(fake.Ephemerals("U0BOB")) == 1 })
	if e := fake.Ephemerals("U0BOB")[0]; !strings.Contains(e.Text, "only members of billing") {
		t.Errorf("refusal = %q", e.Text)
	}
	ev, _ = fake.StaffMessage("C0SUPPORT1", card, "U0ALICE", "Refunded!")
	if _, err := fake.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, "member's reply in the browser", func() bool { return len(v.staffTexts()) == 1 })
	if got := v.staffTexts(); len(got) != 1 || got[0] != "Refunded!" {
		t.Errorf("customer saw %q", got)
	}
}

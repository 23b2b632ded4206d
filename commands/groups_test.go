package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/storetest"
)

// TestGroupsInCommands: !oncall names groups as groups, and a members_only
// department takes commands from the holders of its Discord role (the
// surface puts the roles on the actor) and refuses others with the reason.
func TestGroupsInCommands(t *testing.T) {
	st := storetest.Open(t)
	dir := team.New(team.Options{
		StaffIDs: bridge.StaffIDForms{slack.StaffIDs(), discord.StaffIDs()},
		Departments: map[string]team.Department{"billing": {MembersOnly: true,
			Members: []bridge.StaffID{"discord:role:700"}, OnCall: []bridge.StaffID{"slack:group:S0BILL", "discord:role:701"}}},
		DefaultDepartment: "billing",
	})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"discord"}, Directory: dir})
	table, err := commands.All()
	if err != nil {
		t.Fatal(err)
	}
	h := commands.NewHandler(eng, table, commands.DefaultSyntax(), nil)
	ctx := context.Background()
	res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: "refund please"})
	if err != nil {
		t.Fatal(err)
	}
	say := func(a bridge.Actor, text string) bridge.Feedback {
		t.Helper()
		fb, err := h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "discord", Conversation: res.Conversation, Actor: a, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return fb
	}
	for _, tc := range []struct {
		name  string
		actor bridge.Actor
		text  string
		want  string
		err   bool
	}{
		{"oncall lists groups", bridge.Actor{ID: "discord:1", Name: "Kim"}, "!oncall", "billing: Slack user group S0BILL, Discord role 701", false},
		{"no role: refused", bridge.Actor{ID: "discord:1", Name: "Kim", Groups: []bridge.StaffID{"discord:role:701"}}, "!claim", "only members of billing", true},
		{"role holder claims", bridge.Actor{ID: "discord:2", Name: "Ola", Groups: []bridge.StaffID{"discord:role:700"}}, "!claim", "You own", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb := say(tc.actor, tc.text)
			if fb.Error != tc.err || !strings.Contains(fb.Text, tc.want) {
				t.Errorf("%s → %+v, want %q (error %v)", tc.text, fb, tc.want, tc.err)
			}
		})
	}
}

package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

type wfRig struct {
	h   *commands.Handler
	st  *sqlite.Store
	eng *engine.Engine
	now time.Time
}

func workflowRig(t *testing.T) (*wfRig, bridge.ConversationID) {
	t.Helper()
	st := storetest.Open(t)
	dir := team.New(team.Options{
		Departments: map[string]team.Department{
			"support":     {OnCall: []bridge.StaffID{"slack:U0SUP"}},
			"engineering": {Members: []bridge.StaffID{"slack:U0ENG"}, MembersOnly: true, OnCall: []bridge.StaffID{"slack:U0ENG"}},
		},
		DefaultDepartment: "support",
		Staff: []team.Staff{{ID: "slack:U0LEAD", Name: "Lea", Role: bridge.RoleLead}, {ID: "slack:U0ENG", Name: "Eve", Role: bridge.RoleAgent},
			{ID: "slack:U0BOB", Name: "Bob", Role: bridge.RoleAgent}},
		Templates: map[string]string{"thanks": "Thanks {{customer}}! {{agent}} from {{department}} here ({{conversation}})."},
		Location:  time.UTC,
	})
	r := &wfRig{st: st, now: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	r.eng = engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}, Directory: dir, Clock: clocktest.Func(func() time.Time { return r.now })})
	table, err := commands.All()
	if err != nil {
		t.Fatal(err)
	}
	r.h = commands.NewHandler(r.eng, table, commands.DefaultSyntax(), nil)
	res, err := r.eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Email: "anna@example.com", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	// Staff the tests refer to by name have been seen on Slack.
	for id, name := range map[bridge.StaffID]string{"slack:U0ALICE": "Alice", "slack:U0BOB": "Bob"} {
		r.eng.Note(context.Background(), engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: id, Name: name}, Surface: "slack"}, "seen", nil)
	}
	return r, res.Conversation
}

func (r *wfRig) say(t *testing.T, conv bridge.ConversationID, who bridge.StaffID, name, text string) bridge.Feedback {
	t.Helper()
	fb, err := r.h.HandleStaffMessage(context.Background(), bridge.StaffMessage{Surface: "slack", Conversation: conv,
		Actor: bridge.Actor{ID: who, Name: name}, Text: text, Mentions: map[string]bridge.StaffID{"@eve": "slack:U0ENG"}})
	if err != nil {
		t.Fatal(err)
	}
	return fb
}

func TestWorkflowCommands(t *testing.T) {
	type check func(t *testing.T, c bridge.ConversationView)
	for _, tc := range []struct {
		name    string
		setup   []string // run first, as Alice
		who     bridge.StaffID
		text    string
		wantErr bool
		want    string // feedback substring
		audit   string // last audit action ("" = none new)
		card    bool   // a card refresh (or move) was queued
		sends   int    // customer sends caused
		check   check
	}{
		{name: "assign needs lead", who: "slack:U0ALICE", text: "!assign @Bob", wantErr: true, want: "needs the lead role"},
		{name: "lead assigns by name", who: "slack:U0LEAD", text: "!assign @Bob", want: "#1 is Bob's now", audit: "assign", card: true,
			check: func(t *testing.T, c bridge.ConversationView) {
				if c.Owner != "slack:U0BOB" {
					t.Errorf("owner %s", c.Owner)
				}
			}},
		{name: "lead assigns by mention", who: "slack:U0LEAD", text: "!assign @eve", want: "Eve's now", audit: "assign", card: true},
		{name: "assign unknown", who: "slack:U0LEAD", text: "!assign @nobody", wantErr: true, want: "do not know who @nobody is"},
		{name: "handoff to department with note", who: "slack:U0ALICE", setup: []string{"!claim"}, text: "!handoff engineering crash in v2.3, logs attached",
			want: "with engineering", audit: "handoff", card: true, check: func(t *testing.T, c bridge.ConversationView) {
				if c.Department != "engineering" || c.Owner != "" {
					t.Errorf("after handoff: dept %q owner %q", c.Department, c.Owner)
				}
			}},
		{name: "handoff to person", who: "slack:U0ALICE", text: "!handoff @Bob please take it", want: "Bob's now", audit: "handoff", card: true},
		{name: "handoff unknown department", who: "slack:U0ALICE", text: "!handoff legal", wantErr: true, want: "departments: engineering, support"},
		{name: "escalate", who: "slack:U0ALICE", text: "!escalate engineering payments are down", want: "escalated to engineering", audit: "escalate", card: true,
			check: func(t *testing.T, c bridge.ConversationView) {
				if c.EscalatedTo != "engineering" || c.Priority != bridge.PriorityHigh || c.PriorityBeforeEscalation != bridge.PriorityNormal {
					t.Errorf("after escalate: %+v", c.Conversation)
				}
			}},
		{name: "escalate oncall", who: "slack:U0ALICE", text: "!escalate oncall", want: "escalated to support", audit: "escalate", card: true},
		{name: "deescalate", who: "slack:U0ALICE", setup: []string{"!priority low", "!escalate engineering"}, text: "!deescalate", want: "no longer escalated", audit: "deescalate", card: true,
			check: func(t *testing.T, c bridge.ConversationView) {
				if c.EscalatedTo != "" || c.Priority != bridge.PriorityLow {
					t.Errorf("after deescalate: %+v", c.Conversation)
				}
			}},
		{name: "deescalate when not", who: "slack:U0ALICE", text: "!deescalate", wantErr: true, want: "not escalated"},
		{name: "priority", who: "slack:U0ALICE", text: "!priority urgent", want: "urgent priority", audit: "priority", card: true},
		{name: "priority bad", who: "slack:U0ALICE", text: "!priority asap", wantErr: true, want: "unknown priority"},
		{name: "tag add", who: "slack:U0ALICE", text: "!tag add Needs Review", want: "Tagged needs-review", audit: "tag_add", card: true,
			check: func(t *testing.T, c bridge.ConversationView) {
				if strings.Join(c.Tags, ",") != "needs-review" {
					t.Errorf("tags %v", c.Tags)
				}
			}},
		{name: "tag remove missing", who: "slack:U0ALICE", text: "!tag remove vip", wantErr: true, want: "does not have the tag vip"},
		{name: "tag list", who: "slack:U0ALICE", setup: []string{"!tag vip", "!tag add refund"}, text: "!tag", want: "tags: refund, vip"},
		{name: "snooze", who: "slack:U0ALICE", text: "!snooze 2h", want: "snoozed until Wed 4 Mar 12:00 UTC", audit: "snooze", card: true},
		{name: "snooze bad", who: "slack:U0ALICE", text: "!snooze later", wantErr: true, want: "cannot read"},
		{name: "snooze off", who: "slack:U0ALICE", setup: []string{"!snooze tomorrow"}, text: "!snooze off", want: "awake", audit: "unsnooze", card: true},
		{name: "template send", who: "slack:U0ALICE", text: "!t thanks", audit: "reply", card: true, sends: 1},
		{name: "template missing", who: "slack:U0ALICE", text: "!t nope", wantErr: true, want: "templates: thanks"},
		{name: "template add needs lead", who: "slack:U0ALICE", text: "!template add bye Bye {{customer}}", wantErr: true, want: "needs the lead role"},
		{name: "template add by lead", who: "slack:U0LEAD", text: "!template add bye Bye {{customer}}!", want: "Template bye saved"},
		{name: "template bad var", who: "slack:U0LEAD", text: "!template add bad Hi {{nme}}", wantErr: true, want: "unknown variable {{nme}}"},
		{name: "template list", who: "slack:U0ALICE", text: "!template list", want: "thanks: Thanks {{customer}}"},
		{name: "history", who: "slack:U0ALICE", text: "!history", want: "Anna's conversations (1):\n#1"},
		{name: "search", who: "slack:U0ALICE", text: "!search hello", want: "1 match(es)"},
		{name: "oncall", who: "slack:U0ALICE", text: "!oncall", want: "engineering: Eve\nsupport: slack:U0SUP"},
		{name: "reply to closed is refused", who: "slack:U0ALICE", setup: []string{"!close"}, text: "are you there?", wantErr: true, want: "!reply <text> to send anyway"},
		{name: "!reply reopens and sends", who: "slack:U0ALICE", setup: []string{"!close"}, text: "!reply one more thing", want: "reopened", audit: "reply", card: true, sends: 1},
		{name: "reply to someone else's warns", who: "slack:U0BOB", setup: []string{"!claim"}, text: "I can help too", want: "claimed by Alice", audit: "reply", card: true, sends: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, conv := workflowRig(t)
			ctx := context.Background()
			for _, s := range tc.setup {
				if fb := r.say(t, conv, "slack:U0ALICE", "Alice", s); fb.Error {
					t.Fatalf("setup %q: %s", s, fb.Text)
				}
			}
			beforeRows, _ := r.st.OutboxRows(ctx, conv)
			beforeAudit, _ := r.st.AuditLog(ctx, conv)
			name := map[bridge.StaffID]string{"slack:U0ALICE": "Alice", "slack:U0LEAD": "Lea", "slack:U0BOB": "Bob"}[tc.who]
			fb := r.say(t, conv, tc.who, name, tc.text)
			if fb.Error != tc.wantErr || !strings.Contains(fb.Text, tc.want) {
				t.Fatalf("feedback = %+v, want error=%v containing %q", fb, tc.wantErr, tc.want)
			}
			rows, _ := r.st.OutboxRows(ctx, conv)
			card, sends := false, 0
			for _, row := range rows[len(beforeRows):] {
				card = card || row.Kind == bridge.KindCard || row.Kind == bridge.KindMove
				if row.Kind == bridge.KindCustomerSend {
					sends++
				}
			}
			if card != tc.card || sends != tc.sends {
				t.Errorf("card refresh %v (want %v), customer sends %d (want %d)", card, tc.card, sends, tc.sends)
			}
			audit, _ := r.st.AuditLog(ctx, conv)
			last := ""
			if len(audit) > len(beforeAudit) {
				last = audit[len(audit)-1].Action
				if a := audit[len(audit)-1]; a.Actor.ID != tc.who {
					t.Errorf("audit actor %s, want %s", a.Actor.ID, tc.who)
				}
			}
			if last != tc.audit {
				t.Errorf("audit %q, want %q", last, tc.audit)
			}
			if tc.check != nil {
				v, _ := r.st.ConversationView(ctx, conv)
				tc.check(t, v)
			}
		})
	}
}

func TestMembersOnlyDepartment(t *testing.T) {
	r, conv := workflowRig(t)
	r.say(t, conv, "slack:U0ALICE", "Alice", "!handoff engineering")
	fb := r.say(t, conv, "slack:U0ALICE", "Alice", "Let me check")
	if !fb.Error || !strings.Contains(fb.Text, "only members of engineering") {
		t.Errorf("non-member reply = %+v", fb)
	}
	if fb := r.say(t, conv, "slack:U0ALICE", "Alice", "// can someone from eng look?"); fb.Error {
		t.Errorf("non-member note refused: %s", fb.Text)
	}
	if fb := r.say(t, conv, "slack:U0ENG", "Eve", "!claim"); fb.Error {
		t.Errorf("member claim refused: %s", fb.Text)
	}
	if fb := r.say(t, conv, "slack:U0LEAD", "Lea", "!priority high"); fb.Error {
		t.Errorf("lead refused: %s", fb.Text)
	}
}

func TestBlockOthersRepliesAndPermissionsOverride(t *testing.T) {
	st := storetest.Open(t)
	dir := team.New(team.Options{Claims: team.Claims{BlockOthers: true}, Permissions: map[string]bridge.Role{"close": bridge.RoleLead}})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}, Directory: dir})
	table, _ := commands.All()
	h := commands.NewHandler(eng, table, commands.DefaultSyntax(), nil)
	res, _ := eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "v", Text: "hi"})
	say := func(who, text string) bridge.Feedback {
		fb, _ := h.HandleStaffMessage(context.Background(), bridge.StaffMessage{Surface: "slack", Conversation: res.Conversation,
			Actor: bridge.Actor{ID: bridge.StaffID("slack:" + who), Name: who}, Text: text})
		return fb
	}
	say("A", "!claim")
	if fb := say("B", "hello"); !fb.Error || !strings.Contains(fb.Text, "claimed by A; nothing was sent") {
		t.Errorf("blocked reply = %+v", fb)
	}
	if fb := say("B", "!reply hello anyway"); fb.Error {
		t.Errorf("!reply = %+v", fb)
	}
	if fb := say("A", "!close"); !fb.Error || !strings.Contains(fb.Text, "needs the lead role") {
		t.Errorf("close with override = %+v", fb)
	}
}

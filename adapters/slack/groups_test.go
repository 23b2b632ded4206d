package slack_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/storetest"
)

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type groupRig struct {
	*rig
	clock *clocktest.Clock // the group cache's TTL runs on it
	log   *logBuffer
}

// newGroupRig is newRig (Socket Mode) with departments from config: the
// Slack surface resolves the groups they name and the directory expands them.
func newGroupRig(t *testing.T, wf team.Options, groups map[string][]string) *groupRig {
	t.Helper()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	for id, users := range groups {
		fake.SetUserGroup(id, users...)
	}
	fake.AddUser("U0ALICE", "Alice")
	fake.AddUser("U0BOB", "Bob")
	fake.AddUser("U0CARL", "Carl")
	st := storetest.Open(t)
	cfg := slack.Config{BotToken: fake.BotToken, AppToken: fake.AppToken, ChannelID: channel, APIURL: fake.APIURL()}
	cfg.Defaults()
	g := &groupRig{rig: &rig{fake: fake, st: st, cust: adaptertest.NewChannel("webchat")},
		clock: clocktest.Monday(), log: &logBuffer{}}
	var ids []string
	for _, d := range wf.Departments {
		for _, id := range slices.Concat(d.Members, d.OnCall) {
			if s, ok := slack.GroupID(id); ok && !slices.Contains(ids, s) {
				ids = append(ids, s)
			}
		}
	}
	slices.Sort(ids)
	wf.StaffIDs = bridge.StaffIDForms{slack.StaffIDs()}
	g.surface = newSurface(t, cfg, slack.Options{Groups: ids, GroupTTL: 5 * time.Minute})
	dir := team.New(wf)
	dir.SetGroups(g.surface)
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{g.surface}, Channels: []bridge.CustomerChannel{g.cust},
		BaseBackoff: 20 * time.Millisecond, Pacing: map[bridge.Platform]bridge.Pacing{"slack": {}}})
	g.eng = engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}, Notify: ob.Notify, Directory: dir})
	initSurface(t, g.surface, bridge.Deps{Store: st, Core: g.eng, AttachmentsDir: t.TempDir(), Clock: g.clock,
		Log: slog.New(slog.NewTextHandler(g.log, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	table, err := commands.NewTable(append(commands.Core(), commands.Workflow()...)...)
	if err != nil {
		t.Fatal(err)
	}
	g.handler = commands.NewHandler(g.eng, table, commands.DefaultSyntax(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	done := make(chan struct{}, 2)
	go func() { ob.Run(ctx); done <- struct{}{} }()
	go func() { g.surface.Run(ctx, g.handler); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	adaptertest.Eventually(t, 5*time.Second, func() bool { return fake.Connected() == 1 }, "socket mode connected")
	return g
}

// say sends a staff message in the card's thread and waits for its ack
// (the adapter acknowledges after the work is committed).
func (g *groupRig) say(t *testing.T, card, user, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev, _ := g.fake.StaffMessage(channel, card, user, text)
	if _, err := g.fake.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
}

func billingOnly() team.Options {
	return team.Options{
		Departments: map[string]team.Department{"billing": {MembersOnly: true,
			Members: []bridge.StaffID{"slack:group:S0BILL"}, OnCall: []bridge.StaffID{"slack:group:S0BILL"}}},
		DefaultDepartment: "billing",
	}
}

func TestSlackGroupMemberMayActInMembersOnlyDepartment(t *testing.T) {
	g := newGroupRig(t, billingOnly(), map[string][]string{"S0BILL": {"U0ALICE", "U0CARL"}})
	g.customer(t, "I was charged twice")
	card := g.card(t)

	// The on-call group is mentioned as a group when the conversation comes in.
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		for _, m := range g.fake.Thread(channel, card) {
			if strings.Contains(m.Text, "on call: <!subteam^S0BILL>") {
				return true
			}
		}
		return false
	}, "on-call group mentioned")

	// Alice is in the group: her reply reaches the customer.
	g.say(t, card, "U0ALICE", "Refunded, sorry!")
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(g.cust.Deliveries()) == 1 }, "member's reply delivered")

	// Bob is not: refused, told why in the thread, nothing sent.
	g.say(t, card, "U0BOB", "Let me check")
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(g.fake.Ephemerals("U0BOB")) == 1 }, "refusal")
	e := g.fake.Ephemerals("U0BOB")[0]
	if !strings.Contains(e.Text, "only members of billing") || e.ThreadTS != card {
		t.Errorf("refusal = %+v", e)
	}
	// A note is still fine for him.
	g.say(t, card, "U0BOB", "// customer called too")
	// Buttons go through the same check.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := g.fake.Send(ctx, "interactive", g.fake.ButtonClick(channel, card, "U0BOB", "tl_claim", "1")); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(g.fake.Ephemerals("U0BOB")) == 2 }, "button refusal")
	if e := g.fake.Ephemerals("U0BOB")[1]; !strings.Contains(e.Text, "only members of billing") {
		t.Errorf("button refusal = %q", e.Text)
	}
	if _, err := g.fake.Send(ctx, "interactive", g.fake.ButtonClick(channel, card, "U0CARL", "tl_claim", "1")); err != nil {
		t.Fatal(err)
	}
	if v, _ := g.st.ConversationView(ctx, 1); v.Owner != "slack:U0CARL" {
		t.Errorf("group member's claim: owner = %q", v.Owner)
	}

	// Bob joins the group; after the cache's TTL he may reply.
	g.fake.SetUserGroup("S0BILL", "U0ALICE", "U0BOB", "U0CARL")
	g.clock.Advance(6 * time.Minute)
	g.say(t, card, "U0BOB", "!reply Confirmed on our side.")
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(g.cust.Deliveries()) == 2 }, "new member's reply delivered")
	if got := g.cust.Deliveries(); got[0].Text != "Refunded, sorry!" || got[1].Text != "Confirmed on our side." {
		t.Errorf("customer saw %+v", got)
	}
}

func TestSlackGroupCacheAndFailures(t *testing.T) {
	g := newGroupRig(t, billingOnly(), map[string][]string{"S0BILL": {"U0ALICE"}})
	g.customer(t, "hello")
	card := g.card(t)
	const method = "usergroups.users.list"

	// Within the TTL Slack is asked once, however often the group is needed.
	g.say(t, card, "U0ALICE", "one")
	g.say(t, card, "U0ALICE", "two")
	if n := g.fake.Calls(method); n != 1 {
		t.Errorf("%s called %d times within the TTL, want 1", method, n)
	}
	g.clock.Advance(5*time.Minute + time.Second)
	g.say(t, card, "U0ALICE", "three")
	if n := g.fake.Calls(method); n != 2 {
		t.Errorf("%s called %d times after the TTL, want 2", method, n)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(g.cust.Deliveries()) == 3 }, "replies delivered")

	// The scope is taken away: the group cannot be resolved, so Alice is
	// not a member. She is told why, nothing is sent, nothing crashes, and
	// the operator gets one warning for the whole episode.
	g.fake.SetScopes("chat:write", "channels:history", "users:read", "reactions:write")
	g.clock.Advance(5*time.Minute + time.Second)
	g.say(t, card, "U0ALICE", "four")
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(g.fake.Ephemerals("U0ALICE")) == 1 }, "refusal while unresolved")
	if e := g.fake.Ephemerals("U0ALICE")[0]; !strings.Contains(e.Text, "only members of billing") {
		t.Errorf("refusal = %q", e.Text)
	}
	calls := g.fake.Calls(method)
	g.say(t, card, "U0ALICE", "five") // within the retry wait: no new call
	if n := g.fake.Calls(method); n != calls {
		t.Errorf("failed group asked again at once (%d calls, want %d)", n, calls)
	}
	g.clock.Advance(2 * time.Minute)
	g.say(t, card, "U0ALICE", "six") // asked again, fails again: no second warning
	if n := g.fake.Calls(method); n != calls+1 {
		t.Errorf("%d calls after the retry wait, want %d", n, calls+1)
	}
	logs := g.log.String()
	if c := strings.Count(logs, "cannot resolve user group"); c != 1 || !strings.Contains(logs, "missing_scope") || !strings.Contains(logs, "usergroups:read") {
		t.Errorf("want one warning naming the missing scope, got %d:\n%s", c, logs)
	}
	if strings.Contains(logs, g.fake.BotToken) {
		t.Error("token in the log")
	}

	// The scope comes back: the next lookup after the wait resolves it.
	g.fake.SetScopes(fakeslack.DefaultScopes()...)
	g.clock.Advance(2 * time.Minute)
	g.say(t, card, "U0ALICE", "seven")
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(g.cust.Deliveries()) == 4 }, "reply after recovery")
	if got := g.cust.Deliveries(); got[3].Text != "seven" {
		t.Errorf("delivered %+v", got)
	}
	if !strings.Contains(g.log.String(), "user group resolves again") {
		t.Errorf("recovery not logged:\n%s", g.log.String())
	}

	// An unknown group: not a member, same once-per-episode warning.
	g.fake.RemoveUserGroup("S0BILL")
	g.clock.Advance(6 * time.Minute)
	g.say(t, card, "U0ALICE", "eight")
	adaptertest.Eventually(t, 5*time.Second, func() bool { return strings.Contains(g.log.String(), "no_such_subteam") }, "unknown group logged")
	if len(g.cust.Deliveries()) != 4 {
		t.Errorf("reply sent while the group is unknown: %+v", g.cust.Deliveries())
	}
}

func TestSlackGroupRoundRobin(t *testing.T) {
	wf := billingOnly()
	wf.Assignment = team.Assignment{Departments: []string{"billing"}}
	g := newGroupRig(t, wf, map[string][]string{"S0BILL": {"U0ALICE", "U0BOB"}})
	// Run resolves the configured groups at start; the directory then
	// expands them without waiting for Slack.
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		m, ok := g.surface.GroupMembers("slack:group:S0BILL")
		return ok && len(m) == 2
	}, "group resolved at start")
	if _, ok := g.surface.GroupMembers("slack:group:S0OTHER"); ok {
		t.Error("a group not in config resolved")
	}
	ctx := context.Background()
	var owners []bridge.StaffID
	for _, who := range []string{"a", "b", "c"} {
		res, err := g.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: who, Name: who, Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := g.st.ConversationView(ctx, res.Conversation)
		owners = append(owners, v.Owner)
	}
	if owners[0] != "slack:U0ALICE" || owners[1] != "slack:U0BOB" || owners[2] != "slack:U0ALICE" {
		t.Errorf("round robin over the group = %v", owners)
	}
}

func TestSlackGroupDoctorCheck(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	fake.SetUserGroup("S0BILL", "U1", "U2")
	cfg := slack.Config{BotToken: fake.BotToken, ChannelID: channel, APIURL: fake.APIURL(), SigningSecret: "s"}
	cfg.Defaults()
	s := newSurface(t, cfg, slack.Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, id string
		scopes   []string
		n        int
		err      string
	}{
		{"resolves", "S0BILL", nil, 2, ""},
		{"unknown group", "S0NOPE", nil, 0, "no_such_subteam: there is no user group with this id"},
		{"scope missing", "S0BILL", []string{"chat:write"}, 0, "missing_scope: the bot token lacks usergroups:read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.SetScopes(fakeslack.DefaultScopes()...)
			if tc.scopes != nil {
				fake.SetScopes(tc.scopes...)
			}
			n, err := s.CheckGroup(ctx, tc.id)
			if n != tc.n || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("CheckGroup = %d, %v; want %d, %q", n, err, tc.n, tc.err)
			}
		})
	}
	if got := slack.MissingScopes([]string{"chat:write"}, false); strings.Contains(strings.Join(got, ","), slack.GroupScope) {
		t.Errorf("usergroups:read required without groups: %v", got)
	}
	var without []string
	for _, sc := range fakeslack.DefaultScopes() {
		if sc != slack.GroupScope {
			without = append(without, sc)
		}
	}
	if got := slack.MissingScopes(without, true); len(got) != 1 || got[0] != slack.GroupScope {
		t.Errorf("usergroups:read not required with groups: %v", got)
	}
}

package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/store/storetest"
)

func workflowEngine(t *testing.T, cfg team.Options) (*rig, *engine.Engine) {
	st := storetest.Open(t)
	c := newClock()
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}, Clock: clocktest.Func(c.Now),
		Directory: team.New(cfg), Config: engine.Config{ReopenWindow: time.Hour}})
	return &rig{st: st, eng: eng, clock: c}, eng
}

func lastSystem(t *testing.T, r *rig, conv bridge.ConversationID) bridge.Message {
	ms, _ := r.st.Messages(context.Background(), conv, 0)
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Direction == bridge.DirSystem {
			return ms[i]
		}
	}
	t.Fatal("no system message")
	return bridge.Message{}
}

func TestRulesRouteNewConversations(t *testing.T) {
	r, eng := workflowEngine(t, team.Options{
		Departments:       map[string]team.Department{"support": {}, "billing": {OnCall: []bridge.StaffID{"slack:U0BILL"}}},
		DefaultDepartment: "support",
		Rules: []rules.Rule{
			{Name: "billing", When: rules.Match{Keywords: []string{"invoice"}}, Set: rules.Actions{Department: "billing", Priority: "high", Tags: []string{"billing"}, Reply: "ack"}},
			{Name: "upset", OnMessage: true, When: rules.Match{Negative: true}, Set: rules.Actions{Priority: "urgent", Tags: []string{"upset"}}},
		},
		Templates: map[string]string{"ack": "Hi {{customer}}, billing will answer {{conversation}} soon."},
	})
	ctx := context.Background()
	res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: "My invoice is wrong"})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := r.st.ConversationView(ctx, res.Conversation)
	if v.Department != "billing" || v.Priority != bridge.PriorityHigh || strings.Join(v.Tags, ",") != "billing" {
		t.Errorf("routed: %+v tags %v", v.Conversation, v.Tags)
	}
	ms, _ := r.st.Messages(ctx, res.Conversation, 0)
	var auto bridge.Message
	for _, m := range ms {
		if m.Direction == bridge.DirStaff {
			auto = m
		}
	}
	if auto.Body != "Hi Anna, billing will answer #1 soon." {
		t.Errorf("auto reply = %q", auto.Body)
	}
	if s := lastSystem(t, r, res.Conversation); !strings.Contains(s.Body, "billing; on call") || len(s.Mentions) != 1 || s.Mentions[0] != "slack:U0BILL" {
		t.Errorf("on-call ping = %+v", s)
	}
	// A later angry message raises priority and tags, never lowers.
	eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "This is unacceptable, worst service ever"})
	v, _ = r.st.ConversationView(ctx, res.Conversation)
	if v.Priority != bridge.PriorityUrgent || !strings.Contains(strings.Join(v.Tags, ","), "upset") {
		t.Errorf("after angry message: %s %v", v.Priority, v.Tags)
	}
	audit, _ := r.st.AuditLog(ctx, res.Conversation)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, ","); got != "created,routed,auto_reply,rules" {
		t.Errorf("audit = %s", got)
	}
	// Default department for everything else.
	res2, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v2", Text: "hello"})
	if c, _ := r.st.Conversation(ctx, res2.Conversation); c.Department != "support" || c.Priority != bridge.PriorityNormal {
		t.Errorf("default route: %+v", c)
	}
}

func TestSweepWakesSnoozesAndExpiresClaims(t *testing.T) {
	r, eng := workflowEngine(t, team.Options{Claims: team.Claims{ExpireAfter: 30 * time.Minute}})
	ctx := context.Background()
	alice := engine.StaffContext{Actor: bridge.Actor{ID: "slack:U1", Name: "Alice"}, Surface: "slack"}
	a, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "snooze me"})
	b, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "b", Text: "claim me"})
	c, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "c", Text: "answered claim"})
	alice.Conversation = a.Conversation
	eng.Claim(ctx, alice)
	if _, err := eng.Snooze(ctx, alice, r.clock.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	alice.Conversation = b.Conversation
	eng.Claim(ctx, alice)
	alice.Conversation = c.Conversation
	eng.Claim(ctx, alice)

	r.clock.Add(20 * time.Minute)
	eng.Reply(ctx, alice, "looking", nil) // c answered: its claim stays
	eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "c", Text: "thanks"})
	r.clock.Add(15 * time.Minute) // 35 minutes after the claims
	if err := eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if cb, _ := r.st.Conversation(ctx, b.Conversation); cb.Owner != "" {
		t.Errorf("unanswered claim kept: %+v", cb)
	} else if s := lastSystem(t, r, b.Conversation); !strings.Contains(s.Body, "Alice's claim expired") || s.Mentions[0] != "slack:U1" {
		t.Errorf("expiry notice = %+v", s)
	}
	if cc, _ := r.st.Conversation(ctx, c.Conversation); cc.Owner == "" {
		t.Error("answered claim expired")
	}
	if ca, _ := r.st.Conversation(ctx, a.Conversation); ca.Owner == "" || ca.SnoozedUntil.IsZero() {
		t.Errorf("snoozed conversation touched early: %+v", ca)
	}
	r.clock.Add(2 * time.Hour)
	eng.Sweep(ctx)
	eng.Sweep(ctx) // idempotent
	ca, _ := r.st.Conversation(ctx, a.Conversation)
	if !ca.SnoozedUntil.IsZero() {
		t.Error("snooze not over")
	}
	ms, _ := r.st.Messages(ctx, a.Conversation, 0)
	wakes := 0
	for _, m := range ms {
		if strings.Contains(m.Body, "Snooze is over") {
			wakes++
			if len(m.Mentions) != 1 || m.Mentions[0] != "slack:U1" {
				t.Errorf("wake-up does not ping the owner: %+v", m)
			}
		}
	}
	if wakes != 1 {
		t.Errorf("%d wake-ups, want 1", wakes)
	}
}

func TestCustomerWritingEndsSnooze(t *testing.T) {
	r, eng := workflowEngine(t, team.Options{})
	ctx := context.Background()
	res, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "hi"})
	sc := engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: "slack:U1", Name: "Alice"}}
	eng.Claim(ctx, sc)
	eng.Snooze(ctx, sc, r.clock.Now().Add(24*time.Hour))
	eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "any news?"})
	c, _ := r.st.Conversation(ctx, res.Conversation)
	if !c.SnoozedUntil.IsZero() {
		t.Error("still snoozed")
	}
	if s := lastSystem(t, r, res.Conversation); !strings.Contains(s.Body, "Snooze ended early") || s.Mentions[0] != "slack:U1" {
		t.Errorf("notice = %+v", s)
	}
}

func TestLinkCustomersMergesHistory(t *testing.T) {
	r, eng := workflowEngine(t, team.Options{})
	ctx := context.Background()
	a, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: "hi from web"})
	b, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "telegram", Address: "12345", Name: "Anna T", Text: "hi from telegram"})
	if _, err := eng.LinkCustomers(ctx, engine.StaffContext{Conversation: a.Conversation, Actor: bridge.Actor{Name: "Bob"}}, b.Conversation); err != nil {
		t.Fatal(err)
	}
	ca, _ := r.st.Conversation(ctx, a.Conversation)
	convs, _ := r.st.CustomerConversations(ctx, ca.Customer, 10)
	if len(convs) != 2 {
		t.Errorf("history has %d conversations, want 2", len(convs))
	}
	// The Telegram identity now belongs to the merged customer.
	res, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "telegram", Address: "12345", Text: "again"})
	if cc, _ := r.st.Conversation(ctx, res.Conversation); cc.Customer != ca.Customer {
		t.Errorf("new message customer %d, want %d", cc.Customer, ca.Customer)
	}
}

func TestRoundRobinAssignmentCapacityAndReassign(t *testing.T) {
	r, eng := workflowEngine(t, team.Options{
		Departments:       map[string]team.Department{"support": {Members: []bridge.StaffID{"slack:A", "slack:B", "slack:C"}}},
		DefaultDepartment: "support",
		Staff:             []team.Staff{{ID: "slack:A", Name: "Ann"}, {ID: "slack:B", Name: "Bo"}, {ID: "slack:C", Name: "Cy"}},
		Assignment:        team.Assignment{Departments: []string{"support"}, Capacity: 1, ReassignAfter: 15 * time.Minute},
	})
	ctx := context.Background()
	var ids []bridge.ConversationID
	for i := 0; i < 4; i++ {
		res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprint("v", i), Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Conversation)
	}
	owners := func() string {
		var out []string
		for _, id := range ids {
			c, _ := r.st.Conversation(ctx, id)
			out = append(out, string(c.Owner))
		}
		return strings.Join(out, ",")
	}
	if got := owners(); got != "slack:A,slack:B,slack:C," {
		t.Fatalf("round robin = %s (the 4th waits: everyone is at capacity)", got)
	}
	// Bo answers theirs; Ann does not. Cy's customer is answered too.
	eng.Reply(ctx, engine.StaffContext{Conversation: ids[1], Actor: bridge.Actor{ID: "slack:B", Name: "Bo"}}, "hi", nil)
	eng.Close(ctx, engine.StaffContext{Conversation: ids[1], Actor: bridge.Actor{ID: "slack:B", Name: "Bo"}}, "")
	eng.Reply(ctx, engine.StaffContext{Conversation: ids[2], Actor: bridge.Actor{ID: "slack:C", Name: "Cy"}}, "hi", nil)
	r.clock.Add(16 * time.Minute)
	if err := eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	c0, _ := r.st.Conversation(ctx, ids[0])
	if c0.Owner != "slack:B" {
		t.Errorf("unanswered #1 went to %q, want slack:B (next with capacity, not Ann again)", c0.Owner)
	}
	if s := lastSystem(t, r, ids[0]); !strings.Contains(s.Body, "Ann did not answer within 15m0s; reassigned to Bo") {
		t.Errorf("notice = %q", s.Body)
	}
	c2, _ := r.st.Conversation(ctx, ids[2])
	if c2.Owner != "slack:C" {
		t.Errorf("answered conversation reassigned: %q", c2.Owner)
	}
}

// TestRulesRouteByEntryPoint: the address the customer wrote to routes the
// conversation and is remembered as its entry point.
func TestRulesRouteByEntryPoint(t *testing.T) {
	r, eng := workflowEngine(t, team.Options{
		Departments:       map[string]team.Department{"support": {}, "sales": {}, "billing": {}},
		DefaultDepartment: "support",
		Rules: []rules.Rule{
			{Name: "sales", When: rules.Match{To: []string{"sales@example.com"}}, Set: rules.Actions{Department: "sales"}},
			{Name: "billing", When: rules.Match{Channels: []bridge.Platform{"webchat"}, To: []string{"billing"}}, Set: rules.Actions{Department: "billing"}},
		},
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		in       bridge.InboundMessage
		dept     string
		entry    string
		via      string
		auditVia string
	}{
		{"mail to an alias", bridge.InboundMessage{Channel: "email", Address: "dana@customer.example", Text: "quote?",
			To: []string{" Sales+Promo@Example.com", "support@example.com", "sales+promo@example.com"}},
			"sales", "sales@example.com", "sales@example.com", "email via sales@example.com"},
		{"widget", bridge.InboundMessage{Channel: "webchat", Address: "v-billing", Text: "invoice", To: []string{"billing"}},
			"billing", "billing", "widget billing", "webchat via widget billing"},
		{"bot", bridge.InboundMessage{Channel: "telegram", Address: "42", Text: "hi", To: []string{"@Acme_Bot"}},
			"support", "@acme_bot", "@acme_bot", "telegram via @acme_bot"},
		{"unknown entry", bridge.InboundMessage{Channel: "webchat", Address: "v-plain", Text: "hi", To: []string{"", "  "}},
			"support", "", "", "webchat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := eng.Deliver(ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := r.st.Conversation(ctx, res.Conversation)
			if c.Department != tc.dept || c.Entry != tc.entry || c.Via() != tc.via {
				t.Errorf("department %q entry %q via %q, want %q %q %q", c.Department, c.Entry, c.Via(), tc.dept, tc.entry, tc.via)
			}
			audit, _ := r.st.AuditLog(ctx, res.Conversation)
			if len(audit) == 0 || audit[0].Action != "created" || audit[0].Detail != tc.auditVia {
				t.Errorf("audit = %+v, want created %q", audit, tc.auditVia)
			}
		})
	}
	// A later message to another address neither re-routes nor changes
	// the entry point.
	res, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "email", Address: "dana@customer.example", Text: "also billing",
		To: []string{"billing@example.com"}})
	if c, _ := r.st.Conversation(ctx, res.Conversation); res.Created || c.Department != "sales" || c.Entry != "sales@example.com" {
		t.Errorf("later message: created %v, %+v", res.Created, c)
	}
}

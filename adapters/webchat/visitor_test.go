package webchat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
)

const wait = 10 * time.Second

func visitorOf(tok string) string { return strings.Split(tok, ".")[1] }

func (f *fixture) say(t *testing.T, tok string, body map[string]any) map[string]any {
	t.Helper()
	r := f.do(t, "POST", "/chat/api/messages", tok, "", body)
	if r.status != 202 {
		t.Fatalf("post %v: %d %v", body, r.status, r.body)
	}
	return r.body["message"].(map[string]any)
}

func convOf(m map[string]any) bridge.ConversationID {
	return bridge.ConversationID(m["conversation"].(float64))
}

// TestAnonymousVisitorsGetAHandle: a visitor who gave no name is
// "Visitor <n>" to staff (lists, cards, !status read the conversation's
// customer name), numbered in order, the same on every message; a name
// given later replaces it, and is not replaced back.
func TestAnonymousVisitorsGetAHandle(t *testing.T) {
	f := newFixture(t, nil)
	a, b := f.session(t), f.session(t)
	ca := convOf(f.say(t, a, map[string]any{"text": "hello?"}))
	cb := convOf(f.say(t, b, map[string]any{"text": "anyone there?"}))
	f.say(t, a, map[string]any{"text": "still here"})
	name := func(c bridge.ConversationID) string {
		t.Helper()
		conv, err := f.st.Conversation(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return conv.CustomerName
	}
	if name(ca) != "Visitor 1" || name(cb) != "Visitor 2" {
		t.Errorf("handles %q %q, want Visitor 1 and Visitor 2", name(ca), name(cb))
	}
	ms, _ := f.st.Messages(context.Background(), ca, 0)
	for _, m := range ms {
		if m.Author != "Visitor 1" {
			t.Errorf("message %d by %q", m.ID, m.Author)
		}
	}
	f.say(t, a, map[string]any{"text": "I'm Anna", "name": "Anna"})
	f.say(t, a, map[string]any{"text": "and again"})
	if name(ca) != "Anna" {
		t.Errorf("after giving a name: %q", name(ca))
	}
}

// TestTheAcknowledgementGreetsAnAnonymousVisitorWithoutAName: the default
// "Thanks for your message, {{customer}}!" reads "Thanks for your
// message!" for a visitor with a handle, and names one who gave a name.
func TestTheAcknowledgementGreetsAnAnonymousVisitorWithoutAName(t *testing.T) {
	f := fixtureWith(t, nil, func(o *engine.Options) {
		o.SLA = sla.New(sla.Options{Acknowledgement: sla.Acknowledgement{Enabled: true, Template: "Thanks for your message, {{customer}}! We usually answer within {{expected_wait}}."},
			Policies: []sla.Policy{{FirstResponse: 5 * time.Minute}}})
	})
	for _, tc := range []struct{ name, want string }{
		{"", "Thanks for your message! We usually answer within about 5 minutes."},
		{"Bo", "Thanks for your message, Bo! We usually answer within about 5 minutes."},
	} {
		tok := f.session(t)
		f.say(t, tok, map[string]any{"text": "hi", "name": tc.name})
		r := f.do(t, "GET", "/chat/api/messages", tok, "", nil)
		ms := r.body["messages"].([]any)
		if len(ms) != 2 {
			t.Fatalf("history %v", ms)
		}
		if ack := ms[1].(map[string]any)["text"]; ack != tc.want {
			t.Errorf("name %q: acknowledged %q, want %q", tc.name, ack, tc.want)
		}
	}
}

// TestSeenFollowsWhatStaffDid: a visitor's message is "seen" once staff
// answered or wrote a note after it; an automatic acknowledgement does not
// count. The live reply carries seen_until.
func TestSeenFollowsWhatStaffDid(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	first := f.say(t, tok, map[string]any{"text": "one"})
	conv := convOf(first)
	seen := func() []bool {
		r := f.do(t, "GET", "/chat/api/messages", tok, "", nil)
		var out []bool
		for _, m := range r.body["messages"].([]any) {
			if mm := m.(map[string]any); mm["from"] == "customer" {
				out = append(out, mm["seen"] == true)
			}
		}
		return out
	}
	if s := seen(); len(s) != 1 || s[0] {
		t.Fatalf("before staff acted: %v", s)
	}
	if err := f.eng.Notice(context.Background(), conv, "console", "an automatic notice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Note(context.Background(), engine.StaffContext{Conversation: conv, Actor: bridge.Actor{ID: "console:sam", Name: "Sam"}}, "looking", nil); err != nil {
		t.Fatal(err)
	}
	f.say(t, tok, map[string]any{"text": "two"})
	if s := seen(); len(s) != 2 || !s[0] || s[1] {
		t.Errorf("after a note: %v, want [true false]", s)
	}

	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "auth", "token": tok})
	readFrame(t, c)
	out, err := f.eng.Reply(context.Background(), engine.StaffContext{Conversation: conv, Actor: bridge.Actor{ID: "console:sam", Name: "Sam"}}, "on it", nil)
	if err != nil {
		t.Fatal(err)
	}
	conversation, _ := f.st.Conversation(context.Background(), conv)
	if _, err := f.ad.Send(context.Background(), bridge.Delivery{Conversation: conv, Message: out, Address: conversation.Address, Author: "Sam", Text: "on it"}); err != nil {
		t.Fatal(err)
	}
	fr := readFrame(t, c)
	if fr["type"] != "message" || fr["seen_until"] != float64(out) {
		t.Errorf("live reply = %v, want seen_until %d", fr, out)
	}
	if s := seen(); len(s) != 2 || !s[0] || !s[1] {
		t.Errorf("after a reply: %v", s)
	}
}

// TestWhatTheVisitorReadIsRecorded: the widget says which staff messages
// it showed (WebSocket or HTTP); the next session counts from there, and
// ReadUntil (for a later email digest) only moves forward.
func TestWhatTheVisitorReadIsRecorded(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	v := visitorOf(tok)
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "auth", "token": tok})
	readFrame(t, c)
	c.WriteJSON(map[string]any{"type": "read", "id": 7})
	c.WriteJSON(map[string]any{"type": "ping"})
	if fr := readFrame(t, c); fr["type"] != "pong" {
		t.Fatalf("frame %v", fr)
	}
	if n, err := f.ad.ReadUntil(context.Background(), v); n != 7 || err != nil {
		t.Errorf("read until %d, %v", n, err)
	}
	if r := f.do(t, "POST", "/chat/api/read", tok, "", map[string]any{"id": 5}); r.status != 204 {
		t.Errorf("read over HTTP: %d %v", r.status, r.body)
	}
	if r := f.do(t, "POST", "/chat/api/read", tok, "", map[string]any{"id": 12}); r.status != 204 {
		t.Errorf("read over HTTP: %d %v", r.status, r.body)
	}
	if n, _ := f.ad.ReadUntil(context.Background(), v); n != 12 {
		t.Errorf("read until %d, want 12 (never backwards)", n)
	}
	r := f.do(t, "POST", "/chat/api/session", "", "", map[string]any{"token": tok})
	if r.body["read_until"] != float64(12) {
		t.Errorf("session = %v", r.body)
	}
	if r := f.do(t, "POST", "/chat/api/read", "", "", map[string]any{"id": 12}); r.status != 401 {
		t.Errorf("read without a token: %d", r.status)
	}
}

// TestTypingTravelsBothWays: a visitor's typing reaches the relay for the
// staff surfaces (with their conversation, throttled); staff typing in
// that conversation reaches the visitor's widget, and nobody else's.
func TestTypingTravelsBothWays(t *testing.T) {
	f := newFixture(t, nil)
	got := make(chan bridge.Typing, 10)
	cancel := bridge.SubscribeTyping(f.relay, func(tp bridge.Typing) { got <- tp })
	defer cancel()
	tok := f.session(t)
	conv := convOf(f.say(t, tok, map[string]any{"text": "hi", "name": "Anna"}))
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "auth", "token": tok})
	readFrame(t, c)
	other := f.session(t)
	f.say(t, other, map[string]any{"text": "me too"})
	oc, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	oc.WriteJSON(map[string]any{"type": "auth", "token": other})
	readFrame(t, oc)

	for range 3 {
		c.WriteJSON(map[string]any{"type": "typing"})
	}
	select {
	case tp := <-got:
		if tp.Staff || tp.Conversation != conv || tp.Name != "Anna" {
			t.Errorf("typing = %+v, want the customer in %s", tp, conv)
		}
	case <-time.After(wait):
		t.Fatal("no typing indicator")
	}
	select {
	case tp := <-got:
		t.Errorf("a burst passed on twice: %+v", tp)
	case <-time.After(200 * time.Millisecond):
	}
	f.now.Advance(4 * time.Second)
	c.WriteJSON(map[string]any{"type": "typing"})
	select {
	case <-got:
	case <-time.After(wait):
		t.Fatal("typing a few seconds later was not passed on")
	}

	if err := bridge.PublishTyping(context.Background(), f.relay, bridge.Typing{Conversation: conv, Staff: true, Name: "Sam", Surface: "discord"}); err != nil {
		t.Fatal(err)
	}
	if fr := readFrame(t, c); fr["type"] != "typing" || fr["name"] != "Sam" {
		t.Errorf("staff typing frame = %v", fr)
	}
	oc.WriteJSON(map[string]any{"type": "ping"})
	if fr := readFrame(t, oc); fr["type"] != "pong" {
		t.Errorf("another visitor got %v", fr)
	}
}

// TestIdentifyNeedsTheSitesSignature: a valid signature gives the same
// visitor (and history) on any device; a wrong one, or none configured,
// is refused with a reason.
func TestIdentifyNeedsTheSitesSignature(t *testing.T) {
	secret := "identity-secret-0123456789"
	f := newFixture(t, func(c *webchat.Config) { c.IdentitySecret = secret })
	sig := webchat.IdentitySignature([]byte(secret), "Anna@Example.com ")
	laptop := f.do(t, "POST", "/chat/api/session", "", "", map[string]any{"identity": map[string]any{"email": "anna@example.com", "name": "Anna", "signature": sig}})
	if laptop.status != 200 || laptop.body["identified"] != true {
		t.Fatalf("identify: %d %v", laptop.status, laptop.body)
	}
	f.say(t, laptop.body["token"].(string), map[string]any{"text": "from my laptop", "name": "Anna", "email": "anna@example.com"})
	// Another device with its own anonymous token, then identified.
	phoneTok := f.session(t)
	phone := f.do(t, "POST", "/chat/api/session", "", "", map[string]any{"token": phoneTok, "identity": map[string]any{"email": "ANNA@example.com", "signature": strings.ToUpper(sig)}})
	if phone.body["visitor"] != laptop.body["visitor"] {
		t.Fatalf("phone visitor %v, laptop %v", phone.body["visitor"], laptop.body["visitor"])
	}
	h := f.do(t, "GET", "/chat/api/messages", phone.body["token"].(string), "", nil)
	if ms := h.body["messages"].([]any); len(ms) != 1 || ms[0].(map[string]any)["text"] != "from my laptop" {
		t.Errorf("the phone sees %v", ms)
	}
	for _, tc := range []struct {
		identity map[string]any
		status   int
		code     string
	}{
		{map[string]any{"email": "anna@example.com", "signature": strings.Repeat("0", 64)}, 403, "bad_signature"},
		{map[string]any{"email": "bob@example.com", "signature": sig}, 403, "bad_signature"},
		{map[string]any{"email": "", "signature": sig}, 400, "bad_identity"},
	} {
		if r := f.do(t, "POST", "/chat/api/session", "", "", map[string]any{"identity": tc.identity}); r.status != tc.status || r.body["code"] != tc.code {
			t.Errorf("%v: %d %v", tc.identity, r.status, r.body)
		}
	}
	plain := newFixture(t, nil)
	if r := plain.do(t, "POST", "/chat/api/session", "", "", map[string]any{"identity": map[string]any{"email": "anna@example.com", "signature": sig}}); r.status != 400 || r.body["code"] != "identity_not_configured" {
		t.Errorf("without a secret: %d %v", r.status, r.body)
	}
}

// TestThePreChatFormRoutesAndRequires: the chosen department reaches the
// routing rules like a widget name; required fields hold back only the
// first message; a department that is not a choice is refused.
func TestThePreChatFormRoutesAndRequires(t *testing.T) {
	f := fixtureWith(t, func(c *webchat.Config) {
		c.PreChat = webchat.PreChat{Email: webchat.FieldRequired, Departments: []webchat.DepartmentChoice{{Label: "Sales", To: "sales"}, {Label: "Billing", To: "Billing"}}}
	}, func(o *engine.Options) {
		o.Directory = team.New(team.Options{
			Departments: map[string]team.Department{"support": {}, "billing": {}}, DefaultDepartment: "support",
			Rules: []rules.Rule{{When: rules.Match{To: []string{"billing"}}, Set: rules.Actions{Department: "billing"}}},
		})
	})
	tok := f.session(t)
	for _, tc := range []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"text": "hi", "department": "sales"}, "prechat_required"},
		{map[string]any{"text": "hi", "email": "a@example.com"}, "prechat_required"},
		{map[string]any{"text": "hi", "email": "not an address", "department": "sales"}, "bad_email"},
		{map[string]any{"text": "hi", "email": "a@example.com", "department": "support"}, "bad_department"},
	} {
		if r := f.do(t, "POST", "/chat/api/messages", tok, "", tc.body); r.status != 400 || r.body["code"] != tc.code {
			t.Errorf("%v: %d %v, want %s", tc.body, r.status, r.body, tc.code)
		}
	}
	m := f.say(t, tok, map[string]any{"text": "I was charged twice", "email": "a@example.com", "department": "billing"})
	if c := f.conversationOf(t, m["conversation"]); c.Department != "billing" || c.Entry != "billing" {
		t.Errorf("department %q entry %q, want billing", c.Department, c.Entry)
	}
	// The form is for the first message only.
	f.say(t, tok, map[string]any{"text": "any news?"})
}

// TestTheSessionSaysWhenStaffAnswer: inside business hours the session
// says open with the usual wait; outside, when staff are back.
func TestTheSessionSaysWhenStaffAnswer(t *testing.T) {
	var av webchat.Availability
	f := newFixture(t, nil, func(o *webchat.Options) {
		o.Availability = func(time.Time) webchat.Availability { return av }
	})
	av = webchat.Availability{Open: true, ExpectedWait: 10 * time.Minute}
	r := f.do(t, "POST", "/chat/api/session", "", "", nil)
	if r.body["open"] != true || r.body["expected_wait"] != float64(600) || r.body["opens_at"] != nil {
		t.Errorf("open: %v", r.body)
	}
	back := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	av = webchat.Availability{Opens: back, ExpectedWait: 10 * time.Minute}
	r = f.do(t, "POST", "/chat/api/session", "", "", nil)
	if r.body["open"] != false || r.body["opens_at"] != "2030-01-07T09:00:00Z" {
		t.Errorf("closed: %v", r.body)
	}
	plain := newFixture(t, nil)
	if r := plain.do(t, "POST", "/chat/api/session", "", "", nil); r.body["open"] != true || r.body["expected_wait"] != nil {
		t.Errorf("no calendar: %v", r.body)
	}
}

package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type rig struct {
	st    *sqlite.Store
	eng   *engine.Engine
	clock *clock
}

func newRig(t *testing.T, surfaces ...bridge.Platform) *rig {
	st := storetest.Open(t)
	c := newClock()
	eng := engine.New(engine.Options{Store: st, Surfaces: surfaces, Clock: clocktest.Func(c.Now),
		Config: engine.Config{ReopenWindow: 24 * time.Hour}})
	return &rig{st: st, eng: eng, clock: c}
}

func (r *rig) outbox(t *testing.T, conv bridge.ConversationID) []store.OutboxRow {
	t.Helper()
	rows, err := r.st.OutboxRows(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func kinds(rows []store.OutboxRow) string {
	var s []string
	for _, r := range rows {
		s = append(s, string(r.Target)+"/"+string(r.Kind))
	}
	return strings.Join(s, " ")
}

func msg(addr, ext, text string) bridge.InboundMessage {
	return bridge.InboundMessage{Channel: "webchat", Address: addr, ExternalID: ext, Name: "Anna", Text: text}
}

func TestDeliverCreatesConversationAndQueuesStaffPosts(t *testing.T) {
	r := newRig(t, "slack", "console")
	ctx := context.Background()
	res, err := r.eng.Deliver(ctx, msg("v1", "m1", "Hello, my order is late"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Duplicate || res.Conversation == 0 {
		t.Fatalf("result = %+v", res)
	}
	c, err := r.st.Conversation(ctx, res.Conversation)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != bridge.StatusOpen || c.Subject != "Hello, my order is late" || c.CustomerName != "Anna" || c.Priority != bridge.PriorityNormal {
		t.Errorf("conversation = %+v", c)
	}
	if got := kinds(r.outbox(t, c.ID)); got != "slack/staff_post console/staff_post" {
		t.Errorf("outbox = %s", got)
	}
	// Same customer, same channel: the open conversation gets the message.
	res2, err := r.eng.Deliver(ctx, msg("v1", "m2", "Any news?"))
	if err != nil || res2.Conversation != c.ID || res2.Created {
		t.Fatalf("second message: %+v %v", res2, err)
	}
}

func TestDeliverRedeliveryIsStoredOnce(t *testing.T) {
	r := newRig(t, "console")
	ctx := context.Background()
	first, err := r.eng.Deliver(ctx, msg("v1", "same-id", "hi"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		again, err := r.eng.Deliver(ctx, msg("v1", "same-id", "hi"))
		if err != nil {
			t.Fatal(err)
		}
		if !again.Duplicate || again.Message != first.Message {
			t.Fatalf("redelivery %d = %+v, want duplicate of %d", i, again, first.Message)
		}
	}
	ms, _ := r.st.Messages(ctx, first.Conversation, 0)
	if len(ms) != 1 {
		t.Errorf("stored %d messages, want 1", len(ms))
	}
	if n := len(r.outbox(t, first.Conversation)); n != 1 {
		t.Errorf("outbox rows = %d, want 1", n)
	}
}

func TestDeliverReopensWithinWindowElseStartsNew(t *testing.T) {
	r := newRig(t, "console")
	ctx := context.Background()
	staff := bridge.Actor{ID: "console:bob", Name: "Bob"}
	res, _ := r.eng.Deliver(ctx, msg("v1", "a", "first issue"))
	if _, err := r.eng.Close(ctx, engine.StaffContext{Conversation: res.Conversation, Actor: staff}, "solved"); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(2 * time.Hour)
	again, err := r.eng.Deliver(ctx, msg("v1", "b", "actually, one more thing"))
	if err != nil {
		t.Fatal(err)
	}
	if again.Conversation != res.Conversation || !again.Reopened {
		t.Fatalf("within window: %+v, want reopen of %s", again, res.Conversation)
	}
	c, _ := r.st.Conversation(ctx, res.Conversation)
	if c.Status != bridge.StatusOpen || !c.ClosedAt.IsZero() {
		t.Errorf("after reopen: %+v", c)
	}
	if _, err := r.eng.Close(ctx, engine.StaffContext{Conversation: res.Conversation, Actor: staff}, ""); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(25 * time.Hour)
	later, err := r.eng.Deliver(ctx, msg("v1", "c", "new problem"))
	if err != nil {
		t.Fatal(err)
	}
	if later.Conversation == res.Conversation || !later.Created {
		t.Fatalf("after window: %+v, want a new conversation", later)
	}
}

func TestDeliverThreadHints(t *testing.T) {
	r := newRig(t, "console")
	ctx := context.Background()
	in := bridge.InboundMessage{Channel: "email", Address: "a@example.com", ExternalID: "<m1@x>", Text: "first", StartsThread: true}
	first, _ := r.eng.Deliver(ctx, in)
	// A fresh email thread from the same address is a new conversation.
	in2 := bridge.InboundMessage{Channel: "email", Address: "a@example.com", ExternalID: "<m2@x>", Text: "other topic", StartsThread: true}
	second, _ := r.eng.Deliver(ctx, in2)
	if second.Conversation == first.Conversation {
		t.Fatal("StartsThread message joined the open conversation")
	}
	// A reply referencing the first message joins it.
	in3 := bridge.InboundMessage{Channel: "email", Address: "a@example.com", ExternalID: "<m3@x>", Text: "re", References: []string{"<m1@x>"}}
	third, _ := r.eng.Deliver(ctx, in3)
	if third.Conversation != first.Conversation {
		t.Fatalf("reply by reference went to %s, want %s", third.Conversation, first.Conversation)
	}
	// A subject hint only counts for the same customer.
	in4 := bridge.InboundMessage{Channel: "email", Address: "mallory@example.com", ExternalID: "<m4@x>", Text: "hi", ConversationHint: first.Conversation, StartsThread: true}
	fourth, _ := r.eng.Deliver(ctx, in4)
	if fourth.Conversation == first.Conversation {
		t.Fatal("another customer's hint joined the conversation")
	}
}

func TestEmailLinksCustomersAcrossChannels(t *testing.T) {
	r := newRig(t, "console")
	ctx := context.Background()
	a, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v9", Email: "x@example.com", Text: "hi"})
	b, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "email", Address: "x@example.com", Email: "x@example.com", Text: "hi again", StartsThread: true})
	ca, _ := r.st.Conversation(ctx, a.Conversation)
	cb, _ := r.st.Conversation(ctx, b.Conversation)
	if ca.Customer != cb.Customer {
		t.Errorf("customers %d and %d, want one customer", ca.Customer, cb.Customer)
	}
}

func TestStaffReplyAndCommands(t *testing.T) {
	r := newRig(t, "slack", "console")
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "help"))
	alice := bridge.Actor{ID: "slack:U1", Name: "Alice"}
	sc := engine.StaffContext{Conversation: res.Conversation, Actor: alice, Surface: "slack", ExternalID: "1700.01"}
	before := len(r.outbox(t, res.Conversation))
	id, err := r.eng.Reply(ctx, sc, "On it!", nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := r.outbox(t, res.Conversation)[before:]
	// To the customer, mirrored to console (not back to slack), cards on both.
	if got := kinds(rows); got != "webchat/customer_send slack/card console/staff_post console/card" {
		t.Errorf("reply outbox = %s", got)
	}
	// Slack redelivers the same message: stored once.
	id2, err := r.eng.Reply(ctx, sc, "On it!", nil)
	if err != nil || id2 != id {
		t.Fatalf("redelivered reply = %d, %v; want %d", id2, err, id)
	}
	c, _ := r.st.Conversation(ctx, res.Conversation)
	if c.Status != bridge.StatusWaiting || c.FirstResponseAt.IsZero() {
		t.Errorf("after reply: %+v", c)
	}
	sc.ExternalID = ""
	if _, err := r.eng.Claim(ctx, sc); err != nil {
		t.Fatal(err)
	}
	bob := sc
	bob.Actor = bridge.Actor{ID: "slack:U2", Name: "Bob"}
	_, err = r.eng.Claim(ctx, bob)
	var rej *bridge.RejectionError
	if !errors.As(err, &rej) || !strings.Contains(rej.Reason, "claimed by Alice") {
		t.Errorf("second claim: %v", err)
	}
	if _, err := r.eng.Close(ctx, sc, "done"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.eng.Reply(ctx, sc, "hello?", nil); !errors.As(err, &rej) {
		t.Errorf("reply to closed conversation: %v, want refusal", err)
	}
	audit, _ := r.st.AuditLog(ctx, res.Conversation)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action+":"+a.Actor.Name)
	}
	if got := strings.Join(actions, " "); got != "created:Anna reply:Alice claim:Alice close:Alice" {
		t.Errorf("audit = %s", got)
	}
}

func TestNoteNeverReachesCustomer(t *testing.T) {
	r := newRig(t, "slack", "console")
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "help"))
	before := len(r.outbox(t, res.Conversation))
	if _, err := r.eng.Note(ctx, engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: "console:b", Name: "B"}, Surface: "console"}, "customer seems upset", nil); err != nil {
		t.Fatal(err)
	}
	if got := kinds(r.outbox(t, res.Conversation)[before:]); got != "slack/staff_post" {
		t.Errorf("note outbox = %s", got)
	}
}

func TestConcurrentDeliveriesShareTransactions(t *testing.T) {
	r := newRig(t, "console")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := r.eng.Deliver(ctx, msg("v"+string(rune('a'+i%20)), "id"+string(rune(i+'0')), "hello"))
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	convs, err := r.st.ListConversations(ctx, store.ListFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 20 {
		t.Errorf("%d conversations, want 20 (one per visitor)", len(convs))
	}
	total := 0
	for _, c := range convs {
		total += c.MessageCount
	}
	if total != 200 {
		t.Errorf("%d messages stored, want 200", total)
	}
}

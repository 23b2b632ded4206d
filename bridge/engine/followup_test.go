package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

// followRig is a rig whose web chat replies are followed up on
// "webchat-email" after two minutes, for visitors with a "reach" cursor.
func followRig(t *testing.T) *rig {
	st := storetest.Open(t)
	c := newClock()
	wanted := func(tx bridge.CursorTx, conv bridge.Conversation) (bool, error) {
		v, err := tx.GetCursor("test", "reach:"+conv.Address)
		return v != "", err
	}
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Clock: clocktest.Func(c.Now),
		Config:    engine.Config{ReopenWindow: 24 * time.Hour},
		FollowUps: []engine.FollowUp{{Channel: "webchat", Target: "webchat-email", After: 2 * time.Minute, Wanted: wanted}}})
	return &rig{st: st, eng: eng, clock: c}
}

func TestStaffReplyQueuesItsFollowUpDueLater(t *testing.T) {
	r := followRig(t)
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "help"))
	sc := engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: "console:a", Name: "A"}, Surface: "console"}

	// No way to reach v1 by email yet: no follow-up.
	before := len(r.outbox(t, res.Conversation))
	if _, err := r.eng.Reply(ctx, sc, "first", nil); err != nil {
		t.Fatal(err)
	}
	if got := kinds(r.outbox(t, res.Conversation)[before:]); got != "webchat/customer_send console/card" {
		t.Errorf("reply without a way to follow up = %s", got)
	}

	if err := r.st.SetCursor(ctx, "test", "reach:v1", "v1@example.com"); err != nil {
		t.Fatal(err)
	}
	before = len(r.outbox(t, res.Conversation))
	id, err := r.eng.Reply(ctx, sc, "second", nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := r.outbox(t, res.Conversation)[before:]
	if got := kinds(rows); got != "webchat/customer_send webchat-email/customer_send" {
		t.Fatalf("reply outbox = %s", got)
	}
	f := rows[1]
	if f.Message != id || !f.NextAttempt.Equal(r.clock.Now().Add(2*time.Minute)) {
		t.Errorf("follow-up row = message %d due %s; want message %d due two minutes after the reply", f.Message, f.NextAttempt, id)
	}
	// Nothing is due before then: the web chat send is, the follow-up not.
	due, _ := r.st.DueOutbox(ctx, r.clock.Now().Add(time.Minute), 100, nil)
	for _, it := range due {
		if it.Target == "webchat-email" {
			t.Errorf("follow-up due after one minute")
		}
	}
	due, _ = r.st.DueOutbox(ctx, r.clock.Now().Add(2*time.Minute), 100, nil)
	found := false
	for _, it := range due {
		found = found || it.Target == "webchat-email"
	}
	if !found {
		t.Error("follow-up not due two minutes after the reply")
	}
}

func TestNotesAndOtherChannelsAreNotFollowedUp(t *testing.T) {
	r := followRig(t)
	ctx := context.Background()
	r.st.SetCursor(ctx, "test", "reach:a@example.com", "yes")
	res, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "email", Address: "a@example.com", Text: "hi", StartsThread: true})
	sc := engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: "console:a", Name: "A"}, Surface: "console"}
	r.eng.Reply(ctx, sc, "email reply", nil)
	r.st.SetCursor(ctx, "test", "reach:v2", "yes")
	web, _ := r.eng.Deliver(ctx, msg("v2", "m2", "hi"))
	r.eng.Note(ctx, engine.StaffContext{Conversation: web.Conversation, Actor: sc.Actor, Surface: "console"}, "a note", nil)
	for _, conv := range []bridge.ConversationID{res.Conversation, web.Conversation} {
		for _, row := range r.outbox(t, conv) {
			if row.Target == "webchat-email" {
				t.Errorf("conversation %s: follow-up for %s message %d", conv, row.Kind, row.Message)
			}
		}
	}
}

// TestSignedHintJoinsAnotherChannelsConversation: an email answer carrying
// a token signed for its sender joins the web chat conversation it answers,
// stored as an email message; an unsigned hint or a reference alone never
// crosses channels, whoever sends it.
func TestSignedHintJoinsAnotherChannelsConversation(t *testing.T) {
	r := newRig(t, "console")
	ctx := context.Background()
	web, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Email: "anna@example.com", Text: "my parcel"})
	// The continuation we sent was recorded as a copy of a staff reply.
	id, err := r.eng.Reply(ctx, engine.StaffContext{Conversation: web.Conversation, Actor: bridge.Actor{ID: "console:a", Name: "A"}, Surface: "console"}, "it ships today", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = r.st.Write(ctx, func(tx bridge.Tx) error {
		rows, err := r.st.OutboxRows(ctx, web.Conversation)
		if err != nil {
			return err
		}
		return tx.MarkSent(rows[len(rows)-1].ID, bridge.ExternalRef{Platform: "email", ID: "<threadline.chat.1@example.com>"}, id, r.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		m    bridge.InboundMessage
	}{
		{"an unsigned [#id] hint", bridge.InboundMessage{ConversationHint: web.Conversation}},
		{"a reference without the signed hint (a forward answered by someone else)",
			bridge.InboundMessage{References: []string{"<threadline.chat.1@example.com>"}}},
		{"an unsigned hint from the visitor's own address", bridge.InboundMessage{Address: "anna@example.com", ConversationHint: web.Conversation,
			References: []string{"<threadline.chat.1@example.com>"}}},
	} {
		m := tc.m
		m.Channel, m.Text, m.StartsThread, m.ThreadBySubject = "email", "let me in", true, true
		if m.Address == "" {
			m.Address = "mallory@example.net"
		}
		m.ExternalID = "<" + tc.name + "@x>"
		res, err := r.eng.Deliver(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if res.Conversation == web.Conversation {
			t.Errorf("%s joined the web chat conversation", tc.name)
		}
	}

	res, err := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "email", Address: "anna@example.com", Email: "anna@example.com", ExternalID: "<a1@example.com>",
		Text: "thanks, see you", ConversationHint: web.Conversation, SignedHint: true, References: []string{"<threadline.chat.1@example.com>"}, StartsThread: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Conversation != web.Conversation || res.Created {
		t.Fatalf("signed answer = %+v; want it in %s", res, web.Conversation)
	}
	m, _ := r.st.Message(ctx, res.Message)
	c, _ := r.st.Conversation(ctx, web.Conversation)
	if m.Platform != "email" || m.Direction != bridge.DirCustomer || c.Channel != "webchat" || c.Status != bridge.StatusOpen {
		t.Errorf("answer stored as %s %s; conversation %s %s", m.Platform, m.Direction, c.Channel, c.Status)
	}
	// Staff replies keep going to the web chat.
	rows := r.outbox(t, web.Conversation)
	before := len(rows)
	r.eng.Reply(ctx, engine.StaffContext{Conversation: web.Conversation, Actor: bridge.Actor{ID: "console:a", Name: "A"}, Surface: "console"}, "great", nil)
	if got := kinds(r.outbox(t, web.Conversation)[before:]); got != "webchat/customer_send console/card" {
		t.Errorf("reply after the email answer = %s", got)
	}
	// The visitor's widget history shows the answer.
	hist, _ := r.st.CustomerMessages(ctx, "webchat", "v1", 0, 100)
	if last := hist[len(hist)-2]; last.Body != "thanks, see you" {
		t.Errorf("widget history = %+v", hist)
	}
}

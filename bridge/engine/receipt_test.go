package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
)

// markSent finds the customer send of msg and marks it sent as id on the
// conversation's channel, as the outbox does when the channel took it.
func (r *rig) markSent(t *testing.T, conv bridge.ConversationID, msg bridge.MessageID, id string) store.OutboxRow {
	t.Helper()
	for _, row := range r.outbox(t, conv) {
		if row.Kind == bridge.KindCustomerSend && row.Message == msg {
			err := r.st.Write(context.Background(), func(tx bridge.Tx) error {
				return tx.MarkSent(row.ID, bridge.ExternalRef{Platform: row.Target, ID: id}, msg, r.clock.Now())
			})
			if err != nil {
				t.Fatal(err)
			}
			return row
		}
	}
	t.Fatalf("no customer send of message %d", msg)
	return store.OutboxRow{}
}

func TestAChannelsLaterStatusesBecomeReceiptsOnTheStaffMessageAndAFailureIsTold(t *testing.T) {
	r := newRig(t, "slack", "console")
	ctx := context.Background()
	res, err := r.eng.Deliver(ctx, msg("v1", "m1", "Hello"))
	if err != nil {
		t.Fatal(err)
	}
	conv := res.Conversation
	reply, err := r.eng.Reply(ctx, engine.StaffContext{Conversation: conv, Surface: "slack", ExternalID: "C1:171.5", Actor: bridge.Actor{ID: "U1", Name: "Alice"}}, "Hi!", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.markSent(t, conv, reply, "wamid.1")
	before := len(r.outbox(t, conv))

	if err := r.eng.Receipt(ctx, bridge.ChannelReceipt{Channel: "webchat", ExternalID: "wamid.1", Status: bridge.ReceiptRead}); err != nil {
		t.Fatal(err)
	}
	rows := r.outbox(t, conv)[before:]
	if kinds(rows) != "slack/receipt" {
		t.Fatalf("queued %s, want one receipt on the surface the reply was written on", kinds(rows))
	}
	var rec bridge.Receipt
	json.Unmarshal([]byte(rows[0].Payload), &rec)
	if !rec.OK || rec.Status != bridge.ReceiptRead || rec.Message != reply || rec.Source != "C1:171.5" {
		t.Errorf("receipt %+v", rec)
	}

	before = len(r.outbox(t, conv))
	if err := r.eng.Receipt(ctx, bridge.ChannelReceipt{Channel: "webchat", ExternalID: "wamid.1", Status: bridge.ReceiptFailed, Error: "undeliverable [code 131026]"}); err != nil {
		t.Fatal(err)
	}
	rows = r.outbox(t, conv)[before:]
	if kinds(rows) != "slack/receipt slack/staff_post console/staff_post" {
		t.Fatalf("queued %s, want a failed receipt and the notice in every thread", kinds(rows))
	}
	rec = bridge.Receipt{}
	json.Unmarshal([]byte(rows[0].Payload), &rec)
	if rec.OK || rec.Status != "" || !strings.Contains(rec.Error, "131026") {
		t.Errorf("failed receipt %+v", rec)
	}
	msgs, _ := r.st.Messages(ctx, conv, 0)
	if last := msgs[len(msgs)-1]; last.Direction != bridge.DirSystem || !strings.Contains(last.Body, "could not be delivered to the customer on webchat") {
		t.Errorf("notice %+v", last)
	}

	// Statuses of messages Threadline did not send change nothing; an
	// unknown status is an error.
	before = len(r.outbox(t, conv))
	if err := r.eng.Receipt(ctx, bridge.ChannelReceipt{Channel: "webchat", ExternalID: "wamid.other", Status: bridge.ReceiptDelivered}); err != nil {
		t.Error(err)
	}
	if err := r.eng.Receipt(ctx, bridge.ChannelReceipt{Channel: "webchat", ExternalID: "wamid.1", Status: "sent"}); err == nil {
		t.Error("an unknown status was accepted")
	}
	if n := len(r.outbox(t, conv)); n != before {
		t.Errorf("%d rows queued", n-before)
	}
}

func TestATemplateReplyCarriesTheTemplateToTheChannel(t *testing.T) {
	r := newRig(t, "console")
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, msg("v1", "m1", "Hello"))
	tpl := bridge.TemplateMessage{Name: "order_update", Language: "de", Params: []string{"4711"}}
	id, _, err := r.eng.ReplyTemplate(ctx, engine.StaffContext{Conversation: res.Conversation, Surface: "console", Actor: bridge.Actor{ID: "U1", Name: "Alice"}},
		tpl, "[WhatsApp template order_update]")
	if err != nil {
		t.Fatal(err)
	}
	var send store.OutboxRow
	for _, row := range r.outbox(t, res.Conversation) {
		if row.Kind == bridge.KindCustomerSend && row.Message == id {
			send = row
		}
	}
	var p bridge.CustomerSendPayload
	if err := json.Unmarshal([]byte(send.Payload), &p); err != nil || p.Template == nil || p.Template.Name != "order_update" || p.Template.Params[0] != "4711" {
		t.Errorf("payload %q: %v", send.Payload, err)
	}
	m, _ := r.st.Message(ctx, id)
	if m.Direction != bridge.DirStaff || m.Body != "[WhatsApp template order_update]" {
		t.Errorf("stored %+v", m)
	}
	if _, _, err := r.eng.ReplyTemplate(ctx, engine.StaffContext{Conversation: res.Conversation, Surface: "console"}, bridge.TemplateMessage{}, "x"); err == nil {
		t.Error("a template without a name was accepted")
	}
}

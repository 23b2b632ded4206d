package whatsapp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
)

func TestDeliveredReadAndFailedStatusesBecomeReceiptsOnTheStaffMessage(t *testing.T) {
	f := newFixture(t, nil)
	f.startOutbox(t)
	f.fake.SendText(sheena, "hi")
	conv := f.conversation(t)
	msg := f.reply(t, conv, "staff-msg-1", "Hello!")
	eventually(t, "sent receipt", func() bool {
		_, _, r := f.surface.Snapshot()
		return len(r) == 1
	})
	wamid := f.fake.Sent(sheena.WaID)[0].ID
	f.fake.Status(wamid, "sent")
	f.fake.Status(wamid, "delivered")
	f.fake.Status(wamid, "read")
	f.fake.Status(wamid, "read") // Meta sends a status again when our answer was lost
	eventually(t, "delivered and read receipts", func() bool {
		_, _, r := f.surface.Snapshot()
		return len(r) == 3 && f.fake.Pending() == 0
	})
	_, _, receipts := f.surface.Snapshot()
	for i, want := range []bridge.ReceiptStatus{"", bridge.ReceiptDelivered, bridge.ReceiptRead} {
		r := receipts[i]
		if r.Status != want || !r.OK || r.Message != msg || r.Source != "staff-msg-1" {
			t.Errorf("receipt %d: %+v, want status %q on staff-msg-1", i, r, want)
		}
	}

	// A later failure (the customer's phone never took it) is a failed
	// receipt and a notice in the thread.
	msg2 := f.reply(t, conv, "staff-msg-2", "Anything else?")
	eventually(t, "second reply sent and recorded", func() bool { // the sent receipt follows the record of its id
		_, _, r := f.surface.Snapshot()
		return len(r) == 4
	})
	f.fake.Failed(f.fake.Sent(sheena.WaID)[1].ID, 131026, "Message Undeliverable", "Message Undeliverable.")
	eventually(t, "failure notice", func() bool { return f.postWith("A reply could not be delivered to the customer on whatsapp") })
	eventually(t, "failed receipt", func() bool {
		_, _, r := f.surface.Snapshot()
		return len(r) == 5
	})
	_, _, receipts = f.surface.Snapshot()
	if r := receipts[4]; r.OK || r.Message != msg2 || !strings.Contains(r.Error, "131026") || !strings.Contains(r.Error, "not be on WhatsApp") {
		t.Errorf("failed receipt %+v", r)
	}
	// A status of a message Threadline did not send is ignored.
	f.fake.Raw(f.fake.Number(""), map[string]any{"statuses": []any{map[string]any{"id": "wamid.unknown", "status": "read", "timestamp": "1", "recipient_id": sheena.WaID}}})
	eventually(t, "answered", func() bool { return f.fake.Pending() == 0 })
}

func TestAReactionIsANoteOnTheConversationNotACustomerMessage(t *testing.T) {
	f := newFixture(t, nil)
	f.startOutbox(t)
	f.fake.SendText(sheena, "hi")
	conv := f.conversation(t)
	f.reply(t, conv, "staff-msg-1", "Your parcel left today.\nTracking: 123")
	eventually(t, "reply sent and recorded", func() bool { // the sent receipt follows the record of its id
		_, _, r := f.surface.Snapshot()
		return len(r) == 1
	})
	before, _ := f.st.Conversation(context.Background(), conv)
	f.fake.SendReaction(sheena, f.fake.Sent(sheena.WaID)[0].ID, "👍")
	f.fake.SendReaction(sheena, f.fake.Sent(sheena.WaID)[0].ID, "") // taken back: nothing to say
	f.fake.SendReaction(sheena, "wamid.not-ours", "❤️")
	eventually(t, "the reaction note in the thread", func() bool {
		return f.postWith("Sheena Nelson reacted 👍 to: “Your parcel left today.”")
	})
	eventually(t, "answered", func() bool { return f.fake.Pending() == 0 })
	msgs, _ := f.st.Messages(context.Background(), conv, 0)
	notes := 0
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer && strings.Contains(m.Body, "👍") {
			t.Error("the reaction was stored as a customer message")
		}
		if m.Direction == bridge.DirNote {
			notes++
		}
	}
	after, _ := f.st.Conversation(context.Background(), conv)
	if notes != 1 || after.Status != before.Status || !after.LastCustomerAt.Equal(before.LastCustomerAt) {
		t.Errorf("notes %d; status %s -> %s", notes, before.Status, after.Status)
	}
}

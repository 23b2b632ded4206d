package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemattermost"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakewhatsapp"
	"github.com/threadlinehq/threadline/bridge"
)

// TestEndToEndWhatsAppCustomerMattermostStaff runs the real daemon wiring
// with a WhatsApp customer and Mattermost staff: the customer's message
// opens a root post under their name, a staff reply in the thread reaches
// them on WhatsApp as text, WhatsApp's statuses show as reactions on the
// staff post, a card button claims, and after a restart on the same
// database the conversation keeps its root post and its customer.
func TestEndToEndWhatsAppCustomerMattermostStaff(t *testing.T) {
	wa := fakewhatsapp.New()
	wa.ReportTo(t)
	defer wa.Close()
	r := newMattermostRig(t, fakemattermost.Options{UsernameOverride: true}, whatsAppYAML(t, t.TempDir(), wa))
	maria := fakewhatsapp.Customer{WaID: "4915112345678", Name: "Maria"}
	ctx := context.Background()

	d := startDaemon(t, r.config)
	eventually(t, "WebSocket connected", func() bool { return r.fake.Connected() == 1 })
	subscribe(t, wa, d)

	// The customer writes on WhatsApp: a root post names them, and the
	// message is in its thread under their name.
	wa.SendText(maria, "Hallo, my order 4711 has not arrived")
	root := r.root(t, d)
	eventually(t, "customer message in the thread", func() bool { return len(r.fake.Thread(root)) == 1 })
	if p := r.fake.Thread(root)[0]; p.Message != "Hallo, my order 4711 has not arrived" || p.Prop("override_username") != "Maria (whatsapp)" {
		t.Errorf("customer post = %q %v", p.Message, p.Props)
	}
	card, _ := r.fake.Post(root)
	if as := card.Attachments(); !strings.Contains(card.Message, "Maria (whatsapp)") || len(as) != 1 ||
		!strings.HasPrefix(as[0].Field("Customer"), "Maria") || !strings.Contains(as[0].Field("Customer"), "on whatsapp via +15550783881") {
		t.Errorf("card = %q %+v", card.Message, as)
	}
	conv, err := d.app.st.ConversationByThread(ctx, "mattermost", bridge.ThreadRef(r.channel+"/"+root))
	if err != nil {
		t.Fatal(err)
	}

	// A staff reply in the thread reaches the customer's wa_id as text
	// from the business number, and is marked sent.
	staff := r.fake.StaffPost(r.channel, root, r.alice, "Sorry Maria! It ships **today**.")
	eventually(t, "reply on WhatsApp", func() bool { return len(wa.Sent(maria.WaID)) == 1 })
	sent := wa.Sent(maria.WaID)[0]
	if sent.Type != "text" || sent.To != maria.WaID || sent.PhoneID != fakewhatsapp.DefaultNumber.ID ||
		sent.Text != "*Alice Archer*\nSorry Maria! It ships *today*." {
		t.Errorf("sent to WhatsApp: %+v", sent)
	}
	if n := len(wa.AllSent()); n != 1 {
		t.Errorf("%d messages sent on WhatsApp, want 1", n)
	}
	eventually(t, "sent reaction on the staff post", func() bool {
		return slices.Equal(r.fake.Reactions(staff), []string{"white_check_mark"})
	})

	// Delivered adds nothing to the sent reaction; read adds the read one.
	// Receipts of one thread go out in order, so once the read one shows
	// the delivered one was handled.
	wa.Status(sent.ID, "delivered")
	wa.Status(sent.ID, "read")
	eventually(t, "read reaction on the staff post", func() bool {
		return slices.Equal(r.fake.Reactions(staff), []string{"white_check_mark", "eyes"})
	})
	if n := r.fake.Calls("POST /api/v4/reactions"); n != 2 {
		t.Errorf("%d reactions added, want 2 (sent, read)", n)
	}

	// A card button claims: the card and the store name the new owner.
	res, err := r.fake.ClickButton(root, "claim", r.bob)
	if err != nil || !strings.Contains(res.EphemeralText, "You own #1 now") {
		t.Fatalf("claim button: %+v %v", res, err)
	}
	eventually(t, "card shows the owner", func() bool { return r.owner(root) == "Bob Baker" })
	if c, err := d.app.st.Conversation(ctx, conv); err != nil || c.Owner != bridge.StaffID("mattermost:"+r.bob) {
		t.Errorf("owner in the store = %q %v", c.Owner, err)
	}
	d.stop()

	// Run 2 on the same database: the customer's next message lands under
	// the same root post, and a reply there still reaches their wa_id.
	d2 := startDaemon(t, r.config)
	eventually(t, "WebSocket reconnected", func() bool { return r.fake.Connected() == 1 })
	subscribe(t, wa, d2)
	wa.SendText(maria, "Great, thanks!")
	eventually(t, "customer message in the same thread", func() bool {
		ps := r.fake.Thread(root)
		return len(ps) > 0 && ps[len(ps)-1].Message == "Great, thanks!"
	})
	if rs := r.fake.Roots(r.channel); len(rs) != 1 || rs[0].ID != root {
		t.Errorf("root posts after the restart: %d, want only %s", len(rs), root)
	}
	if got, err := d2.app.st.ConversationByThread(ctx, "mattermost", bridge.ThreadRef(r.channel+"/"+root)); err != nil || got != conv {
		t.Errorf("conversation of the root post after the restart = %v %v, want %v", got, err, conv)
	}
	eventually(t, "card still shows the owner", func() bool { return r.owner(root) == "Bob Baker" })

	r.fake.StaffPost(r.channel, root, r.bob, "You're welcome!")
	eventually(t, "reply after the restart on WhatsApp", func() bool {
		s := sentTo(wa, maria.WaID)
		return len(s) == 2 && s[1] == "*Bob Baker*\nYou're welcome!"
	})
	if n := len(wa.AllSent()); n != 2 {
		t.Errorf("%d messages sent on WhatsApp, want 2", n)
	}
	var customer []string
	msgs, _ := d2.app.st.Messages(ctx, conv, 0)
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer {
			customer = append(customer, m.Body)
		}
	}
	if got := strings.Join(customer, "|"); got != "Hallo, my order 4711 has not arrived|Great, thanks!" {
		t.Errorf("customer messages: %s", got)
	}
}

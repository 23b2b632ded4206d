package whatsapp_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakewhatsapp"
	"github.com/threadlinehq/threadline/adapters/whatsapp"
	"github.com/threadlinehq/threadline/bridge"
)

func TestCustomerMessagesOfEveryKindAreStoredWithTheirFiles(t *testing.T) {
	f := newFixture(t, nil)
	jpeg := bytes.Repeat([]byte("jpeg"), 300)
	pdf := []byte("%PDF-1.4 invoice")
	ogg := []byte("OggS voice")
	f.fake.SendText(sheena, "Does it come in another color?")
	f.fake.SendMedia(sheena, "image", jpeg, "image/jpeg", "", "the broken one")
	f.fake.SendMedia(sheena, "document", pdf, "application/pdf", "../../invoice 42.pdf", "")
	f.fake.SendMedia(sheena, "audio", ogg, "audio/ogg; codecs=opus", "", "")
	f.fake.SendMedia(sheena, "video", []byte("mp4"), "video/mp4", "", "")
	f.fake.SendMedia(sheena, "sticker", []byte("RIFFwebp"), "image/webp", "", "")
	f.fake.SendLocation(sheena, 52.520008, 13.404954, "Office", "Main St 1")
	f.fake.SendContact(sheena, "Bob Builder", "+4915112345678")
	f.fake.SendButtonReply(sheena, "yes-1", "Yes, please")
	got := f.in.waitFor(t, 9)

	want := []string{
		"Does it come in another color?",
		"the broken one",
		"[document: invoice_42.pdf]",
		"[voice message]",
		"[video]",
		"[sticker]",
		"[location Office, Main St 1 52.520008, 13.404954] https://www.openstreetmap.org/?mlat=52.520008&mlon=13.404954",
		"[contact Bob Builder +4915112345678]",
		"[button] Yes, please",
	}
	for i, w := range want {
		if got[i].msg.Text != w {
			t.Errorf("message %d: %q, want %q", i, got[i].msg.Text, w)
		}
	}
	m := got[0].msg
	if m.Address != fakewhatsapp.DefaultNumber.ID+":"+sheena.WaID || m.Name != "Sheena Nelson" || m.Channel != whatsapp.Platform {
		t.Errorf("identity %+v", m)
	}
	if strings.Join(m.To, ",") != "+15550783881,"+fakewhatsapp.DefaultNumber.ID {
		t.Errorf("To %v", m.To)
	}
	if !strings.HasPrefix(m.ExternalID, "wamid.") || m.SentAt.IsZero() {
		t.Errorf("ids %q %v", m.ExternalID, m.SentAt)
	}
	files := map[int][]byte{1: jpeg, 2: pdf, 3: ogg}
	for i, data := range files {
		atts := got[i].msg.Attachments
		if len(atts) != 1 || atts[0].Path == "" {
			t.Fatalf("message %d attachments %+v", i, atts)
		}
		b, err := os.ReadFile(atts[0].Path)
		if err != nil || !bytes.Equal(b, data) {
			t.Errorf("message %d file %s: %v", i, atts[0].Path, err)
		}
		if !strings.Contains(filepath.ToSlash(atts[0].Path), "/whatsapp/"+sheena.WaID+"/") || strings.Contains(atts[0].Path, "..") {
			t.Errorf("file stored at %s", atts[0].Path)
		}
	}
	if a := got[3].msg.Attachments[0]; a.MIME != "audio/ogg" || a.Size != int64(len(ogg)) {
		t.Errorf("voice attachment %+v", a)
	}
	// All in one conversation, with the number as its way in.
	c, err := f.st.Conversation(context.Background(), got[8].res.Conversation)
	if err != nil || c.ID != got[0].res.Conversation || c.Via() != "+15550783881" {
		t.Errorf("conversation %+v %v", c, err)
	}
}

func TestANotificationMetaSendsAgainIsStoredOnce(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SetWebhook("")
	url := f.hook.URL + whatsapp.WebhookPath
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
		`"metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},` +
		`"contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],` +
		`"messages":[{"from":"16505551234","id":"wamid.same","timestamp":"1749416383","type":"text","text":{"body":"once"}}]}}]}]}`)
	for i := 0; i < 3; i++ {
		status, err := f.fake.PostWebhook(context.Background(), url, body, fakewhatsapp.Sign(body, f.fake.AppSecret()))
		if err != nil || status != http.StatusOK {
			t.Fatalf("post %d: %d %v", i, status, err)
		}
	}
	msgs, _ := f.st.Messages(context.Background(), f.conversation(t), 0)
	if len(msgs) != 1 {
		t.Errorf("%d messages stored", len(msgs))
	}
}

func TestANotificationIsAcknowledgedOnlyAfterItsMessagesAreCommitted(t *testing.T) {
	f := newFixture(t, nil)
	failures := 2
	f.in.setFail(func(bridge.InboundMessage) error {
		if failures > 0 {
			failures--
			return errors.New("database is locked")
		}
		return nil
	})
	f.fake.SendText(sheena, "first")
	f.fake.SendText(sheena, "second")
	got := f.in.waitFor(t, 2)
	eventually(t, "every notification answered 200", func() bool { return f.fake.Pending() == 0 })
	if f.fake.WebhookErrors() < 2 {
		t.Errorf("%d failed deliveries, want the 2 refused ones answered 5xx", f.fake.WebhookErrors())
	}
	if got[0].msg.Text != "first" || got[1].msg.Text != "second" {
		t.Errorf("order %q %q", got[0].msg.Text, got[1].msg.Text)
	}
	msgs, _ := f.st.Messages(context.Background(), got[0].res.Conversation, 0)
	if len(msgs) != 2 {
		t.Errorf("%d messages stored", len(msgs))
	}
}

func TestAFileLargerThanTheCapIsKeptAsANote(t *testing.T) {
	f := newFixture(t, func(c *whatsapp.Config, _ *whatsapp.Options) { c.MaxFileBytes = 1000 })
	f.fake.SendMedia(sheena, "document", bytes.Repeat([]byte("x"), 5000), "application/pdf", "big.pdf", "see attached")
	m := f.in.waitFor(t, 1)[0].msg
	if !strings.Contains(m.Text, "see attached") || !strings.Contains(m.Text, "big.pdf (5 KB) was not downloaded: larger than the 1000 bytes limit") {
		t.Errorf("text %q", m.Text)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Path != "" {
		t.Errorf("attachments %+v", m.Attachments)
	}
}

func TestADownloadThatFailsIsTriedAgainThenTheMessageIsStoredWithANote(t *testing.T) {
	f := newFixture(t, func(_ *whatsapp.Config, o *whatsapp.Options) { o.MaxTries = 3 })
	f.fake.FailNext("download", fakewhatsapp.Fault{Status: 500, Code: 131000})
	f.fake.SendMedia(sheena, "image", []byte("jpeg"), "image/jpeg", "", "")
	m := f.in.waitFor(t, 1)[0].msg
	if m.Attachments[0].Path == "" || strings.Contains(m.Text, "could not") {
		t.Errorf("after one failure the file should arrive: %+v %q", m.Attachments, m.Text)
	}
	for i := 0; i < 3; i++ {
		f.fake.FailNext("retrieve", fakewhatsapp.Fault{Status: 500, Code: 131000})
	}
	f.fake.SendMedia(sheena, "image", []byte("jpeg2"), "image/jpeg", "", "")
	m = f.in.waitFor(t, 2)[1].msg
	if m.Attachments[0].Path != "" || !strings.Contains(m.Text, "could not be downloaded from WhatsApp") {
		t.Errorf("after 3 tries the message should be stored without the file: %+v %q", m.Attachments, m.Text)
	}
}

func TestMessagesToAnotherNumberOfTheAccountAreIgnored(t *testing.T) {
	f := newFixture(t, nil)
	other := fakewhatsapp.Number{ID: "222222222222222", Display: "15550000002"}
	f.fake.SendTextTo(sheena, other, "to a number Threadline does not serve")
	f.fake.SendText(sheena, "to ours")
	got := f.in.waitFor(t, 1)
	eventually(t, "both answered", func() bool { return f.fake.Pending() == 0 })
	if len(f.in.delivered()) != 1 || got[0].msg.Text != "to ours" {
		t.Errorf("delivered %+v", f.in.delivered())
	}
}

func TestEachBusinessNumberIsItsOwnWayInAndRepliesLeaveFromIt(t *testing.T) {
	sales := fakewhatsapp.Number{ID: "333333333333333", Display: "49 30 123456", VerifiedName: "ACME Sales"}
	f := newFixtureWith(t, []fakewhatsapp.Number{fakewhatsapp.DefaultNumber, sales}, func(c *whatsapp.Config, _ *whatsapp.Options) {
		c.PhoneNumberIDs = []string{fakewhatsapp.DefaultNumber.ID + "," + sales.ID} // as WHATSAPP_PHONE_NUMBER_ID gives them
	})
	f.startOutbox(t)
	f.fake.SendTextTo(sheena, sales, "a quote please")
	f.fake.SendText(sheena, "support question")
	got := f.in.waitFor(t, 2)
	if got[0].msg.Address != sales.ID+":"+sheena.WaID || got[0].msg.To[0] != "+4930123456" {
		t.Errorf("sales message %+v", got[0].msg)
	}
	if got[0].res.Conversation == got[1].res.Conversation {
		t.Error("the two numbers share one conversation")
	}
	f.reply(t, got[0].res.Conversation, "m1", "Here is your quote")
	f.reply(t, got[1].res.Conversation, "m2", "Hello from support")
	eventually(t, "replies sent", func() bool { return len(f.fake.Sent(sheena.WaID)) == 2 })
	for _, s := range f.fake.Sent(sheena.WaID) {
		want := fakewhatsapp.DefaultNumber.ID
		if strings.Contains(s.Text, "quote") {
			want = sales.ID
		}
		if s.PhoneID != want {
			t.Errorf("%q sent from %s, want %s", s.Text, s.PhoneID, want)
		}
	}
}

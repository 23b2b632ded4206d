package whatsapp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakewhatsapp"
	"github.com/threadlinehq/threadline/adapters/whatsapp"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
)

// delivery builds what the outbox hands Send for a reply in conv.
func (f *fixture) delivery(conv bridge.ConversationID, msg bridge.MessageID, text string) bridge.Delivery {
	return bridge.Delivery{Conversation: conv, Message: msg, Address: fakewhatsapp.DefaultNumber.ID + ":" + sheena.WaID,
		CustomerName: "Sheena Nelson", Author: "Alice", Text: text}
}

func TestAReplyIsSentFromTheNumberTheCustomerWroteToWithTheAuthorInBold(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SendText(sheena, "hi")
	conv := f.conversation(t)
	ref, err := f.ad.Send(context.Background(), f.delivery(conv, 1, "Sure, **blue** and ~~red~~ too: see https://example.com"))
	if err != nil {
		t.Fatal(err)
	}
	sent := f.fake.Sent(sheena.WaID)
	if len(sent) != 1 || ref.ID != sent[0].ID || ref.Platform != whatsapp.Platform {
		t.Fatalf("sent %+v ref %+v", sent, ref)
	}
	if s := sent[0]; s.Type != "text" || s.Text != "*Alice*\nSure, *blue* and ~red~ too: see https://example.com" || s.Preview {
		t.Errorf("sent %+v", s)
	}
}

func TestAReplyLongerThan4096CharactersIsSplitAndNoPartRepeatsAfterALostAnswer(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SendText(sheena, "hi")
	conv := f.conversation(t)
	var paras []string
	for i := 0; i < 30; i++ {
		paras = append(paras, strings.Repeat("ü", 290)+" end")
	}
	text := strings.Join(paras, "\n\n")
	// The second message's answer is lost after WhatsApp took it: the
	// outbox tries again, and only what was not confirmed is sent again.
	f.fake.FailNext("messages", fakewhatsapp.Fault{Pass: true}, fakewhatsapp.Fault{Lost: true})
	d := f.delivery(conv, 7, text)
	if _, err := f.ad.Send(context.Background(), d); err == nil || bridge.IsPermanent(err) {
		t.Fatalf("lost answer: %v, want a transient error", err)
	}
	if _, err := f.ad.Send(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	sent := f.fake.Sent(sheena.WaID)
	if len(sent) != 4 { // 3 parts, the second one twice (its answer was lost)
		t.Fatalf("%d messages sent", len(sent))
	}
	var joined []string
	for i, s := range sent {
		if n := utf8.RuneCountInString(s.Text); n > 4096 {
			t.Errorf("part %d has %d characters", i, n)
		}
		if i != 2 {
			joined = append(joined, s.Text)
		}
	}
	if !strings.HasPrefix(sent[0].Text, "*Alice*\n") || strings.Count(strings.Join(joined, "\n\n"), " end") != 30 {
		t.Errorf("the parts do not add up to the reply")
	}
	if sent[1].Text != sent[2].Text {
		t.Error("the part whose answer was lost was not the one sent again")
	}
}

func TestAFileIsUploadedThenSentWithTheTextAsItsCaption(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SendText(sheena, "hi")
	conv := f.conversation(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "label.png")
	os.WriteFile(img, []byte("png-bytes"), 0o600)
	doc := filepath.Join(dir, "terms.pdf")
	os.WriteFile(doc, []byte("%PDF"), 0o600)
	d := f.delivery(conv, 3, "Your return label")
	d.Attachments = []bridge.Attachment{{Name: "label.png", MIME: "image/png", Path: img}}
	if _, err := f.ad.Send(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	s := f.fake.Sent(sheena.WaID)[0]
	if s.Type != "image" || s.Text != "*Alice*\nYour return label" || s.Media == nil || !bytes.Equal(s.Media.Data, []byte("png-bytes")) || s.Media.MIME != "image/png" {
		t.Errorf("image message %+v", s)
	}
	// Two files and a link-only one: the text first, then each file; a
	// document keeps its name.
	d = f.delivery(conv, 4, "Both attached")
	d.Attachments = []bridge.Attachment{{Name: "label.png", MIME: "image/png", Path: img}, {Name: "terms.pdf", MIME: "application/pdf", Path: doc},
		{Name: "faq.html", URL: "https://example.com/faq"}}
	if _, err := f.ad.Send(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	sent := f.fake.Sent(sheena.WaID)[1:]
	if len(sent) != 3 || sent[0].Type != "text" || !strings.Contains(sent[0].Text, "📎 faq.html: https://example.com/faq") ||
		sent[1].Type != "image" || sent[2].Type != "document" || sent[2].Filename != "terms.pdf" {
		t.Errorf("sent %+v", sent)
	}
}

func TestFailuresAreClassifiedForTheOutbox(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SendText(sheena, "hi")
	conv := f.conversation(t)
	for _, tc := range []struct {
		name      string
		fault     fakewhatsapp.Fault
		retry     time.Duration // a rate limit: wait this long
		permanent bool
		says      string
	}{
		{"throughput 130429 with Retry-After", fakewhatsapp.Fault{Code: 130429, RetryAfter: 3}, 3 * time.Second, false, "Rate limit hit"},
		{"pair rate 131056", fakewhatsapp.Fault{Code: 131056}, 6 * time.Second, false, "pair rate limit"},
		{"HTTP 429 without a code", fakewhatsapp.Fault{Status: 429, Code: 4}, time.Minute, false, ""},
		{"server error", fakewhatsapp.Fault{Status: 500, Code: 131000}, 0, false, "Something went wrong"},
		{"service unavailable", fakewhatsapp.Fault{Status: 503, Code: 2}, 0, false, ""},
		{"expired token", fakewhatsapp.Fault{Status: 401, Code: 190}, 0, false, "check WHATSAPP_TOKEN"},
		{"window closed on Meta's side", fakewhatsapp.Fault{Code: 131047}, 0, true, "!wa-template"},
		{"undeliverable", fakewhatsapp.Fault{Code: 131026}, 0, true, "not be on WhatsApp"},
		{"invalid parameter", fakewhatsapp.Fault{Code: 100}, 0, true, "Invalid parameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.fake.FailNext("messages", tc.fault)
			_, err := f.ad.Send(context.Background(), f.delivery(conv, 9, "hello"))
			var rl *bridge.RateLimitError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tc.retry > 0 && (!errors.As(err, &rl) || rl.RetryAfter != tc.retry):
				t.Errorf("%v: want a rate limit of %s", err, tc.retry)
			case bridge.IsPermanent(err) != tc.permanent:
				t.Errorf("%v: permanent=%v, want %v", err, bridge.IsPermanent(err), tc.permanent)
			case !strings.Contains(err.Error(), tc.says):
				t.Errorf("%v: want it to say %q", err, tc.says)
			}
		})
	}
	if n := len(f.fake.Sent(sheena.WaID)); n != 0 {
		t.Errorf("%d messages sent despite the faults", n)
	}
}

func TestAFreeFormReplyMoreThan24HoursAfterTheCustomerWroteIsRefusedAndATemplateGoesOut(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.AddTemplate(fakewhatsapp.Template{Name: "order_update", Language: "de", Params: 2})
	f.startOutbox(t)
	// The customer's message is from yesterday: it reached the daemon late.
	f.fake.SendTextAt(sheena, time.Now().Add(-25*time.Hour), "Where is my order?")
	conv := f.conversation(t)
	f.reply(t, conv, "m1", "It ships today")
	eventually(t, "the refusal in the thread", func() bool { return f.postWith("outside WhatsApp's 24-hour customer-service window") })
	var note string
	for _, p := range f.posts() {
		if strings.Contains(p, "24-hour") {
			note = p
		}
	}
	for _, want := range []string{"could not be delivered", "the customer last wrote 25h0m0s ago", "!wa-template <name> [language] [parameters...]", "next message opens the window"} {
		if !strings.Contains(note, want) {
			t.Errorf("the note does not say %q:\n%s", want, note)
		}
	}
	if n := len(f.fake.Sent(sheena.WaID)); n != 0 {
		t.Fatalf("%d messages reached WhatsApp", n)
	}
	_, _, receipts := f.surface.Snapshot()
	if len(receipts) != 1 || receipts[0].OK {
		t.Errorf("receipts %+v", receipts)
	}

	// A template is sent whatever the window.
	tpl := bridge.TemplateMessage{Name: "order_update", Language: "de", Params: []string{"4711", "Freitag"}}
	if _, _, err := f.eng.ReplyTemplate(context.Background(), engine.StaffContext{Conversation: conv, Surface: staffSurface, ExternalID: "m2",
		Actor: bridge.Actor{ID: "U1", Name: "Alice"}}, tpl, "[WhatsApp template order_update]"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "template sent", func() bool { return len(f.fake.Sent(sheena.WaID)) == 1 })
	s := f.fake.Sent(sheena.WaID)[0]
	if s.Type != "template" || s.Template.Name != "order_update" || s.Template.Language != "de" || strings.Join(s.Template.Params, "|") != "4711|Freitag" {
		t.Errorf("sent %+v %+v", s, s.Template)
	}
	// Without a language the configured default is used; a template
	// WhatsApp does not know is refused for good.
	d := f.delivery(conv, 11, "[template]")
	d.Template = &bridge.TemplateMessage{Name: "hello_world"}
	if _, err := f.ad.Send(context.Background(), d); err != nil {
		t.Errorf("hello_world in en_US: %v", err)
	}
	d.Template = &bridge.TemplateMessage{Name: "no_such_template"}
	if _, err := f.ad.Send(context.Background(), d); !bridge.IsPermanent(err) || !strings.Contains(err.Error(), "132001") {
		t.Errorf("unknown template: %v", err)
	}

	// When the customer writes again, free-form replies go out again.
	f.fake.SendText(sheena, "Thanks!")
	f.in.waitFor(t, 2)
	f.reply(t, conv, "m3", "You're welcome")
	eventually(t, "free-form reply sent", func() bool {
		s := f.fake.Sent(sheena.WaID)
		return len(s) == 3 && s[2].Text == "*Alice*\nYou're welcome"
	})
}

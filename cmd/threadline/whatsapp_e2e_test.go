package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakewhatsapp"
	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/bridge"
)

// whatsAppPacing lets tests reply to one customer without Meta's six
// seconds between messages; it goes under outbox.pacing.
const whatsAppPacing = "    whatsapp: {per_destination: 50, per_adapter: 200}\n"

func writeWhatsAppConfig(t *testing.T, dir string, fake *fakewhatsapp.Server) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(testConfig+whatsAppPacing+whatsAppYAML(t, dir, fake)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// whatsAppYAML is the whatsapp section for the fake Cloud API, to append
// to a config; the app secret is written beside it in dir.
func whatsAppYAML(t *testing.T, dir string, fake *fakewhatsapp.Server) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "app_secret"), []byte(fake.AppSecret()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return `whatsapp:
  token: ` + fake.Token() + `
  api_url: ` + fake.URL() + `
  phone_number_ids: [` + fakewhatsapp.DefaultNumber.ID + `]
  verify_token: ` + fakewhatsapp.VerifyToken + `
  app_secret_file: ` + filepath.Join(dir, "app_secret") + `
`
}

// subscribe does what saving the callback URL in the app dashboard does:
// Meta checks it with the verify token, then posts notifications there.
func subscribe(t *testing.T, fake *fakewhatsapp.Server, d *daemon) {
	t.Helper()
	url := d.http + "/whatsapp/webhook"
	status, body, err := fake.VerifyCallback(context.Background(), url, fakewhatsapp.VerifyToken, "7319026")
	if err != nil || status != 200 || body != "7319026" {
		t.Fatalf("callback check: %d %q %v", status, body, err)
	}
	fake.SetWebhook(url)
}

func sentTo(fake *fakewhatsapp.Server, waID string) []string {
	var out []string
	for _, s := range fake.Sent(waID) {
		if s.Template != nil {
			out = append(out, "template "+s.Template.Name+" "+s.Template.Language+" "+strings.Join(s.Template.Params, ","))
		} else {
			out = append(out, s.Text)
		}
	}
	return out
}

func TestEndToEndWhatsAppConsoleWindowTemplatesReceiptsAndRestart(t *testing.T) {
	fake := fakewhatsapp.New()
	fake.ReportTo(t)
	defer fake.Close()
	fake.AddTemplate(fakewhatsapp.Template{Name: "order_update", Language: "de", Params: 2})
	dir := t.TempDir()
	cfgPath := writeWhatsAppConfig(t, dir, fake)
	maria := fakewhatsapp.Customer{WaID: "4915112345678", Name: "Maria"}
	late := fakewhatsapp.Customer{WaID: "4915187654321", Name: "Lars"}

	d1 := startDaemon(t, cfgPath)
	var banner bytes.Buffer
	d1.app.banner(&banner)
	if !strings.Contains(banner.String(), "whatsapp  on   webhook "+d1.app.cfg.PublicURL+"/whatsapp/webhook") ||
		strings.Contains(banner.String(), fake.Token()) || strings.Contains(banner.String(), fake.AppSecret()) {
		t.Errorf("banner:\n%s", banner.String())
	}
	w := watch(t, d1.admin)
	subscribe(t, fake, d1)

	// A customer writes and sends a photo; staff see both on the console.
	fake.SendText(maria, "Hallo, my order 4711 has not arrived")
	fake.SendMedia(maria, "image", bytes.Repeat([]byte("jpeg"), 50), "image/jpeg", "", "the label")
	eventually(t, "customer messages on the console", func() bool {
		_, ok := w.find(func(e console.Event) bool { return e.Type == "post" && e.Text == "the label" })
		return ok
	})
	first, _ := w.find(func(e console.Event) bool { return e.Type == "post" && e.Direction == "customer" })
	if first.Text != "Hallo, my order 4711 has not arrived" || first.Author != "Maria" {
		t.Errorf("first post %+v", first)
	}
	thread, _ := w.find(func(e console.Event) bool { return e.Type == "thread" })
	if thread.Card == nil || thread.Card.Channel != "whatsapp" || thread.Card.Customer != "Maria" || thread.Card.Via != "+15550783881" {
		t.Errorf("thread card %+v", thread.Card)
	}
	conv := first.Conversation
	ctx := context.Background()
	msgs, _ := d1.app.st.Messages(ctx, bridge.ConversationID(conv), 0)
	if len(msgs) != 2 || len(msgs[1].Attachments) != 1 || !strings.HasPrefix(msgs[1].Attachments[0].Path, filepath.Join(dir, "attachments", "whatsapp")) {
		t.Errorf("stored messages %+v", msgs)
	}

	// A staff reply reaches WhatsApp; sent, delivered and read show on the console.
	say(t, d1, conv, "Sorry Maria! It ships **today**.")
	eventually(t, "reply on WhatsApp", func() bool { return len(fake.Sent(maria.WaID)) == 1 })
	if got := sentTo(fake, maria.WaID)[0]; got != "*Alice*\nSorry Maria! It ships *today*." {
		t.Errorf("customer sees %q", got)
	}
	wamid := fake.Sent(maria.WaID)[0].ID
	fake.Status(wamid, "sent")
	fake.Status(wamid, "delivered")
	fake.Status(wamid, "read")
	for _, st := range []string{"", "delivered", "read"} {
		eventually(t, "receipt "+st, func() bool {
			_, ok := w.find(func(e console.Event) bool { return e.Type == "receipt" && e.OK && e.Status == st })
			return ok
		})
	}
	read, _ := w.find(func(e console.Event) bool { return e.Type == "receipt" && e.Status == "read" })
	if line := console.Format(read); !strings.Contains(line, "read by the customer") {
		t.Errorf("console shows %q", line)
	}

	// A message from yesterday arrives late: a free-form reply is refused
	// with the note, and the approved template goes out instead.
	fake.SendTextAt(late, time.Now().Add(-25*time.Hour), "Is the shop open on Sunday?")
	eventually(t, "late message", func() bool {
		_, ok := w.find(func(e console.Event) bool { return e.Type == "post" && e.Author == "Lars" })
		return ok
	})
	lateMsg, _ := w.find(func(e console.Event) bool { return e.Type == "post" && e.Author == "Lars" })
	say(t, d1, lateMsg.Conversation, "Yes, 10 to 4!")
	eventually(t, "the window note in the thread", func() bool {
		_, ok := w.find(func(e console.Event) bool {
			return e.Type == "post" && e.Conversation == lateMsg.Conversation && strings.Contains(e.Text, "outside WhatsApp's 24-hour customer-service window") &&
				strings.Contains(e.Text, "!wa-template <name>")
		})
		return ok
	})
	if n := len(fake.Sent(late.WaID)); n != 0 {
		t.Fatalf("%d messages reached WhatsApp outside the window", n)
	}
	res, err := d1.admin.Say(ctx, console.SayRequest{Conversation: lateMsg.Conversation, Text: "!wa-template order_update de 4711 Freitag", As: "Alice"})
	if err != nil || res.Error || !strings.Contains(res.Text, "Sending the WhatsApp template order_update") {
		t.Fatalf("!wa-template: %+v %v", res, err)
	}
	eventually(t, "template on WhatsApp", func() bool { return len(fake.Sent(late.WaID)) == 1 })
	if got := sentTo(fake, late.WaID)[0]; got != "template order_update de 4711,Freitag" {
		t.Errorf("template sent: %q", got)
	}
	res, _ = d1.admin.Say(ctx, console.SayRequest{Conversation: lateMsg.Conversation, Text: "!wa-template no_such_one", As: "Alice"})
	eventually(t, "an unknown template is dead-lettered with Meta's reason", func() bool {
		_, ok := w.find(func(e console.Event) bool {
			return e.Type == "post" && e.Conversation == lateMsg.Conversation && strings.Contains(e.Text, "132001")
		})
		return ok
	})
	d1.stop()

	// While the daemon is down Maria writes: Meta keeps sending the
	// notification until the daemon answers 200 again.
	fake.SendText(maria, "Got it, thanks!")
	time.Sleep(3 * fakewhatsapp.WebhookRetry)
	d2 := startDaemon(t, cfgPath)
	w2 := watch(t, d2.admin)
	fake.SetWebhook(d2.http + "/whatsapp/webhook") // the public URL is the same; the test daemon's port is not
	eventually(t, "message sent while down arrives in the same conversation", func() bool {
		_, ok := w2.find(func(e console.Event) bool {
			return e.Type == "post" && e.Text == "Got it, thanks!" && e.Conversation == conv
		})
		return ok
	})
	// A status of a reply sent before the restart still finds its staff message.
	fake.Failed(wamid, 131026, "Message Undeliverable", "")
	eventually(t, "failure told after the restart", func() bool {
		_, ok := w2.find(func(e console.Event) bool {
			return e.Type == "post" && e.Conversation == conv && strings.Contains(e.Text, "131026")
		})
		return ok
	})
	say(t, d2, conv, "You're welcome!")
	eventually(t, "reply after the restart", func() bool {
		s := sentTo(fake, maria.WaID)
		return len(s) == 2 && s[1] == "*Alice*\nYou're welcome!"
	})
	if fake.Pending() != 0 {
		t.Errorf("%d notifications never answered 200", fake.Pending())
	}
	var customer []string
	msgs, _ = d2.app.st.Messages(ctx, bridge.ConversationID(conv), 0)
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer {
			customer = append(customer, m.Body)
		}
	}
	if got := strings.Join(customer, "|"); got != "Hallo, my order 4711 has not arrived|the label|Got it, thanks!" {
		t.Errorf("customer messages: %s", got)
	}
}

func TestWhatsAppOffWithoutToken(t *testing.T) {
	d := startDaemon(t, writeConfig(t, t.TempDir()))
	var banner bytes.Buffer
	d.app.banner(&banner)
	if !strings.Contains(banner.String(), "whatsapp  off  WHATSAPP_TOKEN not set") {
		t.Errorf("banner:\n%s", banner.String())
	}
	if status, _ := getStatus(t, d.http+"/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1"); status != 404 {
		t.Errorf("webhook served while off: %d", status)
	}
}

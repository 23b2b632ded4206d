package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

func writeTelegramConfig(t *testing.T, dir string, fake *faketelegram.Server, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	yml := testConfig + `telegram:
  bot_token: ` + fake.Token() + `
  api_url: ` + fake.URL() + `
  poll_timeout: 1s
  greeting: "Hello from ACME support <3"
` + extra
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func say(t *testing.T, d *daemon, conv int64, text string) {
	t.Helper()
	res, err := d.admin.Say(context.Background(), console.SayRequest{Conversation: conv, Text: text, As: "Alice"})
	if err != nil || res.Error {
		t.Fatalf("say %q: %+v %v", text, res, err)
	}
}

func sentTexts(fake *faketelegram.Server, chat int64) []string {
	var out []string
	for _, s := range fake.Sent(chat) {
		out = append(out, s.Text)
	}
	return out
}

func TestEndToEndTelegramConsoleAndRestart(t *testing.T) {
	fake := faketelegram.New("")
	defer fake.Close()
	dir := t.TempDir()
	cfgPath := writeTelegramConfig(t, dir, fake, "")
	anna := faketelegram.Customer{ID: 5150, FirstName: "Anna", Username: "anna_k"}

	d1 := startDaemon(t, cfgPath)
	var banner bytes.Buffer
	d1.app.banner(&banner)
	if !strings.Contains(banner.String(), "telegram  on   long polling "+fake.URL()) || strings.Contains(banner.String(), fake.Token()) {
		t.Errorf("banner:\n%s", banner.String())
	}
	w := watch(t, d1.admin)

	// The customer presses Start, then writes and sends a photo.
	fake.SendText(anna, "/start")
	fake.SendText(anna, "Hi, my invoice is wrong")
	fake.SendPhoto(anna, bytes.Repeat([]byte("jpeg"), 100), "")
	eventually(t, "greeting sent", func() bool { return len(fake.Sent(anna.ID)) == 1 })
	if got := sentTexts(fake, anna.ID); got[0] != "Hello from ACME support <3" {
		t.Errorf("greeting %q", got)
	}
	eventually(t, "customer messages on the console", func() bool {
		_, ok := w.find(func(e console.Event) bool { return e.Type == "post" && e.Text == "[photo]" })
		return ok
	})
	first, _ := w.find(func(e console.Event) bool { return e.Type == "post" && e.Direction == "customer" })
	if first.Text != "Hi, my invoice is wrong" || first.Author != "Anna" {
		t.Errorf("first post %+v", first)
	}
	thread, _ := w.find(func(e console.Event) bool { return e.Type == "thread" })
	if thread.Card == nil || thread.Card.Channel != "telegram" || thread.Card.Customer != "Anna" {
		t.Errorf("thread card %+v", thread.Card)
	}
	conv := first.Conversation
	ctx := context.Background()
	msgs, _ := d1.app.st.Messages(ctx, bridge.ConversationID(conv), 0)
	if len(msgs) != 2 || len(msgs[1].Attachments) != 1 || !strings.HasPrefix(msgs[1].Attachments[0].Path, filepath.Join(dir, "attachments", "telegram")) {
		t.Errorf("stored messages %+v", msgs)
	}

	// Staff claim, note and reply; the reply reaches Telegram formatted.
	say(t, d1, conv, "!claim")
	say(t, d1, conv, "// she was double-charged")
	say(t, d1, conv, "Sorry <Anna>! I *fixed* the invoice & refunded you.")
	eventually(t, "reply on Telegram", func() bool { return len(fake.Sent(anna.ID)) == 2 })
	reply := fake.Sent(anna.ID)[1]
	if reply.Text != "Alice\nSorry <Anna>! I fixed the invoice & refunded you." || !strings.Contains(reply.Raw, "<b>fixed</b>") {
		t.Errorf("customer sees %q (raw %q)", reply.Text, reply.Raw)
	}
	eventually(t, "delivery receipt", func() bool {
		_, ok := w.find(func(e console.Event) bool { return e.Type == "receipt" && e.OK })
		return ok
	})

	// Telegram rate-limits the next reply: the outbox waits and delivers it.
	fake.FailNext("sendMessage", faketelegram.Fault{Status: 429, RetryAfter: 1})
	say(t, d1, conv, "One more thing: the refund takes 3 days.")
	eventually(t, "rate-limited reply delivered", func() bool { return len(fake.Sent(anna.ID)) == 3 })

	// The customer blocks the bot: the reply is dead-lettered, staff are told.
	fake.Block(anna.ID, true)
	say(t, d1, conv, "Anything else?")
	eventually(t, "dead-letter notice in the thread", func() bool {
		_, ok := w.find(func(e console.Event) bool {
			return e.Type == "post" && strings.Contains(e.Text, "could not be delivered") && strings.Contains(e.Text, "blocked")
		})
		return ok
	})
	if c, _ := d1.app.st.Conversation(ctx, bridge.ConversationID(conv)); c.Unreachable == "" {
		t.Error("customer not marked unreachable")
	}
	d1.stop()

	// While the daemon is down the customer unblocks the bot and writes.
	fake.Block(anna.ID, false)
	fake.SendText(anna, "Sorry, blocked you by accident")
	edited, _ := fake.SendText(anna, "Thx")
	fake.EditText(anna, edited, "Thanks!")

	d2 := startDaemon(t, cfgPath)
	w2 := watch(t, d2.admin)
	eventually(t, "messages sent while down arrive", func() bool {
		_, ok := w2.find(func(e console.Event) bool { return e.Type == "post" && strings.Contains(e.Text, "edited: Thanks!") })
		return ok
	})
	if c, _ := d2.app.st.Conversation(ctx, bridge.ConversationID(conv)); c.Unreachable != "" {
		t.Errorf("still unreachable after writing again: %q", c.Unreachable)
	}
	say(t, d2, conv, "Welcome back!")
	eventually(t, "reply after unblocking", func() bool {
		s := sentTexts(fake, anna.ID)
		return len(s) == 4 && s[3] == "Alice\nWelcome back!"
	})

	// Nothing was lost or stored twice across the restart.
	msgs, _ = d2.app.st.Messages(ctx, bridge.ConversationID(conv), 0)
	var customer []string
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer {
			customer = append(customer, m.Body)
		}
	}
	want := "Hi, my invoice is wrong|[photo]|Sorry, blocked you by accident|Thx|✏️ edited: Thanks!"
	if got := strings.Join(customer, "|"); got != want {
		t.Errorf("customer messages:\n got %s\nwant %s", got, want)
	}
	if fake.Pending() != 0 {
		t.Errorf("%d updates never confirmed", fake.Pending())
	}
	rows, _ := d2.app.st.OutboxRows(ctx, bridge.ConversationID(conv))
	dead := 0
	for _, r := range rows {
		if r.State == "dead" {
			dead++
		}
	}
	if dead != 1 {
		t.Errorf("%d dead-lettered rows, want 1 (the reply to the blocked chat)", dead)
	}
}

func TestTelegramPacingPerChat(t *testing.T) {
	fake := faketelegram.New("")
	defer fake.Close()
	cfgPath := writeTelegramConfig(t, t.TempDir(), fake, "")
	d := startDaemon(t, cfgPath)
	c := faketelegram.Customer{ID: 77, FirstName: "Bo"}
	fake.SendText(c, "hi")
	var conv int64
	eventually(t, "conversation", func() bool {
		cs, _ := d.app.st.ListConversations(context.Background(), store.ListFilter{})
		if len(cs) == 1 {
			conv = int64(cs[0].ID)
		}
		return conv != 0
	})
	for _, text := range []string{"one", "two", "three"} {
		say(t, d, conv, text)
	}
	eventually(t, "three replies", func() bool { return len(fake.Sent(c.ID)) == 3 })
	s := fake.Sent(c.ID)
	if got := strings.Join(sentTexts(fake, c.ID), "|"); got != "Alice\none|Alice\ntwo|Alice\nthree" {
		t.Errorf("replies out of order: %s", got)
	}
	// Measured, not asserted: the outbox spaces sends to one chat ~1s apart.
	t.Logf("gaps between replies to one chat: %v, %v", s[1].At.Sub(s[0].At).Round(time.Millisecond), s[2].At.Sub(s[1].At).Round(time.Millisecond))
}

func TestTelegramOffWithoutToken(t *testing.T) {
	d := startDaemon(t, writeConfig(t, t.TempDir()))
	var b bytes.Buffer
	d.app.banner(&b)
	if !strings.Contains(b.String(), "telegram  off  TELEGRAM_BOT_TOKEN not set") {
		t.Errorf("banner:\n%s", b.String())
	}
}

func TestEndToEndTelegramWebhook(t *testing.T) {
	fake := faketelegram.New("")
	defer fake.Close()
	// public_url must name the real port before the daemon starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfgPath := writeTelegramConfig(t, t.TempDir(), fake, "  webhook_secret: hook_secret-123\npublic_url: http://"+addr+"\n")
	yml, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, bytes.Replace(yml, []byte("listen: 127.0.0.1:0\nadmin"), []byte("listen: "+addr+"\nadmin"), 1), 0o600)

	d := startDaemon(t, cfgPath)
	w := watch(t, d.admin)
	hook := "http://" + addr + "/telegram/webhook"
	eventually(t, "setWebhook", func() bool { return fake.WebhookInfo().URL == hook })
	if fake.WebhookInfo().Secret != "hook_secret-123" {
		t.Errorf("webhook %+v", fake.WebhookInfo())
	}
	c := faketelegram.Customer{ID: 99, FirstName: "Wes"}
	fake.SendText(c, "hello through the webhook")
	eventually(t, "webhook message on the console", func() bool {
		_, ok := w.find(func(e console.Event) bool { return e.Type == "post" && e.Text == "hello through the webhook" })
		return ok
	})
	forged := []byte(`{"update_id":1,"message":{"message_id":9,"from":{"id":66,"first_name":"M"},"chat":{"id":66,"type":"private"},"date":1,"text":"forged"}}`)
	if status, err := fake.PostWebhook(context.Background(), hook, forged, "wrong"); err != nil || status != 401 {
		t.Errorf("forged request: %d %v", status, err)
	}
	cs, _ := d.app.st.ListConversations(context.Background(), store.ListFilter{All: true})
	if len(cs) != 1 {
		t.Errorf("%d conversations; the forged update must not be stored", len(cs))
	}
	if fake.Calls("getUpdates") != 0 {
		t.Error("webhook mode polled")
	}
}

package telegram_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/bridge"
)

func TestTextMessageIsStoredAndOffsetConfirmed(t *testing.T) {
	f := newFixture(t, nil)
	_, upd := f.fake.SendText(anna, "Hello, my order is late")
	f.run(t, nil)
	got := f.in.waitFor(t, 1)[0]
	if got.Text != "Hello, my order is late" || got.Address != "4242" || got.ExternalID != "4242:1" ||
		got.Name != "Anna Smith" || got.Username != "anna_s" || got.Channel != telegram.Platform {
		t.Errorf("delivered %+v", got)
	}
	// Which bot the customer wrote to (getMe's username), for routing rules.
	if len(got.To) != 1 || got.To[0] != "@"+f.fake.BotUsername() {
		t.Errorf("to = %q, want the bot", got.To)
	}
	// The customer record keeps name and username.
	view, err := f.st.ConversationView(context.Background(), f.in.results()[0].Conversation)
	if err != nil || view.CustomerName != "Anna Smith" || view.Identity != "@anna_s" || view.Via() != "@threadline_test_bot" {
		t.Errorf("conversation view %+v, %v", view, err)
	}
	// The offset is saved past the update, and Telegram was told.
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		v, _ := f.st.Cursor(context.Background(), "telegram", "offset:123456789")
		return v == strconv.FormatInt(upd+1, 10) && f.fake.Confirmed() == upd+1 && f.fake.Pending() == 0
	}, "offset %d saved and confirmed", upd+1)
	if f.fake.Calls("deleteWebhook") != 1 || f.fake.Calls("getMe") != 1 {
		t.Errorf("polling must call getMe and deleteWebhook once first: %v", f.fake.Requests()[:2])
	}
}

func TestMediaIsDownloaded(t *testing.T) {
	f := newFixture(t, nil)
	photo := bytes.Repeat([]byte{0xff, 0xd8, 1, 2}, 1000)
	doc := []byte("%PDF-1.4 invoice")
	voice := []byte("OggS voice")
	stk := []byte("RIFF webp sticker")
	f.fake.SendPhoto(anna, photo, "the box was broken")
	f.fake.SendDocument(anna, "../Rechnung März.pdf", "application/pdf", doc, "")
	f.fake.SendVoice(anna, voice, 7)
	f.fake.SendSticker(anna, "😡", stk)
	f.run(t, nil)
	msgs := f.in.waitFor(t, 4)
	want := []struct {
		text, name, mime string
		data             []byte
	}{
		{"the box was broken", "photo-", "image/jpeg", photo},
		{"[document: ../Rechnung März.pdf]", "../Rechnung März.pdf", "application/pdf", doc},
		{"[voice message 0:07]", "voice-", "audio/ogg", voice},
		{"[sticker 😡]", "sticker-", "image/webp", stk},
	}
	for i, w := range want {
		m := msgs[i]
		if m.Text != w.text || len(m.Attachments) != 1 {
			t.Errorf("message %d: %q with %d attachments, want %q", i, m.Text, len(m.Attachments), w.text)
			continue
		}
		a := m.Attachments[0]
		if !strings.HasPrefix(a.Name, w.name) || a.MIME != w.mime || a.Size != int64(len(w.data)) || a.URL != "" {
			t.Errorf("message %d attachment %+v", i, a)
		}
		if !strings.HasPrefix(a.Path, f.deps.AttachmentsDir) || strings.Contains(a.Path, "..") {
			t.Errorf("stored outside the attachments directory: %s", a.Path)
		}
		if b, err := os.ReadFile(a.Path); err != nil || !bytes.Equal(b, w.data) {
			t.Errorf("message %d: file %s: %v (%d bytes)", i, a.Path, err, len(b))
		}
	}
	// The photo is the largest size Telegram offered, not the thumbnail.
	if msgs[0].Attachments[0].Size != int64(len(photo)) {
		t.Errorf("downloaded the thumbnail")
	}
}

func TestTooLargeFileIsKeptAsMetadata(t *testing.T) {
	f := newFixture(t, func(c *telegram.Config, _ *telegram.Options) { c.MaxFileBytes = 1000 })
	f.fake.SendDocument(anna, "video.mov", "video/quicktime", make([]byte, 5000), "see attached")
	f.run(t, nil)
	m := f.in.waitFor(t, 1)[0]
	a := m.Attachments
	if len(a) != 1 || a[0].Path != "" || a[0].Size != 5000 || a[0].Name != "video.mov" {
		t.Fatalf("attachments %+v", a)
	}
	if !strings.Contains(m.Text, "see attached") || !strings.Contains(m.Text, "not downloaded: larger than the 1000 bytes limit") {
		t.Errorf("text %q does not explain the missing file", m.Text)
	}
	if f.fake.Calls("getFile") != 0 {
		t.Error("getFile called for a file announced as too large")
	}
}

func TestDownloadFailureRetriesThenGivesUpOnTheFileOnly(t *testing.T) {
	f := newFixture(t, func(_ *telegram.Config, o *telegram.Options) { o.MaxTries = 3 })
	f.fake.FailNext("file", faketelegram.Fault{Status: 502}, faketelegram.Fault{Status: 502}, faketelegram.Fault{Status: 502})
	f.fake.SendDocument(anna, "a.txt", "text/plain", []byte("abc"), "")
	f.fake.SendText(anna, "and another thing")
	f.run(t, nil)
	msgs := f.in.waitFor(t, 2)
	if msgs[0].Attachments[0].Path != "" || !strings.Contains(msgs[0].Text, "could not be downloaded") {
		t.Errorf("after MaxTries the message is stored without the file: %+v", msgs[0])
	}
	if msgs[1].Text != "and another thing" {
		t.Errorf("the next message: %+v", msgs[1])
	}
	if n := f.fake.Calls("file"); n != 3 {
		t.Errorf("%d download attempts, want 3", n)
	}
}

func TestEditIsStoredAsEditOfTheOriginal(t *testing.T) {
	f := newFixture(t, nil)
	id, _ := f.fake.SendText(anna, "My order is 1234")
	upd := f.fake.EditText(anna, id, "My order is 1243")
	f.run(t, nil)
	msgs := f.in.waitFor(t, 2)
	e := msgs[1]
	if e.EditOf != "4242:1" || e.ExternalID != "4242:1:edit:"+strconv.FormatInt(upd, 10) || e.Text != "✏️ edited: My order is 1243" {
		t.Errorf("edit delivered as %+v", e)
	}
	res := f.in.results()
	if res[0].Conversation != res[1].Conversation || res[1].Duplicate {
		t.Errorf("edit landed elsewhere: %+v", res)
	}
	db, err := sql.Open("sqlite3", f.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var editOf int64
	if err := db.QueryRow(`SELECT edit_of FROM messages WHERE id = ?`, res[1].Message).Scan(&editOf); err != nil || editOf != int64(res[0].Message) {
		t.Errorf("edit_of = %d (%v), want %d", editOf, err, res[0].Message)
	}
}

func TestStartIsGreetedAndOpensNoConversation(t *testing.T) {
	f := newFixture(t, func(c *telegram.Config, _ *telegram.Options) { c.Greeting = "Welcome to <ACME> & co! Ask away." })
	f.fake.SendText(anna, "/start")
	f.fake.FailNext("sendMessage", faketelegram.Fault{Status: 500}) // the first try fails: retried
	f.fake.SendText(anna, "Where is my parcel?")
	f.run(t, nil)
	f.in.waitFor(t, 1)
	sent := f.fake.Sent(anna.ID)
	if len(sent) != 1 || sent[0].Text != "Welcome to <ACME> & co! Ask away." {
		t.Fatalf("greeting: %+v", sent)
	}
	if msgs := f.in.delivered(); len(msgs) != 1 || msgs[0].Text != "Where is my parcel?" {
		t.Errorf("delivered %+v; /start must not be stored", msgs)
	}
}

func TestMalformedUpdatesAreSkipped(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SendText(anna, "first")
	bad1 := f.fake.PushRaw(`{"update_id":%d,"message":"not an object"}`)
	f.fake.PushRaw(`{"update_id":%d,"message":{"message_id":"x","chat":{"id":true}}}`)
	f.fake.PushUpdate(map[string]any{"callback_query": map[string]any{"id": "1"}}) // not asked for: filtered
	f.fake.SendText(anna, "second")
	f.run(t, nil)
	msgs := f.in.waitFor(t, 2)
	if msgs[0].Text != "first" || msgs[1].Text != "second" {
		t.Errorf("delivered %+v", msgs)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return f.fake.Pending() == 0 }, "every update confirmed")
	if !strings.Contains(f.logs.String(), "malformed update") || !strings.Contains(f.logs.String(), "update_id="+strconv.FormatInt(bad1, 10)) {
		t.Errorf("malformed updates not logged:\n%s", f.logs.String())
	}
}

func TestFailedDeliverIsNotAcknowledged(t *testing.T) {
	f := newFixture(t, nil)
	fails := 3
	f.in.fail = func(bridge.InboundMessage) error {
		if fails > 0 {
			fails--
			return errors.New("database is locked")
		}
		return nil
	}
	_, upd := f.fake.SendText(anna, "please store me once")
	_, stop := f.run(t, nil)
	f.in.waitFor(t, 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := f.fake.Calls("getUpdates"); n < 4 {
		t.Errorf("getUpdates called %d times; a failed Deliver must leave the update with Telegram", n)
	}
	v, _ := f.st.Cursor(context.Background(), "telegram", "offset:123456789")
	if v != strconv.FormatInt(upd+1, 10) {
		t.Errorf("offset %q after the retry succeeded", v)
	}
	msgs, _ := f.st.Messages(context.Background(), f.in.results()[0].Conversation, 0)
	if len(msgs) != 1 {
		t.Errorf("%d messages stored, want 1", len(msgs))
	}
}

func TestPollingSurvivesServerErrors(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.FailNext("getUpdates",
		faketelegram.Fault{Status: 500},
		faketelegram.Fault{Status: 502, Body: "<html>bad gateway</html>"},
		faketelegram.Fault{Status: 200, Body: `{"ok":true,"result":{"not":"an array"}}`},
		faketelegram.Fault{Drop: true},
		faketelegram.Fault{Status: 429, RetryAfter: 1},
	)
	f.fake.SendText(anna, "still there?")
	f.run(t, nil)
	if m := f.in.waitFor(t, 1)[0]; m.Text != "still there?" {
		t.Errorf("delivered %+v", m)
	}
}

func TestRunStopsWithABadToken(t *testing.T) {
	f := newFixture(t, func(c *telegram.Config, _ *telegram.Options) {
		c.BotToken = "999:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	})
	ad := f.adapter(t)
	err := ad.Run(context.Background(), f.in)
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "AAAAAAAA") {
		t.Errorf("Run = %v; want a 401 error without the token", err)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	f := newFixture(t, nil)
	f.cfg.APIURL = "http://127.0.0.1:1" // nothing listens: net/http's error carries the URL
	ad := f.adapter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := ad.Run(ctx, f.in)
	if err == nil || strings.Contains(err.Error(), f.fake.Token()) || !strings.Contains(err.Error(), "<token>") {
		t.Errorf("Run = %v; want a connection error with the token redacted", err)
	}
	_, err = ad.Send(ctx, bridge.Delivery{Address: "4242", Text: "hi", Message: 1})
	if err == nil || strings.Contains(err.Error(), f.fake.Token()) {
		t.Errorf("Send = %v", err)
	}
}

func TestBatchKeepsOrderPerChatWhenOneChatFails(t *testing.T) {
	f := newFixture(t, nil)
	bo := faketelegram.Customer{ID: 7, FirstName: "Bo"}
	f.fake.SendText(anna, "A1")
	f.fake.SendText(bo, "B1")
	f.fake.SendText(anna, "A2")
	f.fake.SendText(bo, "B2")
	failed := false
	f.in.fail = func(m bridge.InboundMessage) error {
		if m.Text == "A1" && !failed {
			failed = true
			return errors.New("busy")
		}
		return nil
	}
	f.run(t, nil)
	adaptertest.Eventually(t, 10*time.Second, func() bool { return countTelegramMessages(t, f.st) == 4 && f.fake.Pending() == 0 }, "4 messages")
	var order []string
	for _, m := range f.in.delivered() {
		order = append(order, m.Text)
	}
	idx := func(s string) int {
		for i, o := range order {
			if o == s {
				return i
			}
		}
		return -1
	}
	if idx("A1") > idx("A2") || idx("B1") > idx("B2") {
		t.Errorf("order within a chat broken: %v", order)
	}
	dups := 0
	for _, r := range f.in.results() {
		if r.Duplicate {
			dups++
		}
	}
	t.Logf("delivery order %v, %d recognised as already stored", order, dups)
}

func TestBlockingTheBotMarksTheCustomerUnreachable(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SendText(anna, "hello")
	f.run(t, nil)
	f.in.waitFor(t, 1)
	conv := f.in.results()[0].Conversation
	unreachable := func() string {
		c, _ := f.st.Conversation(context.Background(), conv)
		return c.Unreachable
	}
	f.fake.Block(anna.ID, true)
	adaptertest.Eventually(t, 5*time.Second, func() bool { return unreachable() == telegram.BlockedReason }, "marked unreachable")
	f.fake.Block(anna.ID, false)
	adaptertest.Eventually(t, 5*time.Second, func() bool { return unreachable() == "" }, "reachable after unblocking")
	// Blocked again, then the customer presses Restart (/start).
	f.fake.Block(anna.ID, true)
	adaptertest.Eventually(t, 5*time.Second, func() bool { return unreachable() != "" }, "marked unreachable again")
	f.fake.Block(anna.ID, false)
	f.fake.SendText(anna, "/start")
	adaptertest.Eventually(t, 5*time.Second, func() bool { return unreachable() == "" && len(f.fake.Sent(anna.ID)) == 1 }, "greeted and reachable")
}

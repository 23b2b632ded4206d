package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// TestStorageFaultsAcknowledgeNothing: the database is locked by another
// process past busy_timeout, then full (a size limit, as a full disk).
// While writes fail nothing is acknowledged upstream: web chat answers
// 503, the Telegram offset does not move, the email stays unread, the
// Slack envelope is not acked. The error is logged and /readyz reports it.
// Once the database works again every message arrives, once.
func TestStorageFaultsAcknowledgeNothing(t *testing.T) {
	tg := faketelegram.New("")
	defer tg.Close()
	sl := fakeslack.New()
	defer sl.Close()
	sl.AddUser("U0ALICE", "Alice")
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "config.yaml", fmt.Sprintf(`
http: {listen: 127.0.0.1:0}
admin: {listen: 127.0.0.1:0}
store: {path: threadline.db, busy_timeout: 200ms}
webchat: {enabled: true, max_message_chars: 8000}
console: {enabled: false}
outbox:
  base_backoff: 50ms
  max_backoff: 500ms
  pacing:
    slack: {per_destination: 100, per_adapter: 100}
    telegram: {per_destination: 100, per_adapter: 100}
    email: {per_destination: 100, per_adapter: 100}
slack: {bot_token: %s, app_token: %s, channel_id: C0SUPPORT1, api_url: %s}
telegram: {bot_token: %q, api_url: %s, poll_timeout: 1s}
email:
  imap: {url: %q}
  smtp: {url: %q}
  from: "Example Support <support@example.com>"
`, sl.BotToken, sl.AppToken, sl.APIURL(), tg.Token(), tg.URL(), imapSrv.URL(), smtpSrv.URL()))
	logs := newLogBuffer(t)
	d := startDaemonEnv(t, cfgPath, nil, logs)
	ctx := context.Background()
	wait := 30 * time.Second
	adaptertest.Eventually(t, wait, func() bool { return sl.Connected() == 1 }, "socket mode connected")

	anna := faketelegram.Customer{ID: 4242, FirstName: "Anna"}
	v := newVisitor(t, d.http)
	email := func(id, text string) {
		raw := "From: Dana <dana@customer.example>\r\nTo: support@example.com\r\nSubject: Broken login\r\nMessage-ID: <" + id +
			"@customer.example>\r\nIn-Reply-To: <e0@customer.example>\r\nReferences: <e0@customer.example>\r\n\r\n" + text + "\r\n"
		if _, err := imapSrv.Append("", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	unseen := func() int {
		ms, _ := imapSrv.Messages("")
		n := 0
		for _, m := range ms {
			if !m.Seen() {
				n++
			}
		}
		return n
	}

	// Everything works: one message per channel opens three threads.
	v.say("web 0: hello", "w0")
	tg.SendText(anna, "telegram 0: hello")
	email("e0", "email 0: hello")
	for _, text := range []string{"web 0:", "telegram 0:", "email 0:"} {
		adaptertest.Eventually(t, wait, func() bool { return slackThreadWith(sl, "C0SUPPORT1", text) != "" }, "%s in Slack", text)
	}
	annaThread := slackThreadWith(sl, "C0SUPPORT1", "telegram 0:")

	// notAcknowledged sends one message per channel and a staff reply
	// while the store fails, and checks that none is acknowledged.
	notAcknowledged := func(phase, text, wantErr string) map[string]any {
		t.Helper()
		if code := chatPost(t, d.http, v.token, "web "+phase+": "+text, "w"+phase); code != http.StatusServiceUnavailable {
			t.Errorf("%s: web chat answered %d, want 503 (not saved, send again)", phase, code)
		}
		if code, body := getStatus(t, d.http+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, wantErr) {
			t.Errorf("%s: /readyz = %d %q, want 503 naming %q", phase, code, body, wantErr)
		}
		confirmed, polls := tg.Confirmed(), tg.Calls("getUpdates")
		tg.SendText(anna, "telegram "+phase+": "+text)
		adaptertest.Eventually(t, wait, func() bool { return tg.Calls("getUpdates") >= polls+2 }, "Telegram polled again")
		if tg.Confirmed() != confirmed || tg.Pending() == 0 {
			t.Errorf("%s: Telegram update confirmed while the store fails (offset %d → %d, pending %d)", phase, confirmed, tg.Confirmed(), tg.Pending())
		}
		restarts := strings.Count(logs.String(), "adapter=email")
		email("e"+phase, "email "+phase+": "+text)
		adaptertest.Eventually(t, wait, func() bool { return strings.Count(logs.String(), "adapter=email") > restarts }, "the email channel failed on the write")
		if n := unseen(); n != 1 {
			t.Errorf("%s: %d unread emails, want 1: an email was marked read without being stored", phase, n)
		}
		ev, _ := sl.StaffMessage("C0SUPPORT1", annaThread, "U0ALICE", "reply "+phase+": "+text)
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, err := sl.Send(sctx, "events_api", ev); err == nil {
			t.Errorf("%s: the Slack envelope was acknowledged while the store fails", phase)
		}
		if !logs.contains("store: writes are failing") || !logs.contains(wantErr) {
			t.Errorf("%s: the storage error %q is not logged", phase, wantErr)
		}
		return ev
	}
	// allArrive: after recovery every message is there exactly once.
	allArrive := func(phase string, ev map[string]any) {
		t.Helper()
		text := phase + ":"
		adaptertest.Eventually(t, wait, func() bool {
			return chatPost(t, d.http, v.token, "web "+phase+": (sent again)", "w"+phase) == http.StatusAccepted
		}, "web chat accepts the message again")
		ackedEventually(t, sl, ev)
		for _, prefix := range []string{"web ", "telegram ", "email "} {
			adaptertest.Eventually(t, wait, func() bool { return slackCount(sl, "C0SUPPORT1", prefix+text) == 1 }, "%s%s in Slack", prefix, text)
		}
		adaptertest.Eventually(t, wait, func() bool {
			for _, s := range tg.Sent(anna.ID) {
				if strings.Contains(s.Text, "reply "+text) {
					return true
				}
			}
			return false
		}, "staff reply %s reaches Telegram", phase)
		adaptertest.Eventually(t, wait, func() bool { return tg.Pending() == 0 && unseen() == 0 }, "upstream acknowledged")
		adaptertest.Eventually(t, wait, func() bool { code, _ := getStatus(t, d.http+"/readyz"); return code == 200 }, "/readyz ready again")
	}

	// 1. Another process holds the write lock past busy_timeout.
	lock := storetest.NewWriteLock(t, filepath.Join(dir, "threadline.db"))
	lock.Lock()
	ev := notAcknowledged("1", "while locked", "database is locked")
	lock.Unlock()
	allArrive("1", ev)

	// 2. The database is full: cap it at its size and use up free pages;
	// messages too long for the space left fail.
	st := d.app.st
	exec := func(q string, args ...any) error {
		return st.Write(ctx, func(tx bridge.Tx) error { return sqlite.ExecForTest(tx, q, args...) })
	}
	if err := exec(`CREATE TABLE filler (x BLOB)`); err != nil {
		t.Fatal(err)
	}
	if err := exec(`PRAGMA max_page_count = 1`); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{64 << 10, 4 << 10, 512, 64} {
		for i := 0; i < 10000 && exec(`INSERT INTO filler VALUES (?)`, make([]byte, size)) == nil; i++ {
		}
	}
	long := strings.Repeat("é", 3000)
	ev = notAcknowledged("2", long, "database or disk is full")
	if err := exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	allArrive("2", ev)

	// What was acknowledged before the faults is still there, once.
	for _, text := range []string{"web 0:", "telegram 0:", "email 0:"} {
		if n := slackCount(sl, "C0SUPPORT1", text); n != 1 {
			t.Errorf("%q is in Slack %d times", text, n)
		}
	}
	if n := len(smtpSrv.Messages()); n != 0 {
		t.Errorf("%d emails sent; no staff reply went to the email customer", n)
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// hostile is one daemon with every channel and surface on, for the
// hostile-input suite.
type hostile struct {
	t        *testing.T
	d        *daemon
	dir      string
	base     string
	sl       *fakeslack.Server
	tg       *faketelegram.Server
	dc       *fakediscord.Server
	forum    string
	imap     *fakemail.IMAPServer
	smtp     *fakemail.SMTPServer
	logs     *logBuffer
	secret   string // Slack signing secret
	hookKey  string // Telegram webhook secret
	tokenKey string // web chat token secret
}

const hostileSigning = "hostile-signing-secret-0123456789"

func startHostile(t *testing.T) *hostile {
	h := &hostile{t: t, secret: hostileSigning, hookKey: "hook_secret-ABC123", tokenKey: "webchat-token-secret-abcdefghijklmnopqrstuvwxyz"}
	h.sl = fakeslack.New()
	t.Cleanup(h.sl.Close)
	h.sl.AddUser("U0ALICE", "Alice")
	h.sl.AddUser("U0BOB", "Bob")
	h.tg = faketelegram.New("")
	t.Cleanup(h.tg.Close)
	h.dc = fakediscord.New(fakediscord.Options{})
	t.Cleanup(h.dc.Close)
	h.forum = h.dc.AddForum("support", "Open", "Waiting", "Closed")
	h.imap = fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	h.smtp = fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h.dir = t.TempDir()
	cfg := fmt.Sprintf(`
public_url: http://%[1]s
http: {listen: %[1]s, max_body_bytes: 65536}
admin: {listen: 127.0.0.1:0}
store: {path: threadline.db}
console: {enabled: true}
webchat:
  enabled: true
  demo_page: true
  allowed_origins: ["https://shop.example"]
  token_secret: %[2]s
  per_visitor_per_minute: 5
  per_ip_per_minute: 1000
outbox:
  base_backoff: 50ms
  pacing:
    slack: {per_destination: 100, per_adapter: 100}
    discord: {per_destination: 100, per_adapter: 100}
    telegram: {per_destination: 100, per_adapter: 100}
    email: {per_destination: 100, per_adapter: 100}
departments:
  support: {}
  billing: {members: ["slack:U0BOB"], members_only: true}
default_department: support
rules:
  - {name: billing, when: {keywords: [invoice]}, set: {department: billing}}
slack: {bot_token: %[3]s, signing_secret: %[4]s, channel_id: C0SUPPORT1, api_url: %[5]s}
telegram: {bot_token: %[6]q, api_url: %[7]s, webhook_secret: %[8]s, max_file_bytes: 2048}
discord: {bot_token: %[9]s, channel_id: %[10]q, api_url: %[11]s}
email:
  imap: {url: %[12]q}
  smtp: {url: %[13]q}
  from: "Example Support <support@example.com>"
  max_attachment_bytes: 2048
`, addr, h.tokenKey, h.sl.BotToken, h.secret, h.sl.APIURL(), h.tg.Token(), h.tg.URL(), h.hookKey,
		h.dc.Token(), h.forum, h.dc.APIURL(), h.imap.URL(), h.smtp.URL())
	h.logs = newLogBuffer(t)
	h.d = startDaemonEnv(t, writeFile(t, h.dir, "config.yaml", cfg), nil, h.logs)
	h.base = h.d.http
	adaptertest.Eventually(t, 20*time.Second, func() bool { return h.tg.WebhookInfo().URL != "" }, "Telegram webhook registered")
	adaptertest.Eventually(t, 20*time.Second, func() bool { _, _, c := h.dc.GatewayStats(); return c }, "Discord gateway connected")
	return h
}

// slackPost sends a Slack HTTP request signed with secret at ts.
func (h *hostile) slackPost(path, contentType string, body []byte, secret string, ts time.Time) int {
	h.t.Helper()
	req := fakeslack.SignedRequest(h.base+path, contentType, body, secret, ts)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// staffSays posts a staff message in a Slack thread through the signed
// HTTP Events API and returns the status. Like Slack, it sends what the
// user typed with &, < and > escaped.
func (h *hostile) staffSays(thread, user, text string) int {
	h.t.Helper()
	ev, _ := h.sl.StaffMessage("C0SUPPORT1", thread, user, strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text))
	body, _ := json.Marshal(ev)
	return h.slackPost("/slack/events", "application/json", body, h.secret, time.Now())
}

// webConversation opens a web chat conversation and returns the visitor
// and its Slack thread.
func (h *hostile) webConversation(text, name string) (*visitor, string) {
	h.t.Helper()
	v := newVisitor(h.t, h.base)
	body, _ := json.Marshal(map[string]any{"text": text, "client_id": "c1", "name": name})
	req, _ := http.NewRequest("POST", h.base+"/chat/api/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+v.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 202 {
		h.t.Fatalf("post: %v %v", res, err)
	}
	res.Body.Close()
	var thread string
	adaptertest.Eventually(h.t, 20*time.Second, func() bool {
		thread = slackThreadWith(h.sl, "C0SUPPORT1", strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text))
		return thread != ""
	}, "%q in Slack", text)
	return v, thread
}

func (h *hostile) conversations() int {
	cs, err := h.d.app.st.ListConversations(context.Background(), store.ListFilter{All: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(cs)
}

// TestHostileInput is the hostile-input suite: forged and replayed
// requests, hostile payloads, injection attempts, attachment tricks and
// staff permissions, all against one daemon with every adapter on.
func TestHostileInput(t *testing.T) {
	h := startHostile(t)

	t.Run("slack requests must be signed and fresh", func(t *testing.T) {
		v, thread := h.webConversation("Hello from Slack tests", "Sam")
		ev, _ := h.sl.StaffMessage("C0SUPPORT1", thread, "U0ALICE", "Reply through signed HTTP")
		body, _ := json.Marshal(ev)
		now := time.Now()
		deep := []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000))
		for _, tc := range []struct {
			name   string
			path   string
			body   []byte
			secret string
			at     time.Time
			want   int
		}{
			{"wrong secret", "/slack/events", body, "not-the-secret", now, 401},
			{"replayed after 10 minutes", "/slack/events", body, h.secret, now.Add(-10 * time.Minute), 401},
			{"timestamp from the future", "/slack/events", body, h.secret, now.Add(10 * time.Minute), 401},
			{"forged interaction", "/slack/interactivity", []byte("payload=%7B%7D"), "x", now, 401},
			{"forged slash command", "/slack/commands", []byte("command=%2Fticket&text=close"), "x", now, 401},
			{"oversized body", "/slack/events", bytes.Repeat([]byte("a"), 2<<20), h.secret, now, 413},
			{"deeply nested JSON", "/slack/events", deep, h.secret, now, 400},
		} {
			if got := h.slackPost(tc.path, "application/json", tc.body, tc.secret, tc.at); got != tc.want {
				t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
			}
		}
		req, _ := http.NewRequest("POST", h.base+"/slack/events", bytes.NewReader(body))
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
			t.Errorf("unsigned request: %v %v", res.StatusCode, err)
		}
		if n := len(v.history(h.base)); n != 0 {
			t.Fatalf("a refused request reached the customer (%d replies)", n)
		}
		// The genuine request, then the same request replayed within the
		// five minutes: the customer gets the reply once.
		for range 2 {
			if got := h.slackPost("/slack/events", "application/json", body, h.secret, now); got != 200 {
				t.Errorf("signed request: %d", got)
			}
		}
		adaptertest.Eventually(t, 10*time.Second, func() bool { return len(v.history(h.base)) == 1 }, "reply delivered")
		// Invalid UTF-8 inside a signed event is handled, never stored raw.
		bad, _ := h.sl.StaffMessage("C0SUPPORT1", thread, "U0ALICE", "bad \xff\xfe bytes")
		raw, _ := json.Marshal(bad)
		raw = bytes.Replace(raw, []byte(`\ufffd\ufffd`), []byte("\xff\xfe"), 1)
		if got := h.slackPost("/slack/events", "application/json", raw, h.secret, time.Now()); got >= 500 {
			t.Errorf("invalid UTF-8 event: %d", got)
		}
		adaptertest.Eventually(t, 10*time.Second, func() bool { return len(v.history(h.base)) == 2 }, "second reply")
		for _, text := range v.history(h.base) {
			if !utf8.ValidString(text) {
				t.Errorf("customer got invalid UTF-8 %q", text)
			}
		}
	})

	t.Run("telegram webhook needs the secret", func(t *testing.T) {
		hook := h.base + telegram.WebhookPath
		update := []byte(`{"update_id":500,"message":{"message_id":1,"from":{"id":66,"is_bot":false,"first_name":"Mallory"},"chat":{"id":66,"type":"private"},"date":1,"text":"forged"}}`)
		before := h.conversations()
		post := func(body []byte, secret string, set bool) int {
			req, _ := http.NewRequest("POST", hook, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if set {
				req.Header.Set(telegram.SecretHeader, secret)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if got := post(update, "", false); got != 401 {
			t.Errorf("without the secret: %d", got)
		}
		if got := post(update, "wrong", true); got != 401 {
			t.Errorf("wrong secret: %d", got)
		}
		if got := post(bytes.Repeat([]byte(" "), 70000), h.hookKey, true); got != 413 {
			t.Errorf("oversized body: %d", got)
		}
		// Unreadable updates are dropped (answered 200, or Telegram would
		// send them forever) and store nothing.
		if got := post([]byte(strings.Repeat("[", 30000)), h.hookKey, true); got != 200 {
			t.Errorf("deeply nested JSON: %d", got)
		}
		if h.conversations() != before {
			t.Error("a refused or unreadable webhook request opened a conversation")
		}
	})

	t.Run("web chat tokens, origins, sizes, floods and encodings", func(t *testing.T) {
		v := newVisitor(t, h.base)
		before := h.conversations()
		do := func(method, path, token, origin string, body []byte) (int, http.Header) {
			req, _ := http.NewRequest(method, h.base+path, bytes.NewReader(body))
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode, res.Header
		}
		sign := func(payload string) string {
			m := hmac.New(sha256.New, []byte(h.tokenKey))
			m.Write([]byte(payload))
			return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		}
		visitorID := strings.Split(v.token, ".")[1]
		expired := sign("v1." + visitorID + "." + strconv.FormatInt(time.Now().Add(-400*24*time.Hour).Unix(), 10))
		otherKey := func() string {
			m := hmac.New(sha256.New, []byte("an attacker's key, 32 characters long"))
			p := "v1." + visitorID + "." + strconv.FormatInt(time.Now().Unix(), 10)
			m.Write([]byte(p))
			return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		}()
		msg := []byte(`{"text":"hi"}`)
		for _, tc := range []struct {
			name, token, origin string
			body                []byte
			want                int
		}{
			{"forged signature", v.token[:len(v.token)-4] + "AAAA", "", msg, 401},
			{"signed with another key", otherKey, "", msg, 401},
			{"expired token", expired, "", msg, 401},
			{"no token", "", "", msg, 401},
			{"wrong origin", v.token, "https://evil.example", msg, 403},
			{"oversized body", v.token, "", []byte(`{"text":"` + strings.Repeat("a", 70000) + `"}`), 413},
			{"deeply nested JSON", v.token, "", []byte(strings.Repeat("[", 20000)), 400},
		} {
			if got, _ := do("POST", "/chat/api/messages", tc.token, tc.origin, tc.body); got != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
			}
		}
		if got, _ := do("POST", "/chat/api/messages", v.token, "https://shop.example", msg); got != 202 {
			t.Errorf("allowed origin: %d", got)
		}
		// The WebSocket refuses a foreign origin at the handshake.
		hdr := http.Header{"Origin": {"https://evil.example"}}
		if c, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.base, "http")+"/chat/ws", hdr); err == nil {
			c.Close()
			t.Error("WebSocket from a foreign origin accepted")
		} else if res == nil || res.StatusCode != 403 {
			t.Errorf("WebSocket from a foreign origin: %v %v", res, err)
		}
		// Invalid UTF-8 is refused or replaced; it is never stored raw.
		if got, _ := do("POST", "/chat/api/messages", v.token, "", []byte("{\"text\":\"caf\xe9 \xff\"}")); got != 202 && got != 400 {
			t.Errorf("invalid UTF-8: %d", got)
		}
		ms, _ := h.d.app.st.CustomerMessages(context.Background(), "webchat", visitorID, 0, 100)
		for _, m := range ms {
			if !utf8.ValidString(m.Body) {
				t.Errorf("stored invalid UTF-8: %q", m.Body)
			}
		}
		// A flood from one visitor is cut off with 429 and Retry-After.
		flood := newVisitor(t, h.base)
		var last int
		var hdrs http.Header
		for i := range 7 {
			last, hdrs = do("POST", "/chat/api/messages", flood.token, "", []byte(fmt.Sprintf(`{"text":"flood %d"}`, i)))
		}
		if last != 429 || hdrs.Get("Retry-After") == "" {
			t.Errorf("flood: last answer %d, Retry-After %q; want 429 with Retry-After", last, hdrs.Get("Retry-After"))
		}
		if n := h.conversations(); n != before+2 {
			t.Errorf("%d new conversations, want 2 (the visitor's and the flood's)", n-before)
		}
	})

	t.Run("customer text cannot ping, link or run script", func(t *testing.T) {
		evil := "<!channel> @everyone @here <@U0ALICE> <https://evil.example|Click here> [Click](https://evil.example) <script>alert(1)</script><img src=x onerror=alert(1)>"
		_, thread := h.webConversation(evil, "<!here> Eve")
		parent, _ := h.sl.Message("C0SUPPORT1", thread)
		// Slack parses mentions and links in message text and in mrkdwn
		// text objects; plain_text objects show text as it is.
		texts := append([]string{parent.Text}, mrkdwnTexts(parent.Blocks)...)
		for _, m := range h.sl.Thread("C0SUPPORT1", thread) {
			texts = append(texts, m.Text, m.Username)
		}
		for _, s := range texts {
			for _, bad := range []string{"<!channel>", "<!here>", "<@U0ALICE>", "<https://evil.example"} {
				if strings.Contains(s, bad) {
					t.Errorf("Slack got a live %s in %q", bad, s)
				}
			}
		}
		var dthread string
		adaptertest.Eventually(t, 20*time.Second, func() bool {
			dthread = discordThreadWith(h.dc, h.forum, "Click here")
			return dthread != ""
		}, "the message in the Discord post")
		for _, m := range h.dc.Messages(dthread) {
			if m.Pinged {
				t.Errorf("Discord message pinged someone: %q (allowed_mentions %s)", m.Content, m.AllowedMentions)
			}
		}
		// The widget puts message text into the page as text, never as HTML.
		code, js := getStatus(t, h.base+"/chat/widget.js")
		if code != 200 || !strings.Contains(js, "textContent") {
			t.Fatalf("widget.js: %d", code)
		}
		for _, sink := range []string{"outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(js, sink) {
				t.Errorf("widget.js uses %s", sink)
			}
		}
		// innerHTML builds the empty shell once, from constants only.
		if strings.Count(js, "innerHTML") != 1 {
			t.Errorf("widget.js uses innerHTML %d times, want only the static shell", strings.Count(js, "innerHTML"))
		} else {
			i := strings.Index(js, "root.innerHTML")
			stmt := js[i : i+strings.Index(js[i:], ";\n")]
			rest := strings.Join(strings.Fields(regexp.MustCompile(`'[^']*'`).ReplaceAllString(stmt, "")), "")
			if !regexp.MustCompile(`^root\.innerHTML=\+?(css)?[+]*$`).MatchString(rest) {
				t.Errorf("widget.js innerHTML is built from more than constants: %q", rest)
			}
		}
		res, err := http.Get(h.base + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("demo page CSP %q", csp)
		}

		// Staff HTML never becomes Telegram markup, and a Telegram name
		// cannot ping in Slack.
		mallory := faketelegram.Customer{ID: 6666, FirstName: "<!channel>", LastName: "@everyone"}
		h.tg.SendText(mallory, "hi from telegram")
		var tthread string
		adaptertest.Eventually(t, 20*time.Second, func() bool {
			tthread = slackThreadWith(h.sl, "C0SUPPORT1", "hi from telegram")
			return tthread != ""
		}, "telegram message in Slack")
		for _, m := range h.sl.Thread("C0SUPPORT1", tthread) {
			if strings.Contains(m.Text+m.Username, "<!channel>") {
				t.Errorf("a Telegram name pinged the channel: %q / %q", m.Text, m.Username)
			}
		}
		if got := h.staffSays(tthread, "U0ALICE", `<b>bold</b> <a href="javascript:alert(1)">x</a>`); got != 200 {
			t.Fatalf("staff reply: %d", got)
		}
		adaptertest.Eventually(t, 20*time.Second, func() bool { return len(h.tg.Sent(mallory.ID)) == 1 }, "reply on Telegram")
		sent := h.tg.Sent(mallory.ID)[0]
		if strings.Contains(sent.Raw, "<a href") || strings.Contains(sent.Raw, "<b>bold") || !strings.Contains(sent.Text, `<b>bold</b>`) {
			t.Errorf("Telegram got raw %q (shown %q); staff HTML must arrive as text", sent.Raw, sent.Text)
		}
	})

	t.Run("email headers cannot be injected", func(t *testing.T) {
		enc := func(s string) string { return mime.BEncoding.Encode("utf-8", s) }
		raw := "From: " + enc("Dana\r\nBcc: victim2@evil.example") + " <dana@customer.example>\r\n" +
			"To: support@example.com\r\nSubject: " + enc("Help\r\nBcc: victim@evil.example") + "\r\n" +
			"Message-ID: <inject1@customer.example>\r\n\r\nPlease help.\r\n"
		if _, err := h.imap.Append("", []byte(raw)); err != nil {
			t.Fatal(err)
		}
		var thread string
		adaptertest.Eventually(t, 20*time.Second, func() bool {
			thread = slackThreadWith(h.sl, "C0SUPPORT1", "Please help.")
			return thread != ""
		}, "email in Slack")
		if got := h.staffSays(thread, "U0ALICE", "We are on it."); got != 200 {
			t.Fatalf("staff reply: %d", got)
		}
		adaptertest.Eventually(t, 20*time.Second, func() bool { return len(h.smtp.Messages()) == 1 }, "reply sent")
		m := h.smtp.Messages()[0]
		if len(m.To) != 1 || m.To[0] != "dana@customer.example" {
			t.Errorf("SMTP recipients %v", m.To)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if len(msg.Header["Bcc"]) > 0 || bytes.Contains(m.Data, []byte("\nBcc:")) {
			t.Errorf("injected Bcc header in the reply:\n%s", m.Data)
		}
		if subj := msg.Header.Get("Subject"); strings.ContainsAny(subj, "\r\n") {
			t.Errorf("subject spans lines: %q", subj)
		}
	})

	t.Run("attachments cannot escape the data directory", func(t *testing.T) {
		marker := fmt.Sprintf("tl-pwned-%d", time.Now().UnixNano())
		c := faketelegram.Customer{ID: 7777, FirstName: "Tom"}
		h.tg.SendDocument(c, "../../../../../../tmp/"+marker+".txt", "text/plain", []byte("small"), "path trick")
		h.tg.SendDocument(c, "huge.bin", "application/octet-stream", bytes.Repeat([]byte("x"), 3000), "too big")
		h.tg.SendDocument(c, "<!channel> @everyone "+strings.Repeat("long", 100)+".pdf", "application/pdf", []byte("%PDF"), "named to ping")
		raw := "From: eve@customer.example\r\nTo: support@example.com\r\nSubject: files\r\nMessage-ID: <att1@customer.example>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfiles attached\r\n" +
			"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../../" + marker + ".sh\"\r\n\r\necho pwned\r\n" +
			"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"/etc/" + marker + "\"\r\n\r\nroot\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"big.bin\"\r\n\r\n" + strings.Repeat("y", 4096) + "\r\n--b--\r\n"
		if _, err := h.imap.Append("", []byte(raw)); err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{"path trick", "too big", "named to ping", "files attached"} {
			adaptertest.Eventually(t, 20*time.Second, func() bool { return slackThreadWith(h.sl, "C0SUPPORT1", text) != "" }, "%q in Slack", text)
		}
		for _, m := range h.sl.Thread("C0SUPPORT1", slackThreadWith(h.sl, "C0SUPPORT1", "named to ping")) {
			if strings.Contains(m.Text, "<!channel>") {
				t.Errorf("an attachment name pinged the channel: %q", m.Text)
			}
		}
		// Nothing was written outside <data_dir>/attachments.
		for _, p := range []string{"/tmp/" + marker + ".txt", "/" + marker + ".sh", "/etc/" + marker, filepath.Join(h.dir, "..", marker+".sh")} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("an attachment escaped to %s", p)
				os.Remove(p)
			}
		}
		var stored []string
		filepath.WalkDir(h.dir, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.Contains(p, "attachments") {
				stored = append(stored, p)
				if !strings.HasPrefix(p, filepath.Join(h.dir, "attachments")+string(filepath.Separator)) {
					t.Errorf("attachment stored outside the attachments directory: %s", p)
				}
			}
			return nil
		})
		// Too-large files are listed, not stored.
		for _, p := range stored {
			if fi, err := os.Stat(p); err == nil && fi.Size() > 2048 {
				t.Errorf("a file over the size limit was stored: %s (%d bytes)", p, fi.Size())
			}
		}
		if len(stored) < 4 {
			t.Errorf("stored attachments %v, want the four small ones", stored)
		}
	})

	t.Run("members-only department and the audit log", func(t *testing.T) {
		v, thread := h.webConversation("My invoice is wrong", "Ivy")
		ctx := context.Background()
		cs, _ := h.d.app.st.ListConversations(ctx, store.ListFilter{All: true})
		var conv bridge.Conversation
		for _, c := range cs {
			if c.Subject == "My invoice is wrong" {
				conv = c
			}
		}
		if conv.Department != "billing" {
			t.Fatalf("conversation department %q, want billing", conv.Department)
		}
		// Alice is not a billing member: her reply and claim are refused.
		for _, text := range []string{"I can fix that", "!claim"} {
			if got := h.staffSays(thread, "U0ALICE", text); got != 200 {
				t.Errorf("%q: %d", text, got)
			}
		}
		adaptertest.Eventually(t, 10*time.Second, func() bool { return len(h.sl.Ephemerals("U0ALICE")) >= 2 }, "refusals shown to Alice")
		// Notes are allowed; Bob, a member, claims and answers.
		for _, s := range []struct{ user, text string }{{"U0ALICE", "// checking the ledger"}, {"U0BOB", "!claim"}, {"U0BOB", "Refund on its way."}} {
			if got := h.staffSays(thread, s.user, s.text); got != 200 {
				t.Errorf("%q: %d", s.text, got)
			}
		}
		adaptertest.Eventually(t, 10*time.Second, func() bool { return len(v.history(h.base)) == 1 }, "Bob's reply delivered")
		if got := v.history(h.base); got[0] != "Refund on its way." {
			t.Errorf("the customer got %q; Alice's refused reply must not arrive", got)
		}
		log, err := h.d.app.st.AuditLog(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range log {
			if e.Actor.ID == "" || e.Action == "" || e.At.IsZero() {
				t.Errorf("audit entry without who/what/when: %+v", e)
			}
			got = append(got, string(e.Actor.ID)+" "+e.Action)
		}
		for _, want := range []string{"slack:U0ALICE note", "slack:U0BOB claim", "slack:U0BOB reply"} {
			if !strings.Contains(strings.Join(got, "|"), want) {
				t.Errorf("audit log %v lacks %q", got, want)
			}
		}
		for _, e := range got {
			if e == "slack:U0ALICE reply" || e == "slack:U0ALICE claim" {
				t.Errorf("a refused action is in the audit log as done: %s", e)
			}
		}
	})

	t.Run("admin API needs the token", func(t *testing.T) {
		for _, tok := range []string{"", "wrong-token"} {
			req, _ := http.NewRequest("GET", h.d.admin.BaseURL+"/v1/health", nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 {
				t.Errorf("admin API with token %q: %d", tok, res.StatusCode)
			}
		}
	})
}

// mrkdwnTexts returns the text of every mrkdwn text object in Block Kit
// JSON (the ones Slack parses for mentions and links).
func mrkdwnTexts(raw json.RawMessage) []string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "mrkdwn" {
				if s, ok := x["text"].(string); ok {
					out = append(out, s)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return out
}

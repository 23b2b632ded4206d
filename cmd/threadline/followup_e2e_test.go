package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/adapters/email"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/store"
)

// TestWebChatContinuesByEmail is the continue-by-email story through the
// real wiring: the visitor gives an address and leaves, staff reply, the
// daemon restarts before the reply is due, the reply still arrives at the
// loopback SMTP server, staff see that it went by email, the customer
// answers that email through the loopback IMAP server, and the answer
// shows in the same staff thread and in the widget on the visitor's next
// visit (through the email's resume link).
func TestWebChatContinuesByEmail(t *testing.T) {
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	const after = 2 * time.Second
	yml := strings.Replace(testConfig, "  demo_page: true\n", "  demo_page: true\n  offline_email_after: 2s\n", 1)
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := config.MapEnv(map[string]string{
		"EMAIL_IMAP_URL": imapSrv.URL(),
		"EMAIL_SMTP_URL": smtpSrv.URL(),
		"EMAIL_FROM":     "Example Support <support@example.com>",
	})
	start := func() *daemon {
		t.Helper()
		cfg, err := config.Load(cfgPath, env)
		if err != nil {
			t.Fatal(err)
		}
		a, err := buildApp(context.Background(), cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := os.ReadFile(cfg.Admin.TokenFile)
		ctx, cancel := context.WithCancel(context.Background())
		d := &daemon{app: a, cancel: cancel, done: make(chan error, 1), http: "http://" + a.httpLn.Addr().String(),
			admin: &console.Client{BaseURL: "http://" + a.adminLn.Addr().String(), Token: strings.TrimSpace(string(tok))}}
		go func() { d.done <- a.run(ctx) }()
		t.Cleanup(d.stop)
		return d
	}
	ctx := context.Background()

	// Run 1: the visitor writes with their address, staff answer, and the
	// daemon stops before the reply was unseen for long.
	d1 := start()
	var banner strings.Builder
	d1.app.banner(&banner)
	if !strings.Contains(banner.String(), "follow-up on   web chat replies left unseen for 2s are emailed") {
		t.Errorf("banner:\n%s", banner.String())
	}
	v := newVisitor(t, d1.http)
	body, _ := json.Marshal(map[string]any{"text": "My parcel never arrived", "client_id": "c1", "name": "Anna", "email": "anna@customer.example"})
	req, _ := http.NewRequest("POST", d1.http+"/chat/api/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+v.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("visitor message: %v %v", res, err)
	}
	res.Body.Close()
	var conv bridge.ConversationID
	eventually(t, "the conversation", func() bool {
		cs, _ := d1.app.st.ListConversations(ctx, store.ListFilter{All: true})
		if len(cs) == 1 {
			conv = cs[0].ID
		}
		return conv != 0
	})
	replied := time.Now()
	if r, err := d1.admin.Say(ctx, console.SayRequest{Conversation: int64(conv), Text: "Sorry! It arrives tomorrow.", As: "Sam"}); err != nil || r.Error {
		t.Fatalf("say: %+v %v", r, err)
	}
	d1.stop()
	if n := len(smtpSrv.Messages()); n != 0 && time.Since(replied) < after {
		t.Fatalf("%d emails before the reply was unseen for %s", n, after)
	}

	// Run 2: the unseen reply still goes by email after the restart.
	d2 := start()
	w := watch(t, d2.admin)
	eventually(t, "the email of the unseen reply", func() bool { return len(smtpSrv.Messages()) == 1 })
	sent, err := email.Parse(smtpSrv.Messages()[0].Data, email.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if sent.From.Email != "support@example.com" || sent.To[0].Email != "anna@customer.example" ||
		sent.Subject != "Re: My parcel never arrived ["+conv.String()+"]" || !strings.Contains(sent.Text, "Sorry! It arrives tomorrow.") {
		t.Errorf("email from %v to %v, subject %q:\n%s", sent.From, sent.To, sent.Subject, sent.Text)
	}
	// Staff see in the thread that it went by email (the note was stored
	// by run 2; the console shows it live or in the thread's history).
	eventually(t, "the sent-by-email note", func() bool {
		ms, _ := d2.app.st.Messages(ctx, conv, 0)
		for _, m := range ms {
			if m.Direction == bridge.DirNote && m.Body == "📧 Sent by email to a***@customer.example (1 reply not seen in the chat)." {
				return true
			}
		}
		return false
	})
	eventually(t, "the note on the console", func() bool {
		_, ok := w.find(func(e console.Event) bool { return e.Type == "post" && strings.HasPrefix(e.Text, "📧 Sent by email") })
		return ok
	})

	// The customer answers the email.
	answer := "From: Anna <anna@customer.example>\r\nTo: support@example.com\r\nSubject: Re: " + sent.Subject + "\r\nMessage-ID: <a1@customer.example>\r\n" +
		"In-Reply-To: " + sent.MessageID + "\r\nReferences: " + sent.MessageID + "\r\n\r\nGreat, I'll be home all day.\r\n\r\n> Sorry! It arrives tomorrow.\r\n"
	if _, err := imapSrv.Append("", []byte(answer)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the answer in the same staff thread", func() bool {
		_, ok := w.find(func(e console.Event) bool {
			return e.Type == "post" && e.Conversation == int64(conv) && e.Direction == "customer" && e.Text == "Great, I'll be home all day."
		})
		return ok
	})
	if cs, _ := d2.app.st.ListConversations(ctx, store.ListFilter{All: true}); len(cs) != 1 {
		t.Errorf("%d conversations, want 1", len(cs))
	}
	if th, err := d2.app.st.Thread(ctx, conv, "console"); err != nil || th == "" {
		t.Errorf("console thread: %q %v", th, err)
	}

	// The visitor's next visit, from the link in the email (another
	// browser: no token), shows the whole conversation.
	link := regexp.MustCompile(`/chat/continue\?tl_resume=\S+`).FindString(sent.Text)
	u, _ := url.Parse(link)
	body, _ = json.Marshal(map[string]any{"resume": u.Query().Get("tl_resume")})
	res, err = http.Post(d2.http+"/chat/api/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Token, Visitor string
		Resumed        bool
	}
	json.NewDecoder(res.Body).Decode(&s)
	res.Body.Close()
	if !s.Resumed || s.Visitor != strings.Split(v.token, ".")[1] {
		t.Fatalf("resume: %+v", s)
	}
	v2 := &visitor{t: t, base: d2.http, token: s.Token}
	v2.connect(d2.http)
	req, _ = http.NewRequest("GET", d2.http+"/chat/api/messages", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Messages []map[string]any }
	json.NewDecoder(res.Body).Decode(&h)
	res.Body.Close()
	var got []string
	for _, m := range h.Messages {
		got = append(got, m["from"].(string)+":"+m["text"].(string))
	}
	want := "customer:My parcel never arrived|staff:Sorry! It arrives tomorrow.|customer:Great, I'll be home all day."
	if strings.Join(got, "|") != want {
		t.Errorf("widget history:\n got %s\nwant %s", strings.Join(got, "|"), want)
	}

	// Staff answer again: it goes to the web chat, where the visitor is.
	if r, err := d2.admin.Say(ctx, console.SayRequest{Conversation: int64(conv), Text: "See you!", As: "Sam"}); err != nil || r.Error {
		t.Fatalf("say: %+v %v", r, err)
	}
	eventually(t, "the reply in the widget", func() bool { return len(v2.staffTexts()) == 1 && v2.staffTexts()[0] == "See you!" })
}

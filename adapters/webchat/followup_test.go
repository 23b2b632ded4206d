package webchat_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/email"
	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// followRig is the web chat with its email follow-up: the real engine and
// store on a manual clock, the real email channel sending to a loopback
// SMTP server. due plays the outbox for the follow-up's rows, so the test
// decides when time passes.
type followRig struct {
	*fixture
	fu   *webchat.EmailFollowUp
	smtp *fakemail.SMTPServer
}

func newFollowRig(t *testing.T, mutate func(*webchat.Config)) *followRig {
	t.Helper()
	st := storetest.Open(t)
	clock := clocktest.Monday()
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	ecfg := email.Config{From: "Example Support <support@example.com>", PlusAddressing: true}
	ecfg.IMAP.URL, ecfg.SMTP.URL = imapSrv.URL(), smtpSrv.URL()
	ecfg.Defaults()
	mail, err := email.New(ecfg, email.Options{Key: key, TLSConfig: fakemail.TrustTLS(imapSrv.Cert(), smtpSrv.Cert())})
	if err != nil {
		t.Fatal(err)
	}
	cfg := webchat.Config{Enabled: true}
	if mutate != nil {
		mutate(&cfg)
	}
	cfg.Defaults()
	ad, err := webchat.New(cfg, webchat.Options{Key: key, PublicURL: "http://chat.example"})
	if err != nil {
		t.Fatal(err)
	}
	fu := ad.EmailFollowUp(mail)
	var follow []engine.FollowUp
	if fu != nil {
		follow = append(follow, engine.FollowUp{Channel: webchat.Platform, Target: fu.Name(), After: fu.After(), Wanted: fu.Wanted})
	}
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Clock: clock, FollowUps: follow})
	deps := bridge.Deps{Clock: clock, Store: st, Core: eng, Relay: bridge.NewLocalRelay()}
	if err := ad.Init(deps); err != nil {
		t.Fatal(err)
	}
	if err := mail.Init(deps); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ad.Handler(eng))
	t.Cleanup(srv.Close)
	return &followRig{fixture: &fixture{srv: srv, ad: ad, st: st, eng: eng, now: clock}, fu: fu, smtp: smtpSrv}
}

// visitorSays posts a message as the visitor with token; email may be "".
func (r *followRig) visitorSays(t *testing.T, token, text, email string) bridge.ConversationID {
	t.Helper()
	res := r.do(t, "POST", "/chat/api/messages", token, "", map[string]any{"text": text, "email": email, "name": "Anna"})
	if res.status != 202 {
		t.Fatalf("post: %d %v", res.status, res.body)
	}
	return bridge.ConversationID(res.body["message"].(map[string]any)["conversation"].(float64))
}

func (r *followRig) staffReplies(t *testing.T, conv bridge.ConversationID, text string) bridge.MessageID {
	t.Helper()
	id, err := r.eng.Reply(context.Background(), engine.StaffContext{Conversation: conv, Actor: bridge.Actor{ID: "console:sam", Name: "Sam"}, Surface: "console"}, text, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// due performs the follow-up rows due now as the outbox would, and
// returns the errors they ended with (nil for a row that was sent).
func (r *followRig) due(t *testing.T) []error {
	t.Helper()
	ctx := context.Background()
	items, err := r.st.DueOutbox(ctx, r.now.Now(), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []error
	for _, it := range items {
		if it.Target != webchat.FollowUpPlatform {
			continue
		}
		c, _ := r.st.Conversation(ctx, it.Conversation)
		ref, err := r.fu.Send(ctx, bridge.Delivery{Conversation: c.ID, Message: it.Message, Address: c.Address, CustomerName: c.CustomerName, Subject: c.Subject})
		now := r.now.Now()
		var rl *bridge.RateLimitError
		werr := r.st.Write(ctx, func(tx bridge.Tx) error {
			switch {
			case err == nil:
				return tx.MarkSent(it.ID, ref, it.Message, now)
			case errors.As(err, &rl):
				return tx.MarkRetry(it.ID, it.Attempts, now.Add(rl.RetryAfter), err.Error())
			}
			return tx.MarkDead(it.ID, err.Error(), now)
		})
		if werr != nil {
			t.Fatal(werr)
		}
		out = append(out, err)
	}
	return out
}

func (r *followRig) emails(t *testing.T) []email.Parsed {
	t.Helper()
	var out []email.Parsed
	for _, m := range r.smtp.Messages() {
		p, err := email.Parse(m.Data, email.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func notes(t *testing.T, st *sqlite.Store, conv bridge.ConversationID) []string {
	t.Helper()
	ms, _ := st.Messages(context.Background(), conv, 0)
	var out []string
	for _, m := range ms {
		if m.Direction == bridge.DirNote {
			out = append(out, m.Body)
		}
	}
	return out
}

func TestUnseenReplyIsEmailedOnceOfflineEmailAfterPassed(t *testing.T) {
	r := newFollowRig(t, nil)
	tok := r.session(t)
	conv := r.visitorSays(t, tok, "My parcel never arrived", "Anna@Customer.example")
	r.staffReplies(t, conv, "Sorry! Checking with the courier.")
	r.now.Advance(30 * time.Second)
	r.staffReplies(t, conv, "Found it: it arrives tomorrow.")

	r.now.Advance(89 * time.Second) // 1m59s after the first reply: nothing due yet
	if errs := r.due(t); len(errs) != 0 || len(r.emails(t)) != 0 {
		t.Fatalf("before offline_email_after: rows %v, %d emails", errs, len(r.emails(t)))
	}
	r.now.Advance(time.Second)
	if errs := r.due(t); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("first row: %v", errs)
	}
	ms := r.emails(t)
	if len(ms) != 1 {
		t.Fatalf("%d emails, want 1", len(ms))
	}
	m := ms[0]
	if m.To[0].Email != "anna@customer.example" || m.From.Email != "support@example.com" || m.Subject != "Re: My parcel never arrived ["+conv.String()+"]" {
		t.Errorf("email from %v to %v subject %q", m.From, m.To, m.Subject)
	}
	if i, j := strings.Index(m.Text, "Checking with the courier"), strings.Index(m.Text, "arrives tomorrow"); i < 0 || j < i || !strings.Contains(m.Text, "2 replies") {
		t.Errorf("the unseen replies, in order:\n%s", m.Text)
	}
	if got := notes(t, r.st, conv); len(got) != 1 || got[0] != "📧 Sent by email to A***@Customer.example (2 replies not seen in the chat)." {
		t.Errorf("staff notes = %q", got)
	}
	// The second reply's row finds it carried already: no second email.
	r.now.Advance(30 * time.Second)
	if errs := r.due(t); len(errs) != 1 || errs[0] != nil || len(r.emails(t)) != 1 {
		t.Errorf("second row: %v, %d emails", errs, len(r.emails(t)))
	}

	// The link resumes the visitor's chat, with the history.
	link := regexp.MustCompile(`http://chat\.example/chat/continue\?tl_resume=\S+`).FindString(m.Text)
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no link in:\n%s", m.Text)
	}
	visitor := strings.Split(tok, ".")[1]
	res := r.do(t, "POST", "/chat/api/session", "", "", map[string]any{"resume": u.Query().Get("tl_resume")})
	if res.status != 200 || res.body["visitor"] != visitor || res.body["resumed"] != true {
		t.Errorf("resume: %d %v; want visitor %s", res.status, res.body, visitor)
	}
	hist := r.do(t, "GET", "/chat/api/messages", res.body["token"].(string), "", nil)
	if n := len(hist.body["messages"].([]any)); n != 3 {
		t.Errorf("resumed history has %d messages, want 3", n)
	}
	// A resume link works for 30 days; later it opens a chat of its own.
	r.now.Advance(31 * 24 * time.Hour)
	res = r.do(t, "POST", "/chat/api/session", "", "", map[string]any{"resume": u.Query().Get("tl_resume")})
	if res.status != 200 || res.body["visitor"] == visitor || res.body["resumed"] == true {
		t.Errorf("expired resume link: %d %v", res.status, res.body)
	}
}

func TestReplyTheVisitorSawIsNeverEmailed(t *testing.T) {
	r := newFollowRig(t, nil)
	tok := r.session(t)
	conv := r.visitorSays(t, tok, "Hello", "anna@customer.example")
	first := r.staffReplies(t, conv, "Hi Anna!")
	r.now.Advance(time.Minute)
	if res := r.do(t, "POST", "/chat/api/read", tok, "", map[string]any{"id": int64(first)}); res.status != 204 {
		t.Fatalf("read: %d", res.status)
	}
	r.now.Advance(time.Minute)
	if errs := r.due(t); len(errs) != 1 || errs[0] != nil || len(r.emails(t)) != 0 {
		t.Errorf("seen reply: rows %v, %d emails", errs, len(r.emails(t)))
	}

	// Seen the first of two: the second waits for its own two minutes,
	// then goes alone.
	r.staffReplies(t, conv, "Anything else?")
	r.now.Advance(30 * time.Second)
	second := r.staffReplies(t, conv, "I'll close this then.")
	r.do(t, "POST", "/chat/api/read", tok, "", map[string]any{"id": int64(second) - 1})
	r.now.Advance(90 * time.Second)
	errs := r.due(t)
	var rl *bridge.RateLimitError
	if len(errs) != 1 || !errors.As(errs[0], &rl) || rl.RetryAfter != 30*time.Second || len(r.emails(t)) != 0 {
		t.Fatalf("second reply not unseen long enough: %v, %d emails", errs, len(r.emails(t)))
	}
	r.now.Advance(30 * time.Second)
	r.due(t)
	if ms := r.emails(t); len(ms) != 1 || !strings.Contains(ms[0].Text, "close this") || strings.Contains(ms[0].Text, "Anything else") {
		t.Errorf("emails: %+v", ms)
	}
}

func TestNoAddressNoEmail(t *testing.T) {
	r := newFollowRig(t, nil)
	tok := r.session(t)
	conv := r.visitorSays(t, tok, "Hello", "")
	r.staffReplies(t, conv, "Hi!")
	rows, _ := r.st.OutboxRows(context.Background(), conv)
	for _, row := range rows {
		if row.Target == webchat.FollowUpPlatform {
			t.Errorf("follow-up queued for a visitor without an address")
		}
	}
	// Given later (the next message carries it): later replies are followed up.
	r.visitorSays(t, tok, "It's anna@customer.example", "anna@customer.example")
	r.staffReplies(t, conv, "Noted!")
	r.now.Advance(2 * time.Minute)
	r.due(t)
	if ms := r.emails(t); len(ms) != 1 || strings.Contains(ms[0].Text, "Hi!") || !strings.Contains(ms[0].Text, "Noted!") {
		t.Errorf("emails after the address was given: %+v", ms)
	}
}

func TestAutomaticMessagesAreNotEmailed(t *testing.T) {
	r := newFollowRig(t, nil)
	tok := r.session(t)
	conv := r.visitorSays(t, tok, "Hello", "anna@customer.example")
	// A note by Threadline and an automatic message to the customer.
	r.eng.SystemNote(context.Background(), conv, "email", "x", "a bounce")
	err := r.st.Write(context.Background(), func(tx bridge.Tx) error {
		m := bridge.Message{Conversation: conv, Direction: bridge.DirStaff, AuthorID: "system", Author: "Threadline", Body: "Thanks for your message!", CreatedAt: r.now.Now()}
		return tx.InsertMessage(&m, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	r.staffReplies(t, conv, "A person answers.")
	r.now.Advance(2 * time.Minute)
	r.due(t)
	if ms := r.emails(t); len(ms) != 1 || strings.Contains(ms[0].Text, "Thanks for your message") || !strings.Contains(ms[0].Text, "a reply from") {
		t.Errorf("emails: %+v", ms)
	}
	// Threadline's notes do not mark the visitor's messages seen.
	hist := r.do(t, "GET", "/chat/api/messages", tok, "", nil)
	if seen := hist.body["messages"].([]any)[0].(map[string]any)["seen"]; seen != true {
		t.Errorf("the reply by a person marks the message seen: %v", seen)
	}
}

// TestAtMostOneEmailPerWindow: even when a reply is stamped earlier than
// the last email (a replica whose clock runs behind), the next email
// waits until offline_email_after has passed since the last one.
func TestAtMostOneEmailPerWindow(t *testing.T) {
	r := newFollowRig(t, nil)
	tok := r.session(t)
	conv := r.visitorSays(t, tok, "Hello", "anna@customer.example")
	t0 := r.now.Now()
	r.staffReplies(t, conv, "One")
	r.now.Advance(2 * time.Minute)
	r.due(t)
	if len(r.emails(t)) != 1 {
		t.Fatal("first email not sent")
	}
	late := bridge.Message{Conversation: conv, Direction: bridge.DirStaff, AuthorID: "console:bob", Author: "Bob", Body: "Two", CreatedAt: t0.Add(time.Second)}
	if err := r.st.Write(context.Background(), func(tx bridge.Tx) error { return tx.InsertMessage(&late, 0) }); err != nil {
		t.Fatal(err)
	}
	r.now.Advance(10 * time.Second)
	_, err := r.fu.Send(context.Background(), bridge.Delivery{Conversation: conv, Message: late.ID, Address: strings.Split(tok, ".")[1], Subject: "Hello"})
	var rl *bridge.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 110*time.Second || len(r.emails(t)) != 1 {
		t.Fatalf("within the window: %v, %d emails", err, len(r.emails(t)))
	}
	r.now.Advance(110 * time.Second)
	if _, err := r.fu.Send(context.Background(), bridge.Delivery{Conversation: conv, Message: late.ID, Address: strings.Split(tok, ".")[1], Subject: "Hello"}); err != nil || len(r.emails(t)) != 2 {
		t.Errorf("after the window: %v, %d emails", err, len(r.emails(t)))
	}
}

func TestOfflineEmailAfterZeroTurnsItOff(t *testing.T) {
	zero := bridge.Duration(0)
	r := newFollowRig(t, func(c *webchat.Config) { c.OfflineEmailAfter = &zero })
	if r.fu != nil {
		t.Fatal("follow-up built with offline_email_after: 0")
	}
	var c webchat.Config
	c.Defaults()
	if c.OfflineEmail() != 2*time.Minute {
		t.Errorf("default offline_email_after = %s, want 2m", c.OfflineEmail())
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{"anna@example.com": "a***@example.com", "Ö@x.de": "Ö***@x.de", "nope": "***", "@x": "***"} {
		if got := webchat.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestContinuePageOpensTheChat: the page the emails link to by default is
// the widget, open, under the same Content-Security-Policy as the demo,
// and it never sends the resume token on as a Referer.
func TestContinuePageOpensTheChat(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) { c.DemoPage = false; c.Title = `Acme <Help>` })
	res, err := http.Get(f.srv.URL + "/chat/continue?tl_resume=x")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	page := string(body)
	if res.StatusCode != 200 || !strings.Contains(page, `<script src="/chat/widget.js" data-open="true">`) ||
		!strings.Contains(page, "<title>Acme &lt;Help&gt;</title>") || !strings.Contains(page, `name="referrer" content="no-referrer"`) {
		t.Errorf("continue page %d:\n%s", res.StatusCode, page)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
}

func TestBadResumeTokenStartsAnOrdinarySession(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	visitor := strings.Split(tok, ".")[1]
	for _, bad := range []string{"r1." + visitor + ".1.forged", tok, "r1.x", strings.Repeat("r", 300)} {
		res := f.do(t, "POST", "/chat/api/session", "", "", map[string]any{"resume": bad})
		if res.status != 200 || res.body["visitor"] == visitor || res.body["resumed"] == true {
			t.Errorf("resume %q: %d %v", bad, res.status, res.body)
		}
	}
	// With the browser's own token as well, it stays that visitor.
	res := f.do(t, "POST", "/chat/api/session", "", "", map[string]any{"resume": "r1.bogus", "token": tok})
	if res.body["visitor"] != visitor {
		t.Errorf("bad resume with a token: %v", res.body)
	}
}

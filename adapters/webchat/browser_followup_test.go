package webchat_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/email"
	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/store/storetest"
)

// newMailChat is newChat with the email channel on loopback mail servers
// and unseen replies emailed after a second.
func newMailChat(t *testing.T) (*chat, *fakemail.SMTPServer) {
	t.Helper()
	exe := chromium(t)
	c := &chat{t: t, st: storetest.Open(t), files: t.TempDir(), relay: bridge.NewLocalRelay(), surface: adaptertest.NewSurface("console"),
		pages: map[string]string{}}
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	ecfg := email.Config{From: "Example Support <support@example.com>"}
	ecfg.IMAP.URL, ecfg.SMTP.URL = imapSrv.URL(), smtpSrv.URL()
	ecfg.Defaults()
	mail, err := email.New(ecfg, email.Options{Key: key, TLSConfig: fakemail.TrustTLS(imapSrv.Cert(), smtpSrv.Cert())})
	if err != nil {
		t.Fatal(err)
	}
	second := bridge.Duration(time.Second)
	cfg := webchat.Config{Enabled: true, OfflineEmailAfter: &second}
	cfg.Defaults()
	c.srv = httptest.NewServer(nil)
	t.Cleanup(c.srv.Close)
	if c.ad, err = webchat.New(cfg, webchat.Options{Key: key, PublicURL: c.srv.URL}); err != nil {
		t.Fatal(err)
	}
	fu := c.ad.EmailFollowUp(mail)
	ob := outbox.New(outbox.Options{Store: c.st, Surfaces: []bridge.StaffSurface{c.surface}, Channels: []bridge.CustomerChannel{c.ad, mail, fu},
		Pacing: map[bridge.Platform]bridge.Pacing{fu.Name(): {}}})
	c.eng = engine.New(engine.Options{Store: c.st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify,
		FollowUps: []engine.FollowUp{{Channel: webchat.Platform, Target: fu.Name(), After: fu.After(), Wanted: fu.Wanted}}})
	deps := bridge.Deps{Clock: bridge.SystemClock(), Store: c.st, Core: c.eng, AttachmentsDir: c.files, Relay: c.relay}
	if err := c.ad.Init(deps); err != nil {
		t.Fatal(err)
	}
	if err := mail.Init(deps); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/chat/", c.ad.Handler(c.eng))
	mux.HandleFunc("GET /p/{name}", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		html := c.pages[r.PathValue("name")]
		c.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, html)
	})
	c.srv.Config.Handler = mux
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go ob.Run(ctx)
	go c.ad.Run(ctx, c.eng)
	c.bctx = browser(t, exe)
	return c, smtpSrv
}

// TestBrowserGetRepliesByEmail: a visitor who gave no address is offered,
// after their message, to get the replies they miss by email; they give
// one and leave. A staff reply they do not see arrives by email, and its
// link reopens the chat with the history in a browser that has never seen
// it, leaving no token in the address bar.
func TestBrowserGetRepliesByEmail(t *testing.T) {
	c, smtpSrv := newMailChat(t)
	shop := c.page("shop", "en", `data-open="true"`, "")
	c.do(chromedp.Navigate(shop), c.wait(connected), c.typeAndSend("Where is my parcel?"),
		c.wait(q("[data-testid=email-ask]")+` !== null`))
	if ask := eval[string](c, q("[data-testid=email-ask] span")+`.textContent`); ask != "Leaving? Get our replies by email." {
		t.Errorf("prompt %q", ask)
	}
	c.do(chromedp.SendKeys(chromedp.JSPath(q("[data-testid=email-ask] input")), "not an address"),
		chromedp.Click(chromedp.JSPath(q("[data-testid=email-ask] button[type=submit]"))),
		c.wait(q("[data-testid=email-ask] input")+`.getAttribute('aria-invalid') === 'true'`),
		js(q("[data-testid=email-ask] input")+`.value = ''`),
		chromedp.SendKeys(chromedp.JSPath(q("[data-testid=email-ask] input")), "anna@customer.example"),
		chromedp.KeyEvent("\r"),
		c.wait(q("[data-testid=email-ask]")+`.textContent === "We'll email you the replies you miss: anna@customer.example"`))
	visitor := c.visitor()
	if got, _ := c.st.Cursor(context.Background(), "webchat", "email:"+visitor); got != "anna@customer.example" {
		t.Errorf("address kept %q", got)
	}
	conv := c.posts(1)[0].Conv

	// The visitor leaves; staff answer.
	c.do(chromedp.Navigate("about:blank"))
	c.reply(conv, "It arrives tomorrow.")
	adaptertest.Eventually(t, 20*time.Second, func() bool { return len(smtpSrv.Messages()) == 1 }, "the email of the unseen reply")
	sent, err := email.Parse(smtpSrv.Messages()[0].Data, email.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`http://\S+/chat/continue\?tl_resume=\S+`).FindString(sent.Text)
	if sent.To[0].Email != "anna@customer.example" || !strings.Contains(sent.Text, "It arrives tomorrow.") || link == "" {
		t.Fatalf("email to %v:\n%s", sent.To, sent.Text)
	}

	// Another browser (no token) opens the link: the chat, with the history.
	c.do(chromedp.Navigate(c.srv.URL+"/chat/continue"), js(`localStorage.clear()`), chromedp.Navigate(link), c.wait(connected),
		c.wait(shadow+`.querySelectorAll('.tl-msg[data-id]').length === 2`))
	if got := c.visitor(); got != visitor {
		t.Errorf("resumed visitor %q, want %q", got, visitor)
	}
	if u := eval[string](c, `location.href`); strings.Contains(u, "tl_resume") {
		t.Errorf("the token stays in the address bar: %s", u)
	}
	if staff := eval[string](c, q(".tl-msg.staff")+`.textContent`); !strings.Contains(staff, "It arrives tomorrow.") {
		t.Errorf("history shows %q", staff)
	}
	c.do(c.typeAndSend("Thanks!"), c.wait(shadow+`.querySelectorAll('.tl-msg.customer[data-id]').length === 2`))
	if shown := eval[bool](c, q("[data-testid=email-ask]")+` !== null || !`+q(".tl-profile")+`.hidden`); shown {
		t.Error("a resumed visitor is asked for their address again")
	}
}

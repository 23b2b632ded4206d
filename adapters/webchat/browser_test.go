package webchat_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// chromium finds a headless-capable browser: Debian's chromium (installed
// by .ci/run). Without one the test skips locally and fails in CI.
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but no chromium found (.ci/run installs Debian's chromium)")
	}
	t.Skip("no chromium installed; apt-get install -y chromium to run the browser test")
	return ""
}

const shadow = `document.querySelector('#threadline-chat').shadowRoot`

// TestWidgetInBrowser drives the real widget in headless Chromium: open the
// demo page, send a message as the customer, see a staff reply appear.
func TestWidgetInBrowser(t *testing.T) {
	exe := chromium(t)
	st := storetest.Open(t)
	surface := adaptertest.NewSurface("console")
	srv, ad := widgetServer(t, st, webchat.Config{Enabled: true, DemoPage: true})
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface}, Channels: []bridge.CustomerChannel{ad}})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify})
	srv.Config.Handler = ad.Handler(eng)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.Run(ctx)
	go ad.Run(ctx, eng)

	bctx := browser(t, exe)

	err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Poll[chromedp.Void](shadow+`.querySelector('.tl-panel.open') !== null && `+shadow+`.querySelector('.tl-status').textContent === ''`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.SendKeys(chromedp.JSPath(shadow+`.querySelector('.tl-name')`), "Anna"),
		chromedp.SendKeys(chromedp.JSPath(shadow+`.querySelector('.tl-input')`), "My invoice is wrong"),
		chromedp.Click(chromedp.JSPath(shadow+`.querySelector('[data-testid=send]')`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 20*time.Second, func() bool { p, _, _ := surface.Snapshot(); return len(p) == 1 }, "customer message reaches the staff thread")
	posts, _, _ := surface.Snapshot()
	if posts[0].Post.Text != "My invoice is wrong" || posts[0].Post.Author != "Anna" {
		t.Fatalf("staff saw %+v", posts[0].Post)
	}
	conv := posts[0].Conv
	for _, text := range []string{"Hi Anna, fixing it now.", `<img src=x onerror="document.title='pwned'">`} {
		if _, err := eng.Reply(context.Background(), engine.StaffContext{Conversation: conv, Actor: bridge.Actor{ID: "console:bob", Name: "Bob"}, Surface: "console"}, text, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](shadow+`.querySelectorAll('.tl-msg.staff').length === 2`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatal(err)
	}
	staff, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...`+shadow+`.querySelectorAll('.tl-msg.staff')].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	imgs, _ := chromedp.Run(bctx, chromedp.Evaluate[int](shadow+`.querySelectorAll('img').length`))
	title, _ := chromedp.Run(bctx, chromedp.Title())
	if len(staff) != 2 || !strings.Contains(staff[0], "Hi Anna, fixing it now.") || !strings.Contains(staff[0], "Bob") {
		t.Errorf("browser shows %q", staff)
	}
	if imgs != 0 || title == "pwned" || !strings.Contains(staff[1], "<img") {
		t.Errorf("staff text was rendered as HTML: imgs=%d title=%q text=%q", imgs, title, staff)
	}

	// Reload: the history comes back from the server for the same visitor.
	err = chromedp.Do(bctx, chromedp.Reload(),
		chromedp.Poll[chromedp.Void](shadow+`.querySelectorAll('.tl-msg[data-id]').length === 3`, chromedp.WithPollingTimeout(20*time.Second)))
	count, _ := chromedp.Run(bctx, chromedp.Evaluate[int](shadow+`.querySelectorAll('.tl-msg[data-id]').length`))
	if err != nil || count != 3 {
		t.Fatalf("after reload: %d messages, %v", count, err)
	}
}

// TestWidgetNameInBrowser: data-widget on the script tag reaches the
// engine, so the conversation is routed by its widget.
func TestWidgetNameInBrowser(t *testing.T) {
	exe := chromium(t)
	st := storetest.Open(t)
	srv, ad := widgetServer(t, st, webchat.Config{Enabled: true})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Directory: team.New(team.Options{
		Departments: map[string]team.Department{"support": {}, "billing": {}}, DefaultDepartment: "support",
		Rules: []rules.Rule{{When: rules.Match{To: []string{"billing"}}, Set: rules.Actions{Department: "billing"}}},
	})})
	mux := http.NewServeMux()
	mux.Handle("/chat/", ad.Handler(eng))
	mux.HandleFunc("GET /billing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>Billing</title><p>Billing help</p><script src="/chat/widget.js" data-widget="Billing" data-open="true"></script>`)
	})
	srv.Config.Handler = mux
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ad.Run(ctx, eng)

	bctx := browser(t, exe)
	err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/billing"),
		chromedp.Poll[chromedp.Void](shadow+`.querySelector('.tl-panel.open') !== null && `+shadow+`.querySelector('.tl-status').textContent === ''`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.SendKeys(chromedp.JSPath(shadow+`.querySelector('.tl-input')`), "I was charged twice"),
		chromedp.Click(chromedp.JSPath(shadow+`.querySelector('[data-testid=send]')`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	var c bridge.Conversation
	adaptertest.Eventually(t, 20*time.Second, func() bool {
		cs, _ := st.OpenConversations(context.Background(), 10)
		if len(cs) == 1 {
			c = cs[0]
		}
		return len(cs) == 1
	}, "the message is stored")
	if c.Entry != "billing" || c.Department != "billing" {
		t.Errorf("entry %q department %q, want billing billing", c.Entry, c.Department)
	}
}

// browser starts headless Chromium for one test; it closes when the test
// ends, and its context times out after a minute.
func browser(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, acancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	bctx, tcancel := context.WithTimeout(bctx, 60*time.Second)
	t.Cleanup(tcancel)
	return bctx
}

// widgetServer starts a loopback server for a web chat adapter made from
// cfg (defaults applied) whose public URL is that server; the caller sets
// srv.Config.Handler once the engine exists.
func widgetServer(t *testing.T, st *sqlite.Store, cfg webchat.Config) (*httptest.Server, *webchat.Adapter) {
	t.Helper()
	cfg.Defaults()
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	ad, err := webchat.New(cfg, webchat.Options{Key: key, PublicURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.Init(bridge.Deps{Clock: bridge.SystemClock(), Store: st}); err != nil {
		t.Fatal(err)
	}
	return srv, ad
}

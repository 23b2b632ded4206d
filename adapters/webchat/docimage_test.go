package webchat_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/store/storetest"
)

var updateDocImages = flag.Bool("update-doc-images", false, "regenerate docs/images/widget.png (needs chromium)")

// widgetImage is the README's picture of the widget.
var widgetImage = filepath.Join("..", "..", "docs", "images", "widget.png")

// TestWidgetScreenshot takes the README's picture of the widget: open on a
// stand-in website, with a short conversation in the chat.
// It writes only with -update-doc-images; a normal run skips it, so the
// committed picture changes only when someone looks at it.
func TestWidgetScreenshot(t *testing.T) {
	if !*updateDocImages {
		t.Skip("go test ./adapters/webchat -run TestWidgetScreenshot -update-doc-images regenerates " + widgetImage)
	}
	exe := chromium(t)
	st := storetest.Open(t)
	surface := adaptertest.NewSurface("console")
	srv, ad := widgetServer(t, st, webchat.Config{Enabled: true})
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface}, Channels: []bridge.CustomerChannel{ad}})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify})
	mux := http.NewServeMux()
	mux.Handle("/chat/", ad.Handler(eng))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, docSitePage)
	})
	srv.Config.Handler = mux
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.Run(ctx)
	go ad.Run(ctx, eng)

	bctx := browser(t, exe)
	ready := shadow + `.querySelector('.tl-panel.open') !== null && ` + shadow + `.querySelector('.tl-status').textContent === ''`
	settled := func(staff int) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](shadow+`.querySelectorAll('.tl-msg.staff').length === `+strconv.Itoa(staff)+
			` && `+shadow+`.querySelectorAll('.tl-msg.pending').length === 0`, chromedp.WithPollingTimeout(20*time.Second))
	}
	send := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SendKeys(chromedp.JSPath(shadow+`.querySelector('.tl-input')`), text),
			chromedp.Click(chromedp.JSPath(shadow+`.querySelector('[data-testid=send]')`)),
		)
	}
	reply := func(conv bridge.ConversationID, text string) {
		t.Helper()
		sc := engine.StaffContext{Conversation: conv, Actor: bridge.Actor{ID: "console:sam", Name: "Sam"}, Surface: "console"}
		if _, err := eng.Reply(context.Background(), sc, text, nil); err != nil {
			t.Fatal(err)
		}
	}

	err := chromedp.Do(bctx,
		chromedp.EmulateViewport(760, 600, chromedp.EmulateScale(1.5)),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Poll[chromedp.Void](ready, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.SendKeys(chromedp.JSPath(shadow+`.querySelector('.tl-name')`), "Anna"),
		send("Hi! I was charged twice for my March invoice."),
		settled(0),
	)
	if err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 20*time.Second, func() bool { p, _, _ := surface.Snapshot(); return len(p) == 1 }, "the message reaches the staff thread")
	posts, _, _ := surface.Snapshot()
	conv := posts[0].Conv
	reply(conv, "Sorry about that, Anna! I've refunded the second charge; you'll see it in 3-5 days.")
	if err := chromedp.Do(bctx, settled(1), send("Great, thanks for the quick help!"), settled(1)); err != nil {
		t.Fatal(err)
	}

	// No caret or focus ring in the picture.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(`+shadow+`.activeElement && `+shadow+`.activeElement.blur(), true)`)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	writeDocImage(t, widgetImage, png)
}

// writeDocImage writes a picture under docs/images and logs its size.
func writeDocImage(t *testing.T, path string, png []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d KB)", path, len(png)/1024)
}

// docSitePage stands for a customer's website: a header and grey
// placeholder lines, so the eye goes to the chat.
const docSitePage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example Cloud</title>
<style>
body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f6f7f9;color:#1c1e21}
header{background:#fff;border-bottom:1px solid #e4e6eb;padding:14px 32px;font-weight:700;font-size:18px}
header span{color:#2d5be3}
main{padding:28px 32px;max-width:330px}
h1{font-size:22px;margin:0 0 16px}
.l{height:12px;background:#dfe2e8;border-radius:6px;margin:12px 0}
.card{background:#fff;border:1px solid #e4e6eb;border-radius:10px;padding:6px 16px;margin:22px 0}
</style></head><body>
<header><span>&#9679;</span> Example Cloud &nbsp;&middot;&nbsp; Help center</header>
<main><h1>Billing questions</h1>
<div class="l" style="width:95%"></div><div class="l" style="width:88%"></div><div class="l" style="width:60%"></div>
<div class="card"><div class="l" style="width:70%"></div><div class="l" style="width:90%"></div><div class="l" style="width:40%"></div></div>
<div class="card"><div class="l" style="width:80%"></div><div class="l" style="width:65%"></div></div>
<div class="l" style="width:92%"></div><div class="l" style="width:75%"></div>
</main>
<script src="/chat/widget.js" data-open="true"></script>
</body></html>`

package webchat_test

import (
	"context"
	"flag"
	"image"
	"image/color"
	"image/draw"
	pngenc "image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
)

var updateDocImages = flag.Bool("update-doc-images", false, "regenerate docs/images/widget.png and widget-dark.png (needs chromium)")

// The docs' pictures of the widget.
var (
	widgetImage     = filepath.Join("..", "..", "docs", "images", "widget.png")
	widgetDarkImage = filepath.Join("..", "..", "docs", "images", "widget-dark.png")
)

// TestWidgetScreenshot takes the docs' pictures of the widget: open on a
// stand-in website with a short conversation, in light mode (the greeting
// with the usual wait, a seen message, a staff reply) and in dark mode (a
// staff image, staff typing). It writes only with -update-doc-images; a
// normal run skips it, so the committed pictures change only when someone
// looks at them.
func TestWidgetScreenshot(t *testing.T) {
	if !*updateDocImages {
		t.Skip("go test ./adapters/webchat -run TestWidgetScreenshot -update-doc-images regenerates " + widgetImage + " and " + widgetDarkImage)
	}
	for _, tc := range []struct {
		path string
		dark bool
	}{{widgetImage, false}, {widgetDarkImage, true}} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) { shootWidget(t, tc.path, tc.dark) })
	}
}

func shootWidget(t *testing.T, path string, dark bool) {
	c := newChatWith(t, nil, func(o *webchat.Options) {
		o.Availability = func(time.Time) webchat.Availability {
			return webchat.Availability{Open: true, ExpectedWait: 5 * time.Minute}
		}
	})
	page := docSitePage(dark)
	settled := func(staff int) chromedp.Action[chromedp.Void] {
		return c.wait(shadow + `.querySelectorAll('.tl-msg.staff').length === ` + strconv.Itoa(staff) +
			` && ` + shadow + `.querySelectorAll('.tl-msg.pending').length === 0`)
	}
	c.mu.Lock()
	c.pages["site"] = page
	c.mu.Unlock()
	c.do(chromedp.EmulateViewport(760, 620, chromedp.EmulateScale(1.5)), chromedp.Navigate(c.srv.URL+"/p/site"), c.wait(connected),
		chromedp.SendKeys(chromedp.JSPath(q(".tl-name")), "Anna"),
		c.typeAndSend("Hi! I was charged twice for my March invoice."), settled(0))
	conv := c.posts(1)[0].Conv
	if !dark {
		c.reply(conv, "Sorry about that, Anna! I've refunded the second charge; you'll see it in 3-5 days.")
		c.do(settled(1), c.typeAndSend("Great, thanks for the quick help!"), settled(1))
	} else {
		chart := filepath.Join(c.files, "slack-1-refund.png")
		writeChart(t, chart)
		c.reply(conv, "Sorry about that, Anna! Here's the refund in our system:", bridge.Attachment{Name: "refund.png", MIME: "image/png", Path: chart})
		c.do(settled(1), c.wait(q(".tl-msg.staff img")+`.complete`), c.typeAndSend("Perfect, thank you!"), settled(1))
		if err := bridge.PublishTyping(context.Background(), c.relay, bridge.Typing{Conversation: conv, Staff: true, Name: "Sam"}); err != nil {
			t.Fatal(err)
		}
		c.do(c.wait(`!` + q("[data-testid=typing]") + `.hidden`))
	}
	// No caret or focus ring in the picture, and the newest message in view.
	c.do(js(`(` + shadow + `.activeElement && ` + shadow + `.activeElement.blur(), ` + q(".tl-list") + `.scrollTop = 1e6, true)`))
	png, err := chromedp.Run(c.bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	writeDocImage(t, path, png)
}

// writeChart draws a small bar chart, a stand-in for a staff screenshot.
func writeChart(t *testing.T, path string) {
	img := image.NewRGBA(image.Rect(0, 0, 240, 120))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{250, 250, 252, 255}}, image.Point{}, draw.Src)
	for i, h := range []int{40, 70, 55, 90, 30} {
		col := color.RGBA{45, 91, 227, 255}
		if i == 4 {
			col = color.RGBA{46, 160, 67, 255}
		}
		draw.Draw(img, image.Rect(20+i*44, 110-h, 52+i*44, 110), &image.Uniform{col}, image.Point{}, draw.Src)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pngenc.Encode(f, img); err != nil {
		t.Fatal(err)
	}
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
// placeholder lines, so the eye goes to the chat; dark for the dark picture.
func docSitePage(dark bool) string {
	bg, fg, card, line, border, theme := "#f6f7f9", "#1c1e21", "#fff", "#dfe2e8", "#e4e6eb", "light"
	if dark {
		bg, fg, card, line, border, theme = "#121316", "#e8eaed", "#1b1d21", "#2c2f35", "#2a2d33", "dark"
	}
	return strings.NewReplacer("BG", bg, "FG", fg, "CARD", card, "LINE", line, "BORDER", border, "THEME", theme).Replace(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example Cloud</title>
<style>
body{margin:0;font:16px/1.5 system-ui,sans-serif;background:BG;color:FG}
header{background:CARD;border-bottom:1px solid BORDER;padding:14px 32px;font-weight:700;font-size:18px}
header span{color:#2d5be3}
main{padding:28px 32px;max-width:300px}
h1{font-size:22px;margin:0 0 16px}
.l{height:12px;background:LINE;border-radius:6px;margin:12px 0}
.card{background:CARD;border:1px solid BORDER;border-radius:10px;padding:6px 16px;margin:22px 0}
</style></head><body>
<header><span>&#9679;</span> Example Cloud &nbsp;&middot;&nbsp; Help center</header>
<main><h1>Billing questions</h1>
<div class="l" style="width:95%"></div><div class="l" style="width:88%"></div><div class="l" style="width:60%"></div>
<div class="card"><div class="l" style="width:70%"></div><div class="l" style="width:90%"></div><div class="l" style="width:40%"></div></div>
<div class="card"><div class="l" style="width:80%"></div><div class="l" style="width:65%"></div></div>
<div class="l" style="width:92%"></div><div class="l" style="width:75%"></div>
</main>
<script src="/chat/widget.js" data-open="true" data-theme="THEME"></script>
</body></html>`)
}

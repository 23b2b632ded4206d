package slack

import (
	"context"
	"flag"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/bridge"
)

var updateDocImages = flag.Bool("update-doc-images", false, "regenerate docs/images/slack-card.png (needs chromium)")

// cardImage is the README's picture of a ticket card.
var cardImage = filepath.Join("..", "..", "docs", "images", "slack-card.png")

// docCard is the conversation the picture shows: claimed, with an SLA due.
func docCard() bridge.ConversationView {
	return bridge.ConversationView{
		Conversation: bridge.Conversation{ID: 42, CustomerName: "Anna Schmidt", Channel: "email", Entry: "billing@example.com",
			Subject: "Charged twice for March", Status: bridge.StatusOpen, Priority: bridge.PriorityHigh, Department: "billing",
			Owner: "slack:U0ALICE", OwnerName: "Alice", MessageCount: 3,
			SLADue: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)},
		Identity:    "anna@example.com",
		LastMessage: "Hi, I was charged twice for my March invoice. Can you refund one of them?",
		Tags:        []string{"refund"},
	}
}

// TestCardRendersAsHTML keeps the picture's renderer in step with the
// card: every block, element and emoji the card uses in any state must
// have an HTML rendering, or the picture would silently drop it.
func TestCardRendersAsHTML(t *testing.T) {
	base := docCard()
	unclaimed := base
	unclaimed.Owner, unclaimed.OwnerName, unclaimed.Priority = "", "", bridge.PriorityUrgent
	waiting := base
	waiting.Status, waiting.SnoozedUntil, waiting.EscalatedTo, waiting.Priority = bridge.StatusWaiting, time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), "engineering", bridge.PriorityLow
	closed := base
	closed.Status, closed.Unreachable, closed.Priority = bridge.StatusClosed, "bot was blocked by the user", bridge.PriorityNormal
	for name, v := range map[string]bridge.ConversationView{"claimed": base, "unclaimed": unclaimed, "waiting": waiting, "closed": closed} {
		page, err := slackPage(cardBlocks(v, "https://example.slack.com/archives/C1/p1"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.Contains(page, html.EscapeString(cardTitle(v))) || !strings.Contains(page, `class="btn`) {
			t.Errorf("%s: the page lacks the title or the buttons:\n%s", name, page)
		}
	}
}

// TestCardScreenshot renders the card's Block Kit blocks as a page that
// looks like Slack and screenshots it in headless Chromium, for the
// README. It runs only with -update-doc-images.
func TestCardScreenshot(t *testing.T) {
	if !*updateDocImages {
		t.Skip("go test ./adapters/slack -run TestCardScreenshot -update-doc-images regenerates " + cardImage)
	}
	exe := ""
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := exec.LookPath(p); p != "" && err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		t.Fatal("no chromium installed: apt-get install -y chromium")
	}
	page, err := slackPage(cardBlocks(docCard(), ""))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()))
	actx, acancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(720, 400, chromedp.EmulateScale(2)), chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#shot")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cardImage, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d KB)", cardImage, len(png)/1024)
}

// slackPage renders blocks as a channel message from the app, styled
// after Slack's desktop client. It fails on anything it cannot draw.
func slackPage(blocks []slack.Block) (string, error) {
	var b strings.Builder
	for _, blk := range blocks {
		switch blk := blk.(type) {
		case *slack.HeaderBlock:
			b.WriteString(`<div class="header">` + plainHTML(blk.Text) + `</div>`)
		case *slack.SectionBlock:
			if blk.Text != nil {
				s, err := textHTML(blk.Text)
				if err != nil {
					return "", err
				}
				b.WriteString(`<div class="section">` + s + `</div>`)
			}
			if len(blk.Fields) > 0 {
				b.WriteString(`<div class="fields">`)
				for _, f := range blk.Fields {
					s, err := textHTML(f)
					if err != nil {
						return "", err
					}
					b.WriteString(`<div>` + s + `</div>`)
				}
				b.WriteString(`</div>`)
			}
			if blk.Accessory != nil {
				return "", fmt.Errorf("section accessories are not drawn")
			}
		case *slack.ContextBlock:
			b.WriteString(`<div class="context">`)
			for _, el := range blk.ContextElements.Elements {
				to, ok := el.(*slack.TextBlockObject)
				if !ok {
					return "", fmt.Errorf("context element %T is not drawn", el)
				}
				s, err := textHTML(to)
				if err != nil {
					return "", err
				}
				b.WriteString(`<span>` + s + `</span>`)
			}
			b.WriteString(`</div>`)
		case *slack.ActionBlock:
			b.WriteString(`<div class="actions">`)
			for _, el := range blk.Elements.ElementSet {
				btn, ok := el.(*slack.ButtonBlockElement)
				if !ok {
					return "", fmt.Errorf("action element %T is not drawn", el)
				}
				b.WriteString(`<span class="btn ` + string(btn.Style) + `">` + plainHTML(btn.Text) + `</span>`)
			}
			b.WriteString(`</div>`)
		default:
			return "", fmt.Errorf("block %T is not drawn", blk)
		}
	}
	return strings.Replace(slackPageTemplate, "{{blocks}}", b.String(), 1), nil
}

func plainHTML(t *slack.TextBlockObject) string { return html.EscapeString(t.Text) }

func textHTML(t *slack.TextBlockObject) (string, error) {
	if t.Type == slack.PlainTextType {
		return plainHTML(t), nil
	}
	return mrkdwnHTML(t.Text)
}

var (
	cardToken = regexp.MustCompile(`<([^<>]*)>`)
	cardBold  = regexp.MustCompile(`\*([^*\n]+)\*`)
	cardCode  = regexp.MustCompile("`([^`\n]+)`")
	cardEmoji = regexp.MustCompile(`:([a-z0-9_+-]+):`)
)

// emojiHTML draws the card's emoji with CSS, so the picture needs no
// emoji font.
var emojiHTML = map[string]string{
	"large_green_circle":  `<i class="dot" style="background:#78b159"></i>`,
	"large_yellow_circle": `<i class="dot" style="background:#fdcb58"></i>`,
	"white_circle":        `<i class="dot" style="background:#e6e7e8;box-shadow:inset 0 0 0 1px #bbb"></i>`,
	"rotating_light":      `<i class="dot" style="background:#dd2e44;box-shadow:0 0 0 2px #ffb3bd"></i>`,
	"small_red_triangle":  `<i class="tri"></i>`,
	"no_entry":            `<i class="dot noentry"></i>`,
	"zzz":                 `<b class="zzz">z<sup>z</sup></b>`,
	"stopwatch":           `<i class="dot clock"></i>`,
}

// mrkdwnHTML renders the subset of mrkdwn the card uses. Text outside
// <...> is already escaped the way Slack wants (&amp; &lt; &gt;), which is
// also valid HTML.
func mrkdwnHTML(s string) (string, error) {
	var failed error
	s = cardToken.ReplaceAllStringFunc(s, func(tok string) string {
		inner := tok[1 : len(tok)-1]
		label := ""
		if i := strings.IndexByte(inner, '|'); i >= 0 {
			inner, label = inner[:i], inner[i+1:]
		}
		switch {
		case strings.HasPrefix(inner, "!date^"):
			parts := strings.SplitN(inner, "^", 3)
			sec, err := strconv.ParseInt(parts[1], 10, 64)
			if err != nil || len(parts) < 3 {
				failed = fmt.Errorf("bad date token %q", tok)
				return ""
			}
			at := time.Unix(sec, 0).UTC()
			day := at.Format("Jan 2") + ordinal(at.Day())
			return strings.NewReplacer("{date_short_pretty}", day, "{time}", at.Format("15:04")).Replace(parts[2])
		case strings.HasPrefix(inner, "http"):
			if label == "" {
				label = inner
			}
			return `<a>` + label + `</a>`
		}
		failed = fmt.Errorf("token %q is not drawn", tok)
		return ""
	})
	s = cardBold.ReplaceAllString(s, "<b>$1</b>")
	s = cardCode.ReplaceAllString(s, "<code>$1</code>")
	s = cardEmoji.ReplaceAllStringFunc(s, func(e string) string {
		h, ok := emojiHTML[strings.Trim(e, ":")]
		if !ok {
			failed = fmt.Errorf("emoji %s is not drawn", e)
		}
		return h
	})
	return strings.ReplaceAll(s, "\n", "<br>"), failed
}

func ordinal(d int) string {
	switch {
	case d%100 >= 11 && d%100 <= 13:
		return "th"
	case d%10 == 1:
		return "st"
	case d%10 == 2:
		return "nd"
	case d%10 == 3:
		return "rd"
	}
	return "th"
}

const slackPageTemplate = `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#fff;font:15px/1.46668 Lato,"Helvetica Neue",Helvetica,"Liberation Sans",Arial,sans-serif;color:#1d1c1d}
#shot{width:660px;padding:14px 20px 16px}
.chan{font-weight:900;font-size:18px;padding:0 0 12px;border-bottom:1px solid #e8e8e8;margin-bottom:12px}
.chan span{color:#616061;font-weight:400;font-size:13px;margin-left:8px}
.msg{display:flex;gap:8px}
.avatar{flex:none;width:36px;height:36px;border-radius:6px;background:#2d5be3;color:#fff;font-weight:900;font-size:20px;display:flex;align-items:center;justify-content:center}
.who{font-weight:900}.app{font-size:10px;font-weight:700;color:#616061;background:#e8e8e8;border-radius:2px;padding:1px 3px;margin:0 4px;vertical-align:1px}
.when{color:#616061;font-size:12px}
.header{font-size:18px;font-weight:900;line-height:1.33;margin:4px 0 6px}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin:4px 0 8px}
.context{font-size:13px;color:#616061;margin:4px 0}
.context span{margin-right:10px}
.actions{display:flex;gap:8px;margin:10px 0 8px}
.btn{font-size:15px;font-weight:700;height:28px;line-height:26px;padding:0 12px;border:1px solid rgba(29,28,29,.3);border-radius:4px;box-sizing:border-box}
.btn.primary{background:#007a5a;color:#fff;border-color:#007a5a}
.btn.danger{color:#e01e5a;border-color:rgba(224,30,90,.5)}
code{font:12px Monaco,"DejaVu Sans Mono",monospace;color:#e01e5a;background:#f8f8f8;border:1px solid #e8e8e8;border-radius:3px;padding:0 3px}
a{color:#1264a3}
.dot{display:inline-block;width:13px;height:13px;border-radius:50%;vertical-align:-1px;margin-right:5px;position:relative}
.noentry{background:#dd2e44}.noentry:after{content:"";position:absolute;left:3px;right:3px;top:5px;height:3px;background:#fff}
.clock{background:#fff;box-shadow:inset 0 0 0 2px #8899a6}.clock:after{content:"";position:absolute;left:6px;top:3px;width:2px;height:5px;background:#dd2e44}
.tri{display:inline-block;width:0;height:0;border-left:6px solid transparent;border-right:6px solid transparent;border-bottom:10px solid #dd2e44;margin-right:5px}
.zzz{color:#3b88c3;font-weight:900;margin-right:5px}
.replies{display:flex;align-items:center;gap:6px;font-size:13px;margin-top:2px}
.replies i{width:24px;height:24px;border-radius:4px;display:inline-block}
.replies b{color:#1264a3}.replies span{color:#616061}
</style></head><body><div id="shot">
<div class="chan"># support-billing<span>Threadline posts one card per conversation; the thread below it is the conversation</span></div>
<div class="msg"><div class="avatar">T</div><div>
<div><span class="who">Threadline</span><span class="app">APP</span><span class="when">10:42</span></div>
{{blocks}}
<div class="replies"><i style="background:#e8912d"></i><i style="background:#4a154b"></i><b>3 replies</b><span>Last reply today at 10:58</span></div>
</div></div></div></body></html>`

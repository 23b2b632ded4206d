package webchat_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/storetest"
)

// TestBrowserKnowledgeBase drives deflection and !kb in headless
// Chromium. While a visitor types their first question the widget offers
// the matching article; they read it, say it did not help and write
// anyway (recorded as "still wrote"), after which nothing more is
// offered. Staff find an article with !kb and send it with !kb send 1: it
// arrives in the widget. A second visitor is helped by an article: that
// is recorded, and no conversation opens.
func TestBrowserKnowledgeBase(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"refunds.md": "---\ntitle: When will I get my refund?\ntags: [refund]\nurl: https://help.example/refunds\n---\n" +
			"# Refunds\n\nRefunds reach your card within **5 business days** after we receive the return.\n",
		"shipping.md": "---\ntitle: Shipping times\ntags: [shipping, delivery]\n---\nOrders ship within 2 days; delivery takes 3 to 5 days.\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kb, err := answers.OpenKB(answers.KBOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	c := newChatOn(t, st, nil, func(o *webchat.Options) {
		o.Articles = webchat.KnowledgeBase(answers.NewDeflection(kb, st, nil))
	})
	ctx := context.Background()
	offered := q(".tl-kb") + `.hidden === false && ` + q(".tl-kb-item") + ` !== null`

	c.do(chromedp.Navigate(c.page("kb", "en", `data-open="true"`, "")), c.wait(connected),
		chromedp.SendKeys(chromedp.JSPath(q(".tl-input")), "When will my refund arrive"),
		c.wait(offered))
	if got := eval[string](c, q(".tl-kb p")+`.textContent + '|' + `+q(".tl-kb-item")+`.textContent`); got != "These articles may answer your question:|When will I get my refund?" {
		t.Errorf("offer %q", got)
	}
	c.do(chromedp.Click(chromedp.JSPath(q(".tl-kb-item"))), c.wait(q("[data-testid=helpedNo]")+` !== null`))
	text := eval[string](c, q(".tl-kb-text")+`.textContent`)
	link := eval[string](c, q(".tl-kb a")+`.href + ' ' + `+q(".tl-kb a")+`.rel + ' ' + `+q(".tl-kb a")+`.target`)
	if !strings.Contains(text, "within 5 business days after") || strings.Contains(text, "**") || link != "https://help.example/refunds noopener noreferrer _blank" {
		t.Errorf("article %q, link %q", text, link)
	}
	c.do(chromedp.Click(chromedp.JSPath(q("[data-testid=helpedNo]"))), c.wait(q(".tl-kb")+`.hidden`),
		chromedp.Click(chromedp.JSPath(q("[data-testid=send]"))),
		c.wait(shadow+`.querySelectorAll('.tl-msg.customer[data-id]').length === 1`))
	posts := c.posts(1)
	if posts[0].Post.Text != "When will my refund arrive" {
		t.Fatalf("staff thread got %+v", posts[0].Post)
	}
	conv := posts[0].Conv
	adaptertest.Eventually(t, 10*time.Second, func() bool {
		got, _ := st.LatestAudit(ctx, answers.ActionKBStill, 10)
		return len(got) == 1 && got[0].Detail == "refunds"
	}, "the visitor who wrote anyway is recorded")

	// In a conversation, typing offers nothing.
	c.do(chromedp.SendKeys(chromedp.JSPath(q(".tl-input")), "and the shipping times please"), chromedp.Sleep(time.Second))
	if !eval[bool](c, q(".tl-kb")+`.hidden`) {
		t.Error("articles offered during a conversation")
	}

	// Staff: !kb finds the article, !kb send 1 sends it to the widget.
	svc := answers.New(answers.Options{Store: st, KB: kb, Post: c.eng})
	table, err := commands.All()
	if err != nil {
		t.Fatal(err)
	}
	h := commands.NewHandler(c.eng, table, commands.DefaultSyntax(), nil, commands.WithAnswers(svc))
	sam := bridge.Actor{ID: "console:sam", Name: "Sam"}
	fb, err := h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "console", Conversation: conv, Actor: sam, Text: "!kb shipping times"})
	if err != nil || fb.Error || !strings.Contains(fb.Text, "1. Shipping times (shipping)") {
		t.Fatalf("!kb: %+v %v", fb, err)
	}
	fb, err = h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "console", Conversation: conv, Actor: sam, Text: "!kb send 1"})
	if err != nil || fb.Error {
		t.Fatalf("!kb send 1: %+v %v", fb, err)
	}
	c.do(c.wait(q(".tl-msg.staff") + ` !== null && ` + q(".tl-msg.staff") + `.textContent.includes('Orders ship within 2 days; delivery takes 3 to 5 days.')`))

	// A new visitor in the same browser is helped: recorded, no conversation.
	c.do(js(`Threadline.reset()`), c.wait(connected+` && `+shadow+`.querySelectorAll('.tl-msg[data-id]').length === 0`),
		js(q(".tl-input")+`.value = ''`),
		chromedp.SendKeys(chromedp.JSPath(q(".tl-input")), "how long does shipping take"),
		c.wait(offered),
		chromedp.Click(chromedp.JSPath(q(".tl-kb-item"))),
		c.wait(q("[data-testid=helpedYes]")+` !== null`),
		chromedp.Click(chromedp.JSPath(q("[data-testid=helpedYes]"))),
		c.wait(q(".tl-kb")+`.textContent === 'Glad it helped! You can still write to us any time.'`))
	adaptertest.Eventually(t, 10*time.Second, func() bool {
		got, _ := st.LatestAudit(ctx, answers.ActionKBHelped, 10)
		return len(got) == 1 && got[0].Detail == "shipping"
	}, "the visitor an article helped is recorded")
	if cs, err := st.OpenConversations(ctx, 10); err != nil || len(cs) != 1 {
		t.Errorf("open conversations: %d %v", len(cs), err)
	}
}

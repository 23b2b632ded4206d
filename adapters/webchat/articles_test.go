package webchat_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/store/storetest"
)

// kbFixture is a web chat whose widget offers the articles of a real
// knowledge base in a temporary folder.
func kbFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"refunds.md":  "---\ntitle: When will I get my refund?\ntags: [refund, return]\nlanguage: en\nurl: https://help.example/refunds\n---\nRefunds reach your card within **5 business days** after we receive the return.\n",
		"versand.md":  "---\ntitle: Versand nach Österreich\ntags: [versand]\nlanguage: de\n---\nWir versenden nach Österreich in 3 Tagen.\n",
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
	return fixtureOn(t, st, nil, nil, func(o *webchat.Options) {
		o.Articles = webchat.KnowledgeBase(answers.NewDeflection(kb, st, nil))
	})
}

func TestWidgetOffersMatchingArticlesInItsLanguageAndOnlyToAVisitor(t *testing.T) {
	f := kbFixture(t)
	if r := f.do(t, "GET", "/chat/api/articles?q=refund", "", "", nil); r.status != 401 {
		t.Errorf("without a token: %d %v", r.status, r.body)
	}
	tok := f.session(t)
	r := f.do(t, "GET", "/chat/api/articles?lang=en&q="+url.QueryEscape("when do I get my refund back"), tok, "https://shop.example", nil)
	arts, _ := r.body["articles"].([]any)
	if r.status != 200 || len(arts) != 1 || r.header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("articles: %d %v", r.status, r.body)
	}
	a := arts[0].(map[string]any)
	if a["slug"] != "refunds" || a["title"] != "When will I get my refund?" || a["url"] != "https://help.example/refunds" ||
		!strings.Contains(a["text"].(string), "within 5 business days after") {
		t.Errorf("article %v", a)
	}
	for q, want := range map[string]int{
		"lang=de&q=" + url.QueryEscape("when do I get my refund back"): 0, // an English article is not offered in German
		"lang=de&q=" + url.QueryEscape("Versand nach Österreich"):      1,
		"lang=en&q=" + url.QueryEscape("shipping delivery time"):       1, // no language: offered in every one
		"lang=en&q=refund": 0, // one word matches too much
		"lang=en&q=" + url.QueryEscape("my lamp flickers at night"): 0,
		"q=" + strings.Repeat("refund+", 2000):                      1,
	} {
		r := f.do(t, "GET", "/chat/api/articles?"+q, tok, "", nil)
		if arts, _ := r.body["articles"].([]any); r.status != 200 || len(arts) != want {
			t.Errorf("%.60s: %d %v, want %d articles", q, r.status, r.body, want)
		}
	}
}

func TestWidgetRecordsHelpedAndStillWroteButNoUnknownArticle(t *testing.T) {
	f := kbFixture(t)
	tok := f.session(t)
	for _, body := range []map[string]any{{"slug": "refunds", "helped": true}, {"slug": "refunds", "helped": false}} {
		if r := f.do(t, "POST", "/chat/api/articles/feedback", tok, "", body); r.status != 204 {
			t.Fatalf("feedback %v: %d %v", body, r.status, r.body)
		}
	}
	for _, body := range []any{map[string]any{"slug": "../secret", "helped": true}, map[string]any{"helped": true}, "not json"} {
		if r := f.do(t, "POST", "/chat/api/articles/feedback", tok, "", body); r.status != 400 {
			t.Errorf("feedback %v: %d %v", body, r.status, r.body)
		}
	}
	ctx := context.Background()
	for _, action := range []string{answers.ActionKBHelped, answers.ActionKBStill} {
		got, err := f.st.LatestAudit(ctx, action, 10)
		if err != nil || len(got) != 1 || got[0].Detail != "refunds" {
			t.Errorf("%s: %+v %v", action, got, err)
		}
	}
}

func TestSessionSaysWhetherTheVisitorIsInAConversation(t *testing.T) {
	f := kbFixture(t)
	r := f.do(t, "POST", "/chat/api/session", "", "", nil)
	tok := r.body["token"].(string)
	if r.body["in_conversation"] != nil {
		t.Errorf("a new visitor: %v", r.body)
	}
	if r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "hello there"}); r.status != 202 {
		t.Fatalf("post: %d %v", r.status, r.body)
	}
	if r := f.do(t, "POST", "/chat/api/session", "", "", map[string]any{"token": tok}); r.body["in_conversation"] != true {
		t.Errorf("after writing: %v", r.body)
	}
}

func TestWithoutAKnowledgeBaseThereAreNoArticles(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	if r := f.do(t, "GET", "/chat/api/articles?q=refund+please", tok, "", nil); r.status != 404 || r.body["code"] != "no_articles" {
		t.Errorf("articles: %d %v", r.status, r.body)
	}
}

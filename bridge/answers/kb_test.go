package answers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge/clocktest"
)

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// kbFolder writes a small knowledge base.
func kbFolder(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "billing", "refunds.md"), `---
title: When will I get my refund?
tags: [refund, returns]
language: en
---
Refunds are issued within **5 business days** after the warehouse receives your return.
See [our returns page](https://help.example.com/returns).
`)
	writeFile(t, filepath.Join(dir, "setup", "wifi.md"), `---
title: Connecting the hub to Wi-Fi
tags: wifi, router, setup
---
# Connecting the hub

The hub uses 2.4 GHz Wi-Fi. If your router has one name for both bands, turn on band steering off.
`)
	writeFile(t, filepath.Join(dir, "de", "rueckerstattung.md"), `---
title: Wann bekomme ich meine Rückerstattung?
language: de
tags: [refund]
---
Rückerstattungen kommen innerhalb von 5 Werktagen.
`)
	writeFile(t, filepath.Join(dir, "no-front-matter.md"), "# Opening hours\n\nWe answer Monday to Friday, 9 to 17.\n")
	writeFile(t, filepath.Join(dir, "drafts", "draft.md"), "---\ntitle: Unfinished refund thoughts\ndraft: true\n---\nrefund refund refund\n")
	writeFile(t, filepath.Join(dir, "notes.txt"), "not an article about refunds")
	writeFile(t, filepath.Join(dir, ".git", "x.md"), "# hidden refund")
	return dir
}

func TestKBIndexesArticlesWithFrontMatterAndLeavesOutDrafts(t *testing.T) {
	k, err := OpenKB(KBOptions{Dir: kbFolder(t)})
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 4 || len(k.Problems()) != 0 {
		t.Fatalf("%d articles, problems %v", k.Len(), k.Problems())
	}
	a, ok := k.Article("billing/refunds")
	if !ok || a.Title != "When will I get my refund?" || a.Language != "en" || strings.Join(a.Tags, ",") != "refund,returns" {
		t.Fatalf("refunds article: %+v", a)
	}
	if w, _ := k.Article("setup/wifi"); strings.Join(w.Tags, ",") != "wifi,router,setup" {
		t.Errorf("tags as a comma-separated string: %v", w.Tags)
	}
	if h, _ := k.Article("no-front-matter"); h.Title != "Opening hours" {
		t.Errorf("title from the first heading: %q", h.Title)
	}
	if _, ok := k.Article("drafts/draft"); ok {
		t.Error("a draft is offered")
	}
	if got := a.Excerpt(200); got != "Refunds are issued within 5 business days after the warehouse receives your return. See our returns page (https://help.example.com/returns)." {
		t.Errorf("excerpt %q", got)
	}
}

func TestKBSearchRanksTheArticleThatAnswersAndFiltersByLanguage(t *testing.T) {
	k, err := OpenKB(KBOptions{Dir: kbFolder(t)})
	if err != nil {
		t.Fatal(err)
	}
	hits := k.Search("Hi! I sent my parcel back two weeks ago, when is my money refunded? Thanks, Bob", "", 3)
	if len(hits) == 0 || hits[0].Slug != "billing/refunds" || hits[0].Coverage < MatchCoverage {
		t.Fatalf("hits %+v", hits)
	}
	en := k.Search("refund", "en-GB", 5)
	for _, h := range en {
		if h.Language == "de" {
			t.Errorf("a German article for an English visitor: %v", h.Slug)
		}
	}
	de := k.Search("refund", "de", 5)
	if len(de) == 0 || de[0].Slug != "de/rueckerstattung" {
		t.Errorf("German visitor: %+v", de)
	}
	if hits := k.Search("quantum entanglement", "", 3); len(hits) != 0 {
		t.Errorf("unrelated words found %+v", hits)
	}
}

func TestKBReloadsWhenAFileChangesAndSkipsBrokenFiles(t *testing.T) {
	dir := kbFolder(t)
	clock := clocktest.New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	k, err := OpenKB(KBOptions{Dir: dir, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.Watch(ctx, 10*time.Second) }()
	defer func() { cancel(); <-done }()

	writeFile(t, filepath.Join(dir, "billing", "invoices.md"), "---\ntitle: Invoices with a VAT number\n---\nAdd the VAT ID under billing details.\n")
	writeFile(t, filepath.Join(dir, "broken.md"), "---\ntitle: [unclosed\n---\nbody\n")
	clock.BlockUntil(1)
	clock.Advance(10 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for k.Len() != 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if k.Len() != 5 {
		t.Fatalf("%d articles after adding one", k.Len())
	}
	if p := k.Problems(); len(p) != 1 || !strings.Contains(p[0], "broken.md") {
		t.Errorf("problems %v", p)
	}
	if hits := k.Search("VAT number on my invoice", "", 1); len(hits) == 0 || hits[0].Slug != "billing/invoices" {
		t.Errorf("the new article is not found: %+v", hits)
	}
	os.Remove(filepath.Join(dir, "billing", "invoices.md"))
	if changed, err := k.Reload(); err != nil || !changed || k.Len() != 4 {
		t.Errorf("after removing: changed %v, err %v, %d articles", changed, err, k.Len())
	}
	if changed, _ := k.Reload(); changed {
		t.Error("reloaded although nothing changed")
	}
}

func TestOpenKBNeedsTheFolder(t *testing.T) {
	if _, err := OpenKB(KBOptions{Dir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing folder opened")
	}
}

func TestGapsGroupUnmatchedQuestionsByTheWordsTheyShare(t *testing.T) {
	k, err := OpenKB(KBOptions{Dir: kbFolder(t)})
	if err != nil {
		t.Fatal(err)
	}
	qs := []Question{
		{Conversation: 1, Text: "When will my refund arrive? I returned the lamp.", CustomerName: "Ann"},
		{Conversation: 2, Text: "Do you ship to Japan? I live in Tokyo.", CustomerName: "Ken"},
		{Conversation: 3, Text: "Shipping to Japan possible? My email is ken@example.com", CustomerName: "Ken Sato"},
		{Conversation: 4, Text: "can you ship the lamp to japan", CustomerName: "Yui"},
		{Conversation: 5, Text: "Is there a student discount?", CustomerName: "Leo"},
		{Conversation: 6, Text: "Student discount code please", CustomerName: "Mia"},
		{Conversation: 7, Text: "hi", CustomerName: "Zed"},
		{Conversation: 8, Text: "My dog ate the manual", CustomerName: "Bo"},
	}
	r := k.Gaps(qs, 10)
	if r.Questions != 7 || r.Unmatched != 6 {
		t.Fatalf("questions %d, unmatched %d", r.Questions, r.Unmatched)
	}
	if len(r.Gaps) != 2 || r.Gaps[0].Count != 3 || r.Gaps[1].Count != 2 {
		t.Fatalf("gaps %+v", r.Gaps)
	}
	if strings.Join(r.Gaps[0].Words, " ") != "japan ship" && strings.Join(r.Gaps[0].Words, " ") != "ship japan" {
		t.Errorf("words %v", r.Gaps[0].Words)
	}
	out := FormatGaps(r)
	if !strings.Contains(out, "6 of 7 opening questions matched no article") || strings.Contains(out, "ken@example.com") {
		t.Errorf("report:\n%s", out)
	}
}

func TestPlainTextKeepsWordsAndLinks(t *testing.T) {
	got := PlainText("# Title\n\nUse **bold** and `code`, see [docs](https://x.example/d) or ![img](https://x.example/i.png).")
	want := "Title\n\nUse bold and code, see docs (https://x.example/d) or https://x.example/i.png."
	if got != want {
		t.Errorf("got %q", got)
	}
}

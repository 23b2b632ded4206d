package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeopenai"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
)

// answersYAML is an answers section with a knowledge base in kb/ and the
// fake chat-completions API, to append to testConfig.
func answersYAML(ai *fakeopenai.Server) string {
	return `
answers:
  kb_dir: kb
  auto_suggest: true
  llm:
    url: ` + ai.BaseURL() + `
    model: qwen2.5
    timeout: 5s
`
}

// TestAnswersEndToEnd runs the real daemon wiring with a knowledge base,
// the fake Slack and the fake AI endpoint: an answered conversation is
// suggested for a new one (a note when it opens; the card's Suggest
// button, shown only to who pressed it); !use 1 and !kb send 1 reach the
// customer; !draft comes as a note and reaches nobody; an endpoint error
// is reported in the thread it was asked in.
func TestAnswersEndToEnd(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	fake.AddUser("U0ALICE", "Alice")
	ai := fakeopenai.New()
	defer ai.Close()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "kb"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kb", "password.md"), []byte("---\ntitle: Resetting your password\ntags: [password, login]\n---\n"+
		"Use Forgot password on the login screen; the link is valid for an hour.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(testConfig+slackYAML(fake)+answersYAML(ai)), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, path)
	eventually(t, "socket mode connected", func() bool { return fake.Connected() == 1 })
	var banner bytes.Buffer
	d.app.banner(&banner)
	if b := banner.String(); !strings.Contains(b, "answers   on   !suggest; knowledge base "+filepath.Join(dir, "kb")+" (1 articles; the widget offers them); AI drafts with qwen2.5 at "+ai.BaseURL()+"; auto-suggest on") {
		t.Errorf("banner:\n%s", b)
	}
	if !slices.ContainsFunc(d.app.jobs, func(j job) bool { return j.name == "auto_suggest" && j.schedule == autoSuggestSchedule }) {
		t.Error("no auto_suggest job")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	say := func(conv int64, text string) string {
		t.Helper()
		res, err := d.admin.Say(ctx, consoleSay(conv, text))
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		return res.Text
	}

	// A past conversation, answered and closed.
	maria := newVisitor(t, d.http)
	maria.say("Hi, how do I reset my password? The reset mail never comes.", "m1")
	eventually(t, "the first conversation", func() bool { _, err := d.app.st.Conversation(ctx, 1); return err == nil })
	say(1, "Hi, the reset mail often lands in spam; I have sent you a new reset link just now.")
	say(1, "!close")

	// A new one: the note of the automatic suggestion (the scheduled job's run).
	anna := newVisitor(t, d.http)
	anna.connect(d.http)
	anna.say("I forgot my password and no reset email arrives", "a1")
	eventually(t, "the second conversation", func() bool { _, err := d.app.st.Conversation(ctx, 2); return err == nil })
	if n, err := d.app.answers.AutoSuggest(ctx); err != nil || n != 1 {
		t.Fatalf("auto-suggest posted %d notes, %v", n, err)
	}
	var card string
	eventually(t, "the second card", func() bool {
		for _, p := range fake.Parents("C0SUPPORT1") {
			if strings.Contains(string(p.Blocks), "tl_suggest") && strings.Contains(string(p.Blocks), `"value":"2"`) {
				card = p.TS
			}
		}
		return card != ""
	})
	threadHas := func(what string) func() bool {
		return func() bool {
			return slices.ContainsFunc(fake.Thread("C0SUPPORT1", card), func(m fakeslack.Message) bool { return strings.Contains(m.Text, what) })
		}
	}
	eventually(t, "the suggestion note in the thread", threadHas("Suggested answer from a similar past conversation"))
	eventually(t, "the article in the note", threadHas("Article: Resetting your password"))

	// The Suggest button: only Alice sees the suggestions.
	if _, err := fake.Send(ctx, "interactive", fake.ButtonClick("C0SUPPORT1", card, "U0ALICE", "tl_suggest", "2")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "suggestions shown to Alice", func() bool {
		return slices.ContainsFunc(fake.Ephemerals("U0ALICE"), func(m fakeslack.Message) bool {
			return strings.Contains(m.Text, "Suggested answers from past conversations") && strings.Contains(m.Text, "often lands in spam")
		})
	})
	if len(anna.staffTexts()) != 0 {
		t.Fatalf("the customer got %q before anyone sent anything", anna.staffTexts())
	}

	// !use 1 in the Slack thread sends the suggestion as Alice's reply.
	ev, _ := fake.StaffMessage("C0SUPPORT1", card, "U0ALICE", "!use 1")
	if _, err := fake.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the suggestion reaches the customer", func() bool { return len(anna.staffTexts()) == 1 })
	if got := anna.staffTexts()[0]; got != "Hi, the reset mail often lands in spam; I have sent you a new reset link just now." {
		t.Errorf("customer got %q", got)
	}

	// !kb finds the article; !kb send 1 sends it.
	if out := say(2, "!kb password reset"); !strings.Contains(out, "1. Resetting your password (password)") {
		t.Errorf("!kb: %s", out)
	}
	say(2, "!kb send 1")
	eventually(t, "the article reaches the customer", func() bool { return len(anna.staffTexts()) == 2 })
	if got := anna.staffTexts()[1]; !strings.HasPrefix(got, "Resetting your password\n\nUse Forgot password") {
		t.Errorf("customer got %q", got)
	}

	// !draft: a note in the thread, nothing to the customer.
	ai.Push(fakeopenai.Response{Content: "Hi Anna, please look in your spam folder [1]."})
	if out := say(2, "!draft"); !strings.Contains(out, "Drafting a reply with qwen2.5") {
		t.Errorf("!draft: %s", out)
	}
	eventually(t, "the draft in the Slack thread", threadHas("AI draft for tester (qwen2.5; not sent"))
	if reqs := ai.Requests(); len(reqs) != 1 || !strings.Contains(reqs[0].User(), "often lands in spam") {
		t.Errorf("the draft was not grounded in the past answer: %+v", reqs)
	}

	// The endpoint fails: said in the thread where !summary was asked;
	// the conversation goes on.
	ai.Push(fakeopenai.Response{Status: 500, Error: "model not loaded"})
	ev, _ = fake.StaffMessage("C0SUPPORT1", card, "U0ALICE", "!summary")
	if _, err := fake.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failure in the thread", threadHas("!summary did not work"))
	anna.say("Found it in spam, thanks!", "a2")
	eventually(t, "the customer's next message in the thread", threadHas("Found it in spam, thanks!"))
	if len(anna.staffTexts()) != 2 {
		t.Errorf("the customer got %q", anna.staffTexts())
	}
}

// TestKnowledgeBaseIsIndexedAgainWhenItsFolderChanges: an article added
// while the daemon runs is found within answers.kb_reload; one removed
// goes; the AI commands say how to set an endpoint up.
func TestKnowledgeBaseIsIndexedAgainWhenItsFolderChanges(t *testing.T) {
	dir := t.TempDir()
	kb := filepath.Join(dir, "kb")
	if err := os.Mkdir(kb, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(testConfig+"answers:\n  kb_dir: kb\n  kb_reload: 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v := newVisitor(t, d.http)
	v.say("Do you ship to Norway?", "n1")
	eventually(t, "the conversation", func() bool { _, err := d.app.st.Conversation(ctx, 1); return err == nil })
	kbSays := func() string {
		res, err := d.admin.Say(ctx, consoleSay(1, "!kb shipping norway"))
		if err != nil {
			t.Fatal(err)
		}
		return res.Text
	}
	if out := kbSays(); !strings.Contains(out, "No article matches") {
		t.Fatalf("!kb before: %s", out)
	}
	article := filepath.Join(kb, "shipping.md")
	if err := os.WriteFile(article, []byte("---\ntitle: Shipping to Norway\ntags: [shipping]\n---\nWe ship to Norway in 4 days.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new article found", func() bool { return strings.Contains(kbSays(), "1. Shipping to Norway (shipping)") })
	if err := os.Remove(article); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the removed article gone", func() bool { return strings.Contains(kbSays(), "No article matches") })
	res, err := d.admin.Say(ctx, consoleSay(1, "!draft"))
	if err != nil || !res.Error || !strings.Contains(res.Text, "set answers.llm.url to an OpenAI-compatible API") {
		t.Errorf("!draft without an endpoint: %+v %v", res, err)
	}
}

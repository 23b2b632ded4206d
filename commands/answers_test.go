package commands_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeopenai"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// answersFixture: a handler with the answers service over a store that
// holds two past conversations, and an open one whose customer asks.
type answersFixture struct {
	h    *commands.Handler
	st   *sqlite.Store
	eng  *engine.Engine
	svc  *answers.Service
	conv bridge.ConversationID
	ai   *fakeopenai.Server
	kb   string
}

func newAnswersFixture(t *testing.T, withKB, withAI bool) *answersFixture {
	t.Helper()
	f := &answersFixture{st: storetest.Open(t)}
	f.eng = engine.New(engine.Options{Store: f.st, Surfaces: []bridge.Platform{"console"}})
	ctx := context.Background()
	past := func(addr, name, q, a string) {
		res, err := f.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: addr, Name: name, Text: q})
		if err != nil {
			t.Fatal(err)
		}
		sc := engine.StaffContext{Conversation: res.Conversation, Actor: bob, Surface: "console"}
		if _, err := f.eng.Reply(ctx, sc, a, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.eng.Close(ctx, sc, ""); err != nil {
			t.Fatal(err)
		}
	}
	past("maria", "Maria Lopez", "Hi, how do I reset the password of my account? The reset mail never comes.",
		"Hi Maria, the reset email often lands in spam; I have sent a new password reset link just now.")
	past("tom", "Tom Becker", "My refund for order #482133 has not arrived yet",
		"Hi Tom, the refund for order #482133 went out yesterday and reaches your card within 5 days.")
	for i, q := range []string{"Do you ship to Norway?", "Is the lamp dimmable?", "Can I pay with PayPal?", "My plug is offline"} {
		past("other"+string(rune('a'+i)), "Other", q, "Yes, that works as described on the product page.")
	}
	o := answers.Options{Store: f.st, Post: f.eng}
	if withKB {
		f.kb = t.TempDir()
		if err := os.WriteFile(filepath.Join(f.kb, "password.md"), []byte("---\ntitle: Resetting your password\ntags: [password, login]\n---\nUse Forgot password on the login screen; the link is valid for an hour.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		kb, err := answers.OpenKB(answers.KBOptions{Dir: f.kb})
		if err != nil {
			t.Fatal(err)
		}
		o.KB, o.KBDir = kb, f.kb
	}
	if withAI {
		f.ai = fakeopenai.New()
		t.Cleanup(f.ai.Close)
		llm, err := answers.NewLLM(answers.LLMOptions{URL: f.ai.BaseURL(), Model: "qwen2.5", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		o.LLM = llm
	}
	f.svc = answers.New(o)
	if withAI {
		runCtx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); f.svc.Run(runCtx) }()
		t.Cleanup(func() { cancel(); wg.Wait() })
	}
	table, err := commands.All()
	if err != nil {
		t.Fatal(err)
	}
	f.h = commands.NewHandler(f.eng, table, commands.DefaultSyntax(), nil, commands.WithAnswers(f.svc))
	res, err := f.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "anna", Name: "Anna Berg", Text: "I forgot my password and no reset email arrives"})
	if err != nil {
		t.Fatal(err)
	}
	f.conv = res.Conversation
	return f
}

func (f *answersFixture) say(t *testing.T, text string) bridge.Feedback {
	t.Helper()
	fb, err := f.h.HandleStaffMessage(context.Background(), bridge.StaffMessage{Surface: "console", Conversation: f.conv, Actor: alice, Text: text})
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return fb
}

// sent lists the replies stored for the customer of conv, newest last.
func (f *answersFixture) sent(t *testing.T) []string {
	t.Helper()
	ms, err := f.st.Messages(context.Background(), f.conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.Direction == bridge.DirStaff {
			out = append(out, m.Body)
		}
	}
	return out
}

func TestSuggestThenUseSendsTheMaskedAnswerWithThisCustomersName(t *testing.T) {
	f := newAnswersFixture(t, false, false)
	fb := f.say(t, "!suggest")
	if fb.Error || !strings.Contains(fb.Text, "1. from #1") || !strings.Contains(fb.Text, "Hi [name], the reset email often lands in spam") {
		t.Fatalf("!suggest: %+v", fb)
	}
	if strings.Contains(fb.Text, "Maria") {
		t.Errorf("another customer's name shown: %s", fb.Text)
	}
	if got := f.sent(t); len(got) != 0 {
		t.Fatalf("!suggest sent %q", got)
	}
	fb = f.say(t, "!use 1")
	if fb.Error || fb.Text != "Sent suggestion 1 to the customer." {
		t.Fatalf("!use 1: %+v", fb)
	}
	if got := f.sent(t); len(got) != 1 || got[0] != "Hi Anna, the reset email often lands in spam; I have sent a new password reset link just now." {
		t.Errorf("sent %q", got)
	}
	fb = f.say(t, "!use 9")
	if !fb.Error || !strings.Contains(fb.Text, "numbered 1 to") {
		t.Errorf("!use 9: %+v", fb)
	}
	fb = f.say(t, "!use soon")
	if !fb.Error || !strings.Contains(fb.Text, "Usage: !use <n>") {
		t.Errorf("!use soon: %+v", fb)
	}
}

func TestUseRefusesAnotherCustomersMaskedDetails(t *testing.T) {
	f := newAnswersFixture(t, false, false)
	ctx := context.Background()
	res, err := f.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "ida", Name: "Ida", Text: "Where is my refund? The order was returned."})
	if err != nil {
		t.Fatal(err)
	}
	f.conv = res.Conversation
	fb := f.say(t, "!suggest")
	if !strings.Contains(fb.Text, "order [order id]") || !strings.Contains(fb.Text, "copy the text and fill them in") {
		t.Fatalf("!suggest: %s", fb.Text)
	}
	fb = f.say(t, "!use 1")
	if !fb.Error || !strings.Contains(fb.Text, "Not sent: suggestion 1 holds details of another customer, masked as [order id]") {
		t.Errorf("!use 1: %+v", fb)
	}
	if got := f.sent(t); len(got) != 0 {
		t.Errorf("sent %q", got)
	}
}

func TestKBSearchAndSend(t *testing.T) {
	f := newAnswersFixture(t, true, false)
	fb := f.say(t, "!kb password reset")
	if fb.Error || !strings.Contains(fb.Text, "1. Resetting your password (password)") || !strings.Contains(fb.Text, "!kb send N") {
		t.Fatalf("!kb: %+v", fb)
	}
	fb = f.say(t, "!kb send 1")
	if fb.Error || !strings.Contains(fb.Text, "Sent the article “Resetting your password”") {
		t.Fatalf("!kb send 1: %+v", fb)
	}
	if got := f.sent(t); len(got) != 1 || !strings.HasPrefix(got[0], "Resetting your password\n\nUse Forgot password") {
		t.Errorf("sent %q", got)
	}
	fb = f.say(t, "!kb send 4")
	if !fb.Error {
		t.Errorf("!kb send 4: %+v", fb)
	}
	// Outside a thread: a search, no send.
	out, err := f.h.HandleStaffMessage(context.Background(), bridge.StaffMessage{Surface: "console", Actor: alice, Text: "!kb login"})
	if err != nil || out.Error || strings.Contains(out.Text, "kb send") || !strings.Contains(out.Text, "Resetting your password") {
		t.Errorf("!kb outside a thread: %+v %v", out, err)
	}
}

func TestWithoutKnowledgeBaseOrEndpointTheCommandsSayHowToSetThemUp(t *testing.T) {
	f := newAnswersFixture(t, false, false)
	for cmd, want := range map[string]string{
		"!kb refund":     "answers.kb_dir",
		"!promote":       "answers.kb_dir",
		"!draft":         "answers.llm.url",
		"!summary":       "answers.llm.url",
		"!translate":     "answers.llm.url",
		"!translate hej": "answers.llm.url",
		"!use draft":     "no AI draft was written",
	} {
		fb := f.say(t, cmd)
		if !fb.Error || !strings.Contains(fb.Text, want) {
			t.Errorf("%s: %+v, want %q", cmd, fb, want)
		}
	}
}

func TestDraftComesAsANoteAndUseDraftSendsIt(t *testing.T) {
	f := newAnswersFixture(t, true, true)
	f.ai.Push(fakeopenai.Response{Content: "Hi Anna, please check your spam folder; I have sent a new reset link [1]."})
	fb := f.say(t, "!draft mention the spam folder")
	if fb.Error || !strings.Contains(fb.Text, "Drafting a reply with qwen2.5") || !strings.Contains(fb.Text, "Nothing is sent to the customer") {
		t.Fatalf("!draft: %+v", fb)
	}
	waitFor(t, func() bool { return len(notes(t, f.st, f.conv)) > 0 })
	if got := f.sent(t); len(got) != 0 {
		t.Fatalf("the draft was sent by itself: %q", got)
	}
	if n := notes(t, f.st, f.conv)[0]; !strings.Contains(n, "🤖 AI draft for Alice") || !strings.Contains(n, "Sources: [1] past answer in #1") {
		t.Errorf("note %q", n)
	}
	// Where the draft sits in the note is saved just after the note's
	// commit; staff see the note only once the outbox posted it, but this
	// test reads the store, so it may be a moment early.
	waitFor(t, func() bool {
		fb = f.say(t, "!use draft")
		return !strings.Contains(fb.Text, "no AI draft was written")
	})
	if fb.Error || fb.Text != "Sent the AI draft to the customer." {
		t.Fatalf("!use draft: %+v", fb)
	}
	if got := f.sent(t); len(got) != 1 || got[0] != "Hi Anna, please check your spam folder; I have sent a new reset link." {
		t.Errorf("sent %q", got)
	}
}

func TestHandoffAsksForASummaryWhenAnEndpointIsSet(t *testing.T) {
	f := newAnswersFixture(t, false, true)
	f.ai.Push(fakeopenai.Response{Content: "- Anna cannot reset her password"})
	fb := f.say(t, "!handoff @bob please take over")
	if fb.Error || !strings.Contains(fb.Text, "An AI summary for them follows as a note.") {
		t.Fatalf("!handoff: %+v", fb)
	}
	waitFor(t, func() bool {
		for _, n := range notes(t, f.st, f.conv) {
			if strings.Contains(n, "🤖 AI summary (qwen2.5, after !handoff):\n- Anna cannot reset her password") {
				return true
			}
		}
		return false
	})
}

func TestPromoteWritesADraftArticle(t *testing.T) {
	f := newAnswersFixture(t, true, false)
	fb, err := f.h.HandleStaffMessage(context.Background(), bridge.StaffMessage{Surface: "console", Conversation: 1, Actor: alice, Text: "!promote Password reset mail in spam"})
	if err != nil || fb.Error || !strings.Contains(fb.Text, filepath.Join(f.kb, "drafts", "password-reset-mail-in-spam.md")) {
		t.Fatalf("!promote: %+v %v", fb, err)
	}
	fb = f.say(t, "!promote")
	if !fb.Error || !strings.Contains(fb.Text, "no staff reply") {
		t.Errorf("!promote without an answer: %+v", fb)
	}
}

func notes(t *testing.T, st *sqlite.Store, conv bridge.ConversationID) []string {
	t.Helper()
	ms, err := st.Messages(context.Background(), conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.Direction == bridge.DirNote {
			out = append(out, m.Body)
		}
	}
	return out
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

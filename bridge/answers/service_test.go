package answers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeopenai"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

type fixture struct {
	st    *sqlite.Store
	eng   *engine.Engine
	svc   *answers.Service
	clock *clocktest.Clock
	past  bridge.ConversationID // closed: Maria's refund
	conv  bridge.ConversationID // open: Anna asks about her refund
	ai    *fakeopenai.Server
	kbDir string
}

// newFixture stores a past conversation and opens a new one; with ai, an
// AI endpoint (the fake) is configured and the service runs.
func newFixture(t *testing.T, ai bool) *fixture {
	t.Helper()
	f := &fixture{st: storetest.Open(t), clock: clocktest.Monday(), kbDir: t.TempDir()}
	f.eng = engine.New(engine.Options{Store: f.st, Surfaces: []bridge.Platform{"console"}, Clock: f.clock})
	// Other closed conversations, so the index's counts mean something.
	var others []evalEntry
	for _, e := range loadEval(t) {
		if !strings.Contains(e.ID, "refund") && !strings.Contains(e.ID, "return") && !strings.Contains(e.ID, "lost") {
			others = append(others, e)
		}
	}
	seedEval(t, f.st, others[:30])
	err := f.st.Write(context.Background(), func(tx bridge.Tx) error {
		var err error
		f.past, err = storePast(tx, "maria", "Maria Lopez", f.clock.Now().Add(-48*time.Hour),
			"Hi, my refund for order #482133 has not arrived, can you check? Maria",
			"Hi Maria, the refund for order #482133 went out yesterday; the confirmation is at maria.lopez@example.com. It reaches your card within 5 days.")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	writeKB(t, f.kbDir)
	kb, err := answers.OpenKB(answers.KBOptions{Dir: f.kbDir})
	if err != nil {
		t.Fatal(err)
	}
	o := answers.Options{Store: f.st, KB: kb, KBDir: f.kbDir, Post: f.eng, Clock: f.clock}
	if ai {
		f.ai = fakeopenai.New()
		t.Cleanup(f.ai.Close)
		if o.LLM, err = answers.NewLLM(answers.LLMOptions{URL: f.ai.BaseURL(), Model: "llama3.1", Timeout: 2 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	f.svc = answers.New(o)
	if ai {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); f.svc.Run(ctx) }()
		t.Cleanup(func() { cancel(); wg.Wait() })
	}
	res, err := f.eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "anna", Name: "Anna Berg",
		Text: "Hello! Where is my refund? I sent the lamp back last week."})
	if err != nil {
		t.Fatal(err)
	}
	f.conv = res.Conversation
	return f
}

func writeKB(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "refunds.md"), []byte("---\ntitle: When will I get my refund?\ntags: [refund]\n---\nRefunds reach your card within 5 business days after we receive the return.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// notes lists conv's notes, oldest first.
func (f *fixture) notes(t *testing.T) []bridge.Message {
	t.Helper()
	ms, err := f.st.Messages(context.Background(), f.conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []bridge.Message
	for _, m := range ms {
		if m.Direction == bridge.DirNote {
			out = append(out, m)
		}
	}
	return out
}

// waitNotes waits until conv has n notes.
func (f *fixture) waitNotes(t *testing.T, n int) []bridge.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ns := f.notes(t); len(ns) >= n {
			return ns
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("conversation has %d notes, want %d", len(f.notes(t)), n)
	return nil
}

// notices lists the staff-only notices queued for conv.
func (f *fixture) notices(t *testing.T) []string {
	t.Helper()
	rows, err := f.st.OutboxRows(context.Background(), f.conv)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.Kind == bridge.KindNotice {
			var p bridge.NoticePayload
			_ = json.Unmarshal([]byte(r.Payload), &p)
			out = append(out, p.Text)
		}
	}
	return out
}

func TestSuggestionsAreMaskedAndPickedByNumber(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	sg, err := f.svc.Suggest(ctx, f.conv)
	if err != nil {
		t.Fatal(err)
	}
	if len(sg) == 0 || sg[0].Conversation != f.past {
		t.Fatalf("suggestions %+v", sg)
	}
	want := "Hi [name], the refund for order [order id] went out yesterday; the confirmation is at [email]. It reaches your card within 5 days."
	if sg[0].Text != want || strings.Contains(sg[0].Question, "482133") {
		t.Errorf("suggestion %q (asked %q)", sg[0].Text, sg[0].Question)
	}
	got, err := f.svc.Suggestion(ctx, f.conv, 1)
	if err != nil || got != want {
		t.Errorf("Suggestion(1) = %q, %v", got, err)
	}
	if _, err := f.svc.Suggestion(ctx, f.conv, len(sg)+1); !errors.Is(err, answers.ErrNoPick) || !strings.Contains(err.Error(), "numbered 1 to") {
		t.Errorf("Suggestion(%d): %v", len(sg)+1, err)
	}
	if _, err := f.svc.Suggestion(ctx, f.past, 1); !errors.Is(err, answers.ErrNoPick) {
		t.Errorf("a conversation without suggestions: %v", err)
	}
	out := answers.FormatSuggestions(sg, "!")
	for _, s := range []string{"1. from " + f.past.String(), "!use N", "[order id]", "copy the text"} {
		if !strings.Contains(out, s) {
			t.Errorf("!suggest shows:\n%s\nwithout %q", out, s)
		}
	}
}

func TestSuggestionsNeverComeFromNotesOrSystemMessages(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	err := f.st.Write(ctx, func(tx bridge.Tx) error {
		c, err := storePast(tx, "nina", "Nina", f.clock.Now().Add(-time.Hour), "where is my refund for the lamp", "ok")
		if err != nil {
			return err
		}
		for _, m := range []bridge.Message{
			{Conversation: c, Direction: bridge.DirNote, Body: "Internal: refund approved by finance, customer is on the blacklist", CreatedAt: f.clock.Now()},
			bridge.SystemMessage(c, "⚠ A reply about the refund could not be delivered", f.clock.Now()),
		} {
			if err := tx.InsertMessage(&m, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := f.svc.Suggest(ctx, f.conv)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sg {
		if strings.Contains(s.Text, "blacklist") || strings.Contains(s.Text, "could not be delivered") || s.Text == "ok" {
			t.Errorf("offered %q", s.Text)
		}
	}
}

func TestDraftIsANoteGroundedInSourcesAndUseDraftReadsItBack(t *testing.T) {
	f := newFixture(t, true)
	f.ai.Push(fakeopenai.Response{Content: "Hi Anna, refunds reach your card within 5 business days after the return arrives [1][2]."})
	if _, err := f.eng.Note(context.Background(), engine.StaffContext{Conversation: f.conv, Actor: bridge.Actor{ID: "console:bob", Name: "Bob"}}, "secret: she is a VIP", nil); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Ask(answers.Job{Kind: answers.JobDraft, Conversation: f.conv, Surface: "console", By: "Alice", Text: "be warm"}); err != nil {
		t.Fatal(err)
	}
	ns := f.waitNotes(t, 2)
	note := ns[1].Body
	for _, s := range []string{"🤖 AI draft for Alice (llama3.1; not sent", "Hi Anna, refunds reach your card",
		"Sources: [1] past answer in " + f.past.String() + " · ", "article “When will I get my refund?” (refunds)"} {
		if !strings.Contains(note, s) {
			t.Errorf("note:\n%s\nlacks %q", note, s)
		}
	}
	req := f.ai.Requests()[0]
	prompt := req.User()
	for _, s := range []string{"[order id]", "Refunds reach your card within 5 business days", "Customer: Hello! Where is my refund?", "Instructions from the staff member: be warm"} {
		if !strings.Contains(prompt, s) {
			t.Errorf("prompt lacks %q:\n%s", s, prompt)
		}
	}
	for _, s := range []string{"482133", "maria.lopez@example.com", "VIP"} {
		if strings.Contains(prompt, s) {
			t.Errorf("prompt holds %q (another customer's detail, or a note):\n%s", s, prompt)
		}
	}
	d, err := f.svc.Draft(context.Background(), f.conv)
	if err != nil || d != "Hi Anna, refunds reach your card within 5 business days after the return arrives." {
		t.Errorf("Draft = %q, %v", d, err)
	}
	// Nothing went to the customer.
	rows, _ := f.st.OutboxRows(context.Background(), f.conv)
	for _, r := range rows {
		if r.Kind == bridge.KindCustomerSend {
			t.Errorf("an AI draft was queued for the customer: %+v", r)
		}
	}
}

func TestAIFailuresAreReportedInTheThread(t *testing.T) {
	f := newFixture(t, true)
	f.ai.Push(fakeopenai.Response{Status: 429, Error: "slow down", RetryAfter: "30"})
	if err := f.svc.Ask(answers.Job{Kind: answers.JobSummary, Conversation: f.conv, Surface: "console", By: "Alice"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(f.notices(t)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	n := f.notices(t)
	if len(n) != 1 || !strings.Contains(n[0], "!summary did not work: the AI endpoint is rate-limiting us; try again in 30s") || !strings.Contains(n[0], "Nothing was sent") {
		t.Errorf("notices %q", n)
	}
}

func TestSummaryAndTranslation(t *testing.T) {
	f := newFixture(t, true)
	f.ai.Push(fakeopenai.Response{Content: "- Anna wants her refund"}, fakeopenai.Response{Content: "Hallo Anna, die Erstattung ist unterwegs."})
	ctx := context.Background()
	if err := f.svc.Ask(answers.Job{Kind: answers.JobSummary, Conversation: f.conv, Surface: "console", Reason: "!handoff"}); err != nil {
		t.Fatal(err)
	}
	ns := f.waitNotes(t, 1)
	if !strings.Contains(ns[0].Body, "🤖 AI summary (llama3.1, after !handoff):\n- Anna wants her refund") {
		t.Errorf("summary note %q", ns[0].Body)
	}
	if err := f.svc.Ask(answers.Job{Kind: answers.JobTranslate, Conversation: f.conv, Surface: "console", By: "Alice", Text: "Hi Anna, the refund is on its way."}); err != nil {
		t.Fatal(err)
	}
	f.waitNotes(t, 2)
	if d, err := f.svc.Draft(ctx, f.conv); err != nil || d != "Hallo Anna, die Erstattung ist unterwegs." {
		t.Errorf("translated draft %q %v", d, err)
	}
	reqs := f.ai.Requests()
	if !strings.Contains(reqs[1].User(), "Where is my refund?") || !strings.Contains(reqs[1].User(), "The reply to translate:\nHi Anna, the refund is on its way.") {
		t.Errorf("translation prompt %q", reqs[1].User())
	}
}

func TestWithoutAnEndpointAIJobsSayHowToSetOneUp(t *testing.T) {
	f := newFixture(t, false)
	err := f.svc.Ask(answers.Job{Kind: answers.JobDraft, Conversation: f.conv})
	if !errors.Is(err, answers.ErrNoLLM) || !strings.Contains(err.Error(), "answers.llm.url") {
		t.Errorf("err %v", err)
	}
}

func TestAIQueueFullIsBusyNotBlocking(t *testing.T) {
	st := storetest.Open(t)
	llm, err := answers.NewLLM(answers.LLMOptions{URL: "http://127.0.0.1:1/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	svc := answers.New(answers.Options{Store: st, LLM: llm, Queue: 1}) // not running: nothing takes jobs
	if err := svc.Ask(answers.Job{Kind: answers.JobDraft, Conversation: 1}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Ask(answers.Job{Kind: answers.JobDraft, Conversation: 1}); !errors.Is(err, answers.ErrBusy) {
		t.Errorf("a full queue: %v", err)
	}
}

func TestAutoSuggestPostsANoteForNewConversationsOnly(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	if n, err := f.svc.AutoSuggest(ctx); err != nil || n != 0 {
		t.Fatalf("first run posted %d, %v (it only remembers where it starts)", n, err)
	}
	res, err := f.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "otto", Name: "Otto", Text: "My refund for the returned lamp has not arrived"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.AutoSuggest(ctx); err != nil || n != 1 {
		t.Fatalf("second run posted %d, %v", n, err)
	}
	ms, _ := f.st.Messages(ctx, res.Conversation, 0)
	note := ms[len(ms)-1]
	if note.Direction != bridge.DirNote || !strings.Contains(note.Body, "💡 Suggested answer") || !strings.Contains(note.Body, "[order id]") ||
		!strings.Contains(note.Body, "📄 Article: When will I get my refund?") {
		t.Errorf("note %+v", note)
	}
	if s, err := f.svc.Suggestion(ctx, res.Conversation, 1); err != nil || !strings.Contains(s, "went out yesterday") {
		t.Errorf("!use 1 after the note: %q %v", s, err)
	}
	if a, err := f.svc.KBPick(ctx, res.Conversation, 1); err != nil || a.Slug != "refunds" {
		t.Errorf("!kb send 1 after the note: %+v %v", a, err)
	}
	if n, err := f.svc.AutoSuggest(ctx); err != nil || n != 0 {
		t.Errorf("third run posted %d, %v", n, err)
	}
}

func TestStartAutoSuggestMarksTheStartOnceSoTheFirstRunMissesNothing(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	if err := f.svc.StartAutoSuggest(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "otto", Name: "Otto", Text: "My refund for the returned lamp has not arrived"}); err != nil {
		t.Fatal(err)
	}
	// A restart marks nothing again: the conversation opened meanwhile is not skipped.
	if err := f.svc.StartAutoSuggest(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.AutoSuggest(ctx); err != nil || n != 1 {
		t.Errorf("the first run posted %d, %v; want the note for the conversation opened after the start", n, err)
	}
}

func TestPromoteWritesAMaskedDraftArticleThatIsNotOffered(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	path, err := f.svc.Promote(ctx, f.past, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(path, filepath.Join(f.kbDir, "drafts")) || !strings.Contains(s, "draft: true") || strings.Contains(s, "482133") ||
		strings.Contains(s, "maria.lopez") || !strings.Contains(s, "Hi [name], the refund for order [order id]") {
		t.Errorf("%s:\n%s", path, s)
	}
	again, err := f.svc.Promote(ctx, f.past, "")
	if err != nil || again == path {
		t.Errorf("a second promote overwrote the first: %s %v", again, err)
	}
	if _, err := f.svc.KB().Reload(); err != nil || f.svc.KB().Len() != 1 {
		t.Errorf("drafts are offered: %d articles, %v", f.svc.KB().Len(), err)
	}
	if _, err := f.svc.Promote(ctx, f.conv, "x"); err == nil {
		t.Error("promoted a conversation without a staff reply")
	}
}

func TestDeflectionOffersOnlyMatchesAndIsAudited(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	d := answers.NewDeflection(f.svc.KB(), f.st, f.clock)
	if got := d.Offer("when does my refund arrive", "en", 3); len(got) != 1 || got[0].Slug != "refunds" {
		t.Errorf("offer: %+v", got)
	}
	for _, q := range []string{"refund", "my lamp flickers at night"} {
		if got := d.Offer(q, "", 3); len(got) != 0 {
			t.Errorf("offer for %q: %+v", q, got)
		}
	}
	if err := d.Record(ctx, "refunds", true); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if err := d.Record(ctx, "refunds", false); err != nil {
		t.Fatal(err)
	}
	if err := d.Record(ctx, "../../etc/passwd", true); !errors.Is(err, answers.ErrUnknownArticle) {
		t.Errorf("an unknown article was recorded: %v", err)
	}
	for _, a := range []string{answers.ActionKBHelped, answers.ActionKBStill} {
		got, err := f.st.LatestAudit(ctx, a, 10)
		if err != nil || len(got) != 1 || got[0].Detail != "refunds" {
			t.Errorf("%s: %+v %v", a, got, err)
		}
	}
}

func TestKnowledgeGapsOfAPeriodCountTheWidgetToo(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	since := f.clock.Now()
	for i, q := range []string{"Do you ship to Japan?", "Shipping to Japan possible?", "when will my refund come", "Can you ship to Japan please"} {
		f.clock.Advance(time.Minute)
		if _, err := f.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprintf("gap%d", i), Name: "Visitor", Text: q}); err != nil {
			t.Fatal(err)
		}
	}
	d := answers.NewDeflection(f.svc.KB(), f.st, f.clock)
	if err := d.Record(ctx, "refunds", true); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	r, err := f.svc.KB().GapsBetween(ctx, f.st, since, f.clock.Now(), 5)
	if err != nil {
		t.Fatal(err)
	}
	// Anna's refund question opened at since too; the article answers it.
	if r.Questions != 5 || r.Unmatched != 3 || len(r.Gaps) != 1 || r.Gaps[0].Count != 3 || r.Helped != 1 || r.Still != 0 {
		t.Errorf("report %+v", r)
	}
	if out := answers.FormatGaps(r); !strings.Contains(out, "3 of 5 opening questions matched no article") ||
		!strings.Contains(out, "an article helped 1 visitor; 0 visitors offered articles wrote to staff anyway (100% deflected)") {
		t.Errorf("formatted:\n%s", out)
	}
}

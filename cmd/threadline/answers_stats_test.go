package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

// writeKBDir writes a knowledge base with one article (refunds) in dir/kb.
func writeKBDir(t *testing.T, dir string) string {
	t.Helper()
	kb := filepath.Join(dir, "kb")
	if err := os.MkdirAll(kb, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kb, "refunds.md"), []byte("---\ntitle: When will I get my refund?\ntags: [refund]\n---\n"+
		"Refunds reach your card within 5 business days after we receive the return.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return kb
}

// TestStatsListKnowledgeGaps: with a knowledge base, `threadline stats`
// adds the questions no article answers, grouped, and what the widget's
// article offers did; without one it does not.
func TestStatsListKnowledgeGaps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kbDir := writeKBDir(t, dir)
	plain := writeConfig(t, dir)
	withKB := filepath.Join(dir, "with-kb.yaml")
	if err := os.WriteFile(withKB, []byte(testConfig+"answers:\n  kb_dir: kb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := storetest.OpenAt(t, filepath.Join(dir, "threadline.db"))
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	eng := engine.New(engine.Options{Store: st, Clock: clock})
	for i, q := range []string{"Do you ship to Japan?", "When will my refund arrive? I sent the lamp back.",
		"Shipping to Japan possible? Write to ken@example.com", "can you ship the lamp to japan", "hi"} {
		if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: string(rune('a' + i)), Text: q}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
	}
	kb, err := answers.OpenKB(answers.KBOptions{Dir: kbDir})
	if err != nil {
		t.Fatal(err)
	}
	d := answers.NewDeflection(kb, st, clock)
	for _, helped := range []bool{true, true, false} {
		if err := d.Record(ctx, "refunds", helped); err != nil {
			t.Fatal(err)
		}
	}

	window := []string{"stats", "--since", "2026-03-02", "--until", "2026-03-05"}
	code, out, errOut := runCLI(t, append([]string{"--config", withKB}, window...)...)
	if code != 0 {
		t.Fatalf("stats: %d %s", code, errOut)
	}
	for _, want := range []string{
		"Knowledge gaps (questions no article answers):",
		"3 of 4 opening questions matched no article",
		"3× japan, ship",
		"e.g. “Do you ship to Japan?” (#1 #3 #4)",
		"widget: an article helped 2 visitors; 1 visitor offered articles wrote to staff anyway (67% deflected)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ken@example.com") {
		t.Errorf("a customer's address in the report:\n%s", out)
	}
	code, out, _ = runCLI(t, append([]string{"--config", withKB}, append(window, "--json")...)...)
	var s struct {
		Created int                `json:"created"`
		Gaps    *answers.GapReport `json:"knowledge_gaps"`
	}
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil || s.Created != 5 || s.Gaps == nil || s.Gaps.Unmatched != 3 || s.Gaps.Helped != 2 {
		t.Errorf("json: %d %v %+v\n%s", code, err, s, out)
	}
	code, out, _ = runCLI(t, append([]string{"--config", plain}, window...)...)
	if code != 0 || strings.Contains(out, "Knowledge gaps") {
		t.Errorf("without a knowledge base: %d\n%s", code, out)
	}
}

// TestDigestListsKnowledgeGaps: the digest carries the same section.
func TestDigestListsKnowledgeGaps(t *testing.T) {
	r := newDigestRig(t)
	kb, err := answers.OpenKB(answers.KBOptions{Dir: writeKBDir(t, t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	r.app.kb = kb
	d := r.digester(t)
	d.kb, d.gapStore = kb, r.app.st
	if err := d.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ups := r.slack.Uploads()
	if len(ups) != 1 || !strings.Contains(ups[0].Comment, "Opened          3 · closed 2") || !strings.Contains(ups[0].Comment, "Knowledge gaps (questions no article answers):") {
		t.Fatalf("slack uploads = %+v", ups)
	}
	// The scheduled job is wired the same way (it reports the last day).
	r.app.digestJob()
	if len(r.app.jobs) != 1 {
		t.Fatalf("jobs = %+v", r.app.jobs)
	}
	if err := r.app.jobs[0].fn(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ups := r.slack.Uploads(); len(ups) != 2 || !strings.Contains(ups[1].Comment, "Knowledge gaps (questions no article answers):") {
		t.Errorf("the scheduled digest: %+v", ups)
	}
}

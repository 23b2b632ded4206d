package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
)

// Answers from the team's own knowledge (docs/answers.md): the knowledge
// base is opened before the adapters (the web chat offers its articles),
// the service after the engine (it posts its notes through it).

// autoSuggestSchedule is how often new conversations are looked for when
// answers.auto_suggest is on: soon after one opens, the note is there.
const autoSuggestSchedule = "@every 15s"

// openKB opens answers.kb_dir, logging the files it skips; nil without one.
func openKB(cfg config.AnswersConfig, o answers.KBOptions) (*answers.KB, error) {
	if cfg.KBDir == "" {
		return nil, nil
	}
	o.Dir, o.Synonyms = cfg.KBDir, answers.ParseSynonyms(cfg.Synonyms)
	kb, err := answers.OpenKB(o)
	if err != nil {
		return nil, fmt.Errorf("answers.kb_dir: %w", err)
	}
	if o.Log != nil {
		for _, p := range kb.Problems() {
			o.Log.Warn("knowledge base: file skipped", "problem", p)
		}
	}
	return kb, nil
}

// wireKB opens the knowledge base, if one is configured.
func (a *app) wireKB() error {
	kb, err := openKB(a.cfg.Answers, answers.KBOptions{Clock: a.clock, Log: a.log.With("part", "kb")})
	a.kb = kb
	return err
}

// webchatArticles is what the web chat offers visitors: the knowledge
// base's articles, unless deflection is off; nil for none.
func (a *app) webchatArticles() webchat.Articles {
	if a.kb == nil || !a.cfg.Answers.DeflectionOn() {
		return nil
	}
	return webchat.KnowledgeBase(answers.NewDeflection(a.kb, a.st, a.clock))
}

// wireAnswers builds the answers service on the engine, schedules the
// automatic suggestions, and says in the banner what is on.
func (a *app) wireAnswers(ctx context.Context) error {
	cfg := a.cfg.Answers
	o := answers.Options{Store: a.st, Suggest: cfg.SuggestOptions(), KB: a.kb, KBDir: cfg.KBDir, Post: a.engine,
		StaffLanguage: cfg.StaffLanguage, AutoConfidence: cfg.AutoConfidence, Workers: cfg.LLM.Workers, Queue: cfg.LLM.Queue,
		Clock: a.clock, Log: a.log.With("part", "answers")}
	if cfg.LLMOn() {
		lo := cfg.LLMOptions()
		lo.Clock = a.clock
		llm, err := answers.NewLLM(lo)
		if err != nil {
			return err
		}
		o.LLM = llm
	}
	a.answers = answers.New(o)
	if cfg.AutoSuggest {
		if err := a.answers.StartAutoSuggest(ctx); err != nil {
			return fmt.Errorf("answers.auto_suggest: %w", err)
		}
		a.jobs = append(a.jobs, job{name: "auto_suggest", schedule: autoSuggestSchedule, fn: func(ctx context.Context) error {
			_, err := a.answers.AutoSuggest(ctx)
			return err
		}})
	}
	a.status = append(a.status, statusLine{"answers", "on", a.answersDetail()})
	return nil
}

// answersDetail is the banner's line: what staff can use.
func (a *app) answersDetail() string {
	cfg := a.cfg.Answers
	parts := []string{"!suggest"}
	switch {
	case a.kb == nil:
		parts = append(parts, "no knowledge base (answers.kb_dir)")
	default:
		kb := fmt.Sprintf("knowledge base %s (%d articles", cfg.KBDir, a.kb.Len())
		if n := len(a.kb.Problems()); n > 0 {
			kb += fmt.Sprintf(", %d files skipped: see the log", n)
		}
		if cfg.DeflectionOn() && a.cfg.Webchat.Enabled {
			kb += "; the widget offers them"
		}
		parts = append(parts, kb+")")
	}
	if llm := a.answers.LLM(); llm != nil {
		parts = append(parts, fmt.Sprintf("AI drafts with %s at %s", llm.Model(), cfg.LLM.URL))
	} else {
		parts = append(parts, "no AI endpoint (answers.llm.url)")
	}
	if cfg.AutoSuggest {
		parts = append(parts, "auto-suggest on")
	}
	return strings.Join(parts, "; ")
}

// runAnswers runs the AI jobs and watches the knowledge base's folder on
// this replica (staff commands and visitors reach any replica) until ctx
// ends; wait waits for them to stop.
func (a *app) runAnswers(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	if a.answers != nil {
		wg.Add(1)
		go func() { defer wg.Done(); a.answers.Run(ctx) }()
	}
	if a.kb != nil {
		wg.Add(1)
		go func() { defer wg.Done(); a.kb.Watch(ctx, a.cfg.Answers.KBReload.D()) }()
	}
	return wg.Wait
}

package answers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Service is what the staff commands, the widget and the daemon's jobs
// use: suggestions, the knowledge base, AI drafts, and what staff picked
// from them (kept in the store, so !use works on any replica and after a
// restart; a pick names a message or an article, never a copy of the
// text, so forgetting a customer forgets what was picked from them too).
type Service struct {
	st    ServiceStore
	sug   *Suggester
	kb    *KB  // nil: no knowledge base
	llm   *LLM // nil: no AI endpoint
	post  Poster
	clock bridge.Clock
	log   *slog.Logger
	opts  Options
	jobs  chan Job
}

// ServiceStore is the database as the service uses it.
type ServiceStore interface {
	bridge.Store
	bridge.AnswerReader
	bridge.Cursors
}

// Poster puts the service's results in a conversation's threads; the
// engine is one.
type Poster interface {
	// ThreadNote stores a staff-only note by Threadline in conv (every
	// surface shows it) and returns its id.
	ThreadNote(ctx context.Context, conv bridge.ConversationID, text string) (bridge.MessageID, error)
	// Notice shows a line in conv's thread on surface ("" for every
	// surface), not stored as a message.
	Notice(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform, text string) error
}

// Options configure the service.
type Options struct {
	Store   ServiceStore
	Suggest SuggestOptions
	KB      *KB  // nil: no knowledge base
	LLM     *LLM // nil: no AI endpoint
	Post    Poster
	// KBDir is where !promote writes draft articles (the knowledge base's
	// folder; "" when there is none).
	KBDir string
	// StaffLanguage is what !translate and !summary write in (default English).
	StaffLanguage string
	// AutoConfidence is the least confidence of a suggestion posted by
	// itself when a conversation opens (default 0.3).
	AutoConfidence float64
	// Workers run AI requests at once (default 2); Queue more may wait
	// (default 16) before the commands say the AI is busy.
	Workers, Queue int
	Clock          bridge.Clock
	Log            *slog.Logger
}

// New builds the service. Run must run for AI jobs to be done.
func New(o Options) *Service {
	if o.StaffLanguage == "" {
		o.StaffLanguage = "English"
	}
	if o.AutoConfidence <= 0 {
		o.AutoConfidence = 0.3
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Queue <= 0 {
		o.Queue = 16
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o.Suggest.Clock = bridge.OrSystem(cmpClock(o.Suggest.Clock, o.Clock))
	return &Service{st: o.Store, sug: NewSuggester(o.Store, o.Suggest), kb: o.KB, llm: o.LLM, post: o.Post,
		clock: bridge.OrSystem(o.Clock), log: log, opts: o, jobs: make(chan Job, o.Queue)}
}

func cmpClock(a, b bridge.Clock) bridge.Clock {
	if a != nil {
		return a
	}
	return b
}

// KB is the knowledge base (nil when none is configured).
func (s *Service) KB() *KB { return s.kb }

// LLM is the AI client (nil when no endpoint is configured).
func (s *Service) LLM() *LLM { return s.llm }

// Suggester ranks past answers.
func (s *Service) Suggester() *Suggester { return s.sug }

// Errors the commands turn into advice.
var (
	// ErrNoKB: answers.kb_dir is not set.
	ErrNoKB = errors.New("no knowledge base is configured: set answers.kb_dir to a folder of Markdown articles (docs/answers.md)")
	// ErrNoLLM: answers.llm.url is not set.
	ErrNoLLM = errors.New("no AI endpoint is configured: set answers.llm.url to an OpenAI-compatible API (a local Ollama: http://localhost:11434/v1) and answers.llm.model (e.g. llama3.1) in config.yaml; docs/answers.md says more")
	// ErrNoPick: nothing was offered under that number.
	ErrNoPick = errors.New("nothing to pick")
)

// The picks: what was offered in a conversation, by number.
const cursorAdapter = "answers"

type pick struct {
	Kind string           `json:"k"` // "answer", "article", "draft"
	Msg  bridge.MessageID `json:"m,omitempty"`
	Slug string           `json:"a,omitempty"`
	From int              `json:"s,omitempty"` // the draft's bytes in the note
	To   int              `json:"e,omitempty"`
}

func pickKey(kind string, conv bridge.ConversationID) string {
	return kind + ":" + strconv.FormatInt(int64(conv), 10)
}

func (s *Service) savePicks(ctx context.Context, kind string, conv bridge.ConversationID, ps []pick) error {
	b, err := json.Marshal(ps)
	if err != nil {
		return err
	}
	return s.st.SetCursor(ctx, cursorAdapter, pickKey(kind, conv), string(b))
}

func (s *Service) loadPicks(ctx context.Context, kind string, conv bridge.ConversationID) ([]pick, error) {
	v, err := s.st.Cursor(ctx, cursorAdapter, pickKey(kind, conv))
	if err != nil || v == "" {
		return nil, err
	}
	var ps []pick
	if err := json.Unmarshal([]byte(v), &ps); err != nil {
		return nil, fmt.Errorf("picks of %s: %w", conv, err)
	}
	return ps, nil
}

// Suggest ranks past answers for conv and remembers them for !use.
func (s *Service) Suggest(ctx context.Context, conv bridge.ConversationID) ([]Suggestion, error) {
	sg, err := s.sug.Suggest(ctx, conv)
	if err != nil {
		return nil, err
	}
	if err := s.rememberSuggestions(ctx, conv, sg); err != nil {
		return nil, err
	}
	return sg, nil
}

func (s *Service) rememberSuggestions(ctx context.Context, conv bridge.ConversationID, sg []Suggestion) error {
	ps := make([]pick, len(sg))
	for i, x := range sg {
		ps[i] = pick{Kind: "answer", Msg: x.Answer}
	}
	return s.savePicks(ctx, "suggest", conv, ps)
}

// Suggestion is the text of suggestion n (from 1) last offered in conv,
// masked as it was shown.
func (s *Service) Suggestion(ctx context.Context, conv bridge.ConversationID, n int) (string, error) {
	ps, err := s.loadPicks(ctx, "suggest", conv)
	if err != nil {
		return "", err
	}
	if n < 1 || n > len(ps) {
		if len(ps) == 0 {
			return "", fmt.Errorf("%w: no suggestions were shown in this conversation yet (!suggest)", ErrNoPick)
		}
		return "", fmt.Errorf("%w: suggestions are numbered 1 to %d", ErrNoPick, len(ps))
	}
	text, err := s.sug.Answer(ctx, ps[n-1].Msg)
	if errors.Is(err, bridge.ErrNotFound) {
		return "", fmt.Errorf("%w: that past conversation is gone (deleted since); run !suggest again", ErrNoPick)
	}
	return text, err
}

// citationRE matches the [1] marks a draft cites its sources with.
var citationRE = regexp.MustCompile(`\s?\[\d{1,2}\]`)

// Draft is the AI draft last written in conv (the text !use draft
// sends), without its citation marks.
func (s *Service) Draft(ctx context.Context, conv bridge.ConversationID) (string, error) {
	ps, err := s.loadPicks(ctx, "draft", conv)
	if err != nil {
		return "", err
	}
	if len(ps) == 0 {
		return "", fmt.Errorf("%w: no AI draft was written in this conversation yet (!draft, !translate <text>)", ErrNoPick)
	}
	m, err := s.st.Message(ctx, ps[0].Msg)
	if errors.Is(err, bridge.ErrNotFound) {
		return "", fmt.Errorf("%w: the draft's note is gone", ErrNoPick)
	}
	if err != nil {
		return "", err
	}
	if m.Conversation != conv || ps[0].From < 0 || ps[0].To > len(m.Body) || ps[0].From >= ps[0].To {
		return "", fmt.Errorf("%w: the draft's note does not match", ErrNoPick)
	}
	return strings.TrimSpace(citationRE.ReplaceAllString(m.Body[ps[0].From:ps[0].To], "")), nil
}

// SearchKB ranks articles for words and, in a conversation (conv != 0),
// remembers them for !kb send.
func (s *Service) SearchKB(ctx context.Context, conv bridge.ConversationID, words string, n int) ([]ArticleHit, error) {
	if s.kb == nil {
		return nil, ErrNoKB
	}
	hits := s.kb.Search(words, "", n)
	if conv != 0 {
		ps := make([]pick, len(hits))
		for i, h := range hits {
			ps[i] = pick{Kind: "article", Slug: h.Slug}
		}
		if err := s.savePicks(ctx, "kb", conv, ps); err != nil {
			return nil, err
		}
	}
	return hits, nil
}

// KBPick is article n (from 1) last found by !kb in conv.
func (s *Service) KBPick(ctx context.Context, conv bridge.ConversationID, n int) (Article, error) {
	if s.kb == nil {
		return Article{}, ErrNoKB
	}
	ps, err := s.loadPicks(ctx, "kb", conv)
	if err != nil {
		return Article{}, err
	}
	if n < 1 || n > len(ps) {
		if len(ps) == 0 {
			return Article{}, fmt.Errorf("%w: search first (!kb <words>)", ErrNoPick)
		}
		return Article{}, fmt.Errorf("%w: the articles found are numbered 1 to %d", ErrNoPick, len(ps))
	}
	a, ok := s.kb.Article(ps[n-1].Slug)
	if !ok {
		return Article{}, fmt.Errorf("%w: the article %s is gone from the knowledge base (or a draft now)", ErrNoPick, ps[n-1].Slug)
	}
	return a, nil
}

// maxShown bounds a suggestion's text as !suggest shows it.
const maxShown = 700

// FormatSuggestions is what !suggest shows.
func FormatSuggestions(sg []Suggestion, prefix string) string {
	if len(sg) == 0 {
		return "No past answer matches this conversation well enough yet. (Suggestions come from closed conversations with a staff reply.)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Suggested answers from past conversations (for staff, never the customer; %suse N sends one to the customer):", prefix)
	masked := false
	for i, x := range sg {
		fmt.Fprintf(&b, "\n\n%d. from %s · match %d%%", i+1, x.Conversation, int(x.Confidence*100+0.5))
		if q := oneLine(x.Question); q != "" {
			fmt.Fprintf(&b, "\n   Asked: “%s”", clip(q, 140))
		}
		fmt.Fprintf(&b, "\n%s", indent(clip(x.Text, maxShown)))
		if len(MaskedDetails(x.Text)) > 0 {
			masked = true
		}
	}
	if masked {
		fmt.Fprintf(&b, "\n\nPlaceholders such as %s stand for the other customer's details: %suse refuses those; copy the text and fill them in.", MaskOrder, prefix)
	}
	return b.String()
}

// FormatArticles is what !kb shows.
func FormatArticles(hits []ArticleHit, words, prefix string, inThread bool) string {
	if len(hits) == 0 {
		return fmt.Sprintf("No article matches %q.", words)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Articles for %q", words)
	if inThread {
		fmt.Fprintf(&b, " (%skb send N sends one to the customer)", prefix)
	}
	b.WriteString(":")
	for i, h := range hits {
		fmt.Fprintf(&b, "\n%d. %s (%s) · match %d%%", i+1, h.Title, h.Slug, int(h.Coverage*100+0.5))
		if ex := h.Excerpt(160); ex != "" {
			fmt.Fprintf(&b, "\n   %s", ex)
		}
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = "   " + l
	}
	return strings.Join(lines, "\n")
}

// lastCustomer is conv's newest customer message.
func lastCustomer(msgs []bridge.Message) (bridge.Message, bool) {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Direction == bridge.DirCustomer {
			return msgs[i], true
		}
	}
	return bridge.Message{}, false
}

package answers

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Suggestions: the answers staff gave in closed conversations whose
// customer messages resemble this conversation's. The store's full-text
// index finds candidates (bridge.AnswerReader: for each of the question's
// rarest terms and pairs of its best terms, the newest conversations where
// a customer wrote them); they are ranked here, the same way on every
// backend, with BM25 over the customers' words: a term counts more the
// rarer it is in the index (inverse document frequency from the index's
// own counts) and the more often a conversation uses it, saturating, and
// a long conversation does not win by length.

// BM25's constants, the usual ones.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

const (
	// laterWeight: a customer's first message states the question; what
	// follows ("any news?", details) counts for less.
	laterWeight = 0.6
	// answerWeight is what a word of the staff's answer counts for in a
	// past conversation, against 1 for the customer's question: the
	// answer names what the question was about in the team's words (a
	// customer who writes "reimbursed" meets the answer's "refund"), but
	// the question is what a new question resembles.
	answerWeight = 0.3
	// maxQueryTerms are the most telling terms a question is searched by.
	maxQueryTerms = 10
	// pairTerms: every pair of the best few terms is searched too, so
	// conversations that share two good words are found even when each
	// word alone is common.
	pairTerms = 3
	// maxSingles: the rarest terms are searched alone, at most this many.
	maxSingles = 6
	// commonShare: a term in more of the messages than this is too common
	// to search alone (see rank).
	commonShare = 0.02
	// commonMin: a term in fewer messages than this is cheap to search
	// alone however small the index is.
	commonMin = 1000
	// perTerm is how many of the newest matching customer messages each
	// search returns.
	perTerm = 50
	// dfTTL is how long a term's count is reused: counts change slowly,
	// and counting a common word costs the index a scan of its list.
	dfTTL = 15 * time.Minute
	// maxCached bounds the count cache (terms).
	maxCached = 8192
)

// Store is what suggestions read: candidates, and the conversations and
// messages of the best ones.
type Store interface {
	bridge.AnswerReader
	Conversation(ctx context.Context, id bridge.ConversationID) (bridge.Conversation, error)
	Messages(ctx context.Context, conv bridge.ConversationID, limit int) ([]bridge.Message, error)
	Message(ctx context.Context, id bridge.MessageID) (bridge.Message, error)
}

// SuggestOptions tune suggestions.
type SuggestOptions struct {
	// Count is how many suggestions !suggest shows (default 3).
	Count int
	// MinConfidence is the weakest match offered, as a share of the score
	// the question would get against itself (default 0.05: only noise is
	// left out; a weak match is shown with its confidence).
	MinConfidence float64
	// Synonyms are the team's groups of words that mean the same, added to
	// the built-in ones.
	Synonyms [][]string
	Clock    bridge.Clock // nil: the system clock
}

// Suggester ranks past answers. It is safe for concurrent use.
type Suggester struct {
	st    Store
	opts  SuggestOptions
	clock bridge.Clock
	syn   *synonyms

	mu sync.Mutex
	df map[string]dfEntry
}

type dfEntry struct {
	count int
	at    time.Time
}

// NewSuggester builds a Suggester over st.
func NewSuggester(st Store, o SuggestOptions) *Suggester {
	if o.Count <= 0 {
		o.Count = 3
	}
	if o.MinConfidence <= 0 {
		o.MinConfidence = 0.05
	}
	return &Suggester{st: st, opts: o, clock: bridge.OrSystem(o.Clock), syn: newSynonyms(o.Synonyms), df: map[string]dfEntry{}}
}

// Suggestion is one past answer offered for a conversation.
type Suggestion struct {
	Conversation bridge.ConversationID // where it was given
	Answer       bridge.MessageID      // the staff reply
	Question     string                // the customer's first message there, masked
	Text         string                // the staff reply, masked
	Score        float64
	// Confidence is the score as a share of the score the question would
	// get against itself (0 to 1).
	Confidence float64
}

// Suggest ranks past answers for conv's customer messages (notes, system
// messages and staff replies of conv are no part of the question).
func (s *Suggester) Suggest(ctx context.Context, conv bridge.ConversationID) ([]Suggestion, error) {
	msgs, err := s.st.Messages(ctx, conv, 0)
	if err != nil {
		return nil, err
	}
	var customer []string
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer {
			customer = append(customer, m.Body)
		}
	}
	return s.ForText(ctx, customer, conv, s.opts.Count)
}

// ForText ranks past answers for a question made of the customer messages
// given (oldest first), leaving out the conversation exclude; n at most.
func (s *Suggester) ForText(ctx context.Context, customer []string, exclude bridge.ConversationID, n int) ([]Suggestion, error) {
	ranked, q, err := s.rank(ctx, customer, exclude)
	if err != nil || len(ranked) == 0 {
		return nil, err
	}
	var out []Suggestion
	seen := map[string]bool{}
	for _, r := range ranked {
		if len(out) >= n || r.confidence < s.opts.MinConfidence {
			break
		}
		sg, ok, err := s.answerOf(ctx, r, q)
		if err != nil {
			return nil, err
		}
		key := strings.Join(strings.Fields(strings.ToLower(sg.Text)), " ")
		if !ok || seen[key] {
			continue // no usable answer, or the same answer as a better match
		}
		seen[key] = true
		out = append(out, sg)
	}
	return out, nil
}

// ranked is a candidate conversation with its score.
type ranked struct {
	conv       bridge.ConversationID
	customer   []string
	score      float64
	confidence float64
}

// query is a question's terms with what ranking needs to know of them.
type query struct {
	bag   *bag
	terms []string // the terms searched and scored, best first
	// own are the question's own terms (not synonyms), for the score the
	// question would get against itself.
	own    []string
	forms  map[string][]string // written forms of each term
	n      int                 // messages in the index
	df     map[string]int      // messages with each term
	idf    map[string]float64
	weight map[string]float64 // saturated query weight
}

// rank finds and scores the candidates, best first.
func (s *Suggester) rank(ctx context.Context, customer []string, exclude bridge.ConversationID) ([]ranked, *query, error) {
	q, err := s.query(ctx, customer)
	if err != nil || q == nil {
		return nil, nil, err
	}
	var searches []string
	for i := 0; i < len(q.terms) && i < pairTerms; i++ {
		for j := i + 1; j < len(q.terms) && j < pairTerms; j++ {
			searches = append(searches, q.search(q.terms[i])+" "+q.search(q.terms[j]))
		}
	}
	// Rarest first: their candidates are the most telling. A term in
	// more than commonShare of the messages (and commonMin) finds the newest of
	// thousands, no better than chance, at the cost of reading its whole
	// list in the index: it is searched only in the pairs, unless the
	// question has nothing rarer.
	single := slices.Clone(q.terms)
	slices.SortFunc(single, func(a, b string) int { return cmp.Compare(q.df[a], q.df[b]) })
	for i, t := range single {
		if i >= maxSingles || (i >= 2 && q.df[t] > max(commonMin, int(commonShare*float64(q.n)))) {
			break
		}
		searches = append(searches, q.search(t))
	}
	cands, err := s.st.PastQuestions(ctx, bridge.PastQuery{Terms: searches, PerTerm: perTerm, Exclude: exclude})
	if err != nil {
		return nil, nil, fmt.Errorf("suggestions: %w", err)
	}
	bags := make([]*bag, len(cands))
	total := 0.0
	for i, c := range cands {
		bags[i] = questionBag(c.Customer, false)
		for _, text := range c.Staff {
			bags[i].add(text, answerWeight)
		}
		total += bags[i].length
	}
	avg := 10.0
	if len(cands) >= 5 && total > 0 {
		avg = total / float64(len(cands))
	}
	self := q.self(avg)
	out := make([]ranked, 0, len(cands))
	for i, c := range cands {
		sc := q.score(bags[i], avg)
		if sc <= 0 {
			continue
		}
		out = append(out, ranked{conv: c.Conversation, customer: c.Customer, score: sc, confidence: min(1, sc/self)})
	}
	slices.SortStableFunc(out, func(a, b ranked) int { return cmp.Compare(b.score, a.score) })
	return out, q, nil
}

// questionBag is a conversation's customer messages as terms; words keeps
// the forms written (for the searches).
func questionBag(customer []string, words bool) *bag {
	b := newBag()
	if words {
		b.words = map[string][]string{}
	}
	for i, text := range customer {
		w := 1.0
		if i > 0 {
			w = laterWeight
		}
		b.add(text, w)
	}
	return b
}

// query analyses the question, adds its terms' synonyms and looks up
// their counts.
func (s *Suggester) query(ctx context.Context, customer []string) (*query, error) {
	b := questionBag(customer, true)
	if len(b.terms) == 0 {
		return nil, nil
	}
	q := &query{bag: b, forms: b.words, df: map[string]int{}, idf: map[string]float64{}, weight: map[string]float64{}}
	raw := s.syn.expand(b)
	for t := range raw {
		if _, own := b.terms[t]; own {
			q.own = append(q.own, t)
		} else if len(q.forms[t]) == 0 {
			q.forms[t] = []string{s.syn.form[t]}
		}
	}
	terms := make([]string, 0, len(raw))
	for t := range raw {
		terms = append(terms, t)
	}
	slices.Sort(terms) // a stable order for equal weights
	searches := make([]string, len(terms))
	for i, t := range terms {
		searches[i] = q.search(t)
	}
	n, df, err := s.counts(ctx, searches)
	if err != nil {
		return nil, err
	}
	q.n = n
	dfOf := q.df
	for i, t := range terms {
		dfOf[t] = df[i]
		q.idf[t] = idf(n, df[i])
		// Saturating: a word said twice counts a little more than once; a
		// word only in a greeting or signature counts little.
		w := raw[t]
		q.weight[t] = w * 1.5 / (0.5 + w)
	}
	slices.SortStableFunc(terms, func(a, b string) int {
		return cmp.Compare(q.idf[b]*q.weight[b], q.idf[a]*q.weight[a])
	})
	// A term nobody ever wrote finds nothing: it stays out of the
	// searches (it still counts in the question's own score).
	kept := terms[:0]
	for _, t := range terms {
		if dfOf[t] > 0 {
			kept = append(kept, t)
		}
	}
	if len(kept) > maxQueryTerms {
		kept = kept[:maxQueryTerms]
	}
	q.terms = kept
	if len(kept) == 0 {
		return nil, nil
	}
	return q, nil
}

// search is the store search for term t of the question.
func (q *query) search(t string) string { return searchTerm(t, q.forms[t]) }

// idf is BM25's inverse document frequency (never negative).
func idf(n, df int) float64 {
	n = max(n, df)
	return math.Log(1 + (float64(n-df)+0.5)/(float64(df)+0.5))
}

// score is the BM25 score of document d for the query.
func (q *query) score(d *bag, avg float64) float64 { return q.scoreOver(q.terms, d, avg) }

// self is the score the question gets against itself: the best a past
// conversation could do.
func (q *query) self(avg float64) float64 { return q.scoreOver(q.own, q.bag, avg) }

func (q *query) scoreOver(terms []string, d *bag, avg float64) float64 {
	sc := 0.0
	norm := bm25K1 * (1 - bm25B + bm25B*d.length/avg)
	for _, t := range terms {
		tf := d.terms[t]
		if tf == 0 {
			continue
		}
		sc += q.weight[t] * q.idf[t] * tf * (bm25K1 + 1) / (tf + norm)
	}
	return sc
}

// counts returns the index's size and each search's message count, from
// the cache where it is fresh. Counting stops at a tenth of the index (at
// least 2,000): a term that common weighs little either way.
func (s *Suggester) counts(ctx context.Context, searches []string) (int, []int, error) {
	now := s.clock.Now()
	df := make([]int, len(searches))
	var missing []string
	var at []int
	s.mu.Lock()
	for i, t := range searches {
		if e, ok := s.df[t]; ok && now.Sub(e.at) < dfTTL {
			df[i] = e.count
			continue
		}
		missing = append(missing, t)
		at = append(at, i)
	}
	s.mu.Unlock()
	tc, err := s.st.TermCounts(ctx, nil, 0)
	if err != nil {
		return 0, nil, fmt.Errorf("suggestions: %w", err)
	}
	if len(missing) == 0 {
		return tc.Messages, df, nil
	}
	tc, err = s.st.TermCounts(ctx, missing, max(2000, tc.Messages/10))
	if err != nil {
		return 0, nil, fmt.Errorf("suggestions: %w", err)
	}
	s.mu.Lock()
	if len(s.df)+len(missing) > maxCached {
		clear(s.df)
	}
	for j, i := range at {
		df[i] = tc.Counts[j]
		s.df[missing[j]] = dfEntry{count: tc.Counts[j], at: now}
	}
	s.mu.Unlock()
	return tc.Messages, df, nil
}

// answerOf reads a candidate conversation and picks its answer: the staff
// reply with the most content (and the most of the question's terms).
// Notes and system messages are never answers.
func (s *Suggester) answerOf(ctx context.Context, r ranked, q *query) (Suggestion, bool, error) {
	msgs, err := s.st.Messages(ctx, r.conv, 0)
	if err != nil {
		return Suggestion{}, false, err
	}
	var best *bridge.Message
	bestScore := 0.0
	for i := range msgs {
		m := &msgs[i]
		if m.Direction != bridge.DirStaff || strings.HasPrefix(m.Body, "[WhatsApp template") {
			continue
		}
		b := newBag()
		b.add(m.Body, 1)
		if len(b.terms) < 3 {
			continue // "On it!", "Done."
		}
		sc := b.length
		for t := range b.terms {
			if q.bag.terms[t] > 0 {
				sc += 3
			}
		}
		if sc >= bestScore {
			best, bestScore = m, sc
		}
	}
	if best == nil {
		return Suggestion{}, false, nil
	}
	c, err := s.st.Conversation(ctx, r.conv)
	if err != nil {
		return Suggestion{}, false, err
	}
	first := ""
	if len(r.customer) > 0 {
		first = r.customer[0]
	}
	return Suggestion{
		Conversation: r.conv, Answer: best.ID, Score: r.score, Confidence: r.confidence,
		Question: Mask(first, c.CustomerName), Text: Mask(best.Body, c.CustomerName),
	}, true, nil
}

// Answer reads one past answer again, masked as it was offered (!use).
func (s *Suggester) Answer(ctx context.Context, msg bridge.MessageID) (string, error) {
	m, err := s.st.Message(ctx, msg)
	if err != nil {
		return "", err
	}
	if m.Direction != bridge.DirStaff {
		return "", fmt.Errorf("message %d is no staff reply", msg)
	}
	c, err := s.st.Conversation(ctx, m.Conversation)
	if err != nil {
		return "", err
	}
	return Mask(m.Body, c.CustomerName), nil
}

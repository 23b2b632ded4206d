package answers

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Knowledge gaps: what customers asked that no article answers, grouped
// by the words those questions share, most frequent first; with what the
// widget's deflection did in the same period. `threadline stats` and the
// digest show them.

// Question is a conversation's opening question (its customer's name is
// masked out of the examples).
type Question = bridge.OpeningQuestion

// GapStore is what the knowledge-gaps report reads: the questions
// conversations opened with, and the widget's deflection records.
type GapStore interface {
	OpeningQuestions(ctx context.Context, since, until time.Time, limit int) ([]bridge.OpeningQuestion, error)
	CountAudit(ctx context.Context, action string, since, until time.Time) (int, error)
}

// maxGapQuestions bounds the questions one report reads (the most a
// month of a busy team opens).
const maxGapQuestions = 20000

// GapsBetween is the knowledge-gaps report of the conversations opened in
// [since, until): at most limit groups, with the widget's deflection in
// the same period.
func (k *KB) GapsBetween(ctx context.Context, st GapStore, since, until time.Time, limit int) (GapReport, error) {
	qs, err := st.OpeningQuestions(ctx, since, until, maxGapQuestions)
	if err != nil {
		return GapReport{}, err
	}
	r := k.Gaps(qs, limit)
	if r.Helped, err = st.CountAudit(ctx, ActionKBHelped, since, until); err != nil {
		return r, err
	}
	r.Still, err = st.CountAudit(ctx, ActionKBStill, since, until)
	return r, err
}

// GapReport is the knowledge gaps of a period.
type GapReport struct {
	Questions int   `json:"questions"` // conversations opened with a question
	Unmatched int   `json:"unmatched"` // of them, no article matched
	Gaps      []Gap `json:"gaps"`      // frequent unmatched questions, most first
	// Deflection: visitors the widget offered articles who said one
	// helped, and who wrote to staff all the same.
	Helped int `json:"deflection_helped"`
	Still  int `json:"deflection_still_wrote"`
}

// Gap is a group of unmatched questions.
type Gap struct {
	Words         []string                `json:"words"`   // what they share
	Count         int                     `json:"count"`   // how many asked
	Example       string                  `json:"example"` // one of them, masked
	Conversations []bridge.ConversationID `json:"conversations"`
}

// Gaps finds the questions no article matches and groups them; at most
// limit groups of two or more questions.
func (k *KB) Gaps(qs []Question, limit int) GapReport {
	var r GapReport
	type unmatched struct {
		q     Question
		terms map[string]float64
		forms map[string][]string
	}
	var un []unmatched
	for _, q := range qs {
		b := questionBag([]string{q.Text}, true)
		if len(b.terms) == 0 {
			continue
		}
		r.Questions++
		if hits := k.Search(q.Text, "", 1); len(hits) > 0 && hits[0].Coverage >= MatchCoverage {
			continue
		}
		un = append(un, unmatched{q: q, terms: b.terms, forms: b.words})
	}
	r.Unmatched = len(un)
	if len(un) == 0 {
		return r
	}
	// A word shared by many unmatched questions names a group; one in
	// nearly all of them says little (count × inverse frequency).
	count := map[string]int{}
	for _, u := range un {
		for t := range u.terms {
			count[t]++
		}
	}
	n := float64(len(un))
	salience := func(t string) float64 {
		c := float64(count[t])
		return c * math.Log(1+n/c)
	}
	type group struct {
		words []string
		convs []bridge.ConversationID
		ex    Question
	}
	groups := map[string]*group{}
	var order []string
	for _, u := range un {
		terms := make([]string, 0, len(u.terms))
		for t := range u.terms {
			if count[t] >= 2 {
				terms = append(terms, t)
			}
		}
		if len(terms) == 0 {
			continue
		}
		slices.SortFunc(terms, func(a, b string) int {
			if c := cmp.Compare(salience(b), salience(a)); c != 0 {
				return c
			}
			if c := cmp.Compare(u.terms[b], u.terms[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		key := terms[:min(2, len(terms))]
		slices.Sort(key)
		id := strings.Join(key, " ")
		g, ok := groups[id]
		if !ok {
			g = &group{ex: u.q}
			for _, t := range key {
				w := t
				if f := u.forms[t]; len(f) > 0 {
					w = f[0]
				}
				g.words = append(g.words, w)
			}
			groups[id] = g
			order = append(order, id)
		}
		g.convs = append(g.convs, u.q.Conversation)
	}
	for _, id := range order {
		g := groups[id]
		if len(g.convs) < 2 {
			continue
		}
		r.Gaps = append(r.Gaps, Gap{Words: g.words, Count: len(g.convs), Example: clip(oneLine(Mask(g.ex.Text, g.ex.CustomerName)), 100),
			Conversations: g.convs[:min(5, len(g.convs))]})
	}
	slices.SortStableFunc(r.Gaps, func(a, b Gap) int { return cmp.Compare(b.Count, a.Count) })
	if limit > 0 && len(r.Gaps) > limit {
		r.Gaps = r.Gaps[:limit]
	}
	return r
}

// FormatGaps is the knowledge-gaps section of the statistics.
func FormatGaps(r GapReport) string {
	var b strings.Builder
	b.WriteString("Knowledge gaps (questions no article answers):\n")
	if r.Questions == 0 {
		b.WriteString("  no conversations opened with a question in this period\n")
	} else {
		fmt.Fprintf(&b, "  %d of %d opening questions matched no article\n", r.Unmatched, r.Questions)
	}
	for _, g := range r.Gaps {
		ids := make([]string, len(g.Conversations))
		for i, c := range g.Conversations {
			ids[i] = c.String()
		}
		fmt.Fprintf(&b, "  %3d× %-24s e.g. “%s” (%s)\n", g.Count, strings.Join(g.Words, ", "), g.Example, strings.Join(ids, " "))
	}
	if r.Unmatched > 0 && len(r.Gaps) == 0 {
		b.WriteString("  no question came up twice\n")
	}
	if seen := r.Helped + r.Still; seen > 0 {
		fmt.Fprintf(&b, "  widget: an article helped %s; %s offered articles wrote to staff anyway (%d%% deflected)\n",
			visitors(r.Helped), visitors(r.Still), int(100*float64(r.Helped)/float64(seen)+0.5))
	}
	return strings.TrimRight(b.String(), "\n")
}

func visitors(n int) string {
	if n == 1 {
		return "1 visitor"
	}
	return fmt.Sprintf("%d visitors", n)
}

package answers

import (
	"context"
	"errors"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Deflection: while a web chat visitor types, before a conversation
// opens, the widget offers the articles that match what they write; the
// visitor says whether one helped, or writes to staff all the same. Both
// are recorded (audit entries without a conversation, no visitor data),
// and the knowledge-gaps report counts them.

// Audit actions of the widget's deflection.
const (
	ActionKBHelped = "kb_helped" // the visitor said an article helped
	ActionKBStill  = "kb_still"  // the visitor saw articles and wrote to staff anyway
)

// kbActor is who the widget's deflections are audited as.
var kbActor = bridge.Actor{ID: "webchat", Name: "Web chat visitor"}

// ErrUnknownArticle: a deflection named an article the knowledge base
// does not offer.
var ErrUnknownArticle = errors.New("no such article")

// Deflection offers articles to visitors and records what they did.
type Deflection struct {
	kb    *KB
	st    bridge.Store
	clock bridge.Clock
}

// NewDeflection builds the widget's side of the knowledge base.
func NewDeflection(kb *KB, st bridge.Store, clock bridge.Clock) *Deflection {
	return &Deflection{kb: kb, st: st, clock: bridge.OrSystem(clock)}
}

// minOfferWords is how many words a visitor must have typed before
// articles are offered: one word matches too much.
const minOfferWords = 2

// Offer is the articles matching what a visitor typed (at most n, in
// lang or in no particular language): only matches (MatchCoverage), never
// articles that merely share a word.
func (d *Deflection) Offer(question, lang string, n int) []ArticleHit {
	if len(strings.Fields(question)) < minOfferWords {
		return nil
	}
	var out []ArticleHit
	for _, h := range d.kb.Search(question, lang, n) {
		if h.Coverage >= MatchCoverage {
			out = append(out, h)
		}
	}
	return out
}

// Record records what a visitor did with an article offered: helped (it
// answered them) or not (they wrote to staff all the same).
func (d *Deflection) Record(ctx context.Context, slug string, helped bool) error {
	if _, ok := d.kb.Article(slug); !ok {
		return ErrUnknownArticle
	}
	action := ActionKBStill
	if helped {
		action = ActionKBHelped
	}
	now := d.clock.Now()
	return d.st.Write(ctx, func(tx bridge.Tx) error {
		return tx.Audit(bridge.AuditEntry{Actor: kbActor, Action: action, Detail: slug, At: now})
	})
}

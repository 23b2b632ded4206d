package answers_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/postgres"
	"github.com/threadlinehq/threadline/store/postgres/pgtest"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// The suggestion benchmark: one !suggest over 100,000 stored closed
// conversations (THREADLINE_BENCH_CONVERSATIONS changes the number), on
// SQLite and on PostgreSQL (when a server is installed). The evaluation
// conversations are stored among them, so the benchmark also reports the
// hit rates with that much history around them ("top1", "top3": percent
// of the fresh held-out questions).
//
//	go test ./bridge/answers -run '^$' -bench Suggest -benchtime 200x
//
// Setting the history up takes a minute or two; it is part of no timing.

// benchConversations is how many background conversations to store.
func benchConversations() int {
	if v := os.Getenv("THREADLINE_BENCH_CONVERSATIONS"); v != "" {
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil && n > 0 {
			return n
		}
	}
	return 100_000
}

// corpus writes background conversations: a customer's question and
// follow-up, a staff answer. Their words come from the support words the
// evaluation set uses too (app, order, lamp, refund, password ...), so
// common words are common, and from a made-up vocabulary of 20,000 words
// with a Zipf distribution, a few per conversation for its own topic:
// every real question meets thousands of candidates that share its common
// words, and has to be found by its rare ones.
type corpus struct {
	rng    *rand.Rand
	zipf   *rand.Zipf
	vocab  []string
	common []string
	filler []string
	names  []string
}

func newCorpus() *corpus {
	rng := rand.New(rand.NewPCG(20, 26))
	c := &corpus{rng: rng, zipf: rand.NewZipf(rng, 1.1, 2, 19_999)}
	syll := []string{"ka", "lo", "mi", "ter", "sa", "vo", "ru", "ne", "bi", "dax", "pol", "quin", "re", "zu", "fa", "gen", "tro", "ly", "sem", "cor"}
	seen := map[string]bool{}
	for len(c.vocab) < 20_000 {
		n := 2 + rng.IntN(3)
		var b strings.Builder
		for range n {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			c.vocab = append(c.vocab, w)
		}
	}
	c.common = strings.Fields(`app order account light lamp bulb plug hub email phone card update settings password delivery payment
		subscription refund invoice shipping parcel return warranty wifi router setup screen notification battery sensor scene
		schedule colour brightness price discount code login device firmware android iphone alexa google voice remote home room`)
	c.filler = strings.Fields(`my the is not it and I can you please with when after but have this that on in for to does working still again
		how why what help thanks`)
	c.names = strings.Fields(`Alex Sam Jo Kim Lee Max Noa Ola Pat Rui Sia Tam Uma Vic Wen Yan Zoe Ada Ben Cy`)
	return c
}

// sentence makes n words: the conversation's topic words, common support
// words and filler.
func (c *corpus) sentence(topic []string, n int) string {
	w := make([]string, n)
	for i := range w {
		switch r := c.rng.Float64(); {
		case r < 0.3:
			w[i] = topic[c.rng.IntN(len(topic))]
		case r < 0.55:
			w[i] = c.common[c.rng.IntN(len(c.common))]
		default:
			w[i] = c.filler[c.rng.IntN(len(c.filler))]
		}
	}
	return strings.Join(w, " ")
}

// fill stores n background conversations and the evaluation entries
// among them (at evenly spaced places), returning the entries' ids.
func (c *corpus) fill(tb testing.TB, db bridge.Store, n int, es []evalEntry) map[string]bridge.ConversationID {
	tb.Helper()
	ids := map[string]bridge.ConversationID{}
	every := max(1, n/(len(es)+1))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 500
	next := 0
	for done := 0; done < n; done += batch {
		err := db.Write(context.Background(), func(tx bridge.Tx) error {
			for i := done; i < min(n, done+batch); i++ {
				at := start.Add(time.Duration(i) * 5 * time.Minute)
				if i%every == every-1 && next < len(es) {
					e := es[next]
					id, err := storePast(tx, fmt.Sprintf("eval-%d", next), e.Customer, at, e.Question, e.Answer)
					if err != nil {
						return err
					}
					ids[e.ID] = id
					next++
				}
				topic := []string{c.vocab[c.zipf.Uint64()], c.vocab[c.zipf.Uint64()], c.vocab[c.zipf.Uint64()]}
				name := c.names[c.rng.IntN(len(c.names))]
				q := fmt.Sprintf("Hi, %s.\n%s?\nThanks, %s", c.sentence(topic, 10+c.rng.IntN(15)), c.sentence(topic, 6), name)
				a := fmt.Sprintf("Hi %s, %s. %s.", name, c.sentence(topic, 15+c.rng.IntN(20)), c.sentence(topic, 8))
				if _, err := storePast(tx, fmt.Sprintf("bg-%d", i), name, at, q, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	for ; next < len(es); next++ { // n smaller than the evaluation set
		err := db.Write(context.Background(), func(tx bridge.Tx) error {
			id, err := storePast(tx, fmt.Sprintf("eval-%d", next), es[next].Customer, start, es[next].Question, es[next].Answer)
			ids[es[next].ID] = id
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

func BenchmarkSuggest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		db, err := sqlite.Open(store.Config{Path: b.TempDir() + "/bench.db"}, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		benchSuggest(b, db)
	})
	b.Run("postgres", func(b *testing.B) {
		cluster, err := pgtest.Start()
		if err != nil {
			b.Skipf("no PostgreSQL: %v", err)
		}
		defer cluster.Stop()
		db, err := postgres.Open(store.Config{Path: cluster.NewDatabase(b)}, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		benchSuggest(b, db)
	})
}

// benchSuggest fills db, reports the hit rates among the history and
// times suggestions: warm (the term counts cached, as in a running
// daemon) and cold (a new Suggester every time: every term counted).
func benchSuggest(b *testing.B, db answers.Store) {
	es := loadEval(b)
	fresh := loadFresh(b, es)
	n := benchConversations()
	t0 := time.Now()
	ids := newCorpus().fill(b, db.(bridge.Store), n, es)
	b.Logf("stored %d conversations in %s", n+len(es), time.Since(t0).Round(time.Second))
	var questions []string
	for _, e := range fresh {
		questions = append(questions, e.Heldout...)
	}
	for _, e := range es {
		questions = append(questions, e.Heldout...)
	}
	opts := answers.SuggestOptions{Synonyms: lumenSynonyms}
	rf := evaluate(b, answers.NewSuggester(db, opts), fresh, ids)
	rt := evaluate(b, answers.NewSuggester(db, opts), es, ids)
	b.Logf("among %d conversations: fresh set %s; tuning set %s", n+len(es), rf, rt)
	ctx := context.Background()
	b.Run("warm", func(b *testing.B) {
		s := answers.NewSuggester(db, opts)
		i := 0
		for b.Loop() {
			if _, err := s.ForText(ctx, []string{questions[i%len(questions)]}, 0, 3); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(100*float64(rf.top1)/float64(rf.questions), "top1%")
		b.ReportMetric(100*float64(rf.top3)/float64(rf.questions), "top3%")
	})
	b.Run("cold", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := answers.NewSuggester(db, opts).ForText(ctx, []string{questions[i%len(questions)]}, 0, 3); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

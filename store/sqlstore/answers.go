package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/threadlinehq/threadline/bridge"
)

// Candidates for suggestions (bridge.AnswerReader). Each engine finds
// the messages containing a word through its own full-text index (the
// Dialect's Match queries); the ranking is done by the caller, in Go, the
// same way for every engine.

// maxPastMessages is how many customer messages of one conversation a
// PastQuestion carries: a question is asked at the start, and a very long
// conversation must not cost the ranking more than a short one.
const maxPastMessages = 10

// cleanTerm splits a term into its words, each of them its letters and
// digits, lower-cased, with a trailing "*" kept; ok is false when nothing
// is left (no query can be built from it).
func cleanTerm(term string) ([]string, bool) {
	var words []string
	for _, f := range strings.Fields(term) {
		stem := strings.HasSuffix(f, "*")
		var b strings.Builder
		for _, r := range strings.ToLower(f) {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
		}
		if b.Len() == 0 {
			continue
		}
		if stem {
			b.WriteByte('*')
		}
		words = append(words, b.String())
	}
	return words, len(words) > 0
}

// TermCounts counts the messages each term occurs in, up to limit.
func (s *Store) TermCounts(ctx context.Context, terms []string, limit int) (bridge.TermCounts, error) {
	out := bridge.TermCounts{Counts: make([]int, len(terms))}
	if err := s.queryRow(ctx, `SELECT coalesce(max(id), 0) FROM messages`).Scan(&out.Messages); err != nil {
		return out, fmt.Errorf("term counts: %w", err)
	}
	if limit <= 0 {
		limit = math.MaxInt32
	}
	err := eachParallel(ctx, len(terms), func(ctx context.Context, i int) error {
		clean, ok := cleanTerm(terms[i])
		if !ok {
			return nil
		}
		if err := s.queryRow(ctx, s.d.MatchCountQuery(), s.d.MatchArg(clean), limit).Scan(&out.Counts[i]); err != nil {
			return fmt.Errorf("term counts %q: %w", terms[i], err)
		}
		return nil
	})
	return out, err
}

// maxParallelTerms is how many of a question's term searches run at
// once, each on its own read connection: a search is mostly a round trip
// and the engine's planning (PostgreSQL) or a short index walk (SQLite),
// so running them side by side shortens a suggestion several times.
const maxParallelTerms = 4

// PastQuestions finds closed conversations in which the customer wrote one
// of q.Terms, with their customer messages.
func (s *Store) PastQuestions(ctx context.Context, q bridge.PastQuery) ([]bridge.PastQuestion, error) {
	per := q.PerTerm
	if per <= 0 {
		per = 50
	}
	found, err := s.matchTerms(ctx, q.Terms, q.Exclude, per)
	if err != nil {
		return nil, err
	}
	// In term order, each conversation once: the order does not depend on
	// which search finished first.
	index := map[bridge.ConversationID]int{}
	var out []bridge.PastQuestion
	for _, ids := range found {
		for _, id := range ids {
			if _, dup := index[id]; !dup {
				index[id] = len(out)
				out = append(out, bridge.PastQuestion{Conversation: id})
			}
		}
	}
	const chunk = 256
	for start := 0; start < len(out); start += chunk {
		if err := s.pastMessages(ctx, out[start:min(start+chunk, len(out))], out, index); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// matchTerms runs the search of each term and returns, per term, the
// conversations of its newest matches.
func (s *Store) matchTerms(ctx context.Context, terms []string, exclude bridge.ConversationID, per int) ([][]bridge.ConversationID, error) {
	found := make([][]bridge.ConversationID, len(terms))
	err := eachParallel(ctx, len(terms), func(ctx context.Context, i int) error {
		clean, ok := cleanTerm(terms[i])
		if !ok {
			return nil
		}
		var err error
		if found[i], err = s.matchTerm(ctx, clean, exclude, per); err != nil {
			return fmt.Errorf("past questions %q: %w", terms[i], err)
		}
		return nil
	})
	return found, err
}

// eachParallel calls fn for 0..n-1, maxParallelTerms at once; the first
// failure cancels the calls still running and is returned.
func eachParallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	sem := make(chan struct{}, maxParallelTerms)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if errs[i] = fn(ctx, i); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// The failure that cancelled the others, not what they said of it.
	var first error
	for _, err := range errs {
		if err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	return first
}

// matchTerm lists the conversations of a term's newest matches.
func (s *Store) matchTerm(ctx context.Context, words []string, exclude bridge.ConversationID, per int) ([]bridge.ConversationID, error) {
	rows, err := s.query(ctx, s.d.MatchConversationsQuery(), s.d.MatchArg(words), exclude, per)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []bridge.ConversationID
	for rows.Next() {
		var id bridge.ConversationID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// pastMessages fills in the customer messages of the conversations in
// part. The IN list is padded to a power of two (repeating the last id),
// so few query shapes reach the engines' statement caches.
func (s *Store) pastMessages(ctx context.Context, part, out []bridge.PastQuestion, index map[bridge.ConversationID]int) error {
	size := 1
	for size < len(part) {
		size *= 2
	}
	args := make([]any, 0, size+1)
	for i := range size {
		args = append(args, part[min(i, len(part)-1)].Conversation)
	}
	args = append(args, maxPastMessages)
	query := `SELECT conversation_id, direction, body FROM (
		SELECT conversation_id, direction, body, id, row_number() OVER (PARTITION BY conversation_id, direction ORDER BY id) AS n
		FROM messages WHERE direction IN ('customer', 'staff') AND conversation_id IN (` + placeholders(size) + `)) AS t
		WHERE n <= ? ORDER BY conversation_id, id`
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("past questions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id bridge.ConversationID
		var dir bridge.Direction
		var body string
		if err := rows.Scan(&id, &dir, &body); err != nil {
			return err
		}
		i, ok := index[id]
		switch {
		case !ok:
		case dir == bridge.DirCustomer:
			out[i].Customer = append(out[i].Customer, body)
		default:
			out[i].Staff = append(out[i].Staff, body)
		}
	}
	return rows.Err()
}

// OpeningQuestions lists conversations opened in the window with their
// first customer message.
func (s *Store) OpeningQuestions(ctx context.Context, since, until time.Time, limit int) ([]bridge.OpeningQuestion, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := s.query(ctx, `SELECT c.id, m.body,
			coalesce(nullif((SELECT display_name FROM customer_identities WHERE platform = c.channel AND address = c.address), ''),
				nullif((SELECT name FROM customers WHERE id = c.customer_id), ''), c.address)
		FROM conversations c
		JOIN messages m ON m.id = (SELECT min(id) FROM messages WHERE conversation_id = c.id AND direction = 'customer')
		WHERE c.created_at >= ? AND c.created_at < ?
		ORDER BY c.id LIMIT ?`, ms(since), ms(until), limit)
	if err != nil {
		return nil, fmt.Errorf("opening questions: %w", err)
	}
	defer rows.Close()
	var out []bridge.OpeningQuestion
	for rows.Next() {
		var q bridge.OpeningQuestion
		if err := rows.Scan(&q.Conversation, &q.Text, &q.CustomerName); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// CountAudit counts audit entries not about a conversation.
func (s *Store) CountAudit(ctx context.Context, action string, since, until time.Time) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM audit_log WHERE conversation_id IS NULL AND action = ? AND at >= ? AND at < ?`,
		action, ms(since), ms(until)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count audit %s: %w", action, err)
	}
	return n, nil
}

var _ bridge.AnswerReader = (*Store)(nil)

// placeholders is "?, ?, ..." n times.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Search finds messages whose body contains every word of text.
func (s *Store) Search(ctx context.Context, text string, limit int) ([]bridge.SearchHit, error) {
	q := ftsQuery(text)
	if q == "" {
		return nil, fmt.Errorf("search: give at least one word")
	}
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.direction, m.author,
		snippet(messages_fts, '[', ']', '…', -1, 12), m.created_at
		FROM messages_fts JOIN messages m ON m.id = messages_fts.docid
		WHERE messages_fts MATCH ? ORDER BY m.id DESC LIMIT ?`, q, limit)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out []bridge.SearchHit
	for rows.Next() {
		var h bridge.SearchHit
		var at int64
		if err := rows.Scan(&h.Message, &h.Conversation, &h.Direction, &h.Author, &h.Snippet, &at); err != nil {
			return nil, err
		}
		h.CreatedAt = time.UnixMilli(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// ftsQuery turns user text into an FTS4 query that ANDs each word as a
// literal phrase, so operators and quotes in the text cannot break it.
func ftsQuery(text string) string {
	var terms []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return r == '"' || r == ' ' || r == '\t' || r == '\n' || r == '*' || r == '(' || r == ')' || r == ':' || r == '-' || r == '^'
	}) {
		terms = append(terms, `"`+w+`"`)
	}
	return strings.Join(terms, " ")
}

// QuickCheck runs SQLite's PRAGMA quick_check (a faster integrity_check
// that skips index contents) and returns the problems it lists; none
// means the file is sound.
func (s *Store) QuickCheck(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "PRAGMA quick_check(20)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}

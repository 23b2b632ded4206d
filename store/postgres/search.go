package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Search finds messages whose body contains every word of text, newest
// first, with a snippet that marks the matches with [ and ].
//
// The text is split into words where SQLite's search splits it (spaces and
// its query operators " * ( ) : - ^); plainto_tsquery then makes each word
// a plain term (no prefixes) and ANDs them, taking any tsquery operator in
// them as punctuation. Words are lower-cased here too: a database in the C
// locale lower-cases only ASCII letters itself.
func (s *Store) Search(ctx context.Context, text string, limit int) ([]bridge.SearchHit, error) {
	words := searchWords(text)
	if len(words) == 0 {
		return nil, errors.New("search: give at least one word")
	}
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.direction, m.author,
		ts_headline('simple', m.body, q, 'StartSel=[, StopSel=], MaxWords=12, MinWords=4, ShortWord=0'), m.created_at
		FROM messages m, plainto_tsquery('simple', $1) AS q
		WHERE m.search @@ q ORDER BY m.id DESC LIMIT $2`, strings.Join(words, " "), limit)
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

// searchWords splits user text into lower-cased words; NUL bytes and
// invalid UTF-8 (which PostgreSQL refuses in text) separate words.
func searchWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(strings.ToValidUTF8(text, " ")), func(r rune) bool {
		switch r {
		case '"', ' ', '\t', '\n', '\r', '*', '(', ')', ':', '-', '^', 0:
			return true
		}
		return false
	})
}

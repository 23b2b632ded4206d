package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/threadlinehq/threadline/bridge"
)

const messageCols = `id, conversation_id, direction, author_id, author, body, attachments, platform,
	coalesce(external_id, ''), created_at, mentions`

func scanMessage(row scanner) (bridge.Message, error) {
	var m bridge.Message
	var atts, mentions string
	var created int64
	if err := row.Scan(&m.ID, &m.Conversation, &m.Direction, &m.AuthorID, &m.Author, &m.Body, &atts, &m.Platform,
		&m.ExternalID, &created, &mentions); err != nil {
		return m, notFound(err)
	}
	if mentions != "" {
		if err := json.Unmarshal([]byte(mentions), &m.Mentions); err != nil {
			return m, fmt.Errorf("message %d mentions: %w", m.ID, err)
		}
	}
	m.CreatedAt = time.UnixMilli(created)
	if atts != "" {
		if err := json.Unmarshal([]byte(atts), &m.Attachments); err != nil {
			return m, fmt.Errorf("message %d attachments: %w", m.ID, err)
		}
	}
	return m, nil
}

func getMessage(ctx context.Context, q querier, id bridge.MessageID) (bridge.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return m, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// Message loads one message.
func (s *Store) Message(ctx context.Context, id bridge.MessageID) (bridge.Message, error) {
	return getMessage(ctx, s.r, id)
}

// MessageByID loads one message inside the transaction.
func (t *Tx) MessageByID(id bridge.MessageID) (bridge.Message, error) {
	return getMessage(t.ctx, t.tx, id)
}

// MessageByExternal finds a message by the id its platform gave it, either
// as written there or as a copy we posted there.
func (t *Tx) MessageByExternal(p bridge.Platform, externalID string) (bridge.Message, error) {
	return messageByExternal(t.ctx, t.tx, p, externalID)
}

// StoredExternal finds a message stored with this platform id.
func (t *Tx) StoredExternal(p bridge.Platform, externalID string) (bridge.MessageID, bridge.ConversationID, error) {
	var id bridge.MessageID
	var conv bridge.ConversationID
	err := t.tx.QueryRowContext(t.ctx, `SELECT id, conversation_id FROM messages WHERE platform = ? AND external_id = ?`, p, externalID).Scan(&id, &conv)
	return id, conv, notFound(err)
}

// MessageByExternal is the read-pool version of Tx.MessageByExternal.
func (s *Store) MessageByExternal(ctx context.Context, p bridge.Platform, externalID string) (bridge.Message, error) {
	return messageByExternal(ctx, s.r, p, externalID)
}

func messageByExternal(ctx context.Context, q querier, p bridge.Platform, externalID string) (bridge.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE platform = ? AND external_id = ?`, p, externalID))
	if err != bridge.ErrNotFound {
		return m, err
	}
	return scanMessage(q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE id =
		(SELECT message_id FROM message_refs WHERE platform = ? AND external_id = ?)`, p, externalID))
}

// InsertMessage stores m and sets its ID. A second message with the same
// (platform, external id) fails with bridge.ErrDuplicate.
func (t *Tx) InsertMessage(m *bridge.Message, editOf bridge.MessageID) error {
	atts := ""
	if len(m.Attachments) > 0 {
		b, err := json.Marshal(m.Attachments)
		if err != nil {
			return err
		}
		atts = string(b)
	}
	mentions := ""
	if len(m.Mentions) > 0 {
		b, err := json.Marshal(m.Mentions)
		if err != nil {
			return err
		}
		mentions = string(b)
	}
	var ext, edit any
	if m.ExternalID != "" {
		ext = m.ExternalID
	}
	if editOf != 0 {
		edit = editOf
	}
	res, err := t.exec(`INSERT INTO messages (conversation_id, direction, author_id, author, body, attachments, platform,
		external_id, edit_of, created_at, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Conversation, m.Direction, m.AuthorID, m.Author, m.Body, atts, m.Platform, ext, edit, ms(m.CreatedAt), mentions)
	if err != nil {
		if se, ok := err.(sqlite3.Error); ok && se.ExtendedCode == sqlite3.ErrConstraintUnique {
			return fmt.Errorf("message %s:%s: %w", m.Platform, m.ExternalID, bridge.ErrDuplicate)
		}
		return fmt.Errorf("insert message: %w", err)
	}
	id, err := res.LastInsertId()
	m.ID = bridge.MessageID(id)
	return err
}

// queryMessages runs a query whose columns are messageCols.
func queryMessages(ctx context.Context, q querier, query string, args ...any) ([]bridge.Message, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns the newest limit messages of a conversation (limit <=
// 0: all of them), oldest first.
func (s *Store) Messages(ctx context.Context, conv bridge.ConversationID, limit int) ([]bridge.Message, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	return queryMessages(ctx, s.r, `SELECT * FROM (SELECT `+messageCols+` FROM messages WHERE conversation_id = ?
		ORDER BY id DESC LIMIT ?) ORDER BY id`, conv, limit)
}

// References lists the external ids exchanged with the customer on channel
// in a conversation (theirs and our sent copies), oldest first.
func (s *Store) References(ctx context.Context, conv bridge.ConversationID, channel bridge.Platform) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT ext FROM (
		SELECT id AS mid, external_id AS ext FROM messages
		WHERE conversation_id = ?1 AND platform = ?2 AND external_id IS NOT NULL AND direction = 'customer'
		UNION ALL
		SELECT r.message_id, r.external_id FROM message_refs r JOIN messages m ON m.id = r.message_id
		WHERE m.conversation_id = ?1 AND r.platform = ?2) ORDER BY mid`, conv, channel)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

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

// CustomerMessages returns what a customer may see of their conversations on
// one channel address (their messages and staff replies; never notes or
// system notices), with id > after, oldest first, at most limit (the newest).
func (s *Store) CustomerMessages(ctx context.Context, channel bridge.Platform, address string, after bridge.MessageID, limit int) ([]bridge.Message, error) {
	if limit <= 0 {
		limit = 200
	}
	return queryMessages(ctx, s.r, `SELECT * FROM (SELECT `+messageCols+` FROM messages
		WHERE conversation_id IN (SELECT id FROM conversations WHERE channel = ? AND address = ?)
		AND id > ? AND direction IN ('customer', 'staff')
		ORDER BY id DESC LIMIT ?) ORDER BY id`, channel, address, after, limit)
}

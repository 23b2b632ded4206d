package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

const messageCols = `id, conversation_id, direction, author_id, author, body, attachments, platform,
	coalesce(external_id, ''), created_at, mentions`

// messageRow is what a message row is scanned into, in one allocation
// (separate variables escaped to the heap one by one).
type messageRow struct {
	m              bridge.Message
	atts, mentions string
	created        int64
}

func scanMessage(row scanner) (bridge.Message, error) {
	r := new(messageRow)
	m := &r.m
	if err := row.Scan(&m.ID, &m.Conversation, &m.Direction, &m.AuthorID, &m.Author, &m.Body, &r.atts, &m.Platform,
		&m.ExternalID, &r.created, &r.mentions); err != nil {
		return *m, notFound(err)
	}
	if r.mentions != "" {
		if err := json.Unmarshal([]byte(r.mentions), &m.Mentions); err != nil {
			return *m, fmt.Errorf("message %d mentions: %w", m.ID, err)
		}
	}
	m.CreatedAt = time.UnixMilli(r.created)
	if r.atts != "" {
		if err := json.Unmarshal([]byte(r.atts), &m.Attachments); err != nil {
			return *m, fmt.Errorf("message %d attachments: %w", m.ID, err)
		}
	}
	return *m, nil
}

func getMessage(ctx context.Context, q on, id bridge.MessageID) (bridge.Message, error) {
	m, err := scanMessage(q.queryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return m, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// Message loads one message.
func (s *Store) Message(ctx context.Context, id bridge.MessageID) (bridge.Message, error) {
	return getMessage(ctx, s.on(), id)
}

// MessageByID loads one message inside the transaction.
func (t *Tx) MessageByID(id bridge.MessageID) (bridge.Message, error) {
	return getMessage(t.ctx, t.on(), id)
}

// MessageByExternal finds a message by the id its platform gave it, either
// as written there or as a copy we posted there.
func (t *Tx) MessageByExternal(p bridge.Platform, externalID string) (bridge.Message, error) {
	return messageByExternal(t.ctx, t.on(), p, externalID)
}

// StoredExternal finds a message stored with this platform id.
func (t *Tx) StoredExternal(p bridge.Platform, externalID string) (bridge.MessageID, bridge.ConversationID, error) {
	var id bridge.MessageID
	var conv bridge.ConversationID
	err := t.queryRow(`SELECT id, conversation_id FROM messages WHERE platform = ? AND external_id = ?`, p, externalID).Scan(&id, &conv)
	return id, conv, notFound(err)
}

// MessageByExternal is the read-pool version of Tx.MessageByExternal.
func (s *Store) MessageByExternal(ctx context.Context, p bridge.Platform, externalID string) (bridge.Message, error) {
	return messageByExternal(ctx, s.on(), p, externalID)
}

func messageByExternal(ctx context.Context, q on, p bridge.Platform, externalID string) (bridge.Message, error) {
	m, err := scanMessage(q.queryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE platform = ? AND external_id = ?`, p, externalID))
	if err != bridge.ErrNotFound {
		return m, err
	}
	return scanMessage(q.queryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE id =
		(SELECT message_id FROM message_refs WHERE platform = ? AND external_id = ?)`, p, externalID))
}

// InsertMessage stores m and sets its ID. A second message with the same
// (platform, external id) is refused with bridge.ErrDuplicate, and the
// write goes on: the conflict is resolved by ON CONFLICT DO NOTHING, so no
// statement fails (on PostgreSQL a failed statement would abort the whole
// transaction).
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
	id, err := t.insertID(`INSERT INTO messages (conversation_id, direction, author_id, author, body, attachments, platform,
		external_id, edit_of, created_at, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (platform, external_id) WHERE external_id IS NOT NULL DO NOTHING`,
		m.Conversation, m.Direction, m.AuthorID, m.Author, m.Body, atts, m.Platform, ext, edit, ms(m.CreatedAt), mentions)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("message %s:%s: %w", m.Platform, m.ExternalID, bridge.ErrDuplicate)
	case err != nil:
		return fmt.Errorf("insert message: %w", err)
	}
	m.ID = bridge.MessageID(id)
	t.inserted = true
	return nil
}

// queryMessages runs a query whose columns are messageCols.
func queryMessages(ctx context.Context, q on, query string, args ...any) ([]bridge.Message, error) {
	rows, err := q.query(ctx, query, args...)
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
		return queryMessages(ctx, s.on(), `SELECT `+messageCols+` FROM messages WHERE conversation_id = ? ORDER BY id`, conv)
	}
	return queryMessages(ctx, s.on(), `SELECT * FROM (SELECT `+messageCols+` FROM messages WHERE conversation_id = ?
		ORDER BY id DESC LIMIT ?) AS newest ORDER BY id`, conv, limit)
}

// References lists the external ids exchanged with the customer on channel
// in a conversation (theirs and our sent copies), oldest first.
func (s *Store) References(ctx context.Context, conv bridge.ConversationID, channel bridge.Platform) ([]string, error) {
	rows, err := s.query(ctx, `SELECT ext FROM (
		SELECT id AS mid, external_id AS ext FROM messages
		WHERE conversation_id = ?1 AND platform = ?2 AND external_id IS NOT NULL AND direction = 'customer'
		UNION ALL
		SELECT r.message_id, r.external_id FROM message_refs r JOIN messages m ON m.id = r.message_id
		WHERE m.conversation_id = ?1 AND r.platform = ?2) AS refs ORDER BY mid`, conv, channel)
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

// CustomerMessages returns what a customer may see of their conversations on
// one channel address (their messages and staff replies; never notes or
// system notices), with id > after, oldest first, at most limit (the newest).
func (s *Store) CustomerMessages(ctx context.Context, channel bridge.Platform, address string, after bridge.MessageID, limit int) ([]bridge.Message, error) {
	if limit <= 0 {
		limit = 200
	}
	return queryMessages(ctx, s.on(), `SELECT * FROM (SELECT `+messageCols+` FROM messages
		WHERE conversation_id IN (SELECT id FROM conversations WHERE channel = ? AND address = ?)
		AND id > ? AND direction IN ('customer', 'staff')
		ORDER BY id DESC LIMIT ?) AS newest ORDER BY id`, channel, address, after, limit)
}

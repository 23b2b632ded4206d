package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// SetThread records conv's active thread on a surface (replacing any other).
func (t *Tx) SetThread(conv bridge.ConversationID, surface bridge.Platform, ref bridge.ThreadRef, now time.Time) error {
	if _, err := t.exec(`UPDATE threads SET active = 0 WHERE conversation_id = ? AND surface = ? AND thread_ref != ?`, conv, surface, ref); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO threads (surface, thread_ref, conversation_id, active, created_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (surface, thread_ref) DO UPDATE SET active = 1, conversation_id = excluded.conversation_id`,
		surface, ref, conv, ms(now))
	return err
}

// DeactivateThread marks a thread as gone (its parent was deleted); messages
// in it still resolve to the conversation.
func (t *Tx) DeactivateThread(conv bridge.ConversationID, surface bridge.Platform, ref bridge.ThreadRef, _ time.Time) error {
	_, err := t.exec(`UPDATE threads SET active = 0 WHERE conversation_id = ? AND surface = ? AND thread_ref = ?`, conv, surface, ref)
	return err
}

// ActiveThread returns conv's active thread on surface, read in the write
// transaction.
func (t *Tx) ActiveThread(conv bridge.ConversationID, surface bridge.Platform) (bridge.ThreadRef, error) {
	var ref bridge.ThreadRef
	err := t.queryRow(`SELECT thread_ref FROM threads WHERE conversation_id = ? AND surface = ? AND active = 1`, conv, surface).Scan(&ref)
	return ref, notFound(err)
}

// Thread returns conv's active thread on surface.
func (s *Store) Thread(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform) (bridge.ThreadRef, error) {
	var ref bridge.ThreadRef
	err := s.queryRow(ctx, `SELECT thread_ref FROM threads WHERE conversation_id = ? AND surface = ? AND active = 1`, conv, surface).Scan(&ref)
	return ref, notFound(err)
}

// postSource selects a message (m) and the active thread on a surface of the
// conversation conv names ("" when there is none): the one query behind
// PostSource (conv a parameter) and PostSources (the message's own).
func postSource(conv string) string {
	return `SELECT ` + messageCols + `,
		coalesce((SELECT thread_ref FROM threads t WHERE t.conversation_id = ` + conv + ` AND t.surface = ? AND t.active = 1), '')
		FROM messages m`
}

var (
	postSourceByID   = postSource("?") + ` WHERE m.id = ?`
	postSourcesByIDs = postSource("m.conversation_id") + ` WHERE m.id IN (`
)

// PostSource reads the active thread of conv on surface ("" when there is
// none) and the message a staff post shows, in one query.
func (s *Store) PostSource(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform, msg bridge.MessageID) (bridge.ThreadRef, bridge.Message, error) {
	var ref bridge.ThreadRef
	m, err := scanMessage(scanAlso{s.queryRow(ctx, postSourceByID, conv, surface, msg), []any{&ref}})
	if err != nil {
		return "", m, fmt.Errorf("message %d: %w", msg, err)
	}
	return ref, m, nil
}

// PostSources reads the messages msgs with the active thread of each one's
// conversation on surface, in one query.
func (s *Store) PostSources(ctx context.Context, surface bridge.Platform, msgs []bridge.MessageID) (map[bridge.MessageID]bridge.PostSource, error) {
	out := make(map[bridge.MessageID]bridge.PostSource, len(msgs))
	if len(msgs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(msgs)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, postSourcesByIDs+s.d.IDSet()+`)`, surface, string(ids))
	if err != nil {
		return nil, fmt.Errorf("post sources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src bridge.PostSource
		if src.Message, err = scanMessage(scanAlso{rows, []any{&src.Thread}}); err != nil {
			return nil, err
		}
		out[src.Message.ID] = src
	}
	return out, rows.Err()
}

// scanAlso scans the columns a scan function reads and then more.
type scanAlso struct {
	row   scanner
	extra []any
}

func (s scanAlso) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// PreviousThread returns conv's newest inactive thread on surface, or "".
func (s *Store) PreviousThread(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform) (bridge.ThreadRef, error) {
	var ref bridge.ThreadRef
	err := s.queryRow(ctx, `SELECT thread_ref FROM threads WHERE conversation_id = ? AND surface = ? AND active = 0
		ORDER BY created_at DESC LIMIT 1`, conv, surface).Scan(&ref)
	if err = notFound(err); err == bridge.ErrNotFound {
		return "", nil
	}
	return ref, err
}

// ConversationByThread finds the conversation a thread (active or old) belongs to.
func (s *Store) ConversationByThread(ctx context.Context, surface bridge.Platform, ref bridge.ThreadRef) (bridge.ConversationID, error) {
	var id bridge.ConversationID
	err := s.queryRow(ctx, `SELECT conversation_id FROM threads WHERE surface = ? AND thread_ref = ?`, surface, ref).Scan(&id)
	return id, notFound(err)
}

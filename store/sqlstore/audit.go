package sqlstore

import (
	"context"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Audit records a state change.
func (t *Tx) Audit(a bridge.AuditEntry) error {
	var conv any
	if a.Conversation != 0 {
		conv = a.Conversation
	}
	_, err := t.exec(`INSERT INTO audit_log (conversation_id, actor, actor_name, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)`,
		conv, a.Actor.ID, a.Actor.Name, a.Action, a.Detail, ms(a.At))
	return err
}

// AuditLog returns a conversation's audit entries, oldest first.
func (s *Store) AuditLog(ctx context.Context, conv bridge.ConversationID) ([]bridge.AuditEntry, error) {
	rows, err := s.query(ctx, `SELECT coalesce(conversation_id, 0), actor, actor_name, action, detail, at
		FROM audit_log WHERE conversation_id = ? ORDER BY id`, conv)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.AuditEntry
	for rows.Next() {
		var a bridge.AuditEntry
		var at int64
		if err := rows.Scan(&a.Conversation, &a.Actor.ID, &a.Actor.Name, &a.Action, &a.Detail, &at); err != nil {
			return nil, err
		}
		a.At = time.UnixMilli(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

package sqlstore

import (
	"context"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// ThreadsActiveSince lists surface's active threads whose conversation is
// open or waiting, or was changed (closed, say) at or after since: the
// threads staff may have written in while the daemon was not listening.
// Both halves read the conversations_status index.
func (s *Store) ThreadsActiveSince(ctx context.Context, surface bridge.Platform, since time.Time) ([]bridge.ThreadRef, error) {
	rows, err := s.query(ctx, `SELECT t.thread_ref FROM threads t JOIN conversations c ON c.id = t.conversation_id
		WHERE t.surface = ? AND t.active = 1 AND c.status IN ('open', 'waiting')
		UNION
		SELECT t.thread_ref FROM threads t JOIN conversations c ON c.id = t.conversation_id
		WHERE t.surface = ? AND t.active = 1 AND c.status = 'closed' AND c.updated_at >= ?`,
		surface, surface, ms(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.ThreadRef
	for rows.Next() {
		var ref bridge.ThreadRef
		if err := rows.Scan(&ref); err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}

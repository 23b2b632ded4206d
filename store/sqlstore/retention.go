package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// Retention candidates: closed conversations with no activity since the
// cutoff (updated_at covers late notes and ratings; closed_at the close).
const retentionWhere = `status = 'closed' AND updated_at < ?1 AND coalesce(closed_at, 0) < ?1`

// PreviewPurge counts what PurgeClosed(before) would delete, without
// deleting anything (retention run --dry-run).
func (s *Store) PreviewPurge(ctx context.Context, before time.Time) (store.RetentionPreview, error) {
	var p store.RetentionPreview
	err := s.queryRow(ctx, `SELECT count(*),
		CAST(coalesce(sum((SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)), 0) AS BIGINT)
		FROM conversations c WHERE `+retentionWhere, ms(before)).Scan(&p.Conversations, &p.Messages)
	if err != nil {
		return p, err
	}
	err = s.queryRow(ctx, `SELECT count(*) FROM customers cu
		WHERE EXISTS (SELECT 1 FROM conversations c WHERE c.customer_id = cu.id AND `+retentionWhere+`)
		AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.customer_id = cu.id AND NOT (`+retentionWhere+`))`,
		ms(before)).Scan(&p.Customers)
	return p, err
}

// PurgeClosed deletes closed conversations untouched since before, with
// everything that refers to them (messages and their full-text rows,
// message refs, threads, outbox rows, audit rows, tags, satisfaction
// scores), and then customers left with no conversation, with their
// identities. It works in small write transactions through the writer, so
// it runs safely inside the serving daemon, and it records one
// "retention_purged" audit row (no conversation, no personal data).
func (s *Store) PurgeClosed(ctx context.Context, before time.Time, o store.DeleteOptions) (store.Deleted, error) {
	var total store.Deleted
	if o.Now.IsZero() {
		o.Now = s.clock.Now()
	}
	err := s.deleteLoop(ctx, o, &total, func(t *Tx, limit int) ([]bridge.ConversationID, []bridge.CustomerID, error) {
		return t.pickConversations(`SELECT id, customer_id FROM conversations WHERE `+retentionWhere+` ORDER BY id LIMIT ?2`, ms(before), limit)
	})
	if err != nil || total.Conversations == 0 {
		return total, err
	}
	err = s.write(ctx, func(tx bridge.Tx) error {
		return tx.Audit(bridge.AuditEntry{Actor: bridge.SystemActor(), Action: "retention_purged", At: o.Now,
			Detail: fmt.Sprintf("closed before %s: %d conversations, %d messages, %d customers deleted",
				before.UTC().Format(time.RFC3339), total.Conversations, total.Messages, total.Customers)})
	})
	return total, err
}

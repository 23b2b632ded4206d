package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/threadlinehq/threadline/store"
)

// QueueStats counts open, unclaimed and overdue conversations and the
// pending outbox per target. Every count reads an index (status,
// sla_due, the pending-outbox partial index), so it is cheap enough to run
// on each metrics scrape.
func (s *Store) QueueStats(ctx context.Context, now time.Time) (store.QueueStats, error) {
	var q store.QueueStats
	err := s.queryRow(ctx, `SELECT
		(SELECT count(*) FROM conversations WHERE status = 'open'),
		(SELECT count(*) FROM conversations WHERE status = 'waiting'),
		(SELECT count(*) FROM conversations WHERE status IN ('open', 'waiting') AND owner = ''),
		(SELECT count(*) FROM conversations WHERE sla_due IS NOT NULL AND sla_due <= ? AND status = 'open')`,
		ms(now)).Scan(&q.Open, &q.Waiting, &q.Unclaimed, &q.Overdue)
	if err != nil {
		return q, err
	}
	rows, err := s.query(ctx, `SELECT target, count(*), min(created_at) FROM outbox
		WHERE state = 'pending' GROUP BY target ORDER BY target`)
	if err != nil {
		return q, err
	}
	defer rows.Close()
	for rows.Next() {
		var t store.OutboxTargetStats
		var oldest sql.NullInt64
		if err := rows.Scan(&t.Target, &t.Pending, &oldest); err != nil {
			return q, err
		}
		t.Oldest = fromMS(oldest)
		q.Outbox = append(q.Outbox, t)
	}
	return q, rows.Err()
}

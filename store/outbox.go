package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Enqueue adds an outbox row. Rows are due at NotBefore (now if zero).
func (t *Tx) Enqueue(r bridge.OutboxRow) error {
	var msg any
	if r.Message != 0 {
		msg = r.Message
	}
	var due int64
	if !r.NotBefore.IsZero() {
		due = ms(r.NotBefore)
	}
	_, err := t.exec(`INSERT INTO outbox (conversation_id, target, kind, message_id, payload, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.Conversation, r.Target, r.Kind, msg, r.Payload, due, time.Now().UnixMilli())
	return err
}

// headOfLane keeps only the oldest pending row of each (conversation, target)
// lane: later rows wait for it, which is what keeps per-conversation order.
const headOfLane = `NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending'
	AND p.conversation_id = o.conversation_id AND p.target = o.target AND p.id < o.id)`

// DueOutbox returns pending lane heads due at now, earliest first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]bridge.OutboxItem, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.id, o.conversation_id, o.target, o.kind, coalesce(o.message_id, 0),
		o.payload, o.attempts, o.next_attempt_at, o.created_at, c.address, c.department
		FROM outbox o JOIN conversations c ON c.id = o.conversation_id
		WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND `+headOfLane+`
		ORDER BY o.next_attempt_at, o.id LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.OutboxItem
	for rows.Next() {
		var it bridge.OutboxItem
		var next, created int64
		if err := rows.Scan(&it.ID, &it.Conversation, &it.Target, &it.Kind, &it.Message, &it.Payload, &it.Attempts,
			&next, &created, &it.Address, &it.Department); err != nil {
			return nil, err
		}
		it.NextAttempt, it.CreatedAt = time.UnixMilli(next), time.UnixMilli(created)
		out = append(out, it)
	}
	return out, rows.Err()
}

// NextOutboxDue returns when the earliest pending lane head is due.
func (s *Store) NextOutboxDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(o.next_attempt_at) FROM outbox o WHERE o.state = 'pending' AND `+headOfLane).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return time.UnixMilli(next.Int64), nil
}

// MarkSent records a delivered row and the id the platform gave the copy.
func (t *Tx) MarkSent(id bridge.OutboxID, ref bridge.ExternalRef, msg bridge.MessageID, now time.Time) error {
	if _, err := t.exec(`UPDATE outbox SET state = 'sent', external_id = ?, attempts = attempts + 1, done_at = ?, last_error = ''
		WHERE id = ?`, ref.ID, ms(now), id); err != nil {
		return err
	}
	if msg != 0 && ref.ID != "" {
		_, err := t.exec(`INSERT OR IGNORE INTO message_refs (platform, external_id, message_id) VALUES (?, ?, ?)`, ref.Platform, ref.ID, msg)
		return err
	}
	return nil
}

// MarkRetry schedules another attempt.
func (t *Tx) MarkRetry(id bridge.OutboxID, attempts int, next time.Time, lastErr string) error {
	_, err := t.exec(`UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`, attempts, ms(next), lastErr, id)
	return err
}

// MarkDead dead-letters a row.
func (t *Tx) MarkDead(id bridge.OutboxID, lastErr string, now time.Time) error {
	_, err := t.exec(`UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, done_at = ? WHERE id = ?`, lastErr, ms(now), id)
	return err
}

// OutboxRow is an outbox row as operators see it.
type OutboxRow struct {
	bridge.OutboxItem
	State      string
	LastError  string
	ExternalID string
}

// OutboxRows lists a conversation's outbox rows (all states), oldest first.
func (s *Store) OutboxRows(ctx context.Context, conv bridge.ConversationID) ([]OutboxRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, conversation_id, target, kind, coalesce(message_id, 0), payload, attempts,
		next_attempt_at, created_at, state, last_error, external_id FROM outbox WHERE conversation_id = ? ORDER BY id`, conv)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		var next, created int64
		if err := rows.Scan(&r.ID, &r.Conversation, &r.Target, &r.Kind, &r.Message, &r.Payload, &r.Attempts, &next, &created,
			&r.State, &r.LastError, &r.ExternalID); err != nil {
			return nil, err
		}
		r.NextAttempt, r.CreatedAt = time.UnixMilli(next), time.UnixMilli(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// OutboxStats summarises the outbox for status output and metrics.
type OutboxStats struct {
	Pending, Dead int
	OldestPending time.Time
}

// OutboxStats counts pending and dead rows.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	var oldest sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM outbox WHERE state = 'pending'),
		(SELECT count(*) FROM outbox WHERE state = 'dead'),
		(SELECT min(created_at) FROM outbox WHERE state = 'pending')`).Scan(&st.Pending, &st.Dead, &oldest)
	st.OldestPending = fromMS(oldest)
	return st, err
}

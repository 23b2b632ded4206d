package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// BehindHead is the next_attempt_at of a pending row waiting behind the
// head of its lane (conversation, target): never due by itself. Only the
// head is schedulable; finishing it activates the next row. That keeps
// per-conversation order and lets the worker find due rows with a plain
// index range scan.
const BehindHead = int64(1) << 62

// enqueueSQL queues a row: behind the lane's pending rows (BehindHead,
// 1<<62, written out so PostgreSQL types the CASE as bigint), else due at
// ?6.
const enqueueSQL = `INSERT INTO outbox (conversation_id, target, kind, message_id, payload, next_attempt_at, created_at, dest)
		VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND conversation_id = ?1
			AND target = ?2) THEN 4611686018427387904 ELSE ?6 END, ?7,
			(SELECT CASE WHEN ?3 = 'customer_send' THEN address ELSE department END FROM conversations WHERE id = ?1))`

// Enqueue adds an outbox row: due at NotBefore (now if zero) when its lane
// is empty, else queued behind the lane's pending rows. Whether the lane is
// empty is read in this transaction; the store contract serialises writes
// to one conversation (SQLite: its single writer; PostgreSQL: serializable
// transactions, retried), so no other write can add to or finish the lane
// in between.
func (t *Tx) Enqueue(r bridge.OutboxRow, now time.Time) error {
	var msg any
	if r.Message != 0 {
		msg = r.Message
	}
	due := ms(now)
	if !r.NotBefore.IsZero() {
		due = ms(r.NotBefore)
	}
	_, err := t.exec(enqueueSQL, r.Conversation, r.Target, r.Kind, msg, r.Payload, due, ms(now))
	return err
}

// activateNext makes the next pending row of the finished row's lane due.
func (t *Tx) activateNext(finished bridge.OutboxID, now time.Time) error {
	_, err := t.exec(`UPDATE outbox SET next_attempt_at = ?1 WHERE id = (
		SELECT min(id) FROM outbox WHERE state = 'pending'
			AND conversation_id = (SELECT conversation_id FROM outbox WHERE id = ?2)
			AND target = (SELECT target FROM outbox WHERE id = ?2))
		AND next_attempt_at = ?3`, ms(now), finished, BehindHead)
	return err
}

// DueOutbox returns pending lane heads due at now, earliest first,
// without the rows in skip (in flight, held back by pacing). The ids to
// skip are one parameter, a JSON array the dialect's IDSet unpacks, so the
// query has one shape and is prepared once: a NOT IN list of len(skip)
// placeholders was prepared again on nearly every call, and filtering in
// Go read every skipped row.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int, skip []bridge.OutboxID) ([]bridge.OutboxItem, error) {
	ids, err := json.Marshal(skip)
	if err != nil {
		return nil, err
	}
	if skip == nil {
		ids = []byte("[]")
	}
	rows, err := s.query(ctx, `SELECT o.id, o.conversation_id, o.target, o.kind, coalesce(o.message_id, 0),
		o.payload, o.attempts, o.next_attempt_at, o.created_at, o.dest
		FROM outbox o
		WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND o.id NOT IN (`+s.d.IDSet()+`)
		ORDER BY o.next_attempt_at, o.id LIMIT ?`, ms(now), string(ids), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.OutboxItem
	for rows.Next() {
		var it bridge.OutboxItem
		var next, created int64
		if err := rows.Scan(&it.ID, &it.Conversation, &it.Target, &it.Kind, &it.Message, &it.Payload, &it.Attempts,
			&next, &created, &it.Dest); err != nil {
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
	err := s.queryRow(ctx, `SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'`).Scan(&next)
	if err != nil || !next.Valid || next.Int64 >= BehindHead {
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
	if err := t.activateNext(id, now); err != nil {
		return err
	}
	if msg != 0 && ref.ID != "" {
		_, err := t.exec(`INSERT INTO message_refs (platform, external_id, message_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, ref.Platform, ref.ID, msg)
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
	if _, err := t.exec(`UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, done_at = ? WHERE id = ?`, lastErr, ms(now), id); err != nil {
		return err
	}
	return t.activateNext(id, now)
}

// OutboxRows lists a conversation's outbox rows (all states), oldest first.
func (s *Store) OutboxRows(ctx context.Context, conv bridge.ConversationID) ([]store.OutboxRow, error) {
	rows, err := s.query(ctx, `SELECT id, conversation_id, target, kind, coalesce(message_id, 0), payload, attempts,
		next_attempt_at, created_at, state, last_error, external_id FROM outbox WHERE conversation_id = ? ORDER BY id`, conv)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.OutboxRow
	for rows.Next() {
		var r store.OutboxRow
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

// OutboxStats counts pending and dead rows.
func (s *Store) OutboxStats(ctx context.Context) (store.OutboxStats, error) {
	var st store.OutboxStats
	var oldest sql.NullInt64
	err := s.queryRow(ctx, `SELECT
		(SELECT count(*) FROM outbox WHERE state = 'pending'),
		(SELECT count(*) FROM outbox WHERE state = 'dead'),
		(SELECT min(created_at) FROM outbox WHERE state = 'pending')`).Scan(&st.Pending, &st.Dead, &oldest)
	st.OldestPending = fromMS(oldest)
	return st, err
}

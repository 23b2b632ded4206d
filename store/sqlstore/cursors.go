package sqlstore

import (
	"context"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Cursor reads an adapter's saved position ("" if none).
func (s *Store) Cursor(ctx context.Context, adapter, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, `SELECT value FROM cursors WHERE adapter = ? AND key = ?`, adapter, key).Scan(&v)
	if err = notFound(err); err == bridge.ErrNotFound {
		return "", nil
	}
	return v, err
}

// SetCursor saves an adapter's position; call it only after the data up to
// that position is committed.
func (s *Store) SetCursor(ctx context.Context, adapter, key, value string) error {
	return s.write(ctx, func(tx bridge.Tx) error {
		_, err := tx.(*Tx).exec(`INSERT INTO cursors (adapter, key, value, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (adapter, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			adapter, key, value, s.clock.Now().UnixMilli())
		return err
	})
}

// MarkEvent records a platform event id; it reports false if the id was
// already recorded (a redelivery).
func (s *Store) MarkEvent(ctx context.Context, source, eventID string) (bool, error) {
	var fresh bool
	err := s.write(ctx, func(tx bridge.Tx) error {
		res, err := tx.(*Tx).exec(`INSERT INTO seen_events (source, event_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, source, eventID, s.clock.Now().UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	return fresh, err
}

// SeenEvent reports whether a platform event id was recorded by MarkEvent.
func (s *Store) SeenEvent(ctx context.Context, source, eventID string) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM seen_events WHERE source = ? AND event_id = ?`, source, eventID).Scan(&n)
	return n > 0, err
}

// PruneEvents forgets event ids recorded before before (platforms stop
// redelivering within hours; catch-ups look back at most a week), in
// batches of batch rows, and reports how many it deleted.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = 5000
	}
	var total int64
	for {
		var n int64
		err := s.write(ctx, func(tx bridge.Tx) error {
			res, err := tx.(*Tx).exec(`DELETE FROM seen_events WHERE (source, event_id) IN
				(SELECT source, event_id FROM seen_events WHERE at < ? LIMIT ?)`, ms(before), batch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		total += n
		if err != nil || n < int64(batch) {
			return total, err
		}
	}
}

package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

func tags(ctx context.Context, q on, conv bridge.ConversationID) ([]string, error) {
	rows, err := q.query(ctx, `SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY added_at, tag`, conv)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Tags lists a conversation's tags.
func (t *Tx) Tags(conv bridge.ConversationID) ([]string, error) { return tags(t.ctx, t.on(), conv) }

// AddTag tags a conversation; false if it already had the tag.
func (t *Tx) AddTag(conv bridge.ConversationID, tag string, now time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO conversation_tags (conversation_id, tag, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, conv, tag, ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RemoveTag untags a conversation; false if it did not have the tag.
func (t *Tx) RemoveTag(conv bridge.ConversationID, tag string) (bool, error) {
	res, err := t.exec(`DELETE FROM conversation_tags WHERE conversation_id = ? AND tag = ?`, conv, tag)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UpsertStaff remembers a staff member's name as last seen. A known name
// is rewritten only when last_seen is an hour old (staffSeenEvery): every
// staff action calls this, and rewriting one row per person on each would
// make it the hottest row in the database (with PostgreSQL's serializable
// writes, two replies by one person at once would conflict).
func (t *Tx) UpsertStaff(a bridge.Actor, now time.Time) error {
	if a.ID == "" || a.Name == "" {
		return nil
	}
	_, err := t.exec(`INSERT INTO staff (id, name, last_seen) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen
		WHERE staff.name != excluded.name OR staff.last_seen < excluded.last_seen - `+staffSeenEvery,
		a.ID, a.Name, ms(now))
	return err
}

// staffSeenEvery is how stale (ms) a staff member's last_seen may get
// before UpsertStaff writes it again: an hour.
const staffSeenEvery = "3600000"

// KnownStaff maps staff seen on surfaces to their names.
func (s *Store) KnownStaff(ctx context.Context) (map[bridge.StaffID]string, error) {
	rows, err := s.query(ctx, `SELECT id, name FROM staff`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[bridge.StaffID]string{}
	for rows.Next() {
		var id bridge.StaffID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// SaveTemplate adds or replaces a runtime template.
func (t *Tx) SaveTemplate(name, body string, by bridge.StaffID, now time.Time) error {
	_, err := t.exec(`INSERT INTO templates (name, body, created_by, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET body = excluded.body, created_by = excluded.created_by, created_at = excluded.created_at`,
		name, body, by, ms(now))
	return err
}

// DeleteTemplate removes a runtime template.
func (t *Tx) DeleteTemplate(name string) (bool, error) {
	res, err := t.exec(`DELETE FROM templates WHERE name = ?`, name)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Templates returns runtime templates.
func (s *Store) Templates(ctx context.Context) (map[string]string, error) {
	rows, err := s.query(ctx, `SELECT name, body FROM templates`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, b string
		if err := rows.Scan(&n, &b); err != nil {
			return nil, err
		}
		out[n] = b
	}
	return out, rows.Err()
}

// MergeCustomers moves everything of customer from into customer into.
func (t *Tx) MergeCustomers(into, from bridge.CustomerID) error {
	if into == from {
		return nil
	}
	// Every statement uses every parameter it is given: PostgreSQL cannot
	// type one it never sees.
	for _, q := range []string{
		`UPDATE customer_identities SET customer_id = ?1 WHERE customer_id = ?2`,
		`UPDATE conversations SET customer_id = ?1 WHERE customer_id = ?2`,
		`UPDATE customers SET name = (SELECT name FROM customers WHERE id = ?2) WHERE id = ?1 AND name = ''`,
		`UPDATE customers SET email = (SELECT email FROM customers WHERE id = ?2) WHERE id = ?1 AND email = ''`,
	} {
		if _, err := t.exec(q, into, from); err != nil {
			return fmt.Errorf("merge customers: %w", err)
		}
	}
	if _, err := t.exec(`DELETE FROM customers WHERE id = ?`, from); err != nil {
		return fmt.Errorf("merge customers: %w", err)
	}
	return nil
}

// RecordCSAT stores a satisfaction score once per conversation.
func (t *Tx) RecordCSAT(conv bridge.ConversationID, score int, raw string, now time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO csat (conversation_id, score, raw, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, conv, score, raw, ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GetCursor reads a named value inside a transaction ("" if unset).
func (t *Tx) GetCursor(adapter, key string) (string, error) {
	var v string
	err := t.queryRow(`SELECT value FROM cursors WHERE adapter = ? AND key = ?`, adapter, key).Scan(&v)
	if err = notFound(err); err == bridge.ErrNotFound {
		return "", nil
	}
	return v, err
}

// PutCursor writes a named value inside a transaction.
func (t *Tx) PutCursor(adapter, key, value string, now time.Time) error {
	_, err := t.exec(`INSERT INTO cursors (adapter, key, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (adapter, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, adapter, key, value, ms(now))
	return err
}

// OwnedOpen counts the open and waiting conversations someone owns.
func (t *Tx) OwnedOpen(id bridge.StaffID) (int, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM conversations WHERE owner = ? AND status IN ('open', 'waiting')`, id).Scan(&n)
	return n, err
}

// CountOpen counts conversations waiting on staff.
func (t *Tx) CountOpen() (int, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM conversations WHERE status = 'open'`).Scan(&n)
	return n, err
}

// StaffName returns the last name seen for a staff id.
func (t *Tx) StaffName(id bridge.StaffID) (string, error) {
	var n string
	err := t.queryRow(`SELECT name FROM staff WHERE id = ?`, id).Scan(&n)
	if err = notFound(err); err == bridge.ErrNotFound {
		return "", nil
	}
	return n, err
}

// StaleClaims lists open, claimed conversations claimed before t (indexed).
func (s *Store) StaleClaims(ctx context.Context, claimedBefore time.Time) ([]bridge.ConversationID, error) {
	return s.ids(ctx, `SELECT id FROM conversations WHERE owner != '' AND status = 'open' AND claimed_at < ? ORDER BY claimed_at`, ms(claimedBefore))
}

package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// CustomerIdentities lists a customer's identities, oldest first.
func (s *Store) CustomerIdentities(ctx context.Context, id bridge.CustomerID) ([]store.IdentityRow, error) {
	return queryIdentities(ctx, s.on(), `WHERE customer_id = ? ORDER BY created_at, platform, address`, id)
}

func queryIdentities(ctx context.Context, q on, tail string, args ...any) ([]store.IdentityRow, error) {
	rows, err := q.query(ctx, `SELECT platform, address, customer_id, display_name, username, email, created_at
		FROM customer_identities `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.IdentityRow
	for rows.Next() {
		var r store.IdentityRow
		var created int64
		if err := rows.Scan(&r.Platform, &r.Address, &r.Customer, &r.Name, &r.Username, &r.Email, &created); err != nil {
			return nil, err
		}
		r.CreatedAt = time.UnixMilli(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindCustomers finds customers by email address (theirs or an identity's),
// channel address (visitor id, chat id, email), @username or exact name
// (case-insensitive except addresses). At most 50, lowest id first. Full
// scans: meant for operators, not for hot paths.
func (s *Store) FindCustomers(ctx context.Context, query string) ([]bridge.Customer, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, errors.New("find: give an email address, a channel address or a @username")
	}
	rows, err := s.query(ctx, `SELECT id, name, email, unreachable, created_at FROM customers WHERE id IN (
		SELECT id FROM customers WHERE lower(email) = lower(?1)
		UNION SELECT id FROM customers WHERE lower(name) = lower(?1)
		UNION SELECT customer_id FROM customer_identities WHERE address = ?1 OR lower(email) = lower(?1)
			OR lower(display_name) = lower(?1) OR (?2 != '' AND lower(username) = lower(?2)))
		ORDER BY id LIMIT 50`, q, strings.TrimPrefix(q, "@"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.Customer
	for rows.Next() {
		var c bridge.Customer
		var created int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Email, &c.Unreachable, &created); err != nil {
			return nil, err
		}
		c.CreatedAt = time.UnixMilli(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CustomerFootprint counts a customer's data.
func (s *Store) CustomerFootprint(ctx context.Context, id bridge.CustomerID) (store.Footprint, error) {
	var f store.Footprint
	err := s.queryRow(ctx, `SELECT
		(SELECT count(*) FROM conversations WHERE customer_id = ?1),
		(SELECT count(*) FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE customer_id = ?1)),
		(SELECT count(*) FROM customer_identities WHERE customer_id = ?1),
		(SELECT count(*) FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE customer_id = ?1)
			AND attachments LIKE '%"path":%')`, id).Scan(&f.Conversations, &f.Messages, &f.Identities, &f.Files)
	return f, err
}

// ForgetCustomer deletes everything Threadline stores about a customer:
// their conversations with all messages (and full-text rows), message refs,
// threads, outbox rows (pending ones too, so nothing more is sent), audit
// rows about those conversations, tags and ratings, their identities and
// the customer row. Local attachment files are handed to o.Files after each
// batch commits. It works in small write transactions through the writer,
// so it is safe while the daemon runs; a message the customer writes
// meanwhile is deleted too. It ends with one "customer_forgotten" audit row
// that holds the id and the counts, no personal data.
func (s *Store) ForgetCustomer(ctx context.Context, id bridge.CustomerID, actor bridge.Actor, o store.DeleteOptions) (store.Deleted, error) {
	if o.Now.IsZero() {
		o.Now = s.clock.Now()
	}
	var total store.Deleted
	if _, err := s.Customer(ctx, id); err != nil {
		return total, fmt.Errorf("customer %d: %w", id, err)
	}
	for {
		err := s.deleteLoop(ctx, o, &total, func(t *Tx, limit int) ([]bridge.ConversationID, []bridge.CustomerID, error) {
			return t.pickConversations(`SELECT id, customer_id FROM conversations WHERE customer_id = ? ORDER BY id LIMIT ?`, id, limit)
		})
		if err != nil {
			return total, err
		}
		// fn may run more than once (a backend may retry it): it works on
		// copies and total is set once the write committed.
		again := false
		var final store.Deleted
		err = s.write(ctx, func(btx bridge.Tx) error {
			t := btx.(*Tx)
			again, final = false, total
			var left bool
			if err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM conversations WHERE customer_id = ?)`, id).Scan(&left); err != nil {
				return err
			}
			if left { // they wrote again while we were deleting
				again = true
				return nil
			}
			var d store.Deleted
			if err := t.deleteCustomerIfEmpty(id, &d); err != nil {
				return err
			}
			all := total
			all.Add(d)
			if err := t.Audit(bridge.AuditEntry{Actor: actor, Action: "customer_forgotten", At: o.Now,
				Detail: fmt.Sprintf("customer %d: %d conversations, %d messages, %d identities, %d attachment files deleted",
					id, all.Conversations, all.Messages, all.Identities, all.Files)}); err != nil {
				return err
			}
			final = all
			return nil
		})
		if err != nil || !again {
			if err == nil {
				total = final
			}
			return total, err
		}
	}
}

// LatestAudit returns the newest audit entries that belong to no
// conversation (retention and forget records), newest first.
func (s *Store) LatestAudit(ctx context.Context, action string, limit int) ([]bridge.AuditEntry, error) {
	rows, err := s.query(ctx, `SELECT actor, actor_name, action, detail, at FROM audit_log
		WHERE conversation_id IS NULL AND action = ? ORDER BY id DESC LIMIT ?`, action, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.AuditEntry
	for rows.Next() {
		var a bridge.AuditEntry
		var at int64
		if err := rows.Scan(&a.Actor.ID, &a.Actor.Name, &a.Action, &a.Detail, &at); err != nil {
			return nil, err
		}
		a.At = time.UnixMilli(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

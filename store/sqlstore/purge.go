package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// deleteBatch deletes from the conversations in convs (in order) until
// about budget rows are gone. A conversation is deleted newest message
// first (edits point at older messages), and its row and everything else
// that references it go once its last message is gone. It returns how many
// of convs were removed completely; the rest are picked up by the next
// batch. Search index entries go with the messages (SQLite: the
// messages_fts_bd trigger; PostgreSQL: the generated column).
func (t *Tx) deleteBatch(convs []bridge.ConversationID, budget int, d *store.Deleted, files *[]string) (int, error) {
	done := 0
	for _, conv := range convs {
		for budget > 0 {
			n, err := t.deleteNewestMessages(conv, budget, d, files)
			if err != nil {
				return done, err
			}
			budget -= n
			if n == 0 {
				break
			}
		}
		if budget <= 0 {
			// The conversation may still have messages; the next batch goes on.
			var more bool
			if err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?)`, conv).Scan(&more); err != nil {
				return done, err
			}
			if more {
				return done, nil
			}
		}
		if err := t.deleteConversationRow(conv, d); err != nil {
			return done, err
		}
		budget--
		done++
		if budget <= 0 {
			return done, nil
		}
	}
	return done, nil
}

// deleteNewestMessages deletes up to limit of conv's newest messages with
// the rows that point at them, and returns how many it deleted.
func (t *Tx) deleteNewestMessages(conv bridge.ConversationID, limit int, d *store.Deleted, files *[]string) (int, error) {
	rows, err := t.query(`SELECT id, attachments FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?`, conv, limit)
	if err != nil {
		return 0, err
	}
	var n int
	var low bridge.MessageID
	for rows.Next() {
		var atts string
		if err := rows.Scan(&low, &atts); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		if atts == "" {
			continue
		}
		var list []bridge.Attachment
		if err := json.Unmarshal([]byte(atts), &list); err != nil {
			continue // unreadable metadata: nothing to remove on disk
		}
		for _, a := range list {
			if a.Path != "" {
				*files = append(*files, a.Path)
				d.Files++
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	// The chunk is exactly conv's messages with id >= low.
	const chunk = `(SELECT id FROM messages WHERE conversation_id = ?1 AND id >= ?2)`
	// An edit can land in a newer conversation than the message it edits
	// (the customer edited an old message); that edit stays, unlinked.
	if _, err := t.exec(`UPDATE messages SET edit_of = NULL WHERE edit_of IN `+chunk+` AND conversation_id != ?1`, conv, low); err != nil {
		return 0, fmt.Errorf("unlink edits: %w", err)
	}
	if _, err := t.exec(`DELETE FROM message_refs WHERE message_id IN `+chunk, conv, low); err != nil {
		return 0, fmt.Errorf("delete message refs: %w", err)
	}
	res, err := t.exec(`DELETE FROM outbox WHERE message_id IN `+chunk, conv, low)
	if err != nil {
		return 0, fmt.Errorf("delete outbox rows: %w", err)
	}
	d.OutboxRows += affected(res)
	if _, err := t.exec(`DELETE FROM messages WHERE conversation_id = ?1 AND id >= ?2`, conv, low); err != nil {
		return 0, fmt.Errorf("delete messages of %s: %w", conv, err)
	}
	d.Messages += n
	return n, nil
}

// deleteConversationRow deletes a conversation that has no messages left,
// with its threads, outbox rows (pending ones too), audit rows, tags and
// satisfaction score.
func (t *Tx) deleteConversationRow(conv bridge.ConversationID, d *store.Deleted) error {
	for _, q := range []struct {
		sql   string
		count *int
	}{
		{`DELETE FROM threads WHERE conversation_id = ?`, nil},
		{`DELETE FROM outbox WHERE conversation_id = ?`, &d.OutboxRows},
		{`DELETE FROM audit_log WHERE conversation_id = ?`, &d.AuditRows},
		{`DELETE FROM conversation_tags WHERE conversation_id = ?`, nil},
		{`DELETE FROM csat WHERE conversation_id = ?`, nil},
		{`DELETE FROM conversations WHERE id = ?`, &d.Conversations},
	} {
		res, err := t.exec(q.sql, conv)
		if err != nil {
			return fmt.Errorf("delete conversation %s: %w", conv, err)
		}
		if q.count != nil {
			*q.count += affected(res)
		}
	}
	return nil
}

// deleteCustomerIfEmpty deletes a customer and their identities when no
// conversation refers to them any more.
func (t *Tx) deleteCustomerIfEmpty(cust bridge.CustomerID, d *store.Deleted) error {
	var used bool
	if err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM conversations WHERE customer_id = ?)`, cust).Scan(&used); err != nil {
		return err
	}
	if used {
		return nil
	}
	// Adapter state about the customer (a visitor's email address, what
	// they read) goes with them: cursors keyed "<kind>:<address>" of one
	// of their identities, on that identity's channel.
	if _, err := t.exec(`DELETE FROM cursors WHERE EXISTS (SELECT 1 FROM customer_identities ci
		WHERE ci.customer_id = ? AND cursors.adapter = ci.platform
		AND cursors.key LIKE '%:' || replace(replace(replace(ci.address, '\', '\\'), '%', '\%'), '_', '\_') ESCAPE '\')`, cust); err != nil {
		return fmt.Errorf("delete adapter state of customer %d: %w", cust, err)
	}
	res, err := t.exec(`DELETE FROM customer_identities WHERE customer_id = ?`, cust)
	if err != nil {
		return fmt.Errorf("delete identities of customer %d: %w", cust, err)
	}
	d.Identities += affected(res)
	res, err = t.exec(`DELETE FROM customers WHERE id = ?`, cust)
	if err != nil {
		return fmt.Errorf("delete customer %d: %w", cust, err)
	}
	d.Customers += affected(res)
	return nil
}

// deleteLoop runs batches until pick finds nothing more. pick selects the
// next conversations (with their customers) inside the batch transaction,
// so the selection and the delete are atomic against the daemon's writes.
func (s *Store) deleteLoop(ctx context.Context, o store.DeleteOptions, total *store.Deleted,
	pick func(t *Tx, limit int) ([]bridge.ConversationID, []bridge.CustomerID, error)) error {
	o.Defaults()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var batch store.Deleted
		var files []string
		var picked int
		err := s.write(ctx, func(btx bridge.Tx) error {
			t := btx.(*Tx)
			batch, files, picked = store.Deleted{Batches: 1}, nil, 0
			convs, custs, err := pick(t, o.Batch)
			if err != nil {
				return err
			}
			picked = len(convs)
			if picked == 0 {
				return nil
			}
			done, err := t.deleteBatch(convs, o.Batch, &batch, &files)
			if err != nil {
				return err
			}
			seen := map[bridge.CustomerID]bool{}
			for _, c := range custs[:done] {
				if !seen[c] {
					seen[c] = true
					if err := t.deleteCustomerIfEmpty(c, &batch); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if picked == 0 {
			return nil
		}
		total.Add(batch)
		if o.Files != nil && len(files) > 0 {
			o.Files(files)
		}
		if o.Progress != nil {
			o.Progress(*total)
		}
	}
}

// pickConversations runs a query whose columns are (id, customer_id).
func (t *Tx) pickConversations(query string, args ...any) ([]bridge.ConversationID, []bridge.CustomerID, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var convs []bridge.ConversationID
	var custs []bridge.CustomerID
	for rows.Next() {
		var c bridge.ConversationID
		var cu bridge.CustomerID
		if err := rows.Scan(&c, &cu); err != nil {
			return nil, nil, err
		}
		convs = append(convs, c)
		custs = append(custs, cu)
	}
	return convs, custs, rows.Err()
}

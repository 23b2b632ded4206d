package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// Export page sizes: memory stays bounded by these however long the history.
const (
	exportConvPage = 200
	exportMsgPage  = 500
)

// CountExport counts the conversations and messages an export with f
// would visit (for progress bars).
func (s *Store) CountExport(ctx context.Context, f store.ExportFilter) (convs, msgs int, err error) {
	where, args := exportWhere(f)
	err = s.queryRow(ctx, `SELECT count(*), CAST(coalesce(sum((SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)), 0) AS BIGINT)
		FROM conversations c WHERE `+where, append([]any{0}, args...)...).Scan(&convs, &msgs)
	return convs, msgs, err
}

// Export walks the conversations selected by f with their messages, oldest
// first, calling v. It reads one consistent snapshot (a single read
// transaction) with keyset pagination (id > last ... LIMIT n), so memory
// does not grow with the history and writers are never blocked (SQLite's
// WAL, PostgreSQL's MVCC).
func (s *Store) Export(ctx context.Context, f store.ExportFilter, v store.ExportVisitor) error {
	sqlTx, tx, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback()
	where, args := exportWhere(f)
	var after bridge.ConversationID
	for {
		page, err := listConversations(ctx, tx, `WHERE `+where+` ORDER BY c.id LIMIT ?`,
			append(append([]any{after}, args...), exportConvPage)...)
		if err != nil {
			return fmt.Errorf("export conversations: %w", err)
		}
		for _, c := range page {
			if err := exportConversation(ctx, tx, c, v); err != nil {
				return err
			}
			after = c.ID
		}
		if len(page) < exportConvPage {
			return nil
		}
	}
}

func exportConversation(ctx context.Context, tx on, c bridge.Conversation, v store.ExportVisitor) error {
	view := bridge.ConversationView{Conversation: c}
	var username, email string
	err := tx.queryRow(ctx, `SELECT username, email FROM customer_identities WHERE platform = ? AND address = ?`,
		c.Channel, c.Address).Scan(&username, &email)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	switch {
	case username != "":
		view.Identity = "@" + username
	case email != "":
		view.Identity = email
	}
	if view.Tags, err = tags(ctx, tx, c.ID); err != nil {
		return err
	}
	if v.Conversation != nil {
		if err := v.Conversation(view); err != nil {
			return err
		}
	}
	var after bridge.MessageID
	for {
		page, err := queryMessages(ctx, tx, `SELECT `+messageCols+` FROM messages WHERE conversation_id = ? AND id > ?
			ORDER BY id LIMIT ?`, c.ID, after, exportMsgPage)
		if err != nil {
			return fmt.Errorf("export messages of %s: %w", c.ID, err)
		}
		for _, m := range page {
			if v.Message != nil {
				if err := v.Message(m); err != nil {
					return err
				}
			}
			after = m.ID
		}
		if len(page) < exportMsgPage {
			break
		}
	}
	if v.End != nil {
		return v.End(view)
	}
	return nil
}

func exportWhere(f store.ExportFilter) (string, []any) {
	conds := []string{"c.id > ?"}
	var args []any
	if !f.Since.IsZero() {
		conds = append(conds, "c.updated_at >= ?")
		args = append(args, ms(f.Since))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "c.status IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.Statuses)), ",")+")")
		for _, s := range f.Statuses {
			args = append(args, s)
		}
	}
	if f.Conversation != 0 {
		conds = append(conds, "c.id = ?")
		args = append(args, f.Conversation)
	}
	return strings.Join(conds, " AND "), args
}

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// The customer's name and reachability come from scalar subqueries, not
// joins: with go-sqlite3, reading the columns of a joined row cost several
// times more than the subqueries (measured: 47 µs vs 8.5 µs per row).
const conversationCols = `c.id, c.customer_id,
	coalesce(nullif((SELECT display_name FROM customer_identities WHERE platform = c.channel AND address = c.address), ''),
		nullif((SELECT name FROM customers WHERE id = c.customer_id), ''), c.address),
	c.channel, c.address, c.subject, c.status, c.priority, c.department, c.owner, c.owner_name,
	c.created_at, c.updated_at, c.first_response_at, c.last_customer_at, c.last_staff_at,
	c.closed_at, c.close_reason, (SELECT unreachable FROM customers WHERE id = c.customer_id), c.claimed_at, c.escalated_to, c.escalated_at,
	c.priority_before_escalation, c.snoozed_until, c.sla_policy, c.sla_resp_kind, c.sla_resp_since, c.sla_resp_used,
	c.sla_resp_nags, c.sla_resp_last_nag, c.sla_res_since, c.sla_res_used, c.sla_res_nags, c.sla_res_last_nag,
	c.sla_next_check, c.sla_first_met, c.sla_resolution_met, c.sla_next_met, c.sla_next_missed, c.sla_due, c.csat_asked_at, c.entry`

const conversationFrom = ` FROM conversations c`

type scanner interface{ Scan(dest ...any) error }

// conversationRow is what a conversation row is scanned into: one
// allocation for the scan's destinations, where separate variables
// escaped to the heap one by one (about twenty per row).
type conversationRow struct {
	c                                                               bridge.Conversation
	created, updated, respUsed, resUsed                             int64
	first, lastCust, lastStaff, closed, claimed, escalated, snoozed sql.NullInt64
	respSince, respLast, resSince, resLast, nextCheck, due, csat    sql.NullInt64
	firstMet, resMet                                                sql.NullInt64
}

func scanConversation(row scanner) (bridge.Conversation, error) {
	r := new(conversationRow)
	c, sl := &r.c, &r.c.SLA
	err := row.Scan(&c.ID, &c.Customer, &c.CustomerName, &c.Channel, &c.Address, &c.Subject, &c.Status,
		&c.Priority, &c.Department, &c.Owner, &c.OwnerName, &r.created, &r.updated, &r.first, &r.lastCust,
		&r.lastStaff, &r.closed, &c.CloseReason, &c.Unreachable, &r.claimed, &c.EscalatedTo, &r.escalated,
		&c.PriorityBeforeEscalation, &r.snoozed, &sl.Policy, &sl.RespKind, &r.respSince, &r.respUsed, &sl.RespNags, &r.respLast,
		&r.resSince, &r.resUsed, &sl.ResNags, &r.resLast, &r.nextCheck, &r.firstMet, &r.resMet, &sl.NextMet, &sl.NextMissed, &r.due, &r.csat, &c.Entry)
	if err != nil {
		return *c, notFound(err)
	}
	sl.RespSince, sl.RespLastNag, sl.ResSince, sl.ResLastNag, sl.NextCheck = fromMS(r.respSince), fromMS(r.respLast), fromMS(r.resSince), fromMS(r.resLast), fromMS(r.nextCheck)
	sl.RespUsed, sl.ResUsed = time.Duration(r.respUsed)*time.Millisecond, time.Duration(r.resUsed)*time.Millisecond
	sl.FirstMet, sl.ResolvedMet = fromBool(r.firstMet), fromBool(r.resMet)
	c.SLADue, c.CSATAskedAt = fromMS(r.due), fromMS(r.csat)
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(r.created), time.UnixMilli(r.updated)
	c.FirstResponseAt, c.LastCustomerAt, c.LastStaffAt, c.ClosedAt = fromMS(r.first), fromMS(r.lastCust), fromMS(r.lastStaff), fromMS(r.closed)
	c.ClaimedAt, c.EscalatedAt, c.SnoozedUntil = fromMS(r.claimed), fromMS(r.escalated), fromMS(r.snoozed)
	return *c, nil
}

func getConversation(ctx context.Context, q on, id bridge.ConversationID) (bridge.Conversation, error) {
	c, err := scanConversation(q.queryRow(ctx, `SELECT `+conversationCols+conversationFrom+` WHERE c.id = ?`, id))
	if err != nil {
		return c, fmt.Errorf("conversation %s: %w", id, err)
	}
	return c, nil
}

// Conversation loads one conversation.
func (s *Store) Conversation(ctx context.Context, id bridge.ConversationID) (bridge.Conversation, error) {
	return getConversation(ctx, s.on(), id)
}

// Conversation loads one conversation inside the transaction.
func (t *Tx) Conversation(id bridge.ConversationID) (bridge.Conversation, error) {
	c, err := getConversation(t.ctx, t.on(), id)
	if err == nil {
		t.remember(c)
	}
	return c, err
}

// ConversationView loads what a ticket card shows, each of its four reads
// on its own (on PostgreSQL a snapshot around them would cost two more
// round trips per card).
func (s *Store) ConversationView(ctx context.Context, id bridge.ConversationID) (bridge.ConversationView, error) {
	return conversationView(ctx, s.on(), id)
}

// ConversationViewSnapshot is ConversationView from one snapshot: its
// reads agree with each other. SQLite's store uses it: one read
// transaction, not four, finds the page cache stale after the writer's
// commits, and beginning one costs no round trip.
func (s *Store) ConversationViewSnapshot(ctx context.Context, id bridge.ConversationID) (bridge.ConversationView, error) {
	sqlTx, q, err := s.snapshot(ctx)
	if err != nil {
		return bridge.ConversationView{}, err
	}
	defer sqlTx.Rollback()
	return conversationView(ctx, q, id)
}

func conversationView(ctx context.Context, q on, id bridge.ConversationID) (bridge.ConversationView, error) {
	c, err := getConversation(ctx, q, id)
	if err != nil {
		return bridge.ConversationView{}, err
	}
	v := bridge.ConversationView{Conversation: c}
	var username, email string
	err = q.queryRow(ctx, `SELECT username, email FROM customer_identities WHERE platform = ? AND address = ?`,
		c.Channel, c.Address).Scan(&username, &email)
	if err != nil && err != sql.ErrNoRows {
		return v, err
	}
	switch {
	case username != "":
		v.Identity = "@" + username
	case email != "":
		v.Identity = email
	}
	var last sql.NullString
	err = q.queryRow(ctx, `SELECT (SELECT body FROM messages WHERE conversation_id = ?1 AND direction = 'customer' ORDER BY id DESC LIMIT 1),
		(SELECT count(*) FROM messages WHERE conversation_id = ?1)`, id).Scan(&last, &v.MessageCount)
	if err != nil {
		return v, err
	}
	v.LastMessage = last.String
	v.Tags, err = tags(ctx, q, id)
	return v, err
}

// LatestConversation returns the customer's newest conversation on a channel address.
// Finding the id first and then reading the row by id is several times
// cheaper than one query that does both (measured 20 µs vs 75 µs).
func (t *Tx) LatestConversation(cust bridge.CustomerID, channel bridge.Platform, address string) (bridge.Conversation, error) {
	var id bridge.ConversationID
	err := t.queryRow(`SELECT id FROM conversations WHERE customer_id = ? AND channel = ? AND address = ?
		ORDER BY id DESC LIMIT 1`, cust, channel, address).Scan(&id)
	if err != nil {
		return bridge.Conversation{}, notFound(err)
	}
	return t.Conversation(id)
}

// OpenConversationsOf lists the customer's open and waiting conversations
// on a channel address, newest first.
func (t *Tx) OpenConversationsOf(cust bridge.CustomerID, channel bridge.Platform, address string) ([]bridge.Conversation, error) {
	rows, err := t.query(`SELECT id FROM conversations WHERE customer_id = ? AND channel = ? AND address = ?
		AND status IN ('open', 'waiting') ORDER BY id DESC LIMIT 50`, cust, channel, address)
	if err != nil {
		return nil, err
	}
	var ids []bridge.ConversationID
	for rows.Next() {
		var id bridge.ConversationID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]bridge.Conversation, 0, len(ids))
	for _, id := range ids {
		c, err := t.Conversation(id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ConversationByReference finds the conversation that holds any of refs (external
// ids of messages received or sent on channel), newest first.
func (t *Tx) ConversationByReference(channel bridge.Platform, refs []string) (bridge.Conversation, error) {
	if len(refs) == 0 {
		return bridge.Conversation{}, bridge.ErrNotFound
	}
	if len(refs) > 100 {
		refs = refs[len(refs)-100:]
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(refs)), ",")
	args := make([]any, 0, 2*len(refs)+2)
	args = append(args, channel)
	for _, r := range refs {
		args = append(args, r)
	}
	args = append(args, channel)
	for _, r := range refs {
		args = append(args, r)
	}
	var id sql.NullInt64
	err := t.queryRow(`SELECT max(cid) FROM (
		SELECT conversation_id AS cid FROM messages WHERE platform = ? AND external_id IN (`+ph+`)
		UNION ALL
		SELECT m.conversation_id FROM message_refs r JOIN messages m ON m.id = r.message_id
		WHERE r.platform = ? AND r.external_id IN (`+ph+`)) AS refs`, args...).Scan(&id)
	if err != nil {
		return bridge.Conversation{}, err
	}
	if !id.Valid {
		return bridge.Conversation{}, bridge.ErrNotFound
	}
	return t.Conversation(bridge.ConversationID(id.Int64))
}

// CreateConversation inserts c, every field of it, and sets its ID.
func (t *Tx) CreateConversation(c *bridge.Conversation) error {
	set := conversationSet(*c)
	cols := append(mutableColumns[:len(mutableColumns):len(mutableColumns)], "customer_id", "channel", "address", "created_at", "entry")
	vals := make([]any, 0, len(cols))
	for _, v := range set {
		vals = append(vals, v.arg())
	}
	vals = append(vals, c.Customer, c.Channel, c.Address, ms(c.CreatedAt), c.Entry)
	id, err := t.insertID(`INSERT INTO conversations (`+strings.Join(cols, ", ")+`) VALUES (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")+`)`, vals...)
	if err != nil {
		return fmt.Errorf("create conversation: %w", err)
	}
	c.ID = bridge.ConversationID(id)
	t.remember(*c)
	return nil
}

// mutableColumns are the conversation columns UpdateConversation writes,
// in conversationSet's order.
var mutableColumns = [...]string{"subject", "status", "priority", "department", "owner", "owner_name", "updated_at", "first_response_at",
	"last_customer_at", "last_staff_at", "closed_at", "close_reason", "claimed_at", "escalated_to", "escalated_at",
	"priority_before_escalation", "snoozed_until", "sla_policy", "sla_resp_kind", "sla_resp_since", "sla_resp_used",
	"sla_resp_nags", "sla_resp_last_nag", "sla_res_since", "sla_res_used", "sla_res_nags", "sla_res_last_nag",
	"sla_next_check", "sla_first_met", "sla_resolution_met", "sla_next_met", "sla_next_missed", "sla_due", "csat_asked_at"}

// column is one column's value, comparable without boxing it: an update
// compares two rows' worth and boxes only the columns that changed (the
// interface values cost two allocations per column and a tenth of a
// message's allocations).
type column struct {
	s    string
	n    int64
	kind uint8 // colText, colInt, colNull
}

const (
	colNull uint8 = iota
	colText
	colInt
)

func text(s string) column   { return column{s: s, kind: colText} }
func integer(n int64) column { return column{n: n, kind: colInt} }

func nullTime(t time.Time) column {
	if t.IsZero() {
		return column{}
	}
	return integer(t.UnixMilli())
}

func nullFlag(b *bool) column {
	switch {
	case b == nil:
		return column{}
	case *b:
		return integer(1)
	}
	return integer(0)
}

func (c column) arg() any {
	switch c.kind {
	case colText:
		return c.s
	case colInt:
		return c.n
	}
	return nil
}

// conversationSet is the values of mutableColumns for c, in order.
func conversationSet(c bridge.Conversation) [len(mutableColumns)]column {
	return [...]column{text(c.Subject), text(string(c.Status)), text(string(c.Priority)), text(c.Department), text(string(c.Owner)),
		text(c.OwnerName), integer(ms(c.UpdatedAt)), nullTime(c.FirstResponseAt),
		nullTime(c.LastCustomerAt), nullTime(c.LastStaffAt), nullTime(c.ClosedAt), text(c.CloseReason), nullTime(c.ClaimedAt),
		text(c.EscalatedTo), nullTime(c.EscalatedAt), text(string(c.PriorityBeforeEscalation)), nullTime(c.SnoozedUntil),
		text(c.SLA.Policy), text(c.SLA.RespKind), nullTime(c.SLA.RespSince), integer(c.SLA.RespUsed.Milliseconds()), integer(int64(c.SLA.RespNags)),
		nullTime(c.SLA.RespLastNag), nullTime(c.SLA.ResSince), integer(c.SLA.ResUsed.Milliseconds()), integer(int64(c.SLA.ResNags)), nullTime(c.SLA.ResLastNag),
		nullTime(c.SLA.NextCheck), nullFlag(c.SLA.FirstMet), nullFlag(c.SLA.ResolvedMet), integer(int64(c.SLA.NextMet)), integer(int64(c.SLA.NextMissed)),
		nullTime(c.SLADue), nullTime(c.CSATAskedAt)}
}

// UpdateConversation writes c's mutable fields. Only the columns that
// differ from the row as this transaction read it are written, so indexes
// on unchanged columns are left alone.
func (t *Tx) UpdateConversation(c bridge.Conversation) error {
	vals := conversationSet(c)
	old, known := t.read[c.ID]
	var prev [len(mutableColumns)]column
	if known {
		prev = conversationSet(old)
	}
	var set strings.Builder
	args := make([]any, 0, 8)
	for i, col := range mutableColumns {
		if known && prev[i] == vals[i] {
			continue
		}
		if set.Len() > 0 {
			set.WriteString(", ")
		}
		set.WriteString(col)
		set.WriteString(" = ?")
		args = append(args, vals[i].arg())
	}
	if len(args) == 0 {
		return nil
	}
	args = append(args, c.ID)
	if _, err := t.exec(`UPDATE conversations SET `+set.String()+` WHERE id = ?`, args...); err != nil {
		return fmt.Errorf("update conversation %s: %w", c.ID, err)
	}
	t.remember(c)
	return nil
}

// ListConversations returns conversations, most recently updated first.
func (s *Store) ListConversations(ctx context.Context, f store.ListFilter) ([]bridge.Conversation, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where := "1 = 1"
	var args []any
	if !f.All {
		st := f.Statuses
		if len(st) == 0 {
			st = []bridge.Status{bridge.StatusOpen, bridge.StatusWaiting}
		}
		where = "c.status IN (" + strings.TrimSuffix(strings.Repeat("?,", len(st)), ",") + ")"
		for _, x := range st {
			args = append(args, x)
		}
	}
	args = append(args, f.Limit)
	return listConversations(ctx, s.on(), `WHERE `+where+` ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`, args...)
}

// listConversations selects conversations (with message counts) by a
// WHERE/ORDER/LIMIT tail.
func listConversations(ctx context.Context, q on, tail string, args ...any) ([]bridge.Conversation, error) {
	rows, err := q.query(ctx, `SELECT `+conversationCols+`,
		(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)`+conversationFrom+` `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.Conversation
	for rows.Next() {
		var n int
		c, err := scanConversation(multiScan{rows, &n})
		if err != nil {
			return nil, err
		}
		c.MessageCount = n
		out = append(out, c)
	}
	return out, rows.Err()
}

// multiScan appends extra destinations to a scan.
type multiScan struct {
	s     scanner
	extra any
}

func (m multiScan) Scan(dest ...any) error { return m.s.Scan(append(dest, m.extra)...) }

// OpenConversations lists open and waiting conversations: open before
// waiting, then by priority, then the longest-waiting first.
func (s *Store) OpenConversations(ctx context.Context, limit int) ([]bridge.Conversation, error) {
	if limit <= 0 {
		limit = 20
	}
	return listConversations(ctx, s.on(), `WHERE c.status IN ('open', 'waiting')
		ORDER BY c.status = 'waiting',
			CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
			coalesce(c.last_customer_at, c.created_at)
		LIMIT ?`, limit)
}

// CustomerConversations lists a customer's conversations across channels, newest first.
func (s *Store) CustomerConversations(ctx context.Context, cust bridge.CustomerID, limit int) ([]bridge.Conversation, error) {
	if limit <= 0 {
		limit = 20
	}
	return listConversations(ctx, s.on(), `WHERE c.customer_id = ? ORDER BY c.id DESC LIMIT ?`, cust, limit)
}

// Overdue lists open conversations whose response SLA is past due, most
// overdue first.
func (s *Store) Overdue(ctx context.Context, now time.Time, limit int) ([]bridge.Conversation, error) {
	return listConversations(ctx, s.on(), `WHERE c.sla_due IS NOT NULL AND c.sla_due <= ? AND c.status = 'open'
		ORDER BY c.sla_due LIMIT ?`, ms(now), limit)
}

// OpenConversationIDs pages through open and waiting conversations by id.
func (s *Store) OpenConversationIDs(ctx context.Context, after bridge.ConversationID, limit int) ([]bridge.ConversationID, error) {
	return s.ids(ctx, `SELECT id FROM conversations WHERE id > ? AND status IN ('open', 'waiting') ORDER BY id LIMIT ?`, after, limit)
}

// DueSLA lists conversations whose SLA next check has come (index range scan).
func (s *Store) DueSLA(ctx context.Context, now time.Time, limit int) ([]bridge.ConversationID, error) {
	return s.ids(ctx, `SELECT id FROM conversations WHERE sla_next_check IS NOT NULL AND sla_next_check <= ? ORDER BY sla_next_check LIMIT ?`, ms(now), limit)
}

func (s *Store) ids(ctx context.Context, query string, args ...any) ([]bridge.ConversationID, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bridge.ConversationID
	for rows.Next() {
		var id bridge.ConversationID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// DueSnoozes lists snoozed conversations whose snooze is over.
func (s *Store) DueSnoozes(ctx context.Context, now time.Time) ([]bridge.ConversationID, error) {
	return s.ids(ctx, `SELECT id FROM conversations WHERE snoozed_until IS NOT NULL AND snoozed_until <= ? ORDER BY snoozed_until`, ms(now))
}

package bench

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/store/sqlite"
)

// sameWork is the SQL one customer message costs Threadline, statement for
// statement, without Threadline around it: the baseline the end-to-end rate
// is measured against. One transaction per message, back to back, on one
// connection whose driver prepares each statement once (go-sqlite3's
// statement cache, pgx's). The conversation already exists (as it does
// for all but the first message of each visitor in the end-to-end run),
// and its customer is reachable (so, as in the engine, no "clear
// unreachable" update). There is no separate duplicate check: the
// message insert's conflict clause is the engine's. On SQLite the
// transaction ends, as the writer's do, by adding the new message to the
// search index (sqlite.IndexNewMessages).
//
// Placeholders are SQLite's ?N; PostgreSQL gets $N, and its inserts return
// the new id with RETURNING as the store does (sameWorkSQL).
var sameWork = []struct{ name, sql string }{
	{"identity", `SELECT customer_id, display_name, username, email,
		(SELECT unreachable FROM customers WHERE id = customer_id) FROM customer_identities WHERE platform = ?1 AND address = ?2`},
	{"conversation id", `SELECT id FROM conversations WHERE customer_id = ?1 AND channel = ?2 AND address = ?3
		ORDER BY id DESC LIMIT 1`},
	{"conversation", `SELECT c.id, c.customer_id,
		coalesce(nullif((SELECT display_name FROM customer_identities WHERE platform = c.channel AND address = c.address), ''),
			nullif((SELECT name FROM customers WHERE id = c.customer_id), ''), c.address),
		c.channel, c.address, c.subject, c.status, c.priority, c.department, c.owner, c.owner_name,
		c.created_at, c.updated_at, c.first_response_at, c.last_customer_at, c.last_staff_at,
		c.closed_at, c.close_reason, (SELECT unreachable FROM customers WHERE id = c.customer_id), c.claimed_at, c.escalated_to, c.escalated_at,
		c.priority_before_escalation, c.snoozed_until, c.sla_policy, c.sla_resp_kind, c.sla_resp_since, c.sla_resp_used,
		c.sla_resp_nags, c.sla_resp_last_nag, c.sla_res_since, c.sla_res_used, c.sla_res_nags, c.sla_res_last_nag,
		c.sla_next_check, c.sla_first_met, c.sla_resolution_met, c.sla_next_met, c.sla_next_missed, c.sla_due, c.csat_asked_at, c.entry
		FROM conversations c WHERE c.id = ?1`},
	{"message", `INSERT INTO messages (conversation_id, direction, author_id, author, body, attachments, platform,
		external_id, edit_of, created_at, mentions) VALUES (?1, 'customer', '', ?2, ?3, '', ?4, ?5, NULL, ?6, '')
		ON CONFLICT (platform, external_id) WHERE external_id IS NOT NULL DO NOTHING`},
	{"conversation update", `UPDATE conversations SET updated_at = ?1, last_customer_at = ?2 WHERE id = ?3`},
	{"outbox row", `INSERT INTO outbox (conversation_id, target, kind, message_id, payload, next_attempt_at, created_at, dest)
		VALUES (?1, ?2, 'staff_post', ?3, '', CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND conversation_id = ?1
			AND target = ?2) THEN 4611686018427387904 ELSE ?4 END, ?4,
			(SELECT department FROM conversations WHERE id = ?1))`},
	{"outcome", `UPDATE outbox SET state = 'sent', external_id = ?1, attempts = attempts + 1, done_at = ?2, last_error = '' WHERE id = ?3`},
	{"next in lane", `UPDATE outbox SET next_attempt_at = ?1 WHERE id = (
		SELECT min(id) FROM outbox WHERE state = 'pending'
			AND conversation_id = (SELECT conversation_id FROM outbox WHERE id = ?2)
			AND target = (SELECT target FROM outbox WHERE id = ?2))
		AND next_attempt_at = ?3`},
}

var numbered = regexp.MustCompile(`\?(\d+)`)

// sameWorkSQL returns the statements in the placeholder style of the
// database: "sqlite" keeps ?N, "postgres" gets $N.
func sameWorkSQL(dialect string) []string {
	out := make([]string, len(sameWork))
	for i, s := range sameWork {
		out[i] = s.sql
		if dialect == "postgres" {
			out[i] = numbered.ReplaceAllString(s.sql, `$$$1`)
			if strings.HasPrefix(s.sql, "INSERT") {
				out[i] += " RETURNING id"
			}
		}
	}
	return out
}

// visitor is one conversation the baseline writes to.
type visitor struct {
	customer     int64
	conversation int64
	address      string
}

// SameWorkTxPerSecond runs the baseline on db for d and returns messages
// (transactions) per second. The database must hold the conversations of
// the visitors "visitor-0" .. "visitor-(n-1)" on the web chat channel (Seed
// them with the end-to-end run first).
func SameWorkTxPerSecond(ctx context.Context, db *sql.DB, dialect string, d time.Duration) (float64, error) {
	visitors, err := sameWorkVisitors(ctx, db)
	if err != nil {
		return 0, err
	}
	if len(visitors) == 0 {
		return 0, fmt.Errorf("same-work baseline: no web chat conversations to write to")
	}
	stmts := sameWorkSQL(dialect)
	run := fmt.Sprintf("same-%d", time.Now().UnixNano())
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		v := visitors[n%len(visitors)]
		if err := sameWorkMessage(ctx, db, dialect, stmts, v, fmt.Sprintf("%s-%d", run, n)); err != nil {
			return 0, fmt.Errorf("same-work baseline: %w", err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func sameWorkVisitors(ctx context.Context, db *sql.DB) ([]visitor, error) {
	rows, err := db.QueryContext(ctx, `SELECT max(id), customer_id, address FROM conversations WHERE channel = 'webchat'
		GROUP BY customer_id, address ORDER BY customer_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []visitor
	for rows.Next() {
		var v visitor
		if err := rows.Scan(&v.conversation, &v.customer, &v.address); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// sameWorkMessage is one message's transaction: what Deliver writes, and
// the outcome the outbox records once the staff post went out.
func sameWorkMessage(ctx context.Context, db *sql.DB, dialect string, stmts []string, v visitor, ext string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	var cust int64
	var name, username, email string
	var unreachable sql.NullString
	if err := tx.QueryRowContext(ctx, stmts[0], "webchat", v.address).Scan(&cust, &name, &username, &email, &unreachable); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	var conv int64
	if err := tx.QueryRowContext(ctx, stmts[1], cust, "webchat", v.address).Scan(&conv); err != nil {
		return fmt.Errorf("conversation id: %w", err)
	}
	cols := make([]any, conversationColumns)
	for i := range cols {
		cols[i] = new(any)
	}
	if err := tx.QueryRowContext(ctx, stmts[2], conv).Scan(cols...); err != nil {
		return fmt.Errorf("conversation: %w", err)
	}
	msg, err := insert(ctx, tx, stmts[3], dialect, conv, "Customer", "My order #1234 has not arrived yet", "webchat", ext, now)
	if err != nil {
		return fmt.Errorf("message: %w", err)
	}
	if _, err := tx.ExecContext(ctx, stmts[4], now, now, conv); err != nil {
		return fmt.Errorf("conversation update: %w", err)
	}
	row, err := insert(ctx, tx, stmts[5], dialect, conv, "bench", msg, now)
	if err != nil {
		return fmt.Errorf("outbox row: %w", err)
	}
	if _, err := tx.ExecContext(ctx, stmts[6], "", now, row); err != nil {
		return fmt.Errorf("outcome: %w", err)
	}
	if _, err := tx.ExecContext(ctx, stmts[7], now, row, int64(1)<<62); err != nil {
		return fmt.Errorf("next in lane: %w", err)
	}
	if dialect != "postgres" {
		// SQLite's writer indexes new messages for search at commit
		// (PostgreSQL's index is a generated column).
		if _, err := tx.ExecContext(ctx, sqlite.IndexNewMessages, 0); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return tx.Commit()
}

// conversationColumns is how many columns the conversation lookup reads.
const conversationColumns = 42

// insert runs an INSERT the way each store does: RETURNING on PostgreSQL,
// the last insert id on SQLite.
func insert(ctx context.Context, tx *sql.Tx, query, dialect string, args ...any) (int64, error) {
	if dialect == "postgres" {
		var id int64
		err := tx.QueryRowContext(ctx, query, args...).Scan(&id)
		return id, err
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

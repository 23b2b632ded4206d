package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/stats"
)

// Stats reports on [since, until), days and hours in loc (see bridge.Stats
// for what each number counts). It reads in one transaction, so the
// numbers agree with each other; it holds one duration per answered or
// closed conversation of the window in memory, nothing more.
func (s *Store) Stats(ctx context.Context, since, until time.Time, loc *time.Location) (stats.Stats, error) {
	if !since.Before(until) {
		return stats.Stats{}, fmt.Errorf("stats: the window is empty (%s is not before %s)", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	sqlTx, tx, err := s.snapshot(ctx)
	if err != nil {
		return stats.Stats{}, err
	}
	defer sqlTx.Rollback()
	b := stats.NewBuilder(since, until, loc)
	from, to := ms(since), ms(until)

	// One pass over the conversations opened or closed in the window.
	rows, err := tx.query(ctx, `SELECT created_at, first_response_at, closed_at, channel, department,
			sla_first_met, sla_resolution_met, sla_next_met, sla_next_missed
		FROM conversations
		WHERE created_at < ? AND (created_at >= ? OR (closed_at >= ? AND closed_at < ?))`, to, from, from, to)
	if err != nil {
		return stats.Stats{}, fmt.Errorf("stats: %w", err)
	}
	for rows.Next() {
		var created int64
		var first, closed, firstMet, resMet sql.NullInt64
		var channel bridge.Platform
		var dept string
		var nextMet, nextMissed int
		if err := rows.Scan(&created, &first, &closed, &channel, &dept, &firstMet, &resMet, &nextMet, &nextMissed); err != nil {
			rows.Close()
			return stats.Stats{}, fmt.Errorf("stats: %w", err)
		}
		createdAt, closedAt := time.UnixMilli(created), fromMS(closed)
		if created >= from {
			b.AddOpened(createdAt, fromMS(first), channel, dept, outcome(firstMet))
		}
		if b.In(closedAt) {
			b.AddClosed(createdAt, closedAt, outcome(resMet))
		}
		b.AddNextResponses(nextMet, nextMissed)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return stats.Stats{}, fmt.Errorf("stats: %w", err)
	}
	st := b.Finish()

	if st.Tags, err = statsTags(ctx, tx, from, to); err != nil {
		return stats.Stats{}, err
	}
	if st.Agents, err = statsAgents(ctx, tx, from, to); err != nil {
		return stats.Stats{}, err
	}
	err = tx.queryRow(ctx, `SELECT count(*), CAST(coalesce(avg(score), 0) AS DOUBLE PRECISION) FROM csat WHERE at >= ? AND at < ?`, from, to).
		Scan(&st.CSAT.Count, &st.CSAT.Average)
	if err != nil {
		return stats.Stats{}, fmt.Errorf("stats: csat: %w", err)
	}
	err = tx.queryRow(ctx, `SELECT count(CASE WHEN status = 'open' THEN 1 END), count(CASE WHEN status = 'waiting' THEN 1 END),
			count(CASE WHEN owner = '' THEN 1 END)
		FROM conversations WHERE status IN ('open', 'waiting')`).Scan(&st.Now.Open, &st.Now.Waiting, &st.Now.Unclaimed)
	if err != nil {
		return stats.Stats{}, fmt.Errorf("stats: backlog: %w", err)
	}
	return st, nil
}

func outcome(v sql.NullInt64) stats.SLAOutcome {
	switch {
	case !v.Valid:
		return stats.SLAUnknown
	case v.Int64 != 0:
		return stats.SLAMet
	}
	return stats.SLAMissed
}

// statsTags is the top 10 tags of conversations opened in the window.
func statsTags(ctx context.Context, tx on, from, to int64) ([]stats.Count, error) {
	// CROSS JOIN keeps conversations as SQLite's outer loop: one scan of
	// them, then primary-key lookups of their tags (its planner's own
	// choice, scanning every tag and looking up its conversation, is ~10x
	// slower). The join condition is in WHERE: PostgreSQL allows no ON
	// with CROSS JOIN.
	rows, err := tx.query(ctx, `SELECT t.tag, count(*) AS n
		FROM conversations c CROSS JOIN conversation_tags t
		WHERE t.conversation_id = c.id AND c.created_at >= ? AND c.created_at < ?
		GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT 10`, from, to)
	if err != nil {
		return nil, fmt.Errorf("stats: tags: %w", err)
	}
	defer rows.Close()
	var out []stats.Count
	for rows.Next() {
		var c stats.Count
		if err := rows.Scan(&c.Name, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// statsAgents counts each staff member's replies, closes and claims in the
// window, most active first. Names come from the staff table (the current
// name), else from the audit log.
func statsAgents(ctx context.Context, tx on, from, to int64) ([]stats.AgentStats, error) {
	rows, err := tx.query(ctx, `SELECT a.actor, coalesce(s.name, a.name, ''), a.replies, a.closed, a.claims
		FROM (SELECT actor, max(actor_name) AS name,
				count(CASE WHEN action = 'reply' THEN 1 END) AS replies, count(CASE WHEN action = 'close' THEN 1 END) AS closed,
				count(CASE WHEN action = 'claim' THEN 1 END) AS claims
			FROM audit_log
			WHERE at >= ? AND at < ? AND action IN ('reply', 'close', 'claim') AND actor NOT IN ('', ?)
			GROUP BY actor) a
		LEFT JOIN staff s ON s.id = a.actor
		ORDER BY a.replies + a.closed + a.claims DESC, a.replies DESC, a.actor`, from, to, bridge.SystemActor().ID)
	if err != nil {
		return nil, fmt.Errorf("stats: staff: %w", err)
	}
	defer rows.Close()
	var out []stats.AgentStats
	for rows.Next() {
		var a stats.AgentStats
		if err := rows.Scan(&a.ID, &a.Name, &a.Replies, &a.Closed, &a.Claims); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

func utc(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, time.UTC)
}

// bulkConversations inserts n conversations spread evenly over days
// ending at end, with tags, audit rows and ratings, in one transaction.
func bulkConversations(tb testing.TB, st *sqlite.Store, n, days int, end time.Time) {
	tb.Helper()
	start := end.Add(-time.Duration(days) * 24 * time.Hour).UnixMilli()
	step := (end.UnixMilli() - start) / int64(n)
	err := st.Write(context.Background(), func(tx bridge.Tx) error {
		for _, q := range []string{
			`INSERT INTO customers (id, name, created_at) VALUES (1, 'bulk', 0)`,
			fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
			INSERT INTO conversations (id, customer_id, channel, address, status, priority, department, owner, owner_name,
				created_at, updated_at, first_response_at, closed_at, sla_first_met, sla_resolution_met, sla_next_met, sla_next_missed)
			SELECT i, 1, CASE i %% 3 WHEN 0 THEN 'webchat' WHEN 1 THEN 'telegram' ELSE 'email' END, 'a' || i,
				CASE WHEN i %% 10 < 7 THEN 'closed' WHEN i %% 10 < 9 THEN 'waiting' ELSE 'open' END, 'normal',
				CASE i %% 4 WHEN 0 THEN 'billing' WHEN 1 THEN 'sales' ELSE '' END,
				CASE WHEN i %% 5 = 0 THEN '' ELSE 'slack:U' || (i %% 12) END, 'Agent ' || (i %% 12),
				%[2]d + (i - 1) * %[3]d, %[2]d + (i - 1) * %[3]d + 3600000,
				CASE WHEN i %% 10 < 9 THEN %[2]d + (i - 1) * %[3]d + (i * 7919) %% 7200000 END,
				CASE WHEN i %% 10 < 7 THEN %[2]d + (i - 1) * %[3]d + (i * 104729) %% 172800000 END,
				CASE WHEN i %% 10 < 9 THEN (i %% 7 > 0) END,
				CASE WHEN i %% 10 < 7 THEN (i %% 9 > 0) END,
				i %% 3, i %% 2
			FROM seq`, n, start, step),
			`INSERT INTO conversation_tags (conversation_id, tag, added_at)
				SELECT id, 'tag' || (id % 25), created_at FROM conversations WHERE id % 2 = 0`,
			`INSERT INTO audit_log (conversation_id, actor, actor_name, action, at)
				SELECT id, 'slack:U' || (id % 12), 'Agent ' || (id % 12), 'reply', first_response_at FROM conversations WHERE first_response_at IS NOT NULL
				UNION ALL SELECT id, 'slack:U' || (id % 12), 'Agent ' || (id % 12), 'close', closed_at FROM conversations WHERE closed_at IS NOT NULL
				UNION ALL SELECT id, 'slack:U' || (id % 12), 'Agent ' || (id % 12), 'claim', created_at + 60000 FROM conversations WHERE owner != ''
				UNION ALL SELECT id, 'webchat:a' || id, '', 'created', created_at FROM conversations`,
			`INSERT INTO csat (conversation_id, score, at) SELECT id, 1 + id % 5, closed_at + 60000 FROM conversations WHERE closed_at IS NOT NULL AND id % 3 = 0`,
		} {
			if err := sqlite.ExecForTest(tx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestStatsBulkAgreesWithCounts(t *testing.T) {
	st := storetest.Open(t)
	end := utc(3, 31, 0, 0)
	bulkConversations(t, st, 2000, 20, end)
	s, err := st.Stats(context.Background(), end.Add(-20*24*time.Hour), end, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	// i = 1..2000 created inside; the last few close after the window ends.
	if s.Created != 2000 || len(s.ByDay) != 20 || s.Unanswered != 200 || s.FirstResponse.Count != 1800 {
		t.Errorf("created %d days %d unanswered %d answered %d", s.Created, len(s.ByDay), s.Unanswered, s.FirstResponse.Count)
	}
	sum := 0
	for _, d := range s.ByDay {
		sum += d.Count
	}
	if sum != s.Created || len(s.Tags) != 10 || len(s.Agents) != 12 || s.Now.Open != 200 || s.Now.Waiting != 400 {
		t.Errorf("days sum %d tags %d agents %d now %+v", sum, len(s.Tags), len(s.Agents), s.Now)
	}
	if s.FirstResponse.Median <= 0 || s.FirstResponse.P90 < s.FirstResponse.Median || s.FirstResponse.P90 > 2*time.Hour {
		t.Errorf("first response %+v", s.FirstResponse)
	}
}

// BenchmarkStats reports over 100,000 conversations spread over 90 days
// (about 1,100 a day, with 300,000 audit rows, tags and ratings).
func BenchmarkStats(b *testing.B) {
	st := storetest.Open(b)
	end := utc(3, 31, 0, 0)
	bulkConversations(b, st, 100_000, 90, end)
	for _, days := range []int{1, 7, 30, 90} {
		b.Run(fmt.Sprintf("window=%dd", days), func(b *testing.B) {
			since := end.Add(-time.Duration(days) * 24 * time.Hour)
			for b.Loop() {
				s, err := st.Stats(context.Background(), since, end, time.UTC)
				if err != nil || s.Created == 0 {
					b.Fatal(s.Created, err)
				}
			}
		})
	}
}

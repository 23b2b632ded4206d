package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/stats"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func utc(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, time.UTC)
}

// statsFixture builds conversations through the engine with a test clock:
//
//	#1 webchat, Mon 2 Mar 08:00; Alice claims 08:05, replies 08:10, closes 09:00; tag refund
//	#2 telegram, Mon 2 Mar 10:00, billing; Bob replies 10:30; tags refund, login
//	#3 email, Tue 3 Mar 14:00; unanswered
//	#4 webchat, Fri 20 Feb 12:00 (before the window); Bob closes Tue 3 Mar 15:00
//	#5 webchat, Tue 10 Mar 09:00 (after the window)
func statsFixture(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	clk := &testClock{}
	eng := engine.New(engine.Options{Store: st, Clock: clocktest.Func(clk.Now)})
	alice := bridge.Actor{ID: "slack:UALICE", Name: "Alice"}
	bob := bridge.Actor{ID: "discord:42", Name: "Bob"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	deliver := func(at time.Time, ch bridge.Platform, addr string) bridge.ConversationID {
		t.Helper()
		clk.Set(at)
		res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: ch, Address: addr, Name: addr, Text: "help"})
		must(err)
		return res.Conversation
	}
	sc := func(conv bridge.ConversationID, a bridge.Actor) engine.StaffContext {
		return engine.StaffContext{Conversation: conv, Actor: a, Surface: "console"}
	}

	c4 := deliver(utc(2, 20, 12, 0), "webchat", "v4")
	c1 := deliver(utc(3, 2, 8, 0), "webchat", "v1")
	clk.Set(utc(3, 2, 8, 5))
	_, err := eng.Claim(ctx, sc(c1, alice))
	must(err)
	_, err = eng.Tag(ctx, sc(c1, alice), "refund", true)
	must(err)
	clk.Set(utc(3, 2, 8, 10))
	_, err = eng.Reply(ctx, sc(c1, alice), "on it", nil)
	must(err)
	clk.Set(utc(3, 2, 9, 0))
	_, err = eng.Close(ctx, sc(c1, alice), "")
	must(err)

	c2 := deliver(utc(3, 2, 10, 0), "telegram", "t1")
	clk.Set(utc(3, 2, 10, 30))
	_, err = eng.Reply(ctx, sc(c2, bob), "hello", nil)
	must(err)
	_, err = eng.Tag(ctx, sc(c2, bob), "refund", true)
	must(err)
	_, err = eng.Tag(ctx, sc(c2, bob), "login", true)
	must(err)

	deliver(utc(3, 3, 14, 0), "email", "a@example.com")
	clk.Set(utc(3, 3, 15, 0))
	_, err = eng.Close(ctx, sc(c4, bob), "")
	must(err)
	c5 := deliver(utc(3, 10, 9, 0), "webchat", "v5")
	clk.Set(utc(3, 10, 9, 30))
	_, err = eng.Reply(ctx, sc(c5, alice), "later", nil) // outside the window
	must(err)

	// SLA outcomes (the SLA engine's job), department and ratings.
	must(st.Write(ctx, func(tx bridge.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE conversations SET sla_first_met = 1, sla_resolution_met = 1, sla_next_met = 2 WHERE id = ?`, []any{c1}},
			{`UPDATE conversations SET sla_first_met = 0, sla_next_missed = 1, department = 'billing' WHERE id = ?`, []any{c2}},
			{`UPDATE conversations SET sla_resolution_met = 0 WHERE id = ?`, []any{c4}},
			{`UPDATE conversations SET sla_next_met = 7 WHERE id = ?`, []any{c5}},
			{`INSERT INTO csat (conversation_id, score, at) VALUES (?, 5, ?), (?, 3, ?), (?, 1, ?)`,
				[]any{c1, utc(3, 2, 9, 30).UnixMilli(), c4, utc(3, 3, 16, 0).UnixMilli(), c5, utc(3, 10, 10, 0).UnixMilli()}},
		} {
			if err := sqlite.ExecForTest(tx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	}))
	return st
}

func TestStats(t *testing.T) {
	st := statsFixture(t)
	s, err := st.Stats(context.Background(), utc(3, 2, 0, 0), utc(3, 9, 0, 0), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("created/closed/unanswered", []int{s.Created, s.Closed, s.Unanswered}, []int{3, 2, 1})
	check("by channel", s.ByChannel, []stats.Count{{Name: "email", Count: 1}, {Name: "telegram", Count: 1}, {Name: "webchat", Count: 1}})
	check("by department", s.ByDepartment, []stats.Count{{Name: "", Count: 2}, {Name: "billing", Count: 1}})
	check("days", len(s.ByDay), 7)
	check("Mon/Tue", []int{s.ByDay[0].Count, s.ByDay[1].Count, s.ByDay[2].Count}, []int{2, 1, 0})
	check("hours 8/10/14", []int{s.ByHour[8], s.ByHour[10], s.ByHour[14]}, []int{1, 1, 1})
	check("first response", s.FirstResponse, stats.Timing{Count: 2, Median: 20 * time.Minute, P90: 28 * time.Minute})
	check("first response at 8h", s.ResponseByHour[8], stats.Timing{Count: 1, Median: 10 * time.Minute, P90: 10 * time.Minute})
	res4 := utc(3, 3, 15, 0).Sub(utc(2, 20, 12, 0))
	check("resolution", s.Resolution, stats.NewTiming([]time.Duration{time.Hour, res4}))
	check("sla first", s.SLA.FirstResponse, stats.Attainment{Met: 1, Missed: 1})
	check("sla resolution", s.SLA.Resolution, stats.Attainment{Met: 1, Missed: 1})
	check("sla next", s.SLA.NextResponse, stats.Attainment{Met: 2, Missed: 1})
	check("tags", s.Tags, []stats.Count{{Name: "refund", Count: 2}, {Name: "login", Count: 1}})
	check("agents", s.Agents, []stats.AgentStats{
		{ID: "slack:UALICE", Name: "Alice", Replies: 1, Closed: 1, Claims: 1},
		{ID: "discord:42", Name: "Bob", Replies: 1, Closed: 1, Claims: 0},
	})
	check("csat", s.CSAT, stats.CSAT{Count: 2, Average: 4})
	// Now: #2 waiting, #3 open, #5 waiting (answered on 10 Mar); nobody owns them.
	check("now", s.Now, stats.Backlog{Open: 1, Unclaimed: 3, Waiting: 2})

	// Hours follow the zone: 08:00 UTC is 09:00 in Berlin (CET).
	berlin, _ := time.LoadLocation("Europe/Berlin")
	sb, err := st.Stats(context.Background(), utc(3, 2, 0, 0), utc(3, 9, 0, 0), berlin)
	if err != nil {
		t.Fatal(err)
	}
	check("berlin hours 9/11/15", []int{sb.ByHour[9], sb.ByHour[11], sb.ByHour[15]}, []int{1, 1, 1})
	check("berlin zone", sb.Timezone, "Europe/Berlin")

	// An empty window and a reversed one.
	e, err := st.Stats(context.Background(), utc(1, 1, 0, 0), utc(1, 2, 0, 0), time.UTC)
	if err != nil || e.Created != 0 || e.Agents != nil || e.FirstResponse.Count != 0 || len(e.ByDay) != 1 {
		t.Errorf("empty window: %+v %v", e, err)
	}
	if _, err := st.Stats(context.Background(), utc(3, 9, 0, 0), utc(3, 2, 0, 0), time.UTC); err == nil {
		t.Error("reversed window accepted")
	}
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

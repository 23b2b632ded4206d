package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// slaOptions are the test's service levels; ladder and satisfaction texts
// are config's defaults.
func slaOptions(t *testing.T) sla.Options {
	office, err := sla.NewCalendar(sla.CalendarSpec{Hours: map[string]string{"mon-fri": "09:00-17:00"}})
	if err != nil {
		t.Fatal(err)
	}
	return sla.Options{
		Policies: []sla.Policy{
			{Name: "normal", FirstResponse: time.Hour, NextResponse: 2 * time.Hour, Resolution: 8 * time.Hour, Calendar: office, CalendarName: "office"},
			{Name: "urgent", Priority: "urgent", FirstResponse: 15 * time.Minute, Calendar: sla.WallClock(), CalendarName: "24x7"},
		},
		Nag: sla.NagRules{WarnAt: 75, RepeatInterval: 30 * time.Minute, MaxNags: 2},
		Ladder: sla.Ladder{Warning: []sla.Target{sla.TargetOwner}, Breach: []sla.Target{sla.TargetOwner, sla.TargetOnCall},
			Repeat: []sla.Target{sla.TargetOnCall, sla.TargetLeads}},
		Acknowledgement: sla.Acknowledgement{Enabled: true, Template: "Hi {{customer}}, we answer within {{expected_wait}}.",
			OutOfHours: "Hi {{customer}}, we are closed; back {{opens}}."},
		CloseNotice: "Closed. Write again if you need us.",
		Satisfaction: sla.Satisfaction{Enabled: true, Question: "How did we do? Reply with a number from 1 (bad) to 5 (great).",
			Thanks: "Thank you for the feedback!"},
	}
}

type slaRig struct {
	st    *sqlite.Store
	eng   *engine.Engine
	clock *clock
	path  string
}

func newSLARig(t *testing.T, path string, c *clock) *slaRig {
	st := storetest.OpenAt(t, path)
	dir := team.New(team.Options{
		Departments:       map[string]team.Department{"support": {OnCall: []bridge.StaffID{"slack:U0ONCALL"}}},
		DefaultDepartment: "support",
		Staff:             []team.Staff{{ID: "slack:U0LEAD", Name: "Lea", Role: bridge.RoleLead}},
	})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}, Clock: clocktest.Func(c.Now), Directory: dir,
		SLA: sla.New(slaOptions(t)), Config: engine.Config{ReopenWindow: 7 * 24 * time.Hour}})
	return &slaRig{st: st, eng: eng, clock: c, path: path}
}

// monday 10:00 UTC
func mondayClock() *clock { return &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)} }

func (r *slaRig) nags(t *testing.T, conv bridge.ConversationID) []bridge.Message {
	ms, err := r.st.Messages(context.Background(), conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []bridge.Message
	for _, m := range ms {
		if m.Direction == bridge.DirSystem && (strings.Contains(m.Body, "SLA") || strings.Contains(m.Body, "due in") || strings.Contains(m.Body, "Reminder")) {
			out = append(out, m)
		}
	}
	return out
}

func TestSLAClockLifecycle(t *testing.T) {
	c := mondayClock()
	r := newSLARig(t, t.TempDir()+"/s.db", c)
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Name: "Anna", Text: "hello"})
	conv, _ := r.st.Conversation(ctx, res.Conversation)
	if conv.SLA.Policy != "normal" || conv.SLA.RespKind != "first" || !conv.SLADue.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("after create: %+v due %s", conv.SLA, conv.SLADue)
	}
	sc := engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: "slack:U1", Name: "Alice"}}
	c.Add(40 * time.Minute)
	r.eng.Reply(ctx, sc, "on it", nil)
	conv, _ = r.st.Conversation(ctx, res.Conversation)
	if conv.SLA.FirstMet == nil || !*conv.SLA.FirstMet || conv.SLA.RespKind != "" || !conv.SLA.ResSince.IsZero() {
		t.Fatalf("after reply within target: %+v", conv.SLA)
	}
	// Waiting on the customer: the resolution clock paused with 40m used.
	if conv.SLA.ResUsed != 40*time.Minute {
		t.Errorf("resolution used %s, want 40m", conv.SLA.ResUsed)
	}
	c.Add(3 * time.Hour) // customer takes their time: not counted
	r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "still broken"})
	conv, _ = r.st.Conversation(ctx, res.Conversation)
	if conv.SLA.RespKind != "next" || conv.SLA.ResUsed != 40*time.Minute || conv.SLA.ResSince.IsZero() {
		t.Fatalf("after customer wrote again: %+v", conv.SLA)
	}
	// Snooze pauses both clocks.
	r.eng.Snooze(ctx, sc, c.Now().Add(24*time.Hour))
	c.Add(time.Hour)
	conv, _ = r.st.Conversation(ctx, res.Conversation)
	if !conv.SLA.RespSince.IsZero() || !conv.SLA.NextCheck.IsZero() {
		t.Errorf("snoozed clocks still running: %+v", conv.SLA)
	}
	r.eng.Unsnooze(ctx, sc)
	c.Add(3 * time.Hour) // 15:00 → next response (2h) breached at 16:00
	r.eng.Reply(ctx, sc, "fixed", nil)
	conv, _ = r.st.Conversation(ctx, res.Conversation)
	if conv.SLA.NextMissed != 1 || conv.SLA.NextMet != 0 {
		t.Errorf("next response outcome: %+v", conv.SLA)
	}
	r.eng.Close(ctx, sc, "")
	conv, _ = r.st.Conversation(ctx, res.Conversation)
	if conv.SLA.ResolvedMet == nil || !*conv.SLA.ResolvedMet || !conv.SLA.NextCheck.IsZero() {
		t.Errorf("after close (40m+3h of 8h used): %+v", conv.SLA)
	}
}

func TestSLASweepLadderAndRestart(t *testing.T) {
	c := mondayClock()
	path := t.TempDir() + "/s.db"
	r := newSLARig(t, path, c)
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "help"})
	id := res.Conversation
	c.Add(44 * time.Minute)
	r.eng.Sweep(ctx)
	if n := len(r.nags(t, id)); n != 0 {
		t.Fatalf("%d nags before 75%%", n)
	}
	c.Add(2 * time.Minute) // 46m: warning, unclaimed → on-call
	r.eng.Sweep(ctx)
	r.eng.Sweep(ctx) // a second sweep in the same minute sends nothing more
	nags := r.nags(t, id)
	if len(nags) != 1 || !strings.Contains(nags[0].Body, "First response due in 14m") || !strings.Contains(nags[0].Body, "Nobody has claimed it") ||
		fmt.Sprint(nags[0].Mentions) != "[slack:U0ONCALL]" {
		t.Fatalf("warning = %+v", nags)
	}
	// Alice claims: the warning ladder now goes to her, but the clock keeps running.
	r.eng.Claim(ctx, engine.StaffContext{Conversation: id, Actor: bridge.Actor{ID: "slack:U1", Name: "Alice"}})
	c.Add(15 * time.Minute) // 61m: breach → owner + on-call
	// The daemon restarts: a new engine on the same database.
	r2 := newSLARig(t, path, c)
	r2.eng.Sweep(ctx)
	r2.eng.Sweep(ctx)
	nags = r2.nags(t, id)
	if len(nags) != 2 || !strings.Contains(nags[1].Body, "First response SLA breached") || strings.Contains(nags[1].Body, "Nobody") ||
		fmt.Sprint(nags[1].Mentions) != "[slack:U1 slack:U0ONCALL]" {
		t.Fatalf("breach = %+v", nags[len(nags)-1])
	}
	// Repeats every 30 business minutes, at most 2, to on-call and leads.
	for i := 0; i < 6; i++ {
		c.Add(30 * time.Minute)
		r2.eng.Sweep(ctx)
	}
	nags = r2.nags(t, id)
	if len(nags) != 4 || !strings.Contains(nags[3].Body, "Reminder 2") || fmt.Sprint(nags[3].Mentions) != "[slack:U0ONCALL slack:U0LEAD]" {
		t.Errorf("repeats = %d, last %+v", len(nags), nags[len(nags)-1])
	}
	audit, _ := r2.st.AuditLog(ctx, id)
	count := 0
	for _, a := range audit {
		if a.Action == "sla_nag" {
			count++
		}
	}
	if count != 4 {
		t.Errorf("%d nag audit rows, want 4", count)
	}
}

func TestSLAOutOfHoursAndLateSweep(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 6, 16, 30, 0, 0, time.UTC)} // friday 16:30
	r := newSLARig(t, t.TempDir()+"/s.db", c)
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Name: "Anna", Text: "hello"})
	conv, _ := r.st.Conversation(ctx, res.Conversation)
	// 30 business minutes left on friday, the rest monday morning.
	if want := time.Date(2026, 3, 9, 9, 30, 0, 0, time.UTC); !conv.SLADue.Equal(want) {
		t.Errorf("due %s, want %s", conv.SLADue, want)
	}
	if got := firstStaff(t, r, res.Conversation); got != "Hi Anna, we answer within about an hour." {
		t.Errorf("in-hours acknowledgement = %q", got)
	}
	// The daemon was down all weekend: monday noon only the breach is sent.
	c.t = time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	r.eng.Sweep(ctx)
	nags := r.nags(t, res.Conversation)
	if len(nags) != 1 || !strings.Contains(nags[0].Body, "breached") {
		t.Errorf("late sweep = %+v", nags)
	}
	// Saturday: the out-of-hours acknowledgement.
	c.t = time.Date(2026, 3, 7, 11, 0, 0, 0, time.UTC)
	res2, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "b", Name: "Ben", Text: "hi"})
	if got := firstStaff(t, r, res2.Conversation); got != "Hi Ben, we are closed; back Mon 09:00 UTC." {
		t.Errorf("out-of-hours acknowledgement = %q", got)
	}
}

func TestCloseNoticeAndSatisfaction(t *testing.T) {
	c := mondayClock()
	r := newSLARig(t, t.TempDir()+"/s.db", c)
	ctx := context.Background()
	res, _ := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Name: "Anna", Text: "hello"})
	sc := engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: "slack:U1", Name: "Alice"}}
	r.eng.Reply(ctx, sc, "done", nil)
	r.eng.Close(ctx, sc, "")
	rows, _ := r.st.OutboxRows(ctx, res.Conversation)
	var sends []string
	for _, row := range rows {
		if row.Kind == bridge.KindCustomerSend {
			m, _ := r.st.Message(ctx, row.Message)
			sends = append(sends, m.Body)
		}
	}
	if got := strings.Join(sends, " | "); !strings.Contains(got, "Closed. Write again if you need us. | How did we do?") {
		t.Errorf("customer got %s", got)
	}
	// A rating is recorded and does not reopen.
	r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "⭐⭐⭐⭐"})
	conv, _ := r.st.Conversation(ctx, res.Conversation)
	if conv.Status != bridge.StatusClosed {
		t.Errorf("rating reopened the conversation")
	}
	audit, _ := r.st.AuditLog(ctx, res.Conversation)
	if last := audit[len(audit)-1]; last.Action != "csat" || last.Detail != "4" {
		t.Errorf("last audit = %+v", last)
	}
	// A second "5" is a normal message: it reopens.
	r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "5"})
	if conv, _ := r.st.Conversation(ctx, res.Conversation); conv.Status != bridge.StatusOpen {
		t.Errorf("status %s after a second answer", conv.Status)
	}
}

func TestParseRating(t *testing.T) {
	for in, want := range map[string]int{"5": 5, " 4/5 ": 4, "3 stars": 3, "⭐⭐": 2, "👍": 5, "👎": 1, "1.": 1, "6": 0, "5 more problems here": 0, "great": 0} {
		got, ok := engine.ParseRating(in)
		if (want == 0) == ok || (ok && got != want) {
			t.Errorf("ParseRating(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
}

func TestSLASweepThousands(t *testing.T) {
	c := mondayClock()
	r := newSLARig(t, t.TempDir()+"/s.db", c)
	ctx := context.Background()
	for i := 0; i < 2000; i++ {
		if _, err := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprint("v", i), Text: "hello"}); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			c.Add(time.Second)
		}
	}
	c.Add(50 * time.Minute) // every conversation is past 75% of its first-response target
	if err := r.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	due, _ := r.st.DueSLA(ctx, c.Now(), 10)
	if len(due) != 0 {
		t.Errorf("%d conversations still due after a sweep", len(due))
	}
	if err := r.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var warned int
	convs, _ := r.st.OpenConversations(ctx, 5000)
	for _, cv := range convs {
		if cv.SLA.RespNags == 1 {
			warned++
		}
	}
	if warned != 2000 {
		t.Errorf("%d warned, want 2000 (each exactly once)", warned)
	}
}

func firstStaff(t *testing.T, r *slaRig, conv bridge.ConversationID) string {
	ms, _ := r.st.Messages(context.Background(), conv, 0)
	for _, m := range ms {
		if m.Direction == bridge.DirStaff {
			return m.Body
		}
	}
	t.Fatal("no staff message")
	return ""
}

// BenchmarkSLASweep100k: one sweep over 100,000 open conversations with
// SLA clocks running; "idle" has nothing due (the common minute), "1pct"
// has 1,000 conversations whose warning is due.
func BenchmarkSLASweep100k(b *testing.B) {
	for _, due := range []int{0, 1000} {
		name := "idle"
		if due > 0 {
			name = "1pct-due"
		}
		b.Run(name, func(b *testing.B) {
			c := mondayClock()
			r := newSLARig(&testing.T{}, b.TempDir()+"/bench.db", c)
			seed100k(b, r, c.Now(), due)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				if due > 0 { // make the same conversations due again
					r.st.Write(ctx, func(tx bridge.Tx) error {
						return sqlite.ExecForTest(tx, `UPDATE conversations SET sla_resp_nags = 0, sla_next_check = ? WHERE id <= ?`, c.Now().UnixMilli(), due)
					})
				}
				b.StartTimer()
				if err := r.eng.Sweep(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seed100k inserts 100,000 open conversations created an hour apart in
// seconds, their first-response clocks running; the first `due` are due now.
func seed100k(b *testing.B, r *slaRig, now time.Time, due int) {
	b.Helper()
	ms := now.UnixMilli()
	err := r.st.Write(context.Background(), func(tx bridge.Tx) error {
		for _, q := range []string{
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
			 INSERT INTO customers (id, name, created_at) SELECT i, 'customer ' || i, ?1 FROM n`,
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
			 INSERT INTO conversations (id, customer_id, channel, address, status, priority, department, created_at, updated_at,
			   last_customer_at, sla_policy, sla_resp_kind, sla_resp_since, sla_res_since, sla_next_check)
			 SELECT i, i, 'webchat', 'v' || i, 'open', 'normal', 'support', ?1, ?1, ?1, 'normal', 'first', ?1, ?1,
			   CASE WHEN i <= ?2 THEN ?1 ELSE ?1 + 86400000 END FROM n`,
		} {
			if err := sqlite.ExecForTest(tx, q, ms, due); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

package storetest

import (
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// store.Views: the operator's listings.
func viewCases() []testCase {
	return []testCase{
		{"ListConversationsFiltersByStatusNewestChangeFirst", listConversations},
		{"OverdueListsOpenConversationsPastDueMostOverdueFirst", overdue},
		{"AuditLogIsOneConversationsEntriesOldestFirst", auditLog},
		{"LatestAuditIsTheNewestEntriesOfAnAction", latestAudit},
		{"OutboxRowsShowEveryState", outboxRowsStates},
		{"OutboxStatsCountPendingAndDead", outboxStats},
		{"QueueStatsCountTheWaitingWork", queueStats},
	}
}

func (e *env) list(f store.ListFilter) []bridge.ConversationID {
	e.t.Helper()
	cs, err := e.db.ListConversations(e.ctx, f)
	e.must(err)
	return convIDs(cs)
}

func listConversations(e *env) {
	mk := func(addr string, s bridge.Status, updated time.Duration) bridge.ConversationID {
		return e.open("webchat", addr, func(c *bridge.Conversation) { c.Status, c.UpdatedAt = s, e.at(updated) }).ID
	}
	o1 := mk("o1", bridge.StatusOpen, time.Minute)
	c1 := mk("c1", bridge.StatusClosed, 2*time.Minute)
	w1 := mk("w1", bridge.StatusWaiting, 3*time.Minute)
	o2 := mk("o2", bridge.StatusOpen, 4*time.Minute)
	e.message(o2, bridge.DirCustomer, "one", nil)
	e.message(o2, bridge.DirNote, "two", nil)
	for _, tc := range []struct {
		name string
		f    store.ListFilter
		want []bridge.ConversationID
	}{
		{"default: open and waiting", store.ListFilter{}, []bridge.ConversationID{o2, w1, o1}},
		{"closed", store.ListFilter{Statuses: []bridge.Status{bridge.StatusClosed}}, []bridge.ConversationID{c1}},
		{"open", store.ListFilter{Statuses: []bridge.Status{bridge.StatusOpen}}, []bridge.ConversationID{o2, o1}},
		{"waiting and closed", store.ListFilter{Statuses: []bridge.Status{bridge.StatusWaiting, bridge.StatusClosed}}, []bridge.ConversationID{w1, c1}},
		{"all", store.ListFilter{All: true}, []bridge.ConversationID{o2, w1, c1, o1}},
		{"limit", store.ListFilter{Limit: 2}, []bridge.ConversationID{o2, w1}},
	} {
		e.equal(tc.name, e.list(tc.f), tc.want)
	}
	cs, err := e.db.ListConversations(e.ctx, store.ListFilter{All: true})
	e.must(err)
	for _, c := range cs {
		if want := map[bool]int{true: 2}[c.ID == o2]; c.MessageCount != want {
			e.t.Errorf("%s lists %d messages, want %d", c.ID, c.MessageCount, want)
		}
	}
}

func overdue(e *env) {
	mk := func(addr string, s bridge.Status, due time.Duration) bridge.ConversationID {
		return e.open("webchat", addr, func(c *bridge.Conversation) {
			c.Status = s
			if due != 0 {
				c.SLADue = e.at(due)
			}
		}).ID
	}
	a := mk("a", bridge.StatusOpen, -10*time.Minute)
	b := mk("b", bridge.StatusOpen, -30*time.Minute)
	mk("future", bridge.StatusOpen, 10*time.Minute)
	mk("waiting", bridge.StatusWaiting, -time.Hour)
	mk("closed", bridge.StatusClosed, -time.Hour)
	mk("none", bridge.StatusOpen, 0)
	got, err := e.db.Overdue(e.ctx, e.now(), 10)
	e.must(err)
	e.equal("overdue", convIDs(got), []bridge.ConversationID{b, a})
	got, err = e.db.Overdue(e.ctx, e.now(), 1)
	e.must(err)
	e.equal("most overdue", convIDs(got), []bridge.ConversationID{b})
}

func auditLog(e *env) {
	c := e.open("webchat", "v1", nil)
	other := e.open("webchat", "v2", nil)
	want := []bridge.AuditEntry{
		{Conversation: c.ID, Actor: bridge.Actor{ID: alice.ID, Name: alice.Name}, Action: "claim", At: e.at(time.Minute)},
		{Conversation: c.ID, Actor: bridge.Actor{ID: "system", Name: "Threadline"}, Action: "sla_breach", Detail: "first response", At: e.at(2 * time.Minute)},
		{Conversation: c.ID, Actor: bridge.Actor{ID: bob.ID, Name: bob.Name}, Action: "close", Detail: "solved ✓", At: e.at(3 * time.Minute)},
	}
	e.write(func(tx bridge.Tx) error {
		for i, a := range want {
			if err := tx.Audit(a); err != nil {
				return err
			}
			if i == 1 {
				if err := tx.Audit(bridge.AuditEntry{Conversation: other.ID, Actor: alice, Action: "claim", At: e.now()}); err != nil {
					return err
				}
				if err := tx.Audit(bridge.AuditEntry{Actor: alice, Action: "retention_purged", At: e.now()}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	got, err := e.db.AuditLog(e.ctx, c.ID)
	e.must(err)
	e.equal("audit log", got, want)
}

func latestAudit(e *env) {
	e.write(func(tx bridge.Tx) error {
		for i, action := range []string{"retention_purged", "customer_forgotten", "retention_purged", "retention_purged"} {
			a := bridge.AuditEntry{Actor: bridge.Actor{ID: "system", Name: "Threadline"}, Action: action,
				Detail: string(rune('a' + i)), At: e.at(time.Duration(i) * time.Hour)}
			if err := tx.Audit(a); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := e.db.LatestAudit(e.ctx, "retention_purged", 2)
	e.must(err)
	e.equal("newest two purges", got, []bridge.AuditEntry{
		{Actor: bridge.Actor{ID: "system", Name: "Threadline"}, Action: "retention_purged", Detail: "d", At: e.at(3 * time.Hour)},
		{Actor: bridge.Actor{ID: "system", Name: "Threadline"}, Action: "retention_purged", Detail: "c", At: e.at(2 * time.Hour)},
	})
	got, err = e.db.LatestAudit(e.ctx, "never", 5)
	if err != nil || len(got) != 0 {
		e.t.Errorf("an action never audited = %+v, %v", got, err)
	}
}

func outboxRowsStates(e *env) {
	c := e.open("webchat", "v1", nil)
	other := e.open("webchat", "v2", nil)
	m := e.message(c.ID, bridge.DirStaff, "reply", nil)
	t0 := e.now()
	ids := e.enqueue(t0,
		bridge.OutboxRow{Conversation: c.ID, Target: "webchat", Kind: bridge.KindCustomerSend, Message: m.ID},
		bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindStaffPost, Message: m.ID},
		bridge.OutboxRow{Conversation: c.ID, Target: "discord", Kind: bridge.KindCard, Payload: `{"a":1}`},
		bridge.OutboxRow{Conversation: c.ID, Target: "discord", Kind: bridge.KindCard})
	e.enqueue(t0, bridge.OutboxRow{Conversation: other.ID, Target: "slack", Kind: bridge.KindCard})
	e.write(func(tx bridge.Tx) error {
		if err := tx.MarkSent(ids[0], bridge.ExternalRef{Platform: "webchat", ID: "w-1"}, m.ID, e.now()); err != nil {
			return err
		}
		if err := tx.MarkDead(ids[1], "channel_not_found", e.now()); err != nil {
			return err
		}
		return tx.MarkRetry(ids[2], 2, e.at(time.Minute), "HTTP 500")
	})
	rows := e.outboxRows(c.ID)
	if len(rows) != 4 {
		e.t.Fatalf("rows = %+v", rows)
	}
	type view struct {
		ID              bridge.OutboxID
		Target          bridge.Platform
		Kind            bridge.OutboxKind
		Message         bridge.MessageID
		Payload         string
		State, LastErr  string
		ExternalID      string
		PendingAttempts int
		CreatedAt       time.Time
	}
	var got []view
	for _, r := range rows {
		v := view{r.ID, r.Target, r.Kind, r.Message, r.Payload, r.State, r.LastError, r.ExternalID, 0, r.CreatedAt}
		if r.State == "pending" {
			v.PendingAttempts = r.Attempts
		}
		got = append(got, v)
	}
	e.equal("outbox rows", got, []view{
		{ids[0], "webchat", bridge.KindCustomerSend, m.ID, "", "sent", "", "w-1", 0, t0},
		{ids[1], "slack", bridge.KindStaffPost, m.ID, "", "dead", "channel_not_found", "", 0, t0},
		{ids[2], "discord", bridge.KindCard, 0, `{"a":1}`, "pending", "HTTP 500", "", 2, t0},
		{ids[3], "discord", bridge.KindCard, 0, "", "pending", "", "", 0, t0},
	})
	e.sameTime("retry time", rows[2].NextAttempt, e.at(time.Minute))
}

func outboxStats(e *env) {
	if st, err := e.db.OutboxStats(e.ctx); err != nil || st.Pending != 0 || st.Dead != 0 || !st.OldestPending.IsZero() {
		e.t.Errorf("stats of an empty outbox = %+v, %v", st, err)
	}
	c := e.open("webchat", "v1", nil)
	ids := e.enqueue(e.at(time.Minute),
		bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard},
		bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard},
		bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindCard})
	e.enqueue(e.at(2*time.Minute), bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard})
	e.write(func(tx bridge.Tx) error { return tx.MarkDead(ids[2], "gone", e.now()) })
	e.markSent(ids[0], bridge.ExternalRef{}, 0, e.now())
	st, err := e.db.OutboxStats(e.ctx)
	e.must(err)
	if st.Pending != 2 || st.Dead != 1 {
		e.t.Errorf("stats = %+v, want 2 pending (one behind the head), 1 dead", st)
	}
	e.sameTime("oldest pending", st.OldestPending, e.at(time.Minute))
}

func queueStats(e *env) {
	for _, c := range []struct {
		addr   string
		status bridge.Status
		owner  bridge.StaffID
		due    time.Duration
	}{
		{"a", bridge.StatusOpen, "", -time.Minute}, {"b", bridge.StatusOpen, alice.ID, -time.Hour}, {"c", bridge.StatusOpen, "", time.Hour},
		{"d", bridge.StatusWaiting, "", -time.Hour}, {"e", bridge.StatusWaiting, bob.ID, 0}, {"f", bridge.StatusClosed, "", -time.Hour},
	} {
		e.open("webchat", c.addr, func(x *bridge.Conversation) {
			x.Status, x.Owner = c.status, c.owner
			if c.due != 0 {
				x.SLADue = e.at(c.due)
			}
		})
	}
	convs, err := e.db.ListConversations(e.ctx, store.ListFilter{All: true})
	e.must(err)
	conv := convs[0].ID
	ids := e.enqueue(e.at(time.Minute),
		bridge.OutboxRow{Conversation: conv, Target: "slack", Kind: bridge.KindCard},
		bridge.OutboxRow{Conversation: conv, Target: "slack", Kind: bridge.KindCard},
		bridge.OutboxRow{Conversation: conv, Target: "discord", Kind: bridge.KindCard},
		bridge.OutboxRow{Conversation: conv, Target: "console", Kind: bridge.KindCard})
	e.enqueue(e.at(2*time.Minute), bridge.OutboxRow{Conversation: conv, Target: "discord", Kind: bridge.KindCard})
	e.markSent(ids[3], bridge.ExternalRef{}, 0, e.now())
	q, err := e.db.QueueStats(e.ctx, e.now())
	e.must(err)
	e.equal("queue", q, store.QueueStats{Open: 3, Waiting: 2, Unclaimed: 3, Overdue: 2, Outbox: []store.OutboxTargetStats{
		{Target: "discord", Pending: 2, Oldest: e.at(time.Minute)},
		{Target: "slack", Pending: 2, Oldest: e.at(time.Minute)},
	}})
}

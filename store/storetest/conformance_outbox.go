package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// OutboxReader and OutboxTx: lanes (conversation, target) deliver in the
// order rows were queued, because only a lane's head is ever due.
func outboxCases() []testCase {
	return []testCase{
		{"EnqueuedRowIsDueAtNowOrAtNotBefore", enqueuedRowIsDue},
		{"OnlyLaneHeadsAreDue", onlyLaneHeadsAreDue},
		{"MarkSentMakesTheNextRowOfTheLaneDue", markSentActivatesNext},
		{"MarkDeadMakesTheNextRowOfTheLaneDue", markDeadActivatesNext},
		{"MarkRetryKeepsTheLaneWaiting", markRetryKeepsLaneWaiting},
		{"AnEmptiedLaneTakesANewRowAtOnce", emptiedLaneTakesNewRow},
		{"EnqueueAndFinishInOneWrite", enqueueAndFinishInOneWrite},
		{"DueOutboxIsEarliestFirstAndHonoursLimitAndSkip", dueOutboxOrderLimitSkip},
		{"NextOutboxDueIsTheEarliestLaneHead", nextOutboxDue},
		{"DestIsTheAddressForSendsAndTheDepartmentForStaff", outboxDest},
	}
}

func enqueuedRowIsDue(e *env) {
	c := e.open("telegram", "42", func(c *bridge.Conversation) { c.Department = "billing" })
	m := e.message(c.ID, bridge.DirStaff, "reply", nil)
	now, later := e.at(time.Minute), e.at(10*time.Minute)
	ids := e.enqueue(now,
		bridge.OutboxRow{Conversation: c.ID, Target: "telegram", Kind: bridge.KindCustomerSend, Message: m.ID, Payload: `{"x":1}`},
		bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindCard, NotBefore: later})
	want := []bridge.OutboxItem{
		{ID: ids[0], OutboxRow: bridge.OutboxRow{Conversation: c.ID, Target: "telegram", Kind: bridge.KindCustomerSend, Message: m.ID, Payload: `{"x":1}`},
			NextAttempt: now, CreatedAt: now, Dest: "42"},
		{ID: ids[1], OutboxRow: bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindCard},
			NextAttempt: later, CreatedAt: now, Dest: "billing"},
	}
	if d := e.due(c.ID, now.Add(-time.Millisecond)); len(d) != 0 {
		e.t.Errorf("due before it was queued: %+v", d)
	}
	e.equal("due at now", e.due(c.ID, now), want[:1])
	e.equal("due at NotBefore", e.due(c.ID, later), want)
}

// Rows behind the head of their lane are never due, however old; other
// lanes (another target, another conversation) have heads of their own.
func onlyLaneHeadsAreDue(e *env) {
	a := e.open("webchat", "a", nil)
	b := e.open("webchat", "b", nil)
	ids := e.enqueue(e.now(),
		bridge.OutboxRow{Conversation: a.ID, Target: "console", Kind: bridge.KindStaffPost, Payload: "a1"},
		bridge.OutboxRow{Conversation: a.ID, Target: "console", Kind: bridge.KindCard, Payload: "a2"},
		bridge.OutboxRow{Conversation: a.ID, Target: "slack", Kind: bridge.KindCard, Payload: "a-slack"},
		bridge.OutboxRow{Conversation: b.ID, Target: "console", Kind: bridge.KindStaffPost, Payload: "b1"},
	)
	// A later row with an early NotBefore still waits behind its head.
	more := e.enqueue(e.at(time.Minute), bridge.OutboxRow{Conversation: a.ID, Target: "console", Kind: bridge.KindNotice, Payload: "a3",
		NotBefore: e.at(-time.Hour)})
	items, err := e.db.DueOutbox(e.ctx, e.at(24*time.Hour), 100, nil)
	e.must(err)
	got := outboxIDs(items)
	slices.Sort(got)
	e.equal("due heads", got, []bridge.OutboxID{ids[0], ids[2], ids[3]})
	if slices.Contains(got, more[0]) {
		e.t.Errorf("row %d behind a pending head is due", more[0])
	}
}

func markSentActivatesNext(e *env) {
	c := e.open("webchat", "v1", nil)
	m := e.message(c.ID, bridge.DirCustomer, "hi", nil)
	ids := e.enqueue(e.now(),
		bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindStaffPost, Message: m.ID},
		bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard},
		bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard})
	for i, id := range ids {
		d := e.due(c.ID, e.at(time.Hour))
		if len(d) != 1 || d[0].ID != id {
			e.t.Fatalf("step %d: due %v, want only %d", i, outboxIDs(d), id)
		}
		e.markSent(id, bridge.ExternalRef{Platform: "console", ID: fmt.Sprintf("ext-%d", i)}, d[0].Message, e.at(time.Duration(i)*time.Minute))
	}
	if d := e.due(c.ID, e.at(time.Hour)); len(d) != 0 {
		e.t.Errorf("due after the lane was sent: %v", outboxIDs(d))
	}
	rows := e.outboxRows(c.ID)
	for i, r := range rows {
		if r.State != "sent" || r.ExternalID != fmt.Sprintf("ext-%d", i) {
			e.t.Errorf("row %d: state %q, external id %q", r.ID, r.State, r.ExternalID)
		}
	}
}

func markDeadActivatesNext(e *env) {
	c := e.open("webchat", "v1", nil)
	ids := e.enqueue(e.now(),
		bridge.OutboxRow{Conversation: c.ID, Target: "webchat", Kind: bridge.KindCustomerSend},
		bridge.OutboxRow{Conversation: c.ID, Target: "webchat", Kind: bridge.KindCustomerSend})
	e.write(func(tx bridge.Tx) error { return tx.MarkDead(ids[0], "HTTP 403: blocked", e.now()) })
	d := e.due(c.ID, e.now())
	if len(d) != 1 || d[0].ID != ids[1] {
		e.t.Fatalf("due after the head died: %v, want %d", outboxIDs(d), ids[1])
	}
	rows := e.outboxRows(c.ID)
	if rows[0].State != "dead" || rows[0].LastError != "HTTP 403: blocked" || rows[1].State != "pending" {
		e.t.Errorf("rows = %+v", rows)
	}
}

func markRetryKeepsLaneWaiting(e *env) {
	c := e.open("webchat", "v1", nil)
	ids := e.enqueue(e.now(),
		bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindStaffPost},
		bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindCard})
	retry := e.at(5 * time.Minute)
	e.write(func(tx bridge.Tx) error { return tx.MarkRetry(ids[0], 3, retry, "HTTP 502") })
	if d := e.due(c.ID, e.at(4*time.Minute)); len(d) != 0 {
		e.t.Errorf("due while the head waits for its retry: %v", outboxIDs(d))
	}
	d := e.due(c.ID, retry)
	if len(d) != 1 || d[0].ID != ids[0] || d[0].Attempts != 3 {
		e.t.Fatalf("due at the retry time: %+v", d)
	}
	e.sameTime("retry time", d[0].NextAttempt, retry)
	if r := e.outboxRows(c.ID)[0]; r.LastError != "HTTP 502" || r.State != "pending" || r.Attempts != 3 {
		e.t.Errorf("retried row = %+v", r)
	}
	e.markSent(ids[0], bridge.ExternalRef{}, 0, retry)
	if d := e.due(c.ID, retry); len(d) != 1 || d[0].ID != ids[1] {
		e.t.Errorf("due after the retried head was sent: %v", outboxIDs(d))
	}
}

func emptiedLaneTakesNewRow(e *env) {
	c := e.open("webchat", "v1", nil)
	ids := e.enqueue(e.now(), bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard})
	e.markSent(ids[0], bridge.ExternalRef{}, 0, e.now())
	next := e.enqueue(e.at(time.Minute), bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard})
	d := e.due(c.ID, e.at(time.Minute))
	if len(d) != 1 || d[0].ID != next[0] {
		e.t.Fatalf("due = %v, want the new row %d at once", outboxIDs(d), next[0])
	}
	e.sameTime("new head due", d[0].NextAttempt, e.at(time.Minute))
}

// A write may finish a lane's head and queue behind it, in either order.
func enqueueAndFinishInOneWrite(e *env) {
	c := e.open("webchat", "v1", nil)
	head := e.enqueue(e.now(), bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard, Payload: "head"})
	e.write(func(tx bridge.Tx) error {
		if err := tx.Enqueue(bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard, Payload: "queued first"}, e.now()); err != nil {
			return err
		}
		return tx.MarkSent(head[0], bridge.ExternalRef{}, 0, e.now())
	})
	d := e.due(c.ID, e.now())
	if len(d) != 1 || d[0].Payload != "queued first" {
		e.t.Fatalf("due = %+v, want the row queued before the head was finished", d)
	}
	e.write(func(tx bridge.Tx) error {
		if err := tx.MarkSent(d[0].ID, bridge.ExternalRef{}, 0, e.now()); err != nil {
			return err
		}
		return tx.Enqueue(bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard, Payload: "queued after"}, e.now())
	})
	d = e.due(c.ID, e.now())
	if len(d) != 1 || d[0].Payload != "queued after" {
		e.t.Fatalf("due = %+v, want the row queued after the head was finished", d)
	}
}

func dueOutboxOrderLimitSkip(e *env) {
	var convs []bridge.Conversation
	for i := range 4 {
		convs = append(convs, e.open("webchat", fmt.Sprintf("v%d", i), nil))
	}
	// Due times out of id order: 3 is due first, then 1, then 0 and 2 together.
	a := e.enqueue(e.now(), bridge.OutboxRow{Conversation: convs[0].ID, Target: "console", Kind: bridge.KindCard, NotBefore: e.at(3 * time.Minute)})
	b := e.enqueue(e.now(), bridge.OutboxRow{Conversation: convs[1].ID, Target: "console", Kind: bridge.KindCard, NotBefore: e.at(2 * time.Minute)})
	c := e.enqueue(e.now(), bridge.OutboxRow{Conversation: convs[2].ID, Target: "console", Kind: bridge.KindCard, NotBefore: e.at(3 * time.Minute)})
	d := e.enqueue(e.now(), bridge.OutboxRow{Conversation: convs[3].ID, Target: "console", Kind: bridge.KindCard, NotBefore: e.at(time.Minute)})
	e.enqueue(e.now(), bridge.OutboxRow{Conversation: convs[3].ID, Target: "console", Kind: bridge.KindCard}) // behind d
	all, err := e.db.DueOutbox(e.ctx, e.at(time.Hour), 10, nil)
	e.must(err)
	e.equal("earliest first (ties by id)", outboxIDs(all), []bridge.OutboxID{d[0], b[0], a[0], c[0]})
	two, err := e.db.DueOutbox(e.ctx, e.at(time.Hour), 2, nil)
	e.must(err)
	e.equal("limit 2", outboxIDs(two), []bridge.OutboxID{d[0], b[0]})
	// Skipping a head (it is being sent) never exposes the row behind it.
	skipped, err := e.db.DueOutbox(e.ctx, e.at(time.Hour), 10, []bridge.OutboxID{d[0], a[0]})
	e.must(err)
	e.equal("skipping two heads", outboxIDs(skipped), []bridge.OutboxID{b[0], c[0]})
	early, err := e.db.DueOutbox(e.ctx, e.at(2*time.Minute), 10, nil)
	e.must(err)
	e.equal("due at +2m", outboxIDs(early), []bridge.OutboxID{d[0], b[0]})
}

func nextOutboxDue(e *env) {
	next := func() time.Time {
		e.t.Helper()
		t, err := e.db.NextOutboxDue(e.ctx)
		e.must(err)
		return t
	}
	if t := next(); !t.IsZero() {
		e.t.Errorf("NextOutboxDue of an empty outbox = %v", t)
	}
	a := e.open("webchat", "a", nil)
	b := e.open("webchat", "b", nil)
	ha := e.enqueue(e.now(),
		bridge.OutboxRow{Conversation: a.ID, Target: "console", Kind: bridge.KindCard, NotBefore: e.at(10 * time.Minute)},
		bridge.OutboxRow{Conversation: a.ID, Target: "console", Kind: bridge.KindCard}) // behind: not due by itself
	hb := e.enqueue(e.now(), bridge.OutboxRow{Conversation: b.ID, Target: "console", Kind: bridge.KindCard, NotBefore: e.at(20 * time.Minute)})
	e.sameTime("next due", next(), e.at(10*time.Minute))
	e.write(func(tx bridge.Tx) error { return tx.MarkRetry(ha[0], 1, e.at(30*time.Minute), "later") })
	e.sameTime("next due after a retry", next(), e.at(20*time.Minute))
	e.markSent(hb[0], bridge.ExternalRef{}, 0, e.at(20*time.Minute))
	e.sameTime("next due", next(), e.at(30*time.Minute))
	e.markSent(ha[0], bridge.ExternalRef{}, 0, e.at(30*time.Minute))
	e.sameTime("next due: the row behind, now the head", next(), e.at(30*time.Minute))
	e.markSent(ha[1], bridge.ExternalRef{}, 0, e.at(31*time.Minute))
	if t := next(); !t.IsZero() {
		e.t.Errorf("NextOutboxDue with nothing pending = %v", t)
	}
}

func outboxDest(e *env) {
	c := e.open("telegram", "42", func(c *bridge.Conversation) { c.Department = "billing" })
	e.enqueue(e.now(),
		bridge.OutboxRow{Conversation: c.ID, Target: "telegram", Kind: bridge.KindCustomerSend},
		bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindStaffPost},
		bridge.OutboxRow{Conversation: c.ID, Target: "discord", Kind: bridge.KindCard})
	dest := map[bridge.Platform]string{}
	for _, it := range e.due(c.ID, e.now()) {
		dest[it.Target] = it.Dest
	}
	e.equal("destinations", dest, map[bridge.Platform]string{"telegram": "42", "slack": "billing", "discord": "billing"})
}

// CursorTx, bridge.Cursors and bridge.EventLog.
func cursorCases() []testCase {
	return []testCase{
		{"TxCursorsKeepNamedValues", txCursors},
		{"CursorsKeepAdapterPositions", cursors},
		{"MarkEventIsTrueOnce", markEventOnce},
		{"PruneEventsForgetsWhatTheStoreClockStampedBefore", pruneEvents},
	}
}

func txCursors(e *env) {
	e.write(func(tx bridge.Tx) error {
		if v, err := tx.GetCursor("engine", "rr:billing"); err != nil || v != "" {
			e.t.Errorf("unset cursor = %q, %v", v, err)
		}
		if err := tx.PutCursor("engine", "rr:billing", "console:alice", e.now()); err != nil {
			return err
		}
		if v, err := tx.GetCursor("engine", "rr:billing"); err != nil || v != "console:alice" {
			e.t.Errorf("cursor in the same write = %q, %v", v, err)
		}
		return tx.PutCursor("engine", "rr:sales", "console:bob", e.now())
	})
	e.write(func(tx bridge.Tx) error {
		if err := tx.PutCursor("engine", "rr:billing", "console:bob", e.now()); err != nil {
			return err
		}
		for key, want := range map[string]string{"rr:billing": "console:bob", "rr:sales": "console:bob", "rr:none": ""} {
			if v, err := tx.GetCursor("engine", key); err != nil || v != want {
				e.t.Errorf("cursor %s = %q, %v; want %q", key, v, err, want)
			}
		}
		if v, err := tx.GetCursor("other", "rr:billing"); err != nil || v != "" {
			e.t.Errorf("another adapter's cursor = %q, %v", v, err)
		}
		return nil
	})
}

func cursors(e *env) {
	if v, err := e.db.Cursor(e.ctx, "telegram", "offset"); err != nil || v != "" {
		e.t.Errorf("unset cursor = %q, %v", v, err)
	}
	e.must(e.db.SetCursor(e.ctx, "telegram", "offset", "10"))
	e.must(e.db.SetCursor(e.ctx, "telegram", "offset", "11"))
	e.must(e.db.SetCursor(e.ctx, "email", "offset", "uid:7"))
	e.must(e.db.SetCursor(e.ctx, "telegram", "other", "x"))
	for _, w := range []struct{ adapter, key, want string }{
		{"telegram", "offset", "11"}, {"email", "offset", "uid:7"}, {"telegram", "other", "x"}, {"email", "other", ""},
	} {
		if v, err := e.db.Cursor(e.ctx, w.adapter, w.key); err != nil || v != w.want {
			e.t.Errorf("cursor %s/%s = %q, %v; want %q", w.adapter, w.key, v, err, w.want)
		}
	}
}

func markEventOnce(e *env) {
	for i, want := range []bool{true, false, false} {
		if fresh, err := e.db.MarkEvent(e.ctx, "slack", "Ev1"); err != nil || fresh != want {
			e.t.Errorf("MarkEvent #%d = %v, %v; want %v", i+1, fresh, err, want)
		}
	}
	if fresh, err := e.db.MarkEvent(e.ctx, "discord", "Ev1"); err != nil || !fresh {
		e.t.Errorf("the same id from another source = %v, %v; want new", fresh, err)
	}
	for _, w := range []struct {
		source, id string
		want       bool
	}{{"slack", "Ev1", true}, {"discord", "Ev1", true}, {"slack", "Ev2", false}} {
		if seen, err := e.db.SeenEvent(e.ctx, w.source, w.id); err != nil || seen != w.want {
			e.t.Errorf("SeenEvent(%s, %s) = %v, %v; want %v", w.source, w.id, seen, err, w.want)
		}
	}
}

// Event ids are bookkeeping: the store stamps them from its own clock
// (store.Options.Clock), and PruneEvents cuts by those stamps.
func pruneEvents(e *env) {
	for i := range 25 {
		if _, err := e.db.MarkEvent(e.ctx, "slack", fmt.Sprintf("old%02d", i)); err != nil {
			e.t.Fatal(err)
		}
	}
	cut := e.storeClock.Now().Add(time.Minute)
	e.storeClock.Advance(time.Hour)
	if _, err := e.db.MarkEvent(e.ctx, "slack", "new"); err != nil {
		e.t.Fatal(err)
	}
	if n, err := e.db.PruneEvents(e.ctx, storeStart, 10); err != nil || n != 0 {
		e.t.Errorf("PruneEvents before any stamp = %d, %v; want 0", n, err)
	}
	n, err := e.db.PruneEvents(e.ctx, cut, 10)
	if err != nil || n != 25 {
		e.t.Errorf("PruneEvents = %d, %v; want 25 (in batches of 10)", n, err)
	}
	if seen, _ := e.db.SeenEvent(e.ctx, "slack", "new"); !seen {
		e.t.Error("the new event id was pruned")
	}
	if seen, _ := e.db.SeenEvent(e.ctx, "slack", "old00"); seen {
		e.t.Error("an old event id survived")
	}
	if fresh, err := e.db.MarkEvent(e.ctx, "slack", "old00"); err != nil || !fresh {
		e.t.Errorf("a pruned id marked again = %v, %v; want new", fresh, err)
	}
}

package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// The properties every backend guarantees whatever its engine does
// underneath (the Store comment in bridge/store.go).
func contractCases() []testCase {
	return []testCase{
		{"TimeComesFromTheCaller", timeComesFromTheCaller},
		{"CommittedWriteIsVisibleToTheNextRead", committedWriteIsVisible},
		{"CommittedWriteIsVisibleOnAnotherConnection", committedWriteIsVisibleElsewhere},
		{"FailedWriteLeavesNothingBehind", failedWriteLeavesNothing},
		{"FailedWriteDoesNotRollBackConcurrentWriters", failedWriteSparesOthers},
		{"WritesToOneConversationAreSerialised", writesAreSerialised},
		{"ConcurrentEnqueuesLeaveOneDueLaneHead", concurrentEnqueues},
		{"LaneStaysInOrderWhileItIsDrained", laneDrainedWhileFilled},
		{"CancelledWriteStoresNothing", cancelledWrite},
		{"WritesAfterCloseFailWithErrClosed", writesAfterClose},
	}
}

// Every timestamp a write stores is one the caller passed. The callers'
// times here are in 2031, the store's clock is in 2033 and the real clock
// is neither.
func timeComesFromTheCaller(e *env) {
	at := func(min int) time.Time { return e.at(time.Duration(min) * time.Minute) }
	var cust bridge.CustomerID
	var conv bridge.Conversation
	var msg bridge.Message
	e.write(func(tx bridge.Tx) error {
		var err error
		if cust, err = tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: "v1", Name: "Vera"}, at(1)); err != nil {
			return err
		}
		conv = bridge.Conversation{Customer: cust, Channel: "webchat", Address: "v1", Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: at(2), UpdatedAt: at(3)}
		if err := tx.CreateConversation(&conv); err != nil {
			return err
		}
		msg = bridge.Message{Conversation: conv.ID, Direction: bridge.DirCustomer, Body: "timestamp probe", CreatedAt: at(4)}
		if err := tx.InsertMessage(&msg, 0); err != nil {
			return err
		}
		if err := tx.Enqueue(bridge.OutboxRow{Conversation: conv.ID, Target: "console", Kind: bridge.KindCard}, at(5)); err != nil {
			return err
		}
		if err := tx.Enqueue(bridge.OutboxRow{Conversation: conv.ID, Target: "slack", Kind: bridge.KindCard, NotBefore: at(30)}, at(6)); err != nil {
			return err
		}
		if err := tx.Audit(bridge.AuditEntry{Conversation: conv.ID, Actor: alice, Action: "probe", At: at(7)}); err != nil {
			return err
		}
		_, err = tx.RecordCSAT(conv.ID, 4, "4", at(8))
		return err
	})

	c, err := e.db.Customer(e.ctx, cust)
	e.must(err)
	e.sameTime("customer created", c.CreatedAt, at(1))
	idents, err := e.db.CustomerIdentities(e.ctx, cust)
	e.must(err)
	if len(idents) != 1 {
		e.t.Fatalf("identities = %+v", idents)
	}
	e.sameTime("identity created", idents[0].CreatedAt, at(1))
	got := e.conversation(conv.ID)
	e.sameTime("conversation created", got.CreatedAt, at(2))
	e.sameTime("conversation updated", got.UpdatedAt, at(3))
	m, err := e.db.Message(e.ctx, msg.ID)
	e.must(err)
	e.sameTime("message created", m.CreatedAt, at(4))
	hits, err := e.db.Search(e.ctx, "timestamp probe", 5)
	e.must(err)
	if len(hits) != 1 {
		e.t.Fatalf("search hits = %+v", hits)
	}
	e.sameTime("search hit created", hits[0].CreatedAt, at(4))
	rows := e.outboxRows(conv.ID)
	if len(rows) != 2 {
		e.t.Fatalf("outbox rows = %+v", rows)
	}
	e.sameTime("outbox row created", rows[0].CreatedAt, at(5))
	e.sameTime("outbox row due (now)", rows[0].NextAttempt, at(5))
	e.sameTime("outbox row created", rows[1].CreatedAt, at(6))
	e.sameTime("outbox row due (NotBefore)", rows[1].NextAttempt, at(30))
	next, err := e.db.NextOutboxDue(e.ctx)
	e.must(err)
	e.sameTime("next outbox due", next, at(5))
	audit, err := e.db.AuditLog(e.ctx, conv.ID)
	e.must(err)
	if len(audit) != 1 {
		e.t.Fatalf("audit = %+v", audit)
	}
	e.sameTime("audit at", audit[0].At, at(7))
	// The rating's time shows in which window Stats counts it.
	for _, w := range []struct {
		since, until time.Time
		want         int
	}{{at(0), at(8), 0}, {at(8), at(9), 1}} {
		st, err := e.db.Stats(e.ctx, w.since, w.until, time.UTC)
		e.must(err)
		if st.CSAT.Count != w.want {
			e.t.Errorf("ratings in [%s, %s) = %d, want %d (stored at the time passed to RecordCSAT)",
				w.since.Format(time.Kitchen), w.until.Format(time.Kitchen), st.CSAT.Count, w.want)
		}
	}
	// A retry is due when the caller says; a finished head makes the next
	// row due at the finishing write's now.
	e.write(func(tx bridge.Tx) error { return tx.MarkRetry(rows[0].ID, 1, at(20), "try again") })
	if d := e.due(conv.ID, at(19)); len(d) != 0 {
		e.t.Errorf("due before the retry time: %+v", d)
	}
	d := e.due(conv.ID, at(20))
	if len(d) != 1 || d[0].ID != rows[0].ID {
		e.t.Fatalf("due at the retry time: %+v", d)
	}
	e.sameTime("retry due", d[0].NextAttempt, at(20))
}

// After Write returns, every reader sees what it committed.
func committedWriteIsVisible(e *env) {
	conv := e.open("webchat", "v1", nil)
	for i := range 30 {
		ref := bridge.ThreadRef(fmt.Sprintf("T%d", i))
		name := fmt.Sprintf("Alice %d", i)
		var msg bridge.Message
		e.write(func(tx bridge.Tx) error {
			msg = bridge.Message{Conversation: conv.ID, Direction: bridge.DirCustomer, Body: fmt.Sprintf("line %d", i), CreatedAt: e.now()}
			if err := tx.InsertMessage(&msg, 0); err != nil {
				return err
			}
			if _, err := tx.AddTag(conv.ID, fmt.Sprintf("tag%02d", i), e.now()); err != nil {
				return err
			}
			if err := tx.SetThread(conv.ID, "console", ref, e.now()); err != nil {
				return err
			}
			if err := tx.UpsertStaff(bridge.Actor{ID: alice.ID, Name: name}, e.now()); err != nil {
				return err
			}
			return tx.SaveTemplate(fmt.Sprintf("t%d", i), "body", alice.ID, e.now())
		})
		if _, err := e.db.Message(e.ctx, msg.ID); err != nil {
			e.t.Fatalf("write %d: message not readable right after the commit: %v", i, err)
		}
		if ms := e.messages(conv.ID); len(ms) != i+1 {
			e.t.Fatalf("write %d: %d messages listed", i, len(ms))
		}
		v, err := e.db.ConversationView(e.ctx, conv.ID)
		e.must(err)
		if len(v.Tags) != i+1 || v.MessageCount != i+1 {
			e.t.Fatalf("write %d: view has %d tags, %d messages", i, len(v.Tags), v.MessageCount)
		}
		if got, err := e.db.Thread(e.ctx, conv.ID, "console"); err != nil || got != ref {
			e.t.Fatalf("write %d: thread = %q, %v", i, got, err)
		}
		if staff, err := e.db.KnownStaff(e.ctx); err != nil || staff[alice.ID] != name {
			e.t.Fatalf("write %d: staff = %v, %v", i, staff, err)
		}
		if tpl, err := e.db.Templates(e.ctx); err != nil || len(tpl) != i+1 {
			e.t.Fatalf("write %d: %d templates, %v", i, len(tpl), err)
		}
		value := strconv.Itoa(i)
		e.must(e.db.SetCursor(e.ctx, "telegram", "offset", value))
		if got, err := e.db.Cursor(e.ctx, "telegram", "offset"); err != nil || got != value {
			e.t.Fatalf("cursor = %q, %v; want %q", got, err, value)
		}
		fresh, err := e.db.MarkEvent(e.ctx, "slack", value)
		e.must(err)
		if seen, err := e.db.SeenEvent(e.ctx, "slack", value); !fresh || err != nil || !seen {
			e.t.Fatalf("event %s: fresh %v, seen %v, %v", value, fresh, seen, err)
		}
	}
}

// A second handle on the same database (another process) sees each
// commit at once, both ways, and the data outlives the first handle.
func committedWriteIsVisibleElsewhere(e *env) {
	e.needs(e.b.Reopen, "Reopen")
	other := e.b.Reopen(e.t, e.db, e.options())
	for i := range 10 {
		res := e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: fmt.Sprintf("first handle %d", i)})
		if ms, err := other.Messages(e.ctx, res.Conversation, 0); err != nil || len(ms) != 2*i+1 {
			e.t.Fatalf("other handle lists %d messages after write %d, %v", len(ms), i, err)
		}
		var id bridge.MessageID
		err := other.Write(e.ctx, func(tx bridge.Tx) error {
			m := bridge.Message{Conversation: res.Conversation, Direction: bridge.DirNote, Body: fmt.Sprintf("second handle %d", i), CreatedAt: e.now()}
			err := tx.InsertMessage(&m, 0)
			id = m.ID
			return err
		})
		e.must(err)
		if _, err := e.db.Message(e.ctx, id); err != nil {
			e.t.Fatalf("first handle cannot read message %d written through the second: %v", id, err)
		}
	}
	convs, err := e.db.ListConversations(e.ctx, store.ListFilter{All: true})
	e.must(err)
	e.must(e.db.Close())
	again, err := other.ListConversations(e.ctx, store.ListFilter{All: true})
	e.must(err)
	if len(again) != len(convs) || len(convs) != 1 || again[0].MessageCount != 20 {
		e.t.Errorf("after closing the first handle the second lists %+v", again)
	}
}

// A write whose fn fails leaves no trace, of new rows or of changes.
func failedWriteLeavesNothing(e *env) {
	kept := e.open("webchat", "kept", nil)
	e.markThread(kept.ID, "console", "kept-thread")
	err := e.db.Write(e.ctx, func(tx bridge.Tx) error {
		now := e.now()
		cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "email", Address: "ghost@example.com", Email: "ghost@example.com", Name: "Ghost"}, now)
		if err != nil {
			return err
		}
		c := bridge.Conversation{Customer: cust, Channel: "email", Address: "ghost@example.com", Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateConversation(&c); err != nil {
			return err
		}
		m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Body: "phantasmagoria", Platform: "email", ExternalID: "<ghost@x>", CreatedAt: now}
		if err := tx.InsertMessage(&m, 0); err != nil {
			return err
		}
		for _, conv := range []bridge.ConversationID{c.ID, kept.ID} {
			if err := tx.Enqueue(bridge.OutboxRow{Conversation: conv, Target: "console", Kind: bridge.KindCard}, now); err != nil {
				return err
			}
			if _, err := tx.AddTag(conv, "ghostly", now); err != nil {
				return err
			}
			if err := tx.SetThread(conv, "slack", bridge.ThreadRef(fmt.Sprintf("ghost-%d", conv)), now); err != nil {
				return err
			}
			if err := tx.Audit(bridge.AuditEntry{Conversation: conv, Actor: alice, Action: "ghost", At: now}); err != nil {
				return err
			}
			if _, err := tx.RecordCSAT(conv, 1, "1", now); err != nil {
				return err
			}
		}
		k, err := tx.Conversation(kept.ID)
		if err != nil {
			return err
		}
		k.Status, k.Owner, k.OwnerName, k.ClaimedAt = bridge.StatusClosed, alice.ID, alice.Name, now
		if err := tx.UpdateConversation(k); err != nil {
			return err
		}
		if err := tx.SetCustomerUnreachable(kept.Customer, "ghosted"); err != nil {
			return err
		}
		if err := tx.DeactivateThread(kept.ID, "console", "kept-thread", now); err != nil {
			return err
		}
		if err := tx.UpsertStaff(bridge.Actor{ID: "console:ghost", Name: "Ghost"}, now); err != nil {
			return err
		}
		if err := tx.SaveTemplate("ghost", "boo", alice.ID, now); err != nil {
			return err
		}
		if err := tx.PutCursor("engine", "ghost", "1", now); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		e.t.Fatalf("Write = %v, want the fn's own error", err)
	}
	if found, err := e.db.FindCustomers(e.ctx, "ghost@example.com"); err != nil || len(found) != 0 {
		e.t.Errorf("customer survived: %+v, %v", found, err)
	}
	if ids, err := e.db.OpenConversationIDs(e.ctx, 0, 100); err != nil || !slices.Equal(ids, []bridge.ConversationID{kept.ID}) {
		e.t.Errorf("open conversations = %v, %v; want only %s", ids, err, kept.ID)
	}
	if hits, err := e.db.Search(e.ctx, "phantasmagoria", 10); err != nil || len(hits) != 0 {
		e.t.Errorf("search finds the rolled back message: %+v, %v", hits, err)
	}
	if st, err := e.db.OutboxStats(e.ctx); err != nil || st.Pending != 0 {
		e.t.Errorf("outbox = %+v, %v", st, err)
	}
	k := e.conversation(kept.ID)
	if k.Status != bridge.StatusOpen || k.Owner != "" || !k.ClaimedAt.IsZero() || k.Unreachable != "" {
		e.t.Errorf("the changes to %s survived: %+v", kept.ID, k)
	}
	if v, err := e.db.ConversationView(e.ctx, kept.ID); err != nil || len(v.Tags) != 0 {
		e.t.Errorf("tags survived: %+v, %v", v.Tags, err)
	}
	if ref, err := e.db.Thread(e.ctx, kept.ID, "console"); err != nil || ref != "kept-thread" {
		e.t.Errorf("thread = %q, %v; the deactivation survived", ref, err)
	}
	if _, err := e.db.Thread(e.ctx, kept.ID, "slack"); !errors.Is(err, bridge.ErrNotFound) {
		e.t.Errorf("slack thread survived: %v", err)
	}
	if audit, err := e.db.AuditLog(e.ctx, kept.ID); err != nil || len(audit) != 0 {
		e.t.Errorf("audit survived: %+v, %v", audit, err)
	}
	if staff, err := e.db.KnownStaff(e.ctx); err != nil || staff["console:ghost"] != "" {
		e.t.Errorf("staff survived: %v, %v", staff, err)
	}
	if tpl, err := e.db.Templates(e.ctx); err != nil || len(tpl) != 0 {
		e.t.Errorf("template survived: %v, %v", tpl, err)
	}
	e.write(func(tx bridge.Tx) error {
		if v, err := tx.GetCursor("engine", "ghost"); err != nil || v != "" {
			e.t.Errorf("cursor survived: %q, %v", v, err)
		}
		// The rating was rolled back too, so one can be recorded now.
		if ok, err := tx.RecordCSAT(kept.ID, 5, "5", e.now()); err != nil || !ok {
			e.t.Errorf("RecordCSAT after the rolled back one = %v, %v", ok, err)
		}
		return nil
	})
}

// Writers that fail roll back only themselves, even when they run at the
// same time as writers that succeed (and a backend batches them).
func failedWriteSparesOthers(e *env) {
	shared := e.open("webchat", "shared", nil)
	const n = 40
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = e.db.Write(e.ctx, func(tx bridge.Tx) error {
				now := e.now()
				if _, err := tx.AddTag(shared.ID, fmt.Sprintf("w%02d", i), now); err != nil {
					return err
				}
				addr := fmt.Sprintf("w%02d", i)
				cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: addr}, now)
				if err != nil {
					return err
				}
				c := bridge.Conversation{Customer: cust, Channel: "webchat", Address: addr, Status: bridge.StatusOpen,
					Priority: bridge.PriorityNormal, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateConversation(&c); err != nil {
					return err
				}
				if err := tx.Enqueue(bridge.OutboxRow{Conversation: shared.ID, Target: "console", Kind: bridge.KindNotice, Payload: addr}, now); err != nil {
					return err
				}
				if i%2 == 1 {
					return fmt.Errorf("writer %d: %w", i, errBoom)
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	var wantTags, wantPayloads []string
	for i, err := range errs {
		if i%2 == 1 {
			if !errors.Is(err, errBoom) {
				e.t.Errorf("failing writer %d got %v, want its own error", i, err)
			}
			continue
		}
		if err != nil {
			e.t.Errorf("writer %d: %v", i, err)
		}
		wantTags = append(wantTags, fmt.Sprintf("w%02d", i))
		wantPayloads = append(wantPayloads, fmt.Sprintf("w%02d", i))
	}
	v, err := e.db.ConversationView(e.ctx, shared.ID)
	e.must(err)
	e.equal("tags of the shared conversation", sorted(v.Tags), wantTags)
	var payloads []string
	for _, r := range e.outboxRows(shared.ID) {
		payloads = append(payloads, r.Payload)
	}
	e.equal("outbox payloads of the shared conversation", sorted(payloads), wantPayloads)
	if d := e.due(shared.ID, e.now()); len(d) != 1 {
		e.t.Errorf("the shared lane has %d due heads, want 1", len(d))
	}
	for i := range n {
		found, err := e.db.FindCustomers(e.ctx, fmt.Sprintf("w%02d", i))
		e.must(err)
		if want := 1 - i%2; len(found) != want {
			e.t.Errorf("writer %d: %d customers stored, want %d", i, len(found), want)
		}
	}
}

// Read-modify-write on one conversation from many goroutines loses
// nothing: each write sees every earlier one and none in progress.
func writesAreSerialised(e *env) {
	conv := e.open("webchat", "busy", nil)
	const goroutines, writes = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for range writes {
				err := e.db.Write(e.ctx, func(tx bridge.Tx) error {
					c, err := tx.Conversation(conv.ID)
					if err != nil {
						return err
					}
					n := c.SLA.NextMet // the counter
					tags, err := tx.Tags(conv.ID)
					if err != nil {
						return err
					}
					if len(tags) != n {
						return fmt.Errorf("counter %d but %d tags: another write is interleaved", n, len(tags))
					}
					if added, err := tx.AddTag(conv.ID, fmt.Sprintf("n%03d", n), e.now()); err != nil || !added {
						return fmt.Errorf("tag n%03d: added %v, %v (another write used the same count)", n, added, err)
					}
					c.SLA.NextMet = n + 1
					c.Subject = fmt.Sprintf("goroutine %d wrote %d", g, n)
					if err := tx.UpdateConversation(c); err != nil {
						return err
					}
					return tx.Enqueue(bridge.OutboxRow{Conversation: conv.ID, Target: "console", Kind: bridge.KindNotice, Payload: strconv.Itoa(n)}, e.now())
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Fatal(err)
	}
	const total = goroutines * writes
	if got := e.conversation(conv.ID).SLA.NextMet; got != total {
		e.t.Errorf("counter = %d after %d increments: updates were lost", got, total)
	}
	v, err := e.db.ConversationView(e.ctx, conv.ID)
	e.must(err)
	if len(v.Tags) != total {
		e.t.Errorf("%d tags, want %d", len(v.Tags), total)
	}
	rows := e.outboxRows(conv.ID)
	if len(rows) != total {
		e.t.Fatalf("%d outbox rows, want %d", len(rows), total)
	}
	for i, r := range rows {
		if r.Payload != strconv.Itoa(i) {
			e.t.Fatalf("outbox row %d carries %q: the lane is out of the order the writes saw", i, r.Payload)
		}
	}
	// Drain the lane: one head at a time, in order.
	for i := range total {
		d := e.due(conv.ID, e.now())
		if len(d) != 1 || d[0].Payload != strconv.Itoa(i) {
			e.t.Fatalf("step %d: due %+v, want exactly the row carrying %d", i, d, i)
		}
		e.markSent(d[0].ID, bridge.ExternalRef{}, 0, e.now())
	}
	if next, err := e.db.NextOutboxDue(e.ctx); err != nil || !next.IsZero() {
		e.t.Errorf("NextOutboxDue after draining = %v, %v", next, err)
	}
}

// Enqueues racing on one lane still leave exactly one head due.
func concurrentEnqueues(e *env) {
	conv := e.open("webchat", "racy", nil)
	const n = 48
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 2*n)
	for i := range 2 * n {
		target := bridge.Platform("console")
		if i%2 == 1 {
			target = "slack"
		}
		wg.Go(func() {
			<-start
			errs[i] = e.db.Write(e.ctx, func(tx bridge.Tx) error {
				return tx.Enqueue(bridge.OutboxRow{Conversation: conv.ID, Target: target, Kind: bridge.KindNotice, Payload: strconv.Itoa(i)}, e.now())
			})
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		e.must(err)
	}
	for _, target := range []bridge.Platform{"console", "slack"} {
		var lane []bridge.OutboxID
		for _, r := range e.outboxRows(conv.ID) {
			if r.Target == target {
				lane = append(lane, r.ID)
			}
		}
		if len(lane) != n {
			e.t.Fatalf("%s lane holds %d rows, want %d", target, len(lane), n)
		}
		for i, id := range lane {
			var heads []bridge.OutboxItem
			for _, it := range e.due(conv.ID, e.at(time.Hour)) {
				if it.Target == target {
					heads = append(heads, it)
				}
			}
			if len(heads) != 1 || heads[0].ID != id {
				e.t.Fatalf("%s lane, step %d: due %v, want exactly row %d", target, i, outboxIDs(heads), id)
			}
			e.markSent(id, bridge.ExternalRef{}, 0, e.now())
		}
	}
}

// Producers keep queueing on a lane while a worker drains it: the worker
// never sees two heads, never finds the lane stuck, and gets every row
// once in the order of the lane.
func laneDrainedWhileFilled(e *env) {
	conv := e.open("webchat", "drain", nil)
	const producers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	committed := make(chan struct{}, 1) // a producer committed a row
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				err := e.db.Write(e.ctx, func(tx bridge.Tx) error {
					return tx.Enqueue(bridge.OutboxRow{Conversation: conv.ID, Target: "console", Kind: bridge.KindNotice,
						Payload: fmt.Sprintf("%d/%d", p, i)}, e.now())
				})
				if err != nil {
					errs <- err
					return
				}
				select {
				case committed <- struct{}{}:
				default:
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var got []bridge.OutboxID
	next := make([]int, producers) // next expected index per producer
	for len(got) < producers*each {
		select {
		case err := <-errs:
			e.t.Fatal(err)
		default:
		}
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		d := e.due(conv.ID, e.now())
		switch {
		case len(d) > 1:
			e.t.Fatalf("%d heads due on one lane: %v", len(d), outboxIDs(d))
		case len(d) == 0 && finished:
			e.t.Fatalf("lane stuck after %d of %d rows: nothing due, %d rows pending", len(got), producers*each, len(e.outboxRows(conv.ID))-len(got))
		case len(d) == 0:
			select { // wait for the next commit
			case <-committed:
			case <-done:
			}
			continue
		}
		var p, i int
		if _, err := fmt.Sscanf(d[0].Payload, "%d/%d", &p, &i); err != nil {
			e.t.Fatal(err)
		}
		if i != next[p] {
			e.t.Fatalf("producer %d's row %d came before its row %d", p, i, next[p])
		}
		next[p]++
		got = append(got, d[0].ID)
		e.markSent(d[0].ID, bridge.ExternalRef{}, 0, e.now())
	}
	if !slices.IsSorted(got) {
		e.t.Errorf("rows went out of lane order: %v", got)
	}
	for _, r := range e.outboxRows(conv.ID) {
		if r.State != "sent" {
			e.t.Errorf("row %d is %s", r.ID, r.State)
		}
	}
}

// A write whose context is already cancelled fails with the context's
// error and stores nothing.
func cancelledWrite(e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	err := e.db.Write(ctx, func(tx bridge.Tx) error {
		_, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: "cancelled"}, e.now())
		return err
	})
	if !errors.Is(err, context.Canceled) {
		e.t.Errorf("Write with a cancelled context = %v, want context.Canceled", err)
	}
	if found, err := e.db.FindCustomers(e.ctx, "cancelled"); err != nil || len(found) != 0 {
		e.t.Errorf("the cancelled write stored %+v (%v)", found, err)
	}
}

// Close may be called twice; writes after it fail with store.ErrClosed.
func writesAfterClose(e *env) {
	e.must(e.db.Close())
	if err := e.db.Close(); err != nil {
		e.t.Errorf("second Close = %v", err)
	}
	err := e.db.Write(e.ctx, func(bridge.Tx) error { return nil })
	if !errors.Is(err, store.ErrClosed) {
		e.t.Errorf("Write after Close = %v, want store.ErrClosed", err)
	}
}

// markThread sets conv's thread on surface.
func (e *env) markThread(conv bridge.ConversationID, surface bridge.Platform, ref bridge.ThreadRef) {
	e.t.Helper()
	e.write(func(tx bridge.Tx) error { return tx.SetThread(conv, surface, ref, e.now()) })
}

package storetest

import (
	"errors"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// store.AdapterState besides cursors and events.
func adapterStateCases() []testCase {
	return []testCase{
		{"ThreadsActiveSinceListsThreadsStaffMayHaveWrittenIn", threadsActiveSince},
		{"SetReachabilityMarksTheConversationsOnTheAddress", setReachability},
		{"CustomerMessagesAreWhatTheCustomerMaySee", customerMessages},
	}
}

// Open and waiting conversations always count, closed ones only when they
// changed since the catch-up point; inactive threads and other surfaces never.
func threadsActiveSince(e *env) {
	since := e.at(100 * time.Hour)
	for i, c := range []struct {
		status  bridge.Status
		updated time.Time
		surface bridge.Platform
		ref     bridge.ThreadRef
		active  bool
	}{
		{bridge.StatusOpen, since.Add(-100 * time.Hour), "slack", "C1/1.1", true},
		{bridge.StatusWaiting, since.Add(-100 * time.Hour), "slack", "C1/2.2", true},
		{bridge.StatusClosed, since.Add(time.Minute), "slack", "C1/3.3", true},
		{bridge.StatusClosed, since, "slack", "C1/4.4", true},
		{bridge.StatusClosed, since.Add(-time.Minute), "slack", "C1/5.5", true},
		{bridge.StatusOpen, since, "slack", "C1/6.6", false},
		{bridge.StatusOpen, since, "discord", "999", true},
	} {
		conv := e.open("webchat", fmt.Sprintf("v%d", i), func(x *bridge.Conversation) {
			x.Status, x.CreatedAt, x.UpdatedAt = c.status, c.updated, c.updated
			if c.status == bridge.StatusClosed {
				x.ClosedAt = c.updated
			}
		})
		e.write(func(tx bridge.Tx) error {
			if err := tx.SetThread(conv.ID, c.surface, c.ref, c.updated); err != nil {
				return err
			}
			if !c.active {
				return tx.DeactivateThread(conv.ID, c.surface, c.ref, c.updated)
			}
			return nil
		})
	}
	got, err := e.db.ThreadsActiveSince(e.ctx, "slack", since)
	e.must(err)
	e.equal("threads", sorted(got), []bridge.ThreadRef{"C1/1.1", "C1/2.2", "C1/3.3", "C1/4.4"})
}

func setReachability(e *env) {
	a := e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "42", ExternalID: "42:1", Text: "hi"})
	b := e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "43", ExternalID: "43:1", Text: "hi"})
	for _, reason := range []string{"blocked the bot", "", "blocked again"} {
		e.must(e.db.SetReachability(e.ctx, "telegram", "42", reason))
		if got := e.conversation(a.Conversation).Unreachable; got != reason {
			e.t.Errorf("unreachable = %q, want %q", got, reason)
		}
	}
	if got := e.conversation(b.Conversation).Unreachable; got != "" {
		e.t.Errorf("another address became unreachable: %q", got)
	}
	if err := e.db.SetReachability(e.ctx, "telegram", "unknown", "x"); err != nil {
		e.t.Errorf("an address never seen: %v", err)
	}
	if err := e.db.SetReachability(e.ctx, "webchat", "42", "x"); err != nil || e.conversation(a.Conversation).Unreachable != "blocked again" {
		e.t.Errorf("the same address on another channel changed it: %v", err)
	}
}

// The web chat history: the customer's own messages and staff replies on
// that address, across its conversations, never notes or system notices.
func customerMessages(e *env) {
	first := e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "c1"})
	sc := staffCtx(first.Conversation, alice)
	_, err := e.eng.Reply(e.ctx, sc, "s1", nil)
	e.must(err)
	_, err = e.eng.Note(e.ctx, sc, "internal note", nil)
	e.must(err)
	_, err = e.eng.Close(e.ctx, sc, "done") // a system notice
	e.must(err)
	e.clock.Advance(time.Hour)
	second := e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "c2"})
	if second.Conversation == first.Conversation {
		e.t.Fatal("fixture: the second message did not open a new conversation")
	}
	_, err = e.eng.Reply(e.ctx, staffCtx(second.Conversation, bob), "s2", nil)
	e.must(err)
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v2", Text: "someone else"})
	e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "v1", Text: "same address, other channel"})

	list := func(after bridge.MessageID, limit int) []bridge.Message {
		ms, err := e.db.CustomerMessages(e.ctx, "webchat", "v1", after, limit)
		e.must(err)
		for _, m := range ms {
			if m.Direction != bridge.DirCustomer && m.Direction != bridge.DirStaff {
				e.t.Errorf("the customer is shown a %s message: %q", m.Direction, m.Body)
			}
		}
		return ms
	}
	all := list(0, 100)
	e.equal("history", bodies(all), []string{"c1", "s1", "c2", "s2"})
	e.equal("after the first", bodies(list(all[0].ID, 100)), []string{"s1", "c2", "s2"})
	e.equal("the newest two", bodies(list(0, 2)), []string{"c2", "s2"})
	if ms, err := e.db.CustomerMessages(e.ctx, "webchat", "nobody", 0, 10); err != nil || len(ms) != 0 {
		e.t.Errorf("unknown address = %v, %v", ms, err)
	}
}

// store.Schema.
func schemaCases() []testCase {
	return []testCase{
		{"SchemaIsAtTheLatestVersion", schemaAtLatest},
		{"MigrateIsIdempotent", migrateIdempotent},
		{"NewerDatabaseIsRefused", newerSchemaRefused},
	}
}

func schemaAtLatest(e *env) {
	latest := e.db.LatestVersion()
	if latest <= 0 {
		e.t.Fatalf("LatestVersion = %d", latest)
	}
	if v, err := e.db.SchemaVersion(e.ctx); err != nil || v != latest {
		e.t.Errorf("SchemaVersion = %d, %v; want %d", v, err, latest)
	}
	if err := e.db.CheckSchema(e.ctx); err != nil {
		e.t.Errorf("CheckSchema = %v", err)
	}
}

func migrateIdempotent(e *env) {
	for i := range 2 {
		if applied, err := e.db.Migrate(e.ctx); err != nil || len(applied) != 0 {
			e.t.Errorf("Migrate #%d on a migrated store applied %d, %v", i+1, len(applied), err)
		}
	}
	for _, v := range []int{1, e.db.LatestVersion()} {
		if applied, err := e.db.MigrateTo(e.ctx, v); err != nil || len(applied) != 0 {
			e.t.Errorf("MigrateTo(%d) on a migrated store applied %d, %v", v, len(applied), err)
		}
	}
	if v, err := e.db.SchemaVersion(e.ctx); err != nil || v != e.db.LatestVersion() {
		e.t.Errorf("SchemaVersion = %d, %v", v, err)
	}
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "still works"})
}

func newerSchemaRefused(e *env) {
	e.needs(e.b.MakeSchemaNewer, "MakeSchemaNewer")
	e.b.MakeSchemaNewer(e.t, e.db)
	if v, err := e.db.SchemaVersion(e.ctx); err != nil || v <= e.db.LatestVersion() {
		e.t.Fatalf("SchemaVersion after MakeSchemaNewer = %d, %v", v, err)
	}
	if err := e.db.CheckSchema(e.ctx); !errors.Is(err, bridge.ErrSchemaTooNew) {
		e.t.Errorf("CheckSchema = %v, want bridge.ErrSchemaTooNew", err)
	}
	if _, err := e.db.Migrate(e.ctx); !errors.Is(err, bridge.ErrSchemaTooNew) {
		e.t.Errorf("Migrate = %v, want bridge.ErrSchemaTooNew", err)
	}
}

// store.Health.
func healthCases() []testCase {
	return []testCase{
		{"PingSucceedsOnAWritableStore", pingWritable},
		{"CommitStatsCountCommitsNotCallerErrors", commitStats},
		{"QuickCheckFindsNoProblems", quickCheck},
	}
}

func pingWritable(e *env) {
	e.must(e.db.Ping(e.ctx))
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "hi"})
	e.must(e.db.Ping(e.ctx))
	if err, at := e.db.LastError(); err != nil || !at.IsZero() {
		e.t.Errorf("LastError of a healthy store = %v at %v", err, at)
	}
}

func commitStats(e *env) {
	before := e.db.CommitStats()
	for i := range 3 {
		e.write(func(tx bridge.Tx) error { return tx.PutCursor("test", "n", fmt.Sprint(i), e.now()) })
	}
	// Errors of the caller's own making are neither commits nor storage failures.
	err := e.db.Write(e.ctx, func(tx bridge.Tx) error {
		if err := tx.PutCursor("test", "n", "x", e.now()); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		e.t.Fatalf("failing write = %v", err)
	}
	e.write(func(tx bridge.Tx) error {
		_, err := tx.Conversation(4242)
		e.wantNotFound("missing conversation", err)
		return nil
	})
	after := e.db.CommitStats()
	if got := after.Commits - before.Commits; got != 4 {
		e.t.Errorf("%d commits counted for 4 committed writes (and one failed)", got)
	}
	if after.Failures != before.Failures || after.LastErr != nil {
		e.t.Errorf("storage failures after caller errors: %+v", after)
	}
}

func quickCheck(e *env) {
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "hi"})
	if problems, err := e.db.QuickCheck(e.ctx); err != nil || len(problems) != 0 {
		e.t.Errorf("QuickCheck = %v, %v", problems, err)
	}
}

// Describe.
func describeCases() []testCase {
	return []testCase{{"DescribeNamesTheBackendAndItsData", describe}}
}

func describe(e *env) {
	d := e.db.Describe()
	if d.Backend != e.b.Name || d.Location == "" || d.Durability == "" {
		e.t.Errorf("Describe = %+v, want Backend %q and a location and durability", d, e.b.Name)
	}
}

package storetest

import (
	"errors"
	"slices"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// CustomerTx.
func customerTxCases() []testCase {
	return []testCase{
		{"UpsertIdentityKeepsOneCustomerPerAddress", upsertIdentity},
		{"AnIdentityWithAKnownEmailJoinsThatCustomer", identityJoinsByEmail},
		{"MergeMovesIdentitiesAndConversations", mergeCustomers},
		{"UnreachableShowsOnTheCustomersConversations", customerUnreachable},
	}
}

func upsertIdentity(e *env) {
	var first, again, other bridge.CustomerID
	e.write(func(tx bridge.Tx) error {
		var err error
		if first, err = tx.UpsertIdentity(bridge.Identity{Platform: "telegram", Address: "42", Name: "Ann", Username: "ann"}, e.now()); err != nil {
			return err
		}
		if again, err = tx.UpsertIdentity(bridge.Identity{Platform: "telegram", Address: "42", Name: "Ann Smith"}, e.at(time.Hour)); err != nil {
			return err
		}
		other, err = tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: "42", Name: "Someone"}, e.now())
		return err
	})
	if first == 0 || again != first || other == first {
		e.t.Fatalf("customers: first %d, same address again %d, other channel %d", first, again, other)
	}
	idents, err := e.db.CustomerIdentities(e.ctx, first)
	e.must(err)
	if len(idents) != 1 || idents[0].Name != "Ann Smith" || idents[0].Username != "ann" || idents[0].Customer != first ||
		idents[0].Platform != "telegram" || idents[0].Address != "42" {
		e.t.Errorf("identities = %+v (a later name replaces the old one; an empty username keeps it)", idents)
	}
	c, err := e.db.Customer(e.ctx, first)
	e.must(err)
	if c.ID != first || c.Name != "Ann" {
		e.t.Errorf("customer = %+v, want the name first seen", c)
	}
	var conv bridge.Conversation
	e.write(func(tx bridge.Tx) error {
		conv = bridge.Conversation{Customer: first, Channel: "telegram", Address: "42", Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: e.now(), UpdatedAt: e.now()}
		return tx.CreateConversation(&conv)
	})
	if name := e.conversation(conv.ID).CustomerName; name != "Ann Smith" {
		e.t.Errorf("the conversation's customer is named %q, want the identity's current name", name)
	}
	_, err = e.db.Customer(e.ctx, 4242)
	e.wantNotFound("Customer", err)
}

func identityJoinsByEmail(e *env) {
	var mail, web, stranger bridge.CustomerID
	e.write(func(tx bridge.Tx) error {
		var err error
		if mail, err = tx.UpsertIdentity(bridge.Identity{Platform: "email", Address: "ann@example.com", Email: "ann@example.com", Name: "Ann"}, e.now()); err != nil {
			return err
		}
		if web, err = tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: "visitor-1", Email: "ann@example.com"}, e.now()); err != nil {
			return err
		}
		stranger, err = tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: "visitor-2", Email: "bob@example.com"}, e.now())
		return err
	})
	if web != mail || stranger == mail {
		e.t.Errorf("customers: email %d, web chat with the same email %d, another email %d", mail, web, stranger)
	}
	idents, err := e.db.CustomerIdentities(e.ctx, mail)
	e.must(err)
	if len(idents) != 2 {
		e.t.Errorf("identities = %+v", idents)
	}
	if c, err := e.db.Customer(e.ctx, mail); err != nil || c.Email != "ann@example.com" {
		e.t.Errorf("customer = %+v, %v", c, err)
	}
}

func mergeCustomers(e *env) {
	a := e.open("telegram", "42", nil)
	b := e.open("email", "ann@example.com", nil)
	b2 := e.open("email", "ann2@example.com", nil)
	e.write(func(tx bridge.Tx) error {
		if err := tx.MergeCustomers(a.Customer, b.Customer); err != nil {
			return err
		}
		if err := tx.MergeCustomers(a.Customer, b2.Customer); err != nil {
			return err
		}
		return tx.MergeCustomers(a.Customer, a.Customer) // merging into itself changes nothing
	})
	convs, err := e.db.CustomerConversations(e.ctx, a.Customer, 10)
	e.must(err)
	e.equal("merged conversations", convIDs(convs), []bridge.ConversationID{b2.ID, b.ID, a.ID})
	idents, err := e.db.CustomerIdentities(e.ctx, a.Customer)
	e.must(err)
	if len(idents) != 3 {
		e.t.Errorf("merged identities = %+v", idents)
	}
	for _, from := range []bridge.CustomerID{b.Customer, b2.Customer} {
		left, err := e.db.CustomerConversations(e.ctx, from, 10)
		e.must(err)
		idents, err := e.db.CustomerIdentities(e.ctx, from)
		e.must(err)
		if len(left) != 0 || len(idents) != 0 {
			e.t.Errorf("customer %d kept %d conversations, %d identities", from, len(left), len(idents))
		}
	}
	if e.conversation(b.ID).Customer != a.Customer {
		e.t.Errorf("%s still belongs to %d", b.ID, e.conversation(b.ID).Customer)
	}
	// A new conversation on a merged address goes to the merged customer.
	var cust bridge.CustomerID
	e.write(func(tx bridge.Tx) error {
		var err error
		cust, err = tx.UpsertIdentity(bridge.Identity{Platform: "email", Address: "ann@example.com"}, e.now())
		return err
	})
	if cust != a.Customer {
		e.t.Errorf("the merged address belongs to %d, want %d", cust, a.Customer)
	}
}

func customerUnreachable(e *env) {
	a := e.open("telegram", "42", nil)
	other := e.open("telegram", "43", nil)
	for _, reason := range []string{"bot blocked", "", "bounced"} {
		e.write(func(tx bridge.Tx) error { return tx.SetCustomerUnreachable(a.Customer, reason) })
		if got := e.conversation(a.ID).Unreachable; got != reason {
			e.t.Errorf("unreachable = %q, want %q", got, reason)
		}
		if c, err := e.db.Customer(e.ctx, a.Customer); err != nil || c.Unreachable != reason {
			e.t.Errorf("customer unreachable = %q, %v; want %q", c.Unreachable, err, reason)
		}
	}
	if got := e.conversation(other.ID).Unreachable; got != "" {
		e.t.Errorf("another customer's conversation is unreachable: %q", got)
	}
}

// ThreadReader and ThreadTx.
func threadCases() []testCase {
	return []testCase{
		{"SetThreadMakesItActiveAndRetiresTheOldOne", setThread},
		{"DeactivatedThreadStillFindsItsConversation", deactivateThread},
		{"ThreadsAreSeparatePerSurface", threadsPerSurface},
		{"ActiveThreadInsideAWriteSeesTheWrite", activeThreadInWrite},
		{"UnknownThreadIsErrNotFound", unknownThread},
		{"PostSourceReadsTheActiveThreadAndTheMessage", postSource},
		{"PostSourcesReadsManyMessagesAtOnce", postSources},
	}
}

// PostSources answers as PostSource would for each message, each with the
// thread of its own conversation, and leaves out messages that are gone.
func postSources(e *env) {
	c1 := e.open("webchat", "v1", nil)
	c2 := e.open("webchat", "v2", nil)
	m1 := bridge.Message{Conversation: c1.ID, Direction: bridge.DirCustomer, Author: "Ann", Body: "one", Platform: "webchat", CreatedAt: e.now()}
	m2 := bridge.Message{Conversation: c2.ID, Direction: bridge.DirCustomer, Author: "Bo", Body: "two", Platform: "webchat",
		Mentions: []bridge.StaffID{"slack:U1"}, CreatedAt: e.now()}
	m3 := bridge.Message{Conversation: c1.ID, Direction: bridge.DirStaff, Author: "Cy", Body: "three", Platform: "console", CreatedAt: e.now()}
	e.write(func(tx bridge.Tx) error {
		return errors.Join(tx.InsertMessage(&m1, 0), tx.InsertMessage(&m2, 0), tx.InsertMessage(&m3, 0))
	})
	e.markThread(c1.ID, "slack", "C1/1.1")
	e.markThread(c2.ID, "discord", "555") // another surface: no slack thread for c2
	got, err := e.db.PostSources(e.ctx, "slack", []bridge.MessageID{m1.ID, m2.ID, m3.ID, m3.ID + 1000})
	e.must(err)
	want := map[bridge.MessageID]struct {
		thread bridge.ThreadRef
		body   string
	}{m1.ID: {"C1/1.1", "one"}, m2.ID: {"", "two"}, m3.ID: {"C1/1.1", "three"}}
	if len(got) != len(want) {
		e.t.Errorf("PostSources found %d messages, want %d (the missing one left out): %+v", len(got), len(want), got)
	}
	for id, w := range want {
		if g, ok := got[id]; !ok || g.Thread != w.thread || g.Message.ID != id || g.Message.Body != w.body {
			e.t.Errorf("PostSources[%d] = %+v (found %v), want thread %q and body %q", id, g, ok, w.thread, w.body)
		}
	}
	if g := got[m2.ID]; len(g.Message.Mentions) != 1 || g.Message.Author != "Bo" {
		e.t.Errorf("PostSources[%d] = %+v: the message as Message reads it", m2.ID, g.Message)
	}
	none, err := e.db.PostSources(e.ctx, "slack", nil)
	if err != nil || len(none) != 0 {
		e.t.Errorf("PostSources of no messages = %v, %v", none, err)
	}
}

// PostSource answers as Thread and Message would.
func postSource(e *env) {
	pr := e.db
	c := e.open("webchat", "v1", nil)
	m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Author: "Ann", Body: "hello", Platform: "webchat",
		Mentions: []bridge.StaffID{"slack:U1"}, CreatedAt: e.now()}
	e.write(func(tx bridge.Tx) error { return tx.InsertMessage(&m, 0) })
	ref, got, err := pr.PostSource(e.ctx, c.ID, "slack", m.ID)
	e.must(err)
	if ref != "" || got.ID != m.ID || got.Body != "hello" || got.Author != "Ann" || len(got.Mentions) != 1 {
		e.t.Errorf("no thread yet: %q, %+v", ref, got)
	}
	e.markThread(c.ID, "slack", "C1/1.1")
	e.markThread(c.ID, "slack", "C1/2.2") // the first one retired
	e.markThread(c.ID, "discord", "555")
	if ref, got, err = pr.PostSource(e.ctx, c.ID, "slack", m.ID); err != nil || ref != "C1/2.2" || got.ID != m.ID {
		e.t.Errorf("PostSource = %q, %d, %v; want the active slack thread C1/2.2 and message %d", ref, got.ID, err, m.ID)
	}
	e.write(func(tx bridge.Tx) error { return tx.DeactivateThread(c.ID, "slack", "C1/2.2", e.now()) })
	if ref, _, err = pr.PostSource(e.ctx, c.ID, "slack", m.ID); err != nil || ref != "" {
		e.t.Errorf("after the thread was deactivated: %q, %v; want no thread", ref, err)
	}
	_, _, err = pr.PostSource(e.ctx, c.ID, "slack", m.ID+1000)
	e.wantNotFound("PostSource of a message that does not exist", err)
}

func (e *env) thread(conv bridge.ConversationID, surface bridge.Platform) (active, previous bridge.ThreadRef) {
	e.t.Helper()
	active, err := e.db.Thread(e.ctx, conv, surface)
	if errors.Is(err, bridge.ErrNotFound) {
		active, err = "", nil
	}
	e.must(err)
	previous, err = e.db.PreviousThread(e.ctx, conv, surface)
	e.must(err)
	return active, previous
}

func (e *env) wantThreads(what string, conv bridge.ConversationID, surface bridge.Platform, active, previous bridge.ThreadRef) {
	e.t.Helper()
	a, p := e.thread(conv, surface)
	if a != active || p != previous {
		e.t.Errorf("%s: active %q, previous %q; want %q, %q", what, a, p, active, previous)
	}
}

func setThread(e *env) {
	c := e.open("webchat", "v1", nil)
	e.write(func(tx bridge.Tx) error { return tx.SetThread(c.ID, "slack", "C1/1.1", e.at(time.Minute)) })
	e.wantThreads("first thread", c.ID, "slack", "C1/1.1", "")
	e.write(func(tx bridge.Tx) error { return tx.SetThread(c.ID, "slack", "C1/2.2", e.at(2*time.Minute)) })
	e.wantThreads("replaced", c.ID, "slack", "C1/2.2", "C1/1.1")
	e.write(func(tx bridge.Tx) error { return tx.SetThread(c.ID, "slack", "C1/3.3", e.at(3*time.Minute)) })
	e.wantThreads("replaced again", c.ID, "slack", "C1/3.3", "C1/2.2")
	for _, ref := range []bridge.ThreadRef{"C1/1.1", "C1/2.2", "C1/3.3"} {
		if got, err := e.db.ConversationByThread(e.ctx, "slack", ref); err != nil || got != c.ID {
			e.t.Errorf("ConversationByThread(%s) = %s, %v; want %s", ref, got, err, c.ID)
		}
	}
	// Setting the active thread again changes nothing.
	e.write(func(tx bridge.Tx) error { return tx.SetThread(c.ID, "slack", "C1/3.3", e.at(4*time.Minute)) })
	e.wantThreads("set again", c.ID, "slack", "C1/3.3", "C1/2.2")
}

func deactivateThread(e *env) {
	c := e.open("webchat", "v1", nil)
	e.markThread(c.ID, "discord", "999")
	e.write(func(tx bridge.Tx) error { return tx.DeactivateThread(c.ID, "discord", "999", e.at(time.Minute)) })
	e.wantThreads("deactivated", c.ID, "discord", "", "999")
	if got, err := e.db.ConversationByThread(e.ctx, "discord", "999"); err != nil || got != c.ID {
		e.t.Errorf("ConversationByThread of the old thread = %s, %v", got, err)
	}
	e.write(func(tx bridge.Tx) error { return tx.SetThread(c.ID, "discord", "1000", e.at(2*time.Minute)) })
	e.wantThreads("reopened in a new thread", c.ID, "discord", "1000", "999")
	// Deactivating a thread that is not the active one leaves the active one.
	e.write(func(tx bridge.Tx) error { return tx.DeactivateThread(c.ID, "discord", "999", e.at(3*time.Minute)) })
	e.wantThreads("old one deactivated again", c.ID, "discord", "1000", "999")
}

func threadsPerSurface(e *env) {
	c := e.open("webchat", "v1", nil)
	other := e.open("webchat", "v2", nil)
	e.markThread(c.ID, "slack", "C1/1.1")
	e.markThread(c.ID, "discord", "555")
	e.markThread(other.ID, "slack", "C1/9.9")
	e.wantThreads("slack", c.ID, "slack", "C1/1.1", "")
	e.wantThreads("discord", c.ID, "discord", "555", "")
	e.wantThreads("other conversation", other.ID, "slack", "C1/9.9", "")
	_, err := e.db.ConversationByThread(e.ctx, "discord", "C1/1.1")
	e.wantNotFound("a slack thread looked up on discord", err)
}

func activeThreadInWrite(e *env) {
	c := e.open("webchat", "v1", nil)
	e.write(func(tx bridge.Tx) error {
		_, err := tx.ActiveThread(c.ID, "slack")
		e.wantNotFound("ActiveThread before any", err)
		for _, ref := range []bridge.ThreadRef{"A", "B"} {
			if err := tx.SetThread(c.ID, "slack", ref, e.now()); err != nil {
				return err
			}
			if got, err := tx.ActiveThread(c.ID, "slack"); err != nil || got != ref {
				e.t.Errorf("ActiveThread after SetThread(%s) = %q, %v", ref, got, err)
			}
		}
		if err := tx.DeactivateThread(c.ID, "slack", "B", e.now()); err != nil {
			return err
		}
		_, err = tx.ActiveThread(c.ID, "slack")
		e.wantNotFound("ActiveThread after DeactivateThread", err)
		return nil
	})
}

func unknownThread(e *env) {
	c := e.open("webchat", "v1", nil)
	_, err := e.db.Thread(e.ctx, c.ID, "slack")
	e.wantNotFound("Thread", err)
	_, err = e.db.ConversationByThread(e.ctx, "slack", "nope")
	e.wantNotFound("ConversationByThread", err)
	if ref, err := e.db.PreviousThread(e.ctx, c.ID, "slack"); err != nil || ref != "" {
		e.t.Errorf("PreviousThread = %q, %v; want \"\", nil", ref, err)
	}
}

// StaffReader and StaffTx.
func staffCases() []testCase {
	return []testCase{
		{"KnownStaffKeepsTheLatestName", knownStaff},
		{"TemplatesAreSavedReplacedAndDeleted", templates},
	}
}

func knownStaff(e *env) {
	e.write(func(tx bridge.Tx) error {
		for _, a := range []bridge.Actor{
			{ID: alice.ID, Name: "Al"}, {ID: bob.ID, Name: "Bob"}, {ID: alice.ID, Name: "Alice"},
			{ID: bob.ID}, // no name: the known one stays
		} {
			if err := tx.UpsertStaff(a, e.now()); err != nil {
				return err
			}
		}
		for id, want := range map[bridge.StaffID]string{alice.ID: "Alice", bob.ID: "Bob", "console:nobody": ""} {
			if got, err := tx.StaffName(id); err != nil || got != want {
				e.t.Errorf("StaffName(%s) = %q, %v; want %q", id, got, err, want)
			}
		}
		return nil
	})
	staff, err := e.db.KnownStaff(e.ctx)
	e.must(err)
	e.equal("known staff", staff, map[bridge.StaffID]string{alice.ID: "Alice", bob.ID: "Bob"})
}

func templates(e *env) {
	if tpl, err := e.db.Templates(e.ctx); err != nil || len(tpl) != 0 {
		e.t.Errorf("templates of a new store = %v, %v", tpl, err)
	}
	e.write(func(tx bridge.Tx) error {
		if err := tx.SaveTemplate("refund", "We refunded {{.Name}}.", alice.ID, e.now()); err != nil {
			return err
		}
		if err := tx.SaveTemplate("hello", "Hi!", alice.ID, e.now()); err != nil {
			return err
		}
		return tx.SaveTemplate("refund", "Your refund is on its way.", bob.ID, e.now())
	})
	tpl, err := e.db.Templates(e.ctx)
	e.must(err)
	e.equal("templates", tpl, map[string]string{"refund": "Your refund is on its way.", "hello": "Hi!"})
	e.write(func(tx bridge.Tx) error {
		for _, w := range []struct {
			name string
			want bool
		}{{"hello", true}, {"hello", false}, {"never", false}} {
			if ok, err := tx.DeleteTemplate(w.name); err != nil || ok != w.want {
				e.t.Errorf("DeleteTemplate(%s) = %v, %v; want %v", w.name, ok, err, w.want)
			}
		}
		return nil
	})
	tpl, err = e.db.Templates(e.ctx)
	e.must(err)
	e.equal("templates after delete", tpl, map[string]string{"refund": "Your refund is on its way."})
}

// ScheduleReader.
func scheduleCases() []testCase {
	return []testCase{
		{"DueSLAListsChecksThatHaveCome", dueSLA},
		{"StaleClaimsAreOpenAndClaimedBefore", staleClaims},
		{"DueSnoozesAreSnoozesThatEnded", dueSnoozes},
	}
}

func dueSLA(e *env) {
	mk := func(addr string, check time.Duration, status bridge.Status) bridge.ConversationID {
		return e.open("webchat", addr, func(c *bridge.Conversation) {
			c.Status = status
			if check != 0 {
				c.SLA.NextCheck = e.at(check)
			}
		}).ID
	}
	late := mk("late", 30*time.Minute, bridge.StatusOpen)
	early := mk("early", 10*time.Minute, bridge.StatusWaiting)
	mk("none", 0, bridge.StatusOpen)
	mk("future", 2*time.Hour, bridge.StatusOpen)
	exact := mk("exact", time.Hour, bridge.StatusOpen)
	due, err := e.db.DueSLA(e.ctx, e.at(time.Hour), 10)
	e.must(err)
	e.equal("due at +1h, earliest check first", due, []bridge.ConversationID{early, late, exact})
	due, err = e.db.DueSLA(e.ctx, e.at(time.Hour), 2)
	e.must(err)
	e.equal("limit 2", due, []bridge.ConversationID{early, late})
	due, err = e.db.DueSLA(e.ctx, e.at(5*time.Minute), 10)
	if err != nil || len(due) != 0 {
		e.t.Errorf("due at +5m = %v, %v", due, err)
	}
}

func staleClaims(e *env) {
	mk := func(addr string, status bridge.Status, owner bridge.StaffID, claimed time.Duration) bridge.ConversationID {
		return e.open("webchat", addr, func(c *bridge.Conversation) {
			c.Status, c.Owner = status, owner
			if owner != "" {
				c.OwnerName, c.ClaimedAt = "Someone", e.at(claimed)
			}
		}).ID
	}
	old := mk("old", bridge.StatusOpen, alice.ID, 0)
	older := mk("older", bridge.StatusOpen, bob.ID, -time.Hour)
	mk("recent", bridge.StatusOpen, alice.ID, 50*time.Minute)
	mk("waiting", bridge.StatusWaiting, alice.ID, -time.Hour)
	mk("closed", bridge.StatusClosed, alice.ID, -time.Hour)
	mk("unclaimed", bridge.StatusOpen, "", 0)
	got, err := e.db.StaleClaims(e.ctx, e.at(30*time.Minute))
	e.must(err)
	slices.Sort(got)
	e.equal("stale claims", got, sortedIDs(older, old))
}

func dueSnoozes(e *env) {
	mk := func(addr string, until time.Duration) bridge.ConversationID {
		return e.open("webchat", addr, func(c *bridge.Conversation) {
			if until != 0 {
				c.SnoozedUntil = e.at(until)
			}
		}).ID
	}
	second := mk("second", 20*time.Minute)
	first := mk("first", 10*time.Minute)
	mk("later", 2*time.Hour)
	mk("never", 0)
	at := mk("at", time.Hour)
	got, err := e.db.DueSnoozes(e.ctx, e.at(time.Hour))
	e.must(err)
	slices.Sort(got)
	e.equal("snoozes over at +1h", got, sortedIDs(first, second, at))
}

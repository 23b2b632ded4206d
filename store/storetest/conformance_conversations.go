package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// ConversationReader and ConversationTx.
func conversationCases() []testCase {
	return []testCase{
		{"CreateStoresEveryFieldAndSetsID", createStoresEveryField},
		{"UpdateStoresEveryMutableField", updateStoresEveryField},
		{"UpdateInTheCreatingWriteIsKept", updateInCreatingWrite},
		{"MissingConversationIsErrNotFound", missingConversation},
		{"LatestConversationIsTheNewestOnThatAddress", latestConversation},
		{"ConversationByReferenceFindsReceivedAndSentIDs", conversationByReference},
		{"OwnedOpenAndCountOpen", ownedOpenAndCountOpen},
		{"TagsAreASetPerConversation", tagsAreASet},
		{"RecordCSATOnlyOnce", recordCSATOnce},
		{"OpenConversationsMostUrgentAndLongestWaitingFirst", openConversationsOrder},
		{"CustomerConversationsNewestFirst", customerConversations},
		{"OpenConversationIDsPageInIDOrder", openConversationIDs},
		{"ConversationViewIsWhatTheCardShows", conversationView},
	}
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// everyField is a conversation with every stored field set.
func (e *env) everyField(cust bridge.CustomerID, address string) bridge.Conversation {
	at := func(min int) time.Time { return e.at(time.Duration(min) * time.Minute) }
	return bridge.Conversation{
		Customer: cust, Channel: "email", Address: address, Subject: "Ünïcödé subject ✉",
		Status: bridge.StatusWaiting, Priority: bridge.PriorityHigh, Department: "billing",
		Owner: alice.ID, OwnerName: alice.Name,
		CreatedAt: at(1), UpdatedAt: at(9), FirstResponseAt: at(3), LastCustomerAt: at(2), LastStaffAt: at(4),
		ClosedAt: at(5), CloseReason: "solved", ClaimedAt: at(6),
		EscalatedTo: "tier2", EscalatedAt: at(7), PriorityBeforeEscalation: bridge.PriorityNormal,
		SnoozedUntil: at(60),
		SLA: bridge.SLAState{
			Policy: "gold", RespKind: "next", RespSince: at(2), RespUsed: 90 * time.Second, RespNags: 2, RespLastNag: at(8),
			ResSince: at(1), ResUsed: 3 * time.Minute, ResNags: 1, ResLastNag: at(8), NextCheck: at(30),
			FirstMet: yes(), ResolvedMet: no(), NextMet: 3, NextMissed: 1,
		},
		SLADue: at(45), CSATAskedAt: at(10), Entry: "sales@example.com",
	}
}

// stored is c as a read returns it: the customer's name comes from the
// identity, reachability from the customer, and MessageCount is left out
// (only listings and views count messages).
func stored(c bridge.Conversation, name string) bridge.Conversation {
	c.CustomerName, c.Unreachable, c.MessageCount = name, "", 0
	return c
}

func uncounted(c bridge.Conversation) bridge.Conversation { c.MessageCount = 0; return c }

func createStoresEveryField(e *env) {
	var want bridge.Conversation
	e.write(func(tx bridge.Tx) error {
		cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "email", Address: "ann@example.com", Name: "Ann Example"}, e.now())
		if err != nil {
			return err
		}
		want = e.everyField(cust, "ann@example.com")
		c := want
		if err := tx.CreateConversation(&c); err != nil {
			return err
		}
		if c.ID <= 0 {
			return fmt.Errorf("CreateConversation set ID %d", c.ID)
		}
		want.ID = c.ID
		got, err := tx.Conversation(c.ID)
		if err != nil {
			return err
		}
		e.equal("read in the creating write", uncounted(got), stored(want, "Ann Example"))
		return nil
	})
	e.equal("read after the commit", uncounted(e.conversation(want.ID)), stored(want, "Ann Example"))
	var second bridge.Conversation
	e.write(func(tx bridge.Tx) error {
		second = bridge.Conversation{Customer: want.Customer, Channel: "email", Address: "ann@example.com", Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: e.now(), UpdatedAt: e.now()}
		return tx.CreateConversation(&second)
	})
	if second.ID == want.ID || second.ID <= 0 {
		e.t.Errorf("second conversation got ID %d (first %d)", second.ID, want.ID)
	}
}

func updateStoresEveryField(e *env) {
	c := e.open("email", "ann@example.com", nil)
	// Who, where, when created and the way in are set at creation.
	want := e.everyField(c.Customer, c.Address)
	want.ID, want.CreatedAt, want.Entry = c.ID, c.CreatedAt, c.Entry
	e.update(c.ID, func(got *bridge.Conversation) { *got = want })
	e.equal("after an update of every field", uncounted(e.conversation(c.ID)), stored(want, "Name of ann@example.com"))

	// An update from a copy read outside the write (no read in this
	// transaction) stores it whole, and zero values clear fields.
	cleared := e.conversation(c.ID)
	cleared.Status, cleared.Owner, cleared.OwnerName = bridge.StatusOpen, "", ""
	cleared.ClosedAt, cleared.CloseReason, cleared.ClaimedAt, cleared.SnoozedUntil = time.Time{}, "", time.Time{}, time.Time{}
	cleared.SLA = bridge.SLAState{}
	cleared.SLADue, cleared.EscalatedTo, cleared.EscalatedAt, cleared.PriorityBeforeEscalation = time.Time{}, "", time.Time{}, ""
	cleared.UpdatedAt = e.at(time.Hour)
	e.write(func(tx bridge.Tx) error { return tx.UpdateConversation(cleared) })
	e.equal("after clearing fields", uncounted(e.conversation(c.ID)), stored(cleared, "Name of ann@example.com"))
}

func updateInCreatingWrite(e *env) {
	var c bridge.Conversation
	e.write(func(tx bridge.Tx) error {
		cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: "v1"}, e.now())
		if err != nil {
			return err
		}
		c = bridge.Conversation{Customer: cust, Channel: "webchat", Address: "v1", Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: e.now(), UpdatedAt: e.now()}
		if err := tx.CreateConversation(&c); err != nil {
			return err
		}
		c.Subject, c.Department, c.LastCustomerAt, c.SLA.NextCheck = "Refund", "billing", e.at(time.Minute), e.at(time.Hour)
		c.SLA.FirstMet = yes()
		return tx.UpdateConversation(c)
	})
	e.equal("conversation", uncounted(e.conversation(c.ID)), stored(c, "v1"))
}

func missingConversation(e *env) {
	_, err := e.db.Conversation(e.ctx, 4242)
	e.wantNotFound("Conversation", err)
	_, err = e.db.ConversationView(e.ctx, 4242)
	e.wantNotFound("ConversationView", err)
	c := e.open("webchat", "v1", nil)
	e.write(func(tx bridge.Tx) error {
		_, err := tx.Conversation(4242)
		e.wantNotFound("Tx.Conversation", err)
		_, err = tx.LatestConversation(c.Customer, "webchat", "elsewhere")
		e.wantNotFound("LatestConversation of another address", err)
		_, err = tx.LatestConversation(c.Customer+100, "webchat", "v1")
		e.wantNotFound("LatestConversation of another customer", err)
		_, err = tx.ConversationByReference("email", nil)
		e.wantNotFound("ConversationByReference without refs", err)
		_, err = tx.ConversationByReference("email", []string{"<nobody@example.com>"})
		e.wantNotFound("ConversationByReference of an unknown id", err)
		return nil
	})
}

func latestConversation(e *env) {
	first := e.open("webchat", "v1", func(c *bridge.Conversation) { c.Status, c.ClosedAt = bridge.StatusClosed, e.now() })
	var second bridge.Conversation
	e.write(func(tx bridge.Tx) error {
		second = bridge.Conversation{Customer: first.Customer, Channel: "webchat", Address: "v1", Status: bridge.StatusClosed,
			Priority: bridge.PriorityNormal, CreatedAt: e.at(time.Hour), UpdatedAt: e.at(time.Hour)}
		if err := tx.CreateConversation(&second); err != nil {
			return err
		}
		// Another address of the same customer is another conversation line.
		other := bridge.Conversation{Customer: first.Customer, Channel: "webchat", Address: "v2", Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: e.at(2 * time.Hour), UpdatedAt: e.at(2 * time.Hour)}
		return tx.CreateConversation(&other)
	})
	e.write(func(tx bridge.Tx) error {
		got, err := tx.LatestConversation(first.Customer, "webchat", "v1")
		if err != nil {
			return err
		}
		if got.ID != second.ID || got.Status != bridge.StatusClosed {
			e.t.Errorf("LatestConversation = %s (%s), want %s", got.ID, got.Status, second.ID)
		}
		return nil
	})
}

func conversationByReference(e *env) {
	c := e.open("email", "ann@example.com", nil)
	other := e.open("email", "bob@example.com", nil)
	e.message(c.ID, bridge.DirCustomer, "question", func(m *bridge.Message) { m.Platform, m.ExternalID = "email", "<q1@ann>" })
	reply := e.message(c.ID, bridge.DirStaff, "answer", func(m *bridge.Message) { m.Platform = "console" })
	ids := e.enqueue(e.now(), bridge.OutboxRow{Conversation: c.ID, Target: "email", Kind: bridge.KindCustomerSend, Message: reply.ID})
	e.markSent(ids[0], bridge.ExternalRef{Platform: "email", ID: "<a1@us>"}, reply.ID, e.now())
	e.message(other.ID, bridge.DirCustomer, "unrelated", func(m *bridge.Message) { m.Platform, m.ExternalID = "email", "<z@bob>" })
	e.write(func(tx bridge.Tx) error {
		for _, refs := range [][]string{{"<q1@ann>"}, {"<a1@us>"}, {"<unknown@x>", "<a1@us>"}} {
			got, err := tx.ConversationByReference("email", refs)
			if err != nil || got.ID != c.ID {
				e.t.Errorf("ConversationByReference(%v) = %s, %v; want %s", refs, got.ID, err, c.ID)
			}
		}
		_, err := tx.ConversationByReference("telegram", []string{"<q1@ann>"})
		e.wantNotFound("the same id on another channel", err)
		return nil
	})
}

func ownedOpenAndCountOpen(e *env) {
	for i, s := range []struct {
		status bridge.Status
		owner  bridge.StaffID
	}{
		{bridge.StatusOpen, alice.ID}, {bridge.StatusWaiting, alice.ID}, {bridge.StatusClosed, alice.ID},
		{bridge.StatusOpen, ""}, {bridge.StatusOpen, bob.ID}, {bridge.StatusWaiting, ""},
	} {
		e.open("webchat", fmt.Sprintf("v%d", i), func(c *bridge.Conversation) { c.Status, c.Owner = s.status, s.owner })
	}
	e.write(func(tx bridge.Tx) error {
		for _, w := range []struct {
			id   bridge.StaffID
			want int
		}{{alice.ID, 2}, {bob.ID, 1}, {"console:nobody", 0}} {
			if n, err := tx.OwnedOpen(w.id); err != nil || n != w.want {
				e.t.Errorf("OwnedOpen(%s) = %d, %v; want %d", w.id, n, err, w.want)
			}
		}
		if n, err := tx.CountOpen(); err != nil || n != 3 {
			e.t.Errorf("CountOpen = %d, %v; want 3 (status open only)", n, err)
		}
		return nil
	})
}

func tagsAreASet(e *env) {
	c := e.open("webchat", "v1", nil)
	other := e.open("webchat", "v2", nil)
	e.write(func(tx bridge.Tx) error {
		for _, step := range []struct {
			add  bool
			tag  string
			want bool
		}{
			{true, "refund", true}, {true, "vip", true}, {true, "refund", false}, {false, "vip", true},
			{false, "vip", false}, {false, "never", false}, {true, "vip", true},
		} {
			var changed bool
			var err error
			if step.add {
				changed, err = tx.AddTag(c.ID, step.tag, e.now())
			} else {
				changed, err = tx.RemoveTag(c.ID, step.tag)
			}
			if err != nil || changed != step.want {
				e.t.Errorf("add=%v %q: changed %v, %v; want %v", step.add, step.tag, changed, err, step.want)
			}
		}
		if _, err := tx.AddTag(other.ID, "other", e.now()); err != nil {
			return err
		}
		tags, err := tx.Tags(c.ID)
		e.equal("tags in the write", sorted(tags), []string{"refund", "vip"})
		return err
	})
	v, err := e.db.ConversationView(e.ctx, c.ID)
	e.must(err)
	e.equal("tags on the card", sorted(v.Tags), []string{"refund", "vip"})
}

func recordCSATOnce(e *env) {
	c := e.open("webchat", "v1", nil)
	e.write(func(tx bridge.Tx) error {
		for i, want := range []bool{true, false} {
			if ok, err := tx.RecordCSAT(c.ID, 5-i, fmt.Sprint(5-i), e.now()); err != nil || ok != want {
				e.t.Errorf("rating %d: recorded %v, %v; want %v", i, ok, err, want)
			}
		}
		return nil
	})
	st, err := e.db.Stats(e.ctx, e.at(-time.Hour), e.at(time.Hour), time.UTC)
	e.must(err)
	if st.CSAT.Count != 1 || st.CSAT.Average != 5 {
		e.t.Errorf("CSAT = %+v, want the first rating only", st.CSAT)
	}
}

func openConversationsOrder(e *env) {
	mk := func(addr string, status bridge.Status, p bridge.Priority, waitingSince time.Duration) bridge.ConversationID {
		return e.open("webchat", addr, func(c *bridge.Conversation) {
			c.Status, c.Priority, c.LastCustomerAt = status, p, e.at(waitingSince)
		}).ID
	}
	a := mk("a", bridge.StatusOpen, bridge.PriorityNormal, 10*time.Minute)
	b := mk("b", bridge.StatusOpen, bridge.PriorityNormal, 5*time.Minute)
	c := mk("c", bridge.StatusOpen, bridge.PriorityUrgent, 20*time.Minute)
	d := mk("d", bridge.StatusWaiting, bridge.PriorityHigh, time.Minute)
	mk("e", bridge.StatusClosed, bridge.PriorityUrgent, 0)
	f := mk("f", bridge.StatusOpen, bridge.PriorityLow, 0)
	e.message(b, bridge.DirCustomer, "one", nil)
	e.message(b, bridge.DirCustomer, "two", nil)
	all, err := e.db.OpenConversations(e.ctx, 10)
	e.must(err)
	e.equal("open conversations", convIDs(all), []bridge.ConversationID{c, b, a, f, d})
	for _, x := range all {
		if want := map[bool]int{true: 2}[x.ID == b]; x.MessageCount != want {
			e.t.Errorf("%s lists %d messages, want %d", x.ID, x.MessageCount, want)
		}
	}
	top, err := e.db.OpenConversations(e.ctx, 2)
	e.must(err)
	e.equal("the first two", convIDs(top), []bridge.ConversationID{c, b})
}

func customerConversations(e *env) {
	first := e.open("webchat", "v1", func(c *bridge.Conversation) { c.Status = bridge.StatusClosed })
	e.open("webchat", "someone else", nil)
	var second, third bridge.Conversation
	e.write(func(tx bridge.Tx) error {
		second = bridge.Conversation{Customer: first.Customer, Channel: "webchat", Address: "v1", Status: bridge.StatusWaiting,
			Priority: bridge.PriorityNormal, CreatedAt: e.at(time.Hour), UpdatedAt: e.at(time.Hour)}
		if err := tx.CreateConversation(&second); err != nil {
			return err
		}
		third = bridge.Conversation{Customer: first.Customer, Channel: "telegram", Address: "77", Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: e.at(2 * time.Hour), UpdatedAt: e.at(2 * time.Hour)}
		return tx.CreateConversation(&third)
	})
	e.message(first.ID, bridge.DirCustomer, "old", nil)
	all, err := e.db.CustomerConversations(e.ctx, first.Customer, 10)
	e.must(err)
	e.equal("a customer's conversations", convIDs(all), []bridge.ConversationID{third.ID, second.ID, first.ID})
	if len(all) == 3 && all[2].MessageCount != 1 {
		e.t.Errorf("%s lists %d messages, want 1", all[2].ID, all[2].MessageCount)
	}
	two, err := e.db.CustomerConversations(e.ctx, first.Customer, 2)
	e.must(err)
	e.equal("the newest two", convIDs(two), []bridge.ConversationID{third.ID, second.ID})
}

func openConversationIDs(e *env) {
	var open []bridge.ConversationID
	for i, s := range []bridge.Status{bridge.StatusOpen, bridge.StatusClosed, bridge.StatusWaiting, bridge.StatusOpen, bridge.StatusClosed, bridge.StatusOpen} {
		c := e.open("webchat", fmt.Sprintf("v%d", i), func(c *bridge.Conversation) { c.Status = s })
		if s != bridge.StatusClosed {
			open = append(open, c.ID)
		}
	}
	var got []bridge.ConversationID
	var after bridge.ConversationID
	for pages := 0; ; pages++ {
		page, err := e.db.OpenConversationIDs(e.ctx, after, 2)
		e.must(err)
		if len(page) > 2 || pages > 10 {
			e.t.Fatalf("page of %d ids with limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	e.equal("paged ids", got, open)
	if !slices.IsSorted(got) {
		e.t.Errorf("ids not in order: %v", got)
	}
}

func conversationView(e *env) {
	res := e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "42", Username: "anna", Name: "Anna", ExternalID: "1", Text: "My parcel is late"})
	e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "42", ExternalID: "2", Text: "Any news?\nIt was due Monday."})
	_, err := e.eng.Reply(e.ctx, staffCtx(res.Conversation, alice), "Looking into it", nil)
	e.must(err)
	_, err = e.eng.Tag(e.ctx, staffCtx(res.Conversation, alice), "parcel", true)
	e.must(err)
	v, err := e.db.ConversationView(e.ctx, res.Conversation)
	e.must(err)
	all := e.messages(res.Conversation)
	if v.ID != res.Conversation || v.Identity != "@anna" || v.MessageCount != len(all) || v.CustomerName != "Anna" {
		e.t.Errorf("view = id %s identity %q messages %d (of %d) name %q", v.ID, v.Identity, v.MessageCount, len(all), v.CustomerName)
	}
	// The newest customer message, not the staff reply after it.
	if v.LastMessage != "Any news?\nIt was due Monday." && v.LastMessage != "Any news?" {
		e.t.Errorf("LastMessage = %q", v.LastMessage)
	}
	e.equal("tags", v.Tags, []string{"parcel"})
	mail := e.deliver(bridge.InboundMessage{Channel: "email", Address: "ann@example.com", Email: "ann@example.com", Text: "Hello"})
	if v, err := e.db.ConversationView(e.ctx, mail.Conversation); err != nil || v.Identity != "ann@example.com" {
		e.t.Errorf("email identity = %q, %v", v.Identity, err)
	}
}

package storetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/stats"
	"github.com/threadlinehq/threadline/store"
)

// history builds a conversation through the engine at the callers' clock:
// n customer messages on channel/address (every third with a stored
// attachment), a staff reply that was sent (a message ref), a thread, a
// tag, a note and audit rows; closed and rated if closed. It returns the
// conversation and the attachment paths.
func (e *env) history(channel bridge.Platform, address, email, word string, n int, closed bool) (bridge.ConversationID, []string) {
	e.t.Helper()
	var conv bridge.ConversationID
	var files []string
	for i := range n {
		m := bridge.InboundMessage{Channel: channel, Address: address, Email: email, Name: "Name of " + address,
			ExternalID: fmt.Sprintf("%s-%s-%d", channel, address, i), Text: fmt.Sprintf("%s message %d from %s", word, i, address)}
		if i%3 == 0 {
			p := fmt.Sprintf("attachments/%s-%d.txt", address, i)
			files = append(files, p)
			m.Attachments = []bridge.Attachment{{Name: "file.txt", Path: p, Size: 4}}
		}
		conv = e.deliver(m).Conversation
	}
	sc := staffCtx(conv, alice)
	reply, err := e.eng.Reply(e.ctx, sc, "We are on it, "+address, nil)
	e.must(err)
	_, err = e.eng.Note(e.ctx, sc, "note about "+address, nil)
	e.must(err)
	_, err = e.eng.Tag(e.ctx, sc, "billing", true)
	e.must(err)
	e.markThread(conv, "console", bridge.ThreadRef("thread-"+address))
	for _, r := range e.outboxRows(conv) {
		if r.Kind == bridge.KindCustomerSend && r.Message == reply {
			e.markSent(r.ID, bridge.ExternalRef{Platform: channel, ID: "sent-" + address}, reply, e.now())
		}
	}
	if closed {
		_, err := e.eng.Close(e.ctx, sc, "solved")
		e.must(err)
		e.write(func(tx bridge.Tx) error {
			_, err := tx.RecordCSAT(conv, 5, "5", e.now())
			return err
		})
	}
	return conv, files
}

// store.Customers.
func customerCases() []testCase {
	return []testCase{
		{"FindCustomersByEmailNameAddressOrUsername", findCustomers},
		{"ForgetDeletesTheCustomerAndNothingElse", forgetCustomer},
		{"ForgetDeletesWhatAdaptersKeptAboutTheCustomer", forgetAdapterState},
		{"ForgetAuditsAtTheGivenTimeWithoutPersonalData", forgetAudit},
		{"ForgetUnknownCustomerIsErrNotFound", forgetUnknown},
	}
}

func findCustomers(e *env) {
	ann := e.deliver(bridge.InboundMessage{Channel: "email", Address: "ann@example.com", Email: "Ann@Example.com", Name: "Ann", Text: "hi"})
	bob := e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "77", Username: "bobby", Name: "Bob Builder", Text: "hi"})
	carol := e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "visitor-9", Text: "hi"})
	custOf := func(r bridge.DeliverResult) bridge.CustomerID { return e.conversation(r.Conversation).Customer }
	for _, tc := range []struct {
		q    string
		want []bridge.CustomerID
	}{
		{"ann@example.com", []bridge.CustomerID{custOf(ann)}},
		{"ANN@EXAMPLE.COM", []bridge.CustomerID{custOf(ann)}},
		{"  ann@example.com ", []bridge.CustomerID{custOf(ann)}},
		{"bob builder", []bridge.CustomerID{custOf(bob)}},
		{"@bobby", []bridge.CustomerID{custOf(bob)}},
		{"77", []bridge.CustomerID{custOf(bob)}},
		{"visitor-9", []bridge.CustomerID{custOf(carol)}},
		{"nobody", nil},
		{"bob", nil}, // names match whole
	} {
		found, err := e.db.FindCustomers(e.ctx, tc.q)
		if err != nil {
			e.t.Errorf("find %q: %v", tc.q, err)
			continue
		}
		var got []bridge.CustomerID
		for _, c := range found {
			got = append(got, c.ID)
		}
		e.equal(fmt.Sprintf("find %q", tc.q), got, tc.want)
	}
	if _, err := e.db.FindCustomers(e.ctx, "   "); err == nil {
		e.t.Error("an empty query is not an error")
	}
}

func forgetCustomer(e *env) {
	p1, files1 := e.history("webchat", "p-web", "pat@example.com", "secret", 10, true)
	p2, files2 := e.history("telegram", "p-tg", "pat@example.com", "secret", 4, false)
	q1, _ := e.history("webchat", "q-web", "quinn@example.com", "public", 5, true)
	pat, quinn := e.conversation(p1).Customer, e.conversation(q1).Customer
	if e.conversation(p2).Customer != pat {
		e.t.Fatal("fixture: the email did not join both identities to one customer")
	}
	patMsgs := len(e.messages(p1)) + len(e.messages(p2))
	quinnMsgs := e.messages(q1)
	fp, err := e.db.CustomerFootprint(e.ctx, pat)
	e.must(err)
	e.equal("footprint", fp, store.Footprint{Conversations: 2, Messages: patMsgs, Identities: 2, Files: len(files1) + len(files2)})

	var files []string
	var progress []store.Deleted
	got, err := e.db.ForgetCustomer(e.ctx, pat, bridge.Actor{ID: "cli", Name: "threadline customer forget"}, store.DeleteOptions{
		Batch: 4, Now: e.at(5 * time.Hour),
		Files:    func(paths []string) { files = append(files, paths...) },
		Progress: func(d store.Deleted) { progress = append(progress, d) },
	})
	e.must(err)
	if got.Conversations != 2 || got.Messages != patMsgs || got.Identities != 2 || got.Customers != 1 || got.Files != fp.Files || got.Batches < 2 {
		e.t.Errorf("forget = %+v (footprint %+v)", got, fp)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Messages < progress[i-1].Messages {
			e.t.Errorf("progress went backwards: %+v", progress)
		}
	}
	if len(progress) == 0 {
		e.t.Error("no progress reported")
	}
	want := slices.Concat(files1, files2)
	slices.Sort(want)
	slices.Sort(files)
	e.equal("attachment files handed over", files, want)

	_, err = e.db.Customer(e.ctx, pat)
	e.wantNotFound("the forgotten customer", err)
	for _, conv := range []bridge.ConversationID{p1, p2} {
		if !e.gone(conv) {
			e.t.Errorf("%s survived", conv)
		}
		if rows := e.outboxRows(conv); len(rows) != 0 {
			e.t.Errorf("%s: %d outbox rows left", conv, len(rows))
		}
		if audit, err := e.db.AuditLog(e.ctx, conv); err != nil || len(audit) != 0 {
			e.t.Errorf("%s: audit rows left: %+v, %v", conv, audit, err)
		}
	}
	if ids, err := e.db.CustomerIdentities(e.ctx, pat); err != nil || len(ids) != 0 {
		e.t.Errorf("identities survived: %+v, %v", ids, err)
	}
	if found, err := e.db.FindCustomers(e.ctx, "pat@example.com"); err != nil || len(found) != 0 {
		e.t.Errorf("still found: %+v, %v", found, err)
	}
	if hits, err := e.db.Search(e.ctx, "secret", 100); err != nil || len(hits) != 0 {
		e.t.Errorf("search finds forgotten text: %+v, %v", hits, err)
	}
	_, err = e.db.ConversationByThread(e.ctx, "console", "thread-p-web")
	e.wantNotFound("the forgotten thread", err)
	_, err = e.db.MessageByExternal(e.ctx, "webchat", "sent-p-web")
	e.wantNotFound("the forgotten reply's sent copy", err)
	_, err = e.db.MessageByExternal(e.ctx, "telegram", "telegram-p-tg-0")
	e.wantNotFound("the forgotten message", err)
	if ms, err := e.db.CustomerMessages(e.ctx, "webchat", "p-web", 0, 100); err != nil || len(ms) != 0 {
		e.t.Errorf("the web chat history survived: %d messages, %v", len(ms), err)
	}

	// Quinn keeps everything.
	e.equal("quinn's messages", e.messages(q1), quinnMsgs)
	if c, err := e.db.Customer(e.ctx, quinn); err != nil || c.Email != "quinn@example.com" {
		e.t.Errorf("quinn = %+v, %v", c, err)
	}
	if fp, err := e.db.CustomerFootprint(e.ctx, quinn); err != nil || fp.Conversations != 1 || fp.Identities != 1 || fp.Messages != len(quinnMsgs) {
		e.t.Errorf("quinn's footprint = %+v, %v", fp, err)
	}
	if conv, err := e.db.ConversationByThread(e.ctx, "console", "thread-q-web"); err != nil || conv != q1 {
		e.t.Errorf("quinn's thread = %s, %v", conv, err)
	}
	if m, err := e.db.MessageByExternal(e.ctx, "webchat", "sent-q-web"); err != nil || m.Conversation != q1 {
		e.t.Errorf("quinn's sent copy = %+v, %v", m, err)
	}
	if audit, err := e.db.AuditLog(e.ctx, q1); err != nil || len(audit) == 0 {
		e.t.Errorf("quinn's audit = %+v, %v", audit, err)
	}
	if v, err := e.db.ConversationView(e.ctx, q1); err != nil || !slices.Equal(v.Tags, []string{"billing"}) {
		e.t.Errorf("quinn's tags = %v, %v", v.Tags, err)
	}
	if hits, err := e.db.Search(e.ctx, "public", 100); err != nil || len(hits) != 5 {
		e.t.Errorf("search for quinn's words: %d hits, %v", len(hits), err)
	}
	if st, err := e.db.Stats(e.ctx, e.at(-time.Hour), e.at(time.Hour), time.UTC); err != nil || st.CSAT.Count != 1 {
		e.t.Errorf("ratings left = %+v, %v; want quinn's", st.CSAT, err)
	}
}

func forgetAudit(e *env) {
	conv, _ := e.history("email", "pat@example.com", "pat@example.com", "secret", 2, true)
	pat := e.conversation(conv).Customer
	conv2, _ := e.history("email", "kim@example.com", "kim@example.com", "secret", 2, true)
	kim := e.conversation(conv2).Customer
	_, err := e.db.ForgetCustomer(e.ctx, pat, bridge.Actor{ID: "cli", Name: "admin"}, store.DeleteOptions{Now: e.at(5 * time.Hour)})
	e.must(err)
	_, err = e.db.ForgetCustomer(e.ctx, kim, bridge.Actor{ID: "cli", Name: "admin"}, store.DeleteOptions{})
	e.must(err)
	audit, err := e.db.LatestAudit(e.ctx, "customer_forgotten", 5)
	e.must(err)
	if len(audit) != 2 {
		e.t.Fatalf("audit = %+v", audit)
	}
	e.sameTime("audit of a forget at o.Now", audit[1].At, e.at(5*time.Hour))
	e.sameTime("audit of a forget without o.Now (the store's clock)", audit[0].At, e.storeClock.Now())
	for i, cust := range []bridge.CustomerID{kim, pat} {
		d := audit[i].Detail
		if audit[i].Actor.ID != "cli" || audit[i].Conversation != 0 || !strings.Contains(d, fmt.Sprint(cust)) {
			e.t.Errorf("audit %+v: want the actor, no conversation and the customer id %d", audit[i], cust)
		}
		if strings.Contains(d, "example.com") || strings.Contains(d, "pat") || strings.Contains(d, "kim") {
			e.t.Errorf("audit detail %q holds personal data", d)
		}
	}
}

func forgetUnknown(e *env) {
	_, err := e.db.ForgetCustomer(e.ctx, 4242, alice, store.DeleteOptions{})
	e.wantNotFound("ForgetCustomer", err)
	if audit, err := e.db.LatestAudit(e.ctx, "customer_forgotten", 5); err != nil || len(audit) != 0 {
		e.t.Errorf("audit = %+v, %v", audit, err)
	}
}

// store.Retention.
func retentionCases() []testCase {
	return []testCase{
		{"OnlyConversationsClosedAndUntouchedBeforeTheCutoffGo", purgeOldClosed},
		{"AnEditInAKeptConversationDoesNotBlockThePurge", purgeAcrossEdits},
		{"PurgeAuditsAtTheGivenTime", purgeAudit},
	}
}

func purgeOldClosed(e *env) {
	old, recent := e.at(0), e.at(90*24*time.Hour)
	cutoff := e.at(60 * 24 * time.Hour)
	e.clock.Set(old)
	a, aFiles := e.history("webchat", "x-web", "x@example.com", "kumquat", 10, true) // customer X
	b, bFiles := e.history("telegram", "x-tg", "x@example.com", "kumquat", 2, true)  // X again (same email)
	c, _ := e.history("webchat", "x-web2", "x@example.com", "papaya", 2, false)      // X, still open
	y, yFiles := e.history("webchat", "y-web", "", "kumquat", 4, true)               // customer Y, all old
	w, _ := e.history("webchat", "w-web", "", "papaya", 2, true)                     // closed long ago, touched lately
	e.clock.Set(recent)
	d, _ := e.history("webchat", "z-web", "", "papaya", 3, true) // closed recently
	_, err := e.eng.Tag(e.ctx, staffCtx(w, bob), "late", true)
	e.must(err)
	xCust, yCust := e.conversation(a).Customer, e.conversation(y).Customer
	purged := []bridge.ConversationID{a, b, y}
	kept := []bridge.ConversationID{c, d, w}
	msgs := 0
	for _, conv := range purged {
		msgs += len(e.messages(conv))
	}
	keptMsgs := map[bridge.ConversationID]int{}
	for _, conv := range kept {
		keptMsgs[conv] = len(e.messages(conv))
	}

	p, err := e.db.PreviewPurge(e.ctx, cutoff)
	e.must(err)
	e.equal("preview", p, store.RetentionPreview{Conversations: 3, Messages: msgs, Customers: 1})
	var files []string
	var progress []store.Deleted
	got, err := e.db.PurgeClosed(e.ctx, cutoff, store.DeleteOptions{Batch: 5, Now: recent,
		Progress: func(d store.Deleted) { progress = append(progress, d) },
		Files:    func(paths []string) { files = append(files, paths...) }})
	e.must(err)
	if got.Conversations != p.Conversations || got.Messages != p.Messages || got.Customers != p.Customers || got.Identities != 1 ||
		got.Files != len(aFiles)+len(bFiles)+len(yFiles) || got.Batches < 2 || len(progress) == 0 {
		e.t.Errorf("purged %+v, preview %+v, %d progress calls", got, p, len(progress))
	}
	want := slices.Concat(aFiles, bFiles, yFiles)
	slices.Sort(want)
	slices.Sort(files)
	e.equal("attachment files handed over", files, want)
	for _, conv := range purged {
		if !e.gone(conv) {
			e.t.Errorf("%s survived", conv)
		}
		if rows := e.outboxRows(conv); len(rows) != 0 {
			e.t.Errorf("%s: %d outbox rows left", conv, len(rows))
		}
		if audit, err := e.db.AuditLog(e.ctx, conv); err != nil || len(audit) != 0 {
			e.t.Errorf("%s: audit rows left: %v", conv, err)
		}
	}
	for _, conv := range kept {
		if e.gone(conv) {
			e.t.Errorf("%s was purged", conv)
		} else if n := len(e.messages(conv)); n != keptMsgs[conv] {
			e.t.Errorf("%s has %d messages, had %d", conv, n, keptMsgs[conv])
		}
	}
	if hits, err := e.db.Search(e.ctx, "kumquat", 100); err != nil || len(hits) != 0 {
		e.t.Errorf("search still finds purged text: %d hits, %v", len(hits), err)
	}
	if hits, err := e.db.Search(e.ctx, "papaya", 100); err != nil || len(hits) == 0 {
		e.t.Errorf("search lost kept text: %v", err)
	}
	_, err = e.db.Customer(e.ctx, yCust)
	e.wantNotFound("customer Y (no conversation left)", err)
	if _, err := e.db.Customer(e.ctx, xCust); err != nil {
		e.t.Errorf("customer X (an open conversation left) = %v", err)
	}
	if ids, err := e.db.CustomerIdentities(e.ctx, xCust); err != nil || len(ids) != 3 {
		e.t.Errorf("customer X identities = %+v, %v", ids, err)
	}
	if _, err := e.db.ConversationByThread(e.ctx, "console", "thread-x-web"); !errors.Is(err, bridge.ErrNotFound) {
		e.t.Errorf("purged thread = %v", err)
	}
	if p, err := e.db.PreviewPurge(e.ctx, cutoff); err != nil || p != (store.RetentionPreview{}) {
		e.t.Errorf("preview after the purge = %+v, %v", p, err)
	}
	again, err := e.db.PurgeClosed(e.ctx, cutoff, store.DeleteOptions{Now: recent})
	if err != nil || again.Conversations != 0 || again.Messages != 0 {
		e.t.Errorf("second purge = %+v, %v", again, err)
	}
}

// A message in a kept conversation may correct one in a purged one.
func purgeAcrossEdits(e *env) {
	oldConv := e.open("telegram", "42", func(c *bridge.Conversation) { c.Status, c.ClosedAt = bridge.StatusClosed, e.now() })
	orig := e.message(oldConv.ID, bridge.DirCustomer, "3 boxes", func(m *bridge.Message) { m.Platform, m.ExternalID = "telegram", "42:1" })
	e.clock.Advance(90 * 24 * time.Hour)
	newConv := e.open("telegram", "42", nil)
	var edit bridge.Message
	e.write(func(tx bridge.Tx) error {
		edit = bridge.Message{Conversation: newConv.ID, Direction: bridge.DirCustomer, Body: "4 boxes", Platform: "telegram", ExternalID: "42:1/e", CreatedAt: e.now()}
		return tx.InsertMessage(&edit, orig.ID)
	})
	got, err := e.db.PurgeClosed(e.ctx, e.at(24*time.Hour), store.DeleteOptions{Now: e.now()})
	e.must(err)
	if got.Conversations != 1 || got.Messages != 1 || !e.gone(oldConv.ID) {
		e.t.Errorf("purge = %+v", got)
	}
	if m, err := e.db.Message(e.ctx, edit.ID); err != nil || m.Body != "4 boxes" {
		e.t.Errorf("the edit in the kept conversation = %+v, %v", m, err)
	}
}

func purgeAudit(e *env) {
	e.history("webchat", "v1", "", "old", 1, true)
	e.history("webchat", "v2", "", "old", 1, true)
	e.clock.Advance(48 * time.Hour)
	e.history("webchat", "v3", "", "new", 1, true)
	if _, err := e.db.PurgeClosed(e.ctx, e.at(24*time.Hour), store.DeleteOptions{Now: e.at(50 * time.Hour)}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.PurgeClosed(e.ctx, e.at(49*time.Hour), store.DeleteOptions{}); err != nil {
		e.t.Fatal(err)
	}
	audit, err := e.db.LatestAudit(e.ctx, "retention_purged", 5)
	e.must(err)
	if len(audit) != 2 {
		e.t.Fatalf("audit = %+v", audit)
	}
	e.sameTime("purge at o.Now", audit[1].At, e.at(50*time.Hour))
	e.sameTime("purge without o.Now (the store's clock)", audit[0].At, e.storeClock.Now())
	if !strings.Contains(audit[1].Detail, "2 conversations") || !strings.Contains(audit[0].Detail, "1 conversations") {
		e.t.Errorf("audit details: %q, %q", audit[1].Detail, audit[0].Detail)
	}
}

// store.Exporter.
func exportCases() []testCase {
	return []testCase{
		{"ExportVisitsWhatCountExportCountsInOrder", exportAll},
		{"ExportFiltersAgreeWithCountExport", exportFilters},
		{"ExportReadsOneSnapshot", exportSnapshot},
		{"AVisitorErrorStopsTheExport", exportStops},
	}
}

// bulk creates convs conversations with perConv messages each, in one write.
func (e *env) bulk(prefix string, convs, perConv int, status bridge.Status, updated time.Time) []bridge.ConversationID {
	e.t.Helper()
	var out []bridge.ConversationID
	e.write(func(tx bridge.Tx) error {
		out = out[:0]
		for i := range convs {
			addr := fmt.Sprintf("%s-%d", prefix, i)
			cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: addr}, updated)
			if err != nil {
				return err
			}
			c := bridge.Conversation{Customer: cust, Channel: "webchat", Address: addr, Status: status, Priority: bridge.PriorityNormal,
				CreatedAt: updated, UpdatedAt: updated}
			if err := tx.CreateConversation(&c); err != nil {
				return err
			}
			for j := range perConv {
				m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Body: fmt.Sprintf("%s %d", addr, j), CreatedAt: updated}
				if err := tx.InsertMessage(&m, 0); err != nil {
					return err
				}
			}
			out = append(out, c.ID)
		}
		return nil
	})
	return out
}

type exportWalk struct {
	convs, msgs, ends int
	order             []bridge.ConversationID
	problems          []string
}

func (e *env) export(f store.ExportFilter, during func(c bridge.ConversationView)) exportWalk {
	e.t.Helper()
	var w exportWalk
	var cur bridge.ConversationID
	var lastMsg bridge.MessageID
	open := false
	err := e.db.Export(e.ctx, f, store.ExportVisitor{
		Conversation: func(c bridge.ConversationView) error {
			if open {
				w.problems = append(w.problems, fmt.Sprintf("%s began before %s ended", c.ID, cur))
			}
			if len(w.order) > 0 && c.ID <= w.order[len(w.order)-1] {
				w.problems = append(w.problems, fmt.Sprintf("%s after %s", c.ID, w.order[len(w.order)-1]))
			}
			cur, lastMsg, open = c.ID, 0, true
			w.order = append(w.order, c.ID)
			w.convs++
			if during != nil {
				during(c)
			}
			return nil
		},
		Message: func(m bridge.Message) error {
			if !open || m.Conversation != cur || m.ID <= lastMsg {
				w.problems = append(w.problems, fmt.Sprintf("message %d of %s after message %d of %s", m.ID, m.Conversation, lastMsg, cur))
			}
			lastMsg = m.ID
			w.msgs++
			return nil
		},
		End: func(c bridge.ConversationView) error {
			if !open || c.ID != cur {
				w.problems = append(w.problems, fmt.Sprintf("end of %s while in %s", c.ID, cur))
			}
			open = false
			w.ends++
			return nil
		},
	})
	e.must(err)
	for _, p := range w.problems {
		e.t.Error(p)
	}
	return w
}

func exportAll(e *env) {
	long := e.bulk("long", 1, 1100, bridge.StatusClosed, e.at(-30*24*time.Hour))
	short := e.bulk("short", 230, 1, bridge.StatusOpen, e.now())
	tagged, _ := e.history("telegram", "42", "", "hello", 2, false)
	e.write(func(tx bridge.Tx) error {
		_, err := tx.AddTag(short[0], "vip", e.now())
		return err
	})
	convs, msgs, err := e.db.CountExport(e.ctx, store.ExportFilter{})
	e.must(err)
	wantMsgs := 1100 + 230 + len(e.messages(tagged))
	if convs != 232 || msgs != wantMsgs {
		e.t.Errorf("CountExport = %d, %d; want 232, %d", convs, msgs, wantMsgs)
	}
	views := map[bridge.ConversationID]bridge.ConversationView{}
	w := e.export(store.ExportFilter{}, func(c bridge.ConversationView) { views[c.ID] = c })
	if w.convs != convs || w.ends != convs || w.msgs != msgs {
		e.t.Errorf("Export visited %d conversations (%d ends), %d messages; CountExport said %d, %d", w.convs, w.ends, w.msgs, convs, msgs)
	}
	if w.order[0] != long[0] {
		e.t.Errorf("first conversation %s, want %s", w.order[0], long[0])
	}
	if v := views[short[0]]; !slices.Equal(v.Tags, []string{"vip"}) || v.MessageCount != 1 || v.Address != "short-0" {
		e.t.Errorf("exported view = %+v", v)
	}
	if v := views[tagged]; !slices.Equal(v.Tags, []string{"billing"}) || v.CustomerName != "Name of 42" {
		e.t.Errorf("exported view = %+v", v)
	}
}

func exportFilters(e *env) {
	closedOld := e.bulk("closed-old", 2, 2, bridge.StatusClosed, e.at(-48*time.Hour))
	e.bulk("open-old", 3, 1, bridge.StatusOpen, e.at(-48*time.Hour))
	e.bulk("waiting-new", 4, 3, bridge.StatusWaiting, e.now())
	for _, tc := range []struct {
		name        string
		f           store.ExportFilter
		convs, msgs int
	}{
		{"all", store.ExportFilter{}, 9, 4 + 3 + 12},
		{"closed", store.ExportFilter{Statuses: []bridge.Status{bridge.StatusClosed}}, 2, 4},
		{"open and waiting", store.ExportFilter{Statuses: []bridge.Status{bridge.StatusOpen, bridge.StatusWaiting}}, 7, 15},
		{"since", store.ExportFilter{Since: e.at(-time.Hour)}, 4, 12},
		{"since, exactly", store.ExportFilter{Since: e.now()}, 4, 12},
		{"one", store.ExportFilter{Conversation: closedOld[1]}, 1, 2},
		{"one, filtered out", store.ExportFilter{Conversation: closedOld[1], Statuses: []bridge.Status{bridge.StatusOpen}}, 0, 0},
		{"none", store.ExportFilter{Conversation: 99999}, 0, 0},
	} {
		convs, msgs, err := e.db.CountExport(e.ctx, tc.f)
		e.must(err)
		w := e.export(tc.f, nil)
		if convs != tc.convs || msgs != tc.msgs || w.convs != tc.convs || w.msgs != tc.msgs {
			e.t.Errorf("%s: counted %d, %d; exported %d, %d; want %d, %d", tc.name, convs, msgs, w.convs, w.msgs, tc.convs, tc.msgs)
		}
	}
}

// What is written while an export runs is not in it: it reads the
// database as it was when it started.
func exportSnapshot(e *env) {
	convs := e.bulk("snap", 3, 2, bridge.StatusOpen, e.now())
	written := false
	w := e.export(store.ExportFilter{}, func(c bridge.ConversationView) {
		if written {
			return
		}
		written = true
		e.message(convs[2], bridge.DirCustomer, "late message", nil)
		e.open("webchat", "late conversation", nil)
	})
	if w.convs != 3 || w.msgs != 6 {
		e.t.Errorf("export saw %d conversations, %d messages; want the 3 and 6 there were when it started", w.convs, w.msgs)
	}
	if convs, msgs, err := e.db.CountExport(e.ctx, store.ExportFilter{}); err != nil || convs != 4 || msgs != 7 {
		e.t.Errorf("CountExport afterwards = %d, %d, %v", convs, msgs, err)
	}
}

func exportStops(e *env) {
	e.bulk("stop", 3, 2, bridge.StatusOpen, e.now())
	stop := errors.New("stop")
	seen := 0
	err := e.db.Export(e.ctx, store.ExportFilter{}, store.ExportVisitor{Message: func(bridge.Message) error { seen++; return stop }})
	if !errors.Is(err, stop) || seen != 1 {
		e.t.Errorf("Export = %v after %d messages, want the visitor's error after 1", err, seen)
	}
}

// store.Reports.
func reportCases() []testCase {
	return []testCase{
		{"StatsOverAKnownHistory", statsKnownHistory},
		{"StatsRefusesAnEmptyWindow", statsEmptyWindow},
	}
}

// The week of Monday 3 March 2031:
//
//	c4 webchat, Thu 27 Feb 12:00 (before the week); Bob closes Tue 15:00; resolution missed
//	c1 webchat, Mon 09:00; Alice claims 09:05, tags refund, replies 09:10, closes 10:00; rated 5;
//	   first response and resolution met, 2 next responses met
//	c2 telegram, Mon 11:00, billing; Bob replies 11:30; tags refund, login; first response
//	   missed, 1 next response missed
//	c3 email, Tue 14:00; unanswered
//	c5 webchat, Mon 10 Mar 09:00 (after the week); Alice replies 09:30; rated 1
func statsKnownHistory(e *env) {
	day := func(d, h, m int) time.Time { return time.Date(2031, 3, d, h, m, 0, 0, time.UTC) }
	deliver := func(at time.Time, ch bridge.Platform, addr string) bridge.ConversationID {
		e.clock.Set(at)
		return e.deliver(bridge.InboundMessage{Channel: ch, Address: addr, Name: addr, Text: "help"}).Conversation
	}
	act := func(at time.Time, f func() error) {
		e.t.Helper()
		e.clock.Set(at)
		e.must(f())
	}
	thu := time.Date(2031, 2, 27, 12, 0, 0, 0, time.UTC)
	e.restartClock(thu)
	c4 := deliver(thu, "webchat", "v4")
	c1 := deliver(day(3, 9, 0), "webchat", "v1")
	sc1 := staffCtx(c1, alice)
	act(day(3, 9, 5), func() error { _, err := e.eng.Claim(e.ctx, sc1); return err })
	act(day(3, 9, 5), func() error { _, err := e.eng.Tag(e.ctx, sc1, "refund", true); return err })
	act(day(3, 9, 10), func() error { _, err := e.eng.Reply(e.ctx, sc1, "on it", nil); return err })
	act(day(3, 10, 0), func() error { _, err := e.eng.Close(e.ctx, sc1, ""); return err })
	e.write(func(tx bridge.Tx) error { _, err := tx.RecordCSAT(c1, 5, "5", day(3, 10, 30)); return err })
	c2 := deliver(day(3, 11, 0), "telegram", "t1")
	e.update(c2, func(c *bridge.Conversation) { c.Department = "billing" })
	sc2 := staffCtx(c2, bob)
	act(day(3, 11, 30), func() error { _, err := e.eng.Reply(e.ctx, sc2, "hello", nil); return err })
	act(day(3, 11, 30), func() error { _, err := e.eng.Tag(e.ctx, sc2, "refund", true); return err })
	act(day(3, 11, 30), func() error { _, err := e.eng.Tag(e.ctx, sc2, "login", true); return err })
	deliver(day(4, 14, 0), "email", "a@example.com")
	act(day(4, 15, 0), func() error { _, err := e.eng.Close(e.ctx, staffCtx(c4, bob), ""); return err })
	c5 := deliver(day(10, 9, 0), "webchat", "v5")
	act(day(10, 9, 30), func() error { _, err := e.eng.Reply(e.ctx, staffCtx(c5, alice), "later", nil); return err })
	e.write(func(tx bridge.Tx) error { _, err := tx.RecordCSAT(c5, 1, "1", day(10, 10, 0)); return err })
	// SLA outcomes, as the SLA engine records them.
	e.update(c1, func(c *bridge.Conversation) { c.SLA.FirstMet, c.SLA.ResolvedMet, c.SLA.NextMet = yes(), yes(), 2 })
	e.update(c2, func(c *bridge.Conversation) { c.SLA.FirstMet, c.SLA.NextMissed = no(), 1 })
	e.update(c4, func(c *bridge.Conversation) { c.SLA.ResolvedMet = no() })
	e.update(c5, func(c *bridge.Conversation) { c.SLA.NextMet = 7 }) // opened after the week

	s, err := e.db.Stats(e.ctx, day(3, 0, 0), day(10, 0, 0), time.UTC)
	e.must(err)
	e.equal("created/closed/unanswered", []int{s.Created, s.Closed, s.Unanswered}, []int{3, 2, 1})
	e.equal("by channel", s.ByChannel, []stats.Count{{Name: "email", Count: 1}, {Name: "telegram", Count: 1}, {Name: "webchat", Count: 1}})
	e.equal("by department", s.ByDepartment, []stats.Count{{Name: "", Count: 2}, {Name: "billing", Count: 1}})
	if len(s.ByDay) != 7 {
		e.t.Fatalf("%d days", len(s.ByDay))
	}
	e.equal("Mon/Tue/Wed", []int{s.ByDay[0].Count, s.ByDay[1].Count, s.ByDay[2].Count}, []int{2, 1, 0})
	e.equal("hours 9/11/14", []int{s.ByHour[9], s.ByHour[11], s.ByHour[14]}, []int{1, 1, 1})
	e.equal("first response", s.FirstResponse, stats.NewTiming([]time.Duration{10 * time.Minute, 30 * time.Minute}))
	e.equal("first response, opened at 9h", s.ResponseByHour[9], stats.NewTiming([]time.Duration{10 * time.Minute}))
	e.equal("resolution", s.Resolution, stats.NewTiming([]time.Duration{time.Hour, day(4, 15, 0).Sub(thu)}))
	e.equal("SLA", s.SLA, stats.SLA{FirstResponse: stats.Attainment{Met: 1, Missed: 1},
		Resolution: stats.Attainment{Met: 1, Missed: 1}, NextResponse: stats.Attainment{Met: 2, Missed: 1}})
	e.equal("tags", s.Tags, []stats.Count{{Name: "refund", Count: 2}, {Name: "login", Count: 1}})
	e.equal("agents", s.Agents, []stats.AgentStats{
		{ID: alice.ID, Name: alice.Name, Replies: 1, Closed: 1, Claims: 1},
		{ID: bob.ID, Name: bob.Name, Replies: 1, Closed: 1},
	})
	e.equal("csat", s.CSAT, stats.CSAT{Count: 1, Average: 5})
	// Now: c2 waiting, c3 open, c5 waiting; nobody owns them.
	e.equal("now", s.Now, stats.Backlog{Open: 1, Unclaimed: 3, Waiting: 2})

	// Hours follow the zone: 09:00 UTC is 10:00 in Berlin (CET).
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err == nil {
		sb, err := e.db.Stats(e.ctx, day(3, 0, 0), day(10, 0, 0), berlin)
		e.must(err)
		e.equal("Berlin hours 10/12/15", []int{sb.ByHour[10], sb.ByHour[12], sb.ByHour[15]}, []int{1, 1, 1})
	}
	empty, err := e.db.Stats(e.ctx, day(20, 0, 0), day(21, 0, 0), time.UTC)
	e.must(err)
	if empty.Created != 0 || empty.Closed != 0 || empty.FirstResponse.Count != 0 || len(empty.Agents) != 0 || empty.CSAT.Count != 0 {
		e.t.Errorf("a quiet day: %+v", empty)
	}
}

func statsEmptyWindow(e *env) {
	for _, w := range [][2]time.Time{{e.at(time.Hour), e.now()}, {e.now(), e.now()}} {
		if _, err := e.db.Stats(e.ctx, w[0], w[1], time.UTC); err == nil {
			e.t.Errorf("Stats over [%s, %s) is not an error", w[0], w[1])
		}
	}
}

// store.Backuper.
func backupCases() []testCase {
	return []testCase{
		{"BackupCopiesTheDataOrSaysWhatToUse", backupCopies},
		{"BackupRefusesToOverwrite", backupRefusesOverwrite},
	}
}

func backupCopies(e *env) {
	conv, _ := e.history("webchat", "v1", "v@example.com", "zebra", 5, false)
	closed, _ := e.history("telegram", "42", "", "okapi", 2, true)
	dest := filepath.Join(e.t.TempDir(), "backup.db")
	res, err := e.db.Backup(e.ctx, dest, store.BackupOptions{})
	if e.b.OpenBackup == nil {
		name := e.db.Describe().Backend
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(name)) {
			e.t.Errorf("Backup of a backend that does not copy = %v; want an error that names %q and says what to use", err, name)
		}
		if _, serr := os.Stat(dest); !errors.Is(serr, os.ErrNotExist) {
			e.t.Errorf("Backup failed but left %s: %v", dest, serr)
		}
		return
	}
	e.must(err)
	msgs := len(e.messages(conv)) + len(e.messages(closed))
	if res.Path != dest || res.SchemaVersion != e.db.LatestVersion() || res.Conversations != 2 || res.Messages != msgs || res.Customers != 2 {
		e.t.Errorf("backup result = %+v", res)
	}
	copied := e.b.OpenBackup(e.t, dest)
	if err := copied.CheckSchema(e.ctx); err != nil {
		e.t.Errorf("the copy's schema: %v", err)
	}
	for _, id := range []bridge.ConversationID{conv, closed} {
		orig, err := e.db.ConversationView(e.ctx, id)
		e.must(err)
		got, err := copied.ConversationView(e.ctx, id)
		e.must(err)
		e.equal("conversation in the copy", got, orig)
		ms, err := copied.Messages(e.ctx, id, 0)
		e.must(err)
		e.equal("messages in the copy", ms, e.messages(id))
	}
	if hits, err := copied.Search(e.ctx, "zebra", 10); err != nil || len(hits) != 5 {
		e.t.Errorf("search in the copy: %d hits, %v", len(hits), err)
	}
	if rows, err := copied.OutboxRows(e.ctx, conv); err != nil || !e.equal("outbox in the copy", rows, e.outboxRows(conv)) {
		e.t.Errorf("outbox rows in the copy: %v", err)
	}
}

func backupRefusesOverwrite(e *env) {
	e.needs(e.b.OpenBackup, "OpenBackup")
	dest := filepath.Join(e.t.TempDir(), "b.db")
	e.must(os.WriteFile(dest, []byte("precious"), 0o600))
	if _, err := e.db.Backup(e.ctx, dest, store.BackupOptions{}); !errors.Is(err, store.ErrBackupExists) {
		e.t.Fatalf("backup onto an existing file = %v, want store.ErrBackupExists", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "precious" {
		e.t.Fatal("the existing file was changed")
	}
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "hi"})
	res, err := e.db.Backup(e.ctx, dest, store.BackupOptions{Force: true})
	e.must(err)
	if res.Conversations != 1 {
		e.t.Errorf("forced backup = %+v", res)
	}
	copied := e.b.OpenBackup(e.t, dest)
	if ids, err := copied.OpenConversationIDs(e.ctx, 0, 10); err != nil || len(ids) != 1 {
		e.t.Errorf("the forced copy holds %v, %v", ids, err)
	}
}

// forgetAdapterState: cursors an adapter keyed "<kind>:<address>" for one
// of the customer's addresses (the email a visitor gave, what they read)
// go with the customer; other customers' and other adapters' stay.
func forgetAdapterState(e *env) {
	p1, _ := e.history("webchat", "p_web%1", "pat@example.com", "secret", 2, false)
	q1, _ := e.history("webchat", "q-web", "quinn@example.com", "public", 2, false)
	pat := e.conversation(p1).Customer
	_ = q1
	for _, kv := range [][2]string{{"email:p_web%1", "pat@example.com"}, {"read:p_web%1", "7"}, {"email:q-web", "quinn@example.com"},
		{"email:pXwebX1", "someone@example.com"}, {"handles", "12"}} {
		e.must(e.db.SetCursor(e.ctx, "webchat", kv[0], kv[1]))
	}
	e.must(e.db.SetCursor(e.ctx, "telegram", "read:p_web%1", "1"))
	_, err := e.db.ForgetCustomer(e.ctx, pat, bridge.Actor{ID: "cli", Name: "forget"}, store.DeleteOptions{Now: e.at(time.Hour)})
	e.must(err)
	for _, c := range []struct {
		adapter, key string
		kept         bool
	}{{"webchat", "email:p_web%1", false}, {"webchat", "read:p_web%1", false}, {"webchat", "email:q-web", true},
		{"webchat", "email:pXwebX1", true}, {"webchat", "handles", true}, {"telegram", "read:p_web%1", true}} {
		v, err := e.db.Cursor(e.ctx, c.adapter, c.key)
		e.must(err)
		if (v != "") != c.kept {
			e.t.Errorf("cursor %s/%s = %q after the forget, want kept=%v", c.adapter, c.key, v, c.kept)
		}
	}
}

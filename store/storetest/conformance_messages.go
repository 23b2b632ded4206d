package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// MessageReader and MessageTx.
func messageCases() []testCase {
	return []testCase{
		{"InsertStoresEveryFieldAndSetsID", insertStoresEveryField},
		{"MissingMessageIsErrNotFound", missingMessage},
		{"SamePlatformIDIsStoredOnce", samePlatformIDOnce},
		{"StoredExternalFindsStoredIDsOnly", storedExternalOnly},
		{"MessageByExternalAlsoFindsSentCopies", messageByExternalCopies},
		{"AnEditIsANewMessageAndTheOriginalStays", editsAreNewMessages},
		{"MessagesAreOldestFirstAndALimitKeepsTheNewest", messagesOrder},
		{"MessagesWithoutLimitListsEveryMessage", messagesWithoutLimit},
		{"ReferencesListWhatWasExchangedOnTheChannel", references},
		{"SearchMatchesEveryWordAndTakesOperatorsAsText", searchWords},
		{"SearchHitsAreNewestFirst", searchOrder},
		{"SearchWithoutWordsIsAnError", searchEmpty},
	}
}

func insertStoresEveryField(e *env) {
	c := e.open("telegram", "42", nil)
	want := bridge.Message{
		Conversation: c.ID, Direction: bridge.DirCustomer, AuthorID: "42", Author: "Zoë 🚀",
		Body:     "First line\nsecond line with ünïcödé, emoji 🎉 and \"quotes\"\ttab",
		Platform: "telegram", ExternalID: "42:1001", CreatedAt: e.at(90 * time.Second),
		Attachments: []bridge.Attachment{
			{Name: "photo.jpg", MIME: "image/jpeg", Size: 123456, URL: "https://files.example.com/p.jpg", Path: "attachments/1/photo.jpg"},
			{Name: "notes.txt"},
		},
		Mentions: []bridge.StaffID{alice.ID, bridge.MentionHere},
	}
	e.write(func(tx bridge.Tx) error {
		m := want
		if err := tx.InsertMessage(&m, 0); err != nil {
			return err
		}
		if m.ID <= 0 {
			return fmt.Errorf("InsertMessage set ID %d", m.ID)
		}
		want.ID = m.ID
		got, err := tx.MessageByID(m.ID)
		e.equal("MessageByID in the write", got, want)
		return err
	})
	got, err := e.db.Message(e.ctx, want.ID)
	e.must(err)
	e.equal("Message", got, want)
	byExt, err := e.db.MessageByExternal(e.ctx, "telegram", "42:1001")
	e.must(err)
	e.equal("MessageByExternal", byExt, want)
	e.equal("Messages", e.messages(c.ID), []bridge.Message{want})
	bare := e.message(c.ID, bridge.DirSystem, "no extras", nil)
	got, err = e.db.Message(e.ctx, bare.ID)
	e.must(err)
	e.equal("a message without attachments, mentions or ids", got, bare)
}

func missingMessage(e *env) {
	_, err := e.db.Message(e.ctx, 4242)
	e.wantNotFound("Message", err)
	_, err = e.db.MessageByExternal(e.ctx, "telegram", "nope")
	e.wantNotFound("MessageByExternal", err)
	e.write(func(tx bridge.Tx) error {
		_, err := tx.MessageByID(4242)
		e.wantNotFound("Tx.MessageByID", err)
		_, err = tx.MessageByExternal("telegram", "nope")
		e.wantNotFound("Tx.MessageByExternal", err)
		_, _, err = tx.StoredExternal("telegram", "nope")
		e.wantNotFound("Tx.StoredExternal", err)
		return nil
	})
}

// A second message with the same platform id is refused with
// ErrDuplicate; the write that got the refusal can go on.
func samePlatformIDOnce(e *env) {
	c := e.open("telegram", "42", nil)
	e.write(func(tx bridge.Tx) error {
		m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Body: "x", Platform: "telegram", ExternalID: "42", CreatedAt: e.now()}
		if err := tx.InsertMessage(&m, 0); err != nil {
			return err
		}
		dup := m
		dup.ID = 0
		if err := tx.InsertMessage(&dup, 0); !errors.Is(err, bridge.ErrDuplicate) {
			e.t.Errorf("second insert = %v, want bridge.ErrDuplicate", err)
		}
		// The same id from another platform, and messages without ids, are all distinct.
		for _, x := range []bridge.Message{
			{Conversation: c.ID, Direction: bridge.DirStaff, Body: "y", Platform: "slack", ExternalID: "42", CreatedAt: e.now()},
			{Conversation: c.ID, Direction: bridge.DirNote, Body: "z", Platform: "slack", CreatedAt: e.now()},
			{Conversation: c.ID, Direction: bridge.DirNote, Body: "z", Platform: "slack", CreatedAt: e.now()},
		} {
			if err := tx.InsertMessage(&x, 0); err != nil {
				return fmt.Errorf("after the refused duplicate: %w", err)
			}
		}
		return nil
	})
	if got := bodies(e.messages(c.ID)); !slices.Equal(got, []string{"x", "y", "z", "z"}) {
		e.t.Errorf("messages = %q", got)
	}
	err := e.db.Write(e.ctx, func(tx bridge.Tx) error {
		m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Body: "again", Platform: "telegram", ExternalID: "42", CreatedAt: e.now()}
		return tx.InsertMessage(&m, 0)
	})
	if !errors.Is(err, bridge.ErrDuplicate) {
		e.t.Errorf("Write returning the refusal = %v, want bridge.ErrDuplicate", err)
	}
	// Platform ids are case-sensitive.
	e.write(func(tx bridge.Tx) error {
		m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Body: "case", Platform: "email", ExternalID: "<AbC@x>", CreatedAt: e.now()}
		if err := tx.InsertMessage(&m, 0); err != nil {
			return err
		}
		m2 := m
		m2.ExternalID = "<abc@x>"
		return tx.InsertMessage(&m2, 0)
	})
}

func storedExternalOnly(e *env) {
	c := e.open("telegram", "42", nil)
	m := e.message(c.ID, bridge.DirCustomer, "hi", func(m *bridge.Message) { m.Platform, m.ExternalID = "telegram", "42:7" })
	ids := e.enqueue(e.now(), bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindStaffPost, Message: m.ID})
	e.markSent(ids[0], bridge.ExternalRef{Platform: "slack", ID: "1700000000.000100"}, m.ID, e.now())
	e.write(func(tx bridge.Tx) error {
		id, conv, err := tx.StoredExternal("telegram", "42:7")
		if err != nil || id != m.ID || conv != c.ID {
			e.t.Errorf("StoredExternal = %d, %s, %v; want %d, %s", id, conv, err, m.ID, c.ID)
		}
		_, _, err = tx.StoredExternal("slack", "1700000000.000100")
		e.wantNotFound("StoredExternal of a posted copy", err)
		_, _, err = tx.StoredExternal("slack", "42:7")
		e.wantNotFound("StoredExternal on another platform", err)
		return nil
	})
}

func messageByExternalCopies(e *env) {
	c := e.open("telegram", "42", nil)
	m := e.message(c.ID, bridge.DirStaff, "reply", func(m *bridge.Message) { m.Platform = "console" })
	ids := e.enqueue(e.now(),
		bridge.OutboxRow{Conversation: c.ID, Target: "telegram", Kind: bridge.KindCustomerSend, Message: m.ID},
		bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindStaffPost, Message: m.ID})
	e.markSent(ids[0], bridge.ExternalRef{Platform: "telegram", ID: "42:8"}, m.ID, e.now())
	e.markSent(ids[1], bridge.ExternalRef{Platform: "slack", ID: "1700000000.000200"}, m.ID, e.now())
	for _, ref := range []bridge.ExternalRef{{Platform: "telegram", ID: "42:8"}, {Platform: "slack", ID: "1700000000.000200"}} {
		got, err := e.db.MessageByExternal(e.ctx, ref.Platform, ref.ID)
		if err != nil || got.ID != m.ID {
			e.t.Errorf("MessageByExternal(%s) = %d, %v; want %d", ref, got.ID, err, m.ID)
		}
		e.write(func(tx bridge.Tx) error {
			got, err := tx.MessageByExternal(ref.Platform, ref.ID)
			if err != nil || got.ID != m.ID {
				e.t.Errorf("Tx.MessageByExternal(%s) = %d, %v; want %d", ref, got.ID, err, m.ID)
			}
			return nil
		})
	}
	_, err := e.db.MessageByExternal(e.ctx, "slack", "42:8")
	e.wantNotFound("a copy's id on another platform", err)
}

func editsAreNewMessages(e *env) {
	orig := e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "42", ExternalID: "42:1", Text: "I ordered 3 boxes"})
	edit := e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "42", ExternalID: "42:1/edit1", EditOf: "42:1", Text: "I ordered 4 boxes"})
	if edit.Duplicate || edit.Message == orig.Message || edit.Conversation != orig.Conversation {
		e.t.Fatalf("edit stored as %+v (original %+v)", edit, orig)
	}
	again := e.deliver(bridge.InboundMessage{Channel: "telegram", Address: "42", ExternalID: "42:1/edit1", EditOf: "42:1", Text: "I ordered 4 boxes"})
	if !again.Duplicate || again.Message != edit.Message {
		e.t.Errorf("redelivered edit = %+v, want the stored one", again)
	}
	var customer []string
	for _, m := range e.messages(orig.Conversation) {
		if m.Direction == bridge.DirCustomer {
			customer = append(customer, m.Body)
		}
	}
	e.equal("customer messages", customer, []string{"I ordered 3 boxes", "I ordered 4 boxes"})
	for ext, want := range map[string]bridge.MessageID{"42:1": orig.Message, "42:1/edit1": edit.Message} {
		if got, err := e.db.MessageByExternal(e.ctx, "telegram", ext); err != nil || got.ID != want {
			e.t.Errorf("MessageByExternal(%s) = %d, %v; want %d", ext, got.ID, err, want)
		}
	}
	// An edit may land in another conversation than what it corrects.
	other := e.open("telegram", "43", nil)
	e.write(func(tx bridge.Tx) error {
		m := bridge.Message{Conversation: other.ID, Direction: bridge.DirCustomer, Body: "corrected later", Platform: "telegram", ExternalID: "43:9", CreatedAt: e.now()}
		return tx.InsertMessage(&m, orig.Message)
	})
}

func messagesOrder(e *env) {
	c := e.open("webchat", "v1", nil)
	other := e.open("webchat", "v2", nil)
	for i := range 5 {
		e.message(c.ID, bridge.DirCustomer, fmt.Sprintf("m%d", i), nil)
		e.message(other.ID, bridge.DirCustomer, fmt.Sprintf("other %d", i), nil)
	}
	e.equal("all", bodies(e.messages(c.ID)), []string{"m0", "m1", "m2", "m3", "m4"})
	newest, err := e.db.Messages(e.ctx, c.ID, 2)
	e.must(err)
	e.equal("limit 2", bodies(newest), []string{"m3", "m4"})
	none, err := e.db.Messages(e.ctx, 4242, 0)
	if err != nil || len(none) != 0 {
		e.t.Errorf("messages of a missing conversation = %v, %v", none, err)
	}
}

// limit <= 0 lists them all, however long the conversation.
func messagesWithoutLimit(e *env) {
	c := e.open("webchat", "chatty", nil)
	const n = 1234
	e.write(func(tx bridge.Tx) error {
		for i := range n {
			m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Body: fmt.Sprintf("line %d", i), CreatedAt: e.now()}
			if err := tx.InsertMessage(&m, 0); err != nil {
				return err
			}
		}
		return nil
	})
	for _, limit := range []int{0, -1} {
		ms, err := e.db.Messages(e.ctx, c.ID, limit)
		e.must(err)
		if len(ms) != n || ms[0].Body != "line 0" || ms[n-1].Body != fmt.Sprintf("line %d", n-1) {
			e.t.Errorf("Messages(limit %d) listed %d of %d", limit, len(ms), n)
		}
	}
}

func references(e *env) {
	c := e.open("email", "ann@example.com", nil)
	e.message(c.ID, bridge.DirCustomer, "q", func(m *bridge.Message) { m.Platform, m.ExternalID = "email", "<q1@ann>" })
	reply := e.message(c.ID, bridge.DirStaff, "a", func(m *bridge.Message) { m.Platform = "console" })
	note := e.message(c.ID, bridge.DirNote, "n", func(m *bridge.Message) { m.Platform, m.ExternalID = "console", "note-1" })
	e.message(c.ID, bridge.DirCustomer, "q2", func(m *bridge.Message) { m.Platform, m.ExternalID = "email", "<q2@ann>" })
	ids := e.enqueue(e.now(),
		bridge.OutboxRow{Conversation: c.ID, Target: "email", Kind: bridge.KindCustomerSend, Message: reply.ID},
		bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindStaffPost, Message: note.ID})
	e.markSent(ids[0], bridge.ExternalRef{Platform: "email", ID: "<a1@us>"}, reply.ID, e.now())
	e.markSent(ids[1], bridge.ExternalRef{Platform: "slack", ID: "17.1"}, note.ID, e.now())
	refs, err := e.db.References(e.ctx, c.ID, "email")
	e.must(err)
	e.equal("email references", refs, []string{"<q1@ann>", "<a1@us>", "<q2@ann>"})
	none, err := e.db.References(e.ctx, c.ID, "telegram")
	if err != nil || len(none) != 0 {
		e.t.Errorf("telegram references = %v, %v", none, err)
	}
}

func searchWords(e *env) {
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "My invoice shows the wrong VAT number"})
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "b", Text: "Password reset does not arrive"})
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "c", Text: "Größe der Rechnung: falsch"})
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"invoice", 1}, {"INVOICE vat", 1}, {"vat invoice", 1}, {"password", 1}, {"invoice password", 0},
		{`"unbalanced`, 0}, {`"invoice`, 1}, {"rechnung", 1}, {"größe", 1}, {"GRÖßE", 1}, {"RECHNUNG", 1}, {"wrong -vat", 1},
		{"NEAR OR AND", 0}, {"invoice OR password", 0}, {"(invoice)", 1}, {"body:invoice", 0},
		{"^invoice", 1}, {"invoice NOT", 0}, {"nothing", 0},
	} {
		hits, err := e.db.Search(e.ctx, tc.q, 10)
		if err != nil {
			e.t.Errorf("search %q: %v", tc.q, err)
			continue
		}
		if len(hits) != tc.want {
			e.t.Errorf("search %q: %d hits, want %d", tc.q, len(hits), tc.want)
		}
	}
}

func searchOrder(e *env) {
	var want []bridge.MessageID
	for i := range 4 {
		res := e.deliver(bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprintf("v%d", i%2), Name: "Visitor", Text: fmt.Sprintf("kumquat number %d", i)})
		want = append([]bridge.MessageID{res.Message}, want...)
	}
	e.deliver(bridge.InboundMessage{Channel: "webchat", Address: "v9", Text: "no fruit here"})
	hits, err := e.db.Search(e.ctx, "kumquat", 10)
	e.must(err)
	var got []bridge.MessageID
	for _, h := range hits {
		got = append(got, h.Message)
		m, err := e.db.Message(e.ctx, h.Message)
		e.must(err)
		if h.Conversation != m.Conversation || h.Direction != bridge.DirCustomer || h.Author != "Visitor" ||
			!strings.Contains(strings.ToLower(h.Snippet), "kumquat") || !h.CreatedAt.Equal(m.CreatedAt) {
			e.t.Errorf("hit %+v for message %+v", h, m)
		}
	}
	e.equal("hits, newest first", got, want)
	two, err := e.db.Search(e.ctx, "kumquat", 2)
	e.must(err)
	if len(two) != 2 || two[0].Message != want[0] {
		e.t.Errorf("limit 2: %+v", two)
	}
}

func searchEmpty(e *env) {
	for _, q := range []string{"", "   ", `  "" `} {
		if _, err := e.db.Search(e.ctx, q, 10); err == nil {
			e.t.Errorf("search %q: no error", q)
		}
	}
}

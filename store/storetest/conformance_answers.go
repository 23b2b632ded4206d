package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// AnswerReader: the candidates of suggestions.
func answerCases() []testCase {
	return []testCase{
		{"TermCountsCountMessagesContainingEachTermUpToTheLimit", termCounts},
		{"TermCountsTakeOperatorsAndPunctuationAsText", termCountsHostile},
		{"PastQuestionsAreClosedConversationsWhereTheCustomerOrStaffWroteTheTerm", pastQuestionsScope},
		{"PastQuestionsCarryCustomerMessagesAndStaffRepliesOldestFirst", pastQuestionsText},
		{"PastQuestionsTakeTheNewestMessagesPerTermAndListEachConversationOnce", pastQuestionsPerTerm},
		{"PastQuestionsMatchAStemAsAPrefix", pastQuestionsStem},
		{"ATermOfSeveralWordsMatchesMessagesWithEveryOne", termsOfSeveralWords},
		{"OpeningQuestionsAreTheFirstCustomerMessageOfConversationsOpenedInTheWindow", openingQuestions},
		{"CountAuditCountsAnActionWithoutAConversationInTheWindow", countAudit},
	}
}

// closedWith opens a conversation on a new address, stores the customer's
// messages (and a staff answer), and closes it.
func (e *env) closedWith(address string, customer ...string) bridge.Conversation {
	e.t.Helper()
	c := e.open("webchat", address, nil)
	for _, text := range customer {
		e.message(c.ID, bridge.DirCustomer, text, nil)
	}
	e.message(c.ID, bridge.DirStaff, "Thanks for asking, here is the answer.", nil)
	e.update(c.ID, func(c *bridge.Conversation) { c.Status, c.ClosedAt = bridge.StatusClosed, e.now() })
	return c
}

func termCounts(e *env) {
	a := e.closedWith("a", "My refund has not arrived", "Refund please, and the REFUND form is broken")
	b := e.open("webchat", "b", nil)
	e.message(b.ID, bridge.DirCustomer, "refunds take how long?", nil)
	e.message(b.ID, bridge.DirNote, "refund approved by billing", nil)
	e.message(a.ID, bridge.DirStaff, "nothing to see", nil)
	tc, err := e.db.TermCounts(e.ctx, []string{"refund", "refunds", "nowhere", "REFUND"}, 0)
	e.must(err)
	// Messages: 2 + the closing answer + 2 + 1.
	if tc.Messages < 6 {
		e.t.Errorf("Messages = %d, want at least the 6 stored", tc.Messages)
	}
	e.equal("counts (any direction, once per message, any case)", tc.Counts, []int{3, 1, 0, 3})
	tc, err = e.db.TermCounts(e.ctx, []string{"refund"}, 2)
	e.must(err)
	e.equal("counts up to the limit", tc.Counts, []int{2})
	tc, err = e.db.TermCounts(e.ctx, nil, 0)
	e.must(err)
	if len(tc.Counts) != 0 || tc.Messages < 6 {
		e.t.Errorf("no terms: %+v", tc)
	}
}

func termCountsHostile(e *env) {
	e.closedWith("a", `OR and NEAR and "quotes" (brackets) a:b -minus ^caret`)
	terms := []string{"OR", "near", `"quotes`, "(brackets)", "a:b", "-minus", "^caret", "*", `"`, "", "NOT", "&|!"}
	tc, err := e.db.TermCounts(e.ctx, terms, 0)
	e.must(err)
	e.equal("counts", tc.Counts, []int{1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0})
	_, err = e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: terms})
	e.must(err)
}

func pastQuestionsScope(e *env) {
	closed := e.closedWith("closed", "The printer jams every morning")
	open := e.open("webchat", "open", nil)
	e.message(open.ID, bridge.DirCustomer, "my printer jams", nil)
	answered := e.closedWith("answered", "something else entirely")
	e.message(answered.ID, bridge.DirStaff, "the printer jams when cold", nil)
	internal := e.closedWith("internal", "nothing to do with it")
	e.message(internal.ID, bridge.DirNote, "printer jams again", nil)
	e.message(internal.ID, bridge.DirSystem, "printer jams", nil)
	asking := e.closedWith("asking", "printer jams, help")
	got, err := e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: []string{"printer", "jams"}, Exclude: asking.ID})
	e.must(err)
	// Newest message first: the staff reply of "answered" came last.
	e.equal("past questions", got, []bridge.PastQuestion{
		{Conversation: answered.ID, Customer: []string{"something else entirely"},
			Staff: []string{"Thanks for asking, here is the answer.", "the printer jams when cold"}},
		{Conversation: closed.ID, Customer: []string{"The printer jams every morning"}, Staff: []string{"Thanks for asking, here is the answer."}},
	})
	got, err = e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: []string{"unheard"}})
	e.must(err)
	if len(got) != 0 {
		e.t.Errorf("a word nobody wrote found %+v", got)
	}
}

func pastQuestionsText(e *env) {
	c := e.open("webchat", "talker", nil)
	var want, answers []string
	for i := range 12 {
		text := fmt.Sprintf("message %d about the invoice", i)
		answer := fmt.Sprintf("answer %d", i)
		if i < 10 {
			want, answers = append(want, text), append(answers, answer)
		}
		e.message(c.ID, bridge.DirCustomer, text, nil)
		e.message(c.ID, bridge.DirStaff, answer, nil)
		e.message(c.ID, bridge.DirNote, "note about the invoice", nil)
		e.clock.Advance(time.Second)
	}
	e.update(c.ID, func(c *bridge.Conversation) { c.Status = bridge.StatusClosed })
	got, err := e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: []string{"invoice"}})
	e.must(err)
	e.equal("the first 10 customer messages and staff replies, never notes", got,
		[]bridge.PastQuestion{{Conversation: c.ID, Customer: want, Staff: answers}})
}

func pastQuestionsPerTerm(e *env) {
	var wifi []bridge.ConversationID
	for i := range 5 {
		wifi = append(wifi, e.closedWith(fmt.Sprintf("w%d", i), "the wifi drops", "still the wifi").ID)
		e.clock.Advance(time.Minute)
	}
	vpn := e.closedWith("vpn", "vpn and wifi both down")
	got, err := e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: []string{"vpn", "wifi"}, PerTerm: 3})
	e.must(err)
	var ids []bridge.ConversationID
	for _, q := range got {
		ids = append(ids, q.Conversation)
	}
	// vpn first (its term came first); wifi's newest three messages are
	// vpn's and the two of the newest wifi conversation: one more
	// conversation, listed once.
	e.equal("conversations", ids, []bridge.ConversationID{vpn.ID, wifi[4]})
	got, err = e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: []string{"wifi"}, PerTerm: 100})
	e.must(err)
	ids = ids[:0]
	for _, q := range got {
		ids = append(ids, q.Conversation)
	}
	want := []bridge.ConversationID{vpn.ID}
	for _, id := range slices.Backward(wifi) {
		want = append(want, id)
	}
	e.equal("every wifi conversation, newest first", ids, want)
}

func pastQuestionsStem(e *env) {
	c := e.closedWith("pw", "I forgot my Passwords again")
	got, err := e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: []string{"passw*"}})
	e.must(err)
	if len(got) != 1 || got[0].Conversation != c.ID {
		e.t.Errorf("stem: %+v", got)
	}
	got, err = e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: []string{"passw"}})
	e.must(err)
	if len(got) != 0 {
		e.t.Errorf("a word is not a prefix: %+v", got)
	}
	tc, err := e.db.TermCounts(e.ctx, []string{"passw*", "forg*"}, 0)
	e.must(err)
	e.equal("stem counts", tc.Counts, []int{1, 1})
}

func termsOfSeveralWords(e *env) {
	both := e.closedWith("both", "The blue printer is out of toner")
	e.closedWith("one", "The printer works, thanks")
	e.closedWith("other", "Toner for the red one please")
	got, err := e.db.PastQuestions(e.ctx, bridge.PastQuery{Terms: []string{"printer toner"}})
	e.must(err)
	if len(got) != 1 || got[0].Conversation != both.ID {
		e.t.Errorf("every word of the term: %+v", got)
	}
	tc, err := e.db.TermCounts(e.ctx, []string{"printer toner", "print* ton*", "printer OR toner", "printer  "}, 0)
	e.must(err)
	e.equal("counts", tc.Counts, []int{1, 1, 0, 2})
}

func openingQuestions(e *env) {
	before := e.open("webchat", "before", nil)
	e.message(before.ID, bridge.DirCustomer, "asked before the window", nil)
	e.clock.Advance(time.Hour)
	since := e.now()
	first := e.open("webchat", "first", nil)
	e.message(first.ID, bridge.DirSystem, "Conversation opened", nil)
	e.message(first.ID, bridge.DirCustomer, "How do I reset my password?", nil)
	e.message(first.ID, bridge.DirCustomer, "and the second message", nil)
	e.message(first.ID, bridge.DirStaff, "Like this.", nil)
	silent := e.open("webchat", "silent", nil)
	e.message(silent.ID, bridge.DirNote, "opened by staff, the customer has not written", nil)
	e.clock.Advance(time.Minute)
	second := e.closedWith("second", "Where is my parcel?")
	e.clock.Advance(time.Hour)
	until := e.now()
	after := e.open("webchat", "after", nil)
	e.message(after.ID, bridge.DirCustomer, "asked after the window", nil)

	got, err := e.db.OpeningQuestions(e.ctx, since, until, 0)
	e.must(err)
	e.equal("opening questions", got, []bridge.OpeningQuestion{
		{Conversation: first.ID, Text: "How do I reset my password?", CustomerName: "Name of first"},
		{Conversation: second.ID, Text: "Where is my parcel?", CustomerName: "Name of second"},
	})
	got, err = e.db.OpeningQuestions(e.ctx, since, until, 1)
	e.must(err)
	if len(got) != 1 || got[0].Conversation != first.ID {
		e.t.Errorf("limit 1: %+v", got)
	}
}

func countAudit(e *env) {
	c := e.open("webchat", "a", nil)
	at := e.at(time.Hour)
	e.write(func(tx bridge.Tx) error {
		for _, a := range []bridge.AuditEntry{
			{Action: "kb_helped", Detail: "refunds", At: at},
			{Action: "kb_helped", Detail: "shipping", At: at.Add(time.Minute)},
			{Action: "kb_still", Detail: "refunds", At: at},
			{Action: "kb_helped", Detail: "too early", At: at.Add(-time.Hour)},
			{Action: "kb_helped", Detail: "too late", At: at.Add(2 * time.Hour)},
			{Conversation: c.ID, Action: "kb_helped", Detail: "about a conversation", At: at},
		} {
			a.Actor = bridge.Actor{ID: "webchat", Name: "Web chat visitor"}
			if err := tx.Audit(a); err != nil {
				return err
			}
		}
		return nil
	})
	for action, want := range map[string]int{"kb_helped": 2, "kb_still": 1, "claim": 0} {
		n, err := e.db.CountAudit(e.ctx, action, at, at.Add(2*time.Hour))
		e.must(err)
		if n != want {
			e.t.Errorf("CountAudit(%s) = %d, want %d", action, n, want)
		}
	}
}

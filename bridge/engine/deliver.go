package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
)

// Deliver stores an inbound customer message, finds or opens its
// conversation and queues the staff posts, all in one transaction.
func (e *Engine) Deliver(ctx context.Context, m bridge.InboundMessage) (bridge.DeliverResult, error) {
	if m.Channel == "" || m.Address == "" {
		return bridge.DeliverResult{}, errors.New("deliver: message without channel or address")
	}
	m.Text = e.clip(m.Text)
	m.Name, m.Username, m.Email, m.Subject = plain(m.Name), plain(m.Username), plain(m.Email), plain(m.Subject)
	m.To = cleanTo(m.To)
	if strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0 {
		return bridge.DeliverResult{}, bridge.Reject("empty message")
	}
	now := e.now()
	if m.SentAt.IsZero() {
		m.SentAt = now
	}
	var res bridge.DeliverResult
	err := e.store.Write(ctx, func(tx bridge.Tx) (err error) {
		res, err = e.deliver(tx, m, now)
		return err
	})
	if errors.Is(err, bridge.ErrDuplicate) && m.ExternalID != "" {
		// Stored before (a platform's retry): the write was rolled back,
		// and the answer is the message as stored.
		prev, perr := e.store.MessageByExternal(ctx, m.Channel, m.ExternalID)
		if perr != nil {
			return bridge.DeliverResult{}, fmt.Errorf("deliver %s message: %w (%w)", m.Channel, err, perr)
		}
		return bridge.DeliverResult{Conversation: prev.Conversation, Message: prev.ID, Duplicate: true}, nil
	}
	if err != nil {
		return bridge.DeliverResult{}, fmt.Errorf("deliver %s message: %w", m.Channel, err)
	}
	if !res.Duplicate {
		e.notify()
		e.metrics.MessageIn(m.Channel, bridge.DirCustomer)
	}
	return res, nil
}

// deliver is Deliver's transaction. A message stored before is not
// looked up first: its insert is refused with bridge.ErrDuplicate, which
// rolls the whole write back (Deliver then answers with the stored
// message). Duplicates are rare (a platform's retry); the look-up cost
// every message a statement.
func (e *Engine) deliver(tx bridge.Tx, m bridge.InboundMessage, now time.Time) (bridge.DeliverResult, error) {
	cust, err := tx.UpsertIdentity(bridge.Identity{Platform: m.Channel, Address: m.Address, Name: m.Name, Username: m.Username, Email: m.Email}, now)
	if err != nil {
		return bridge.DeliverResult{}, err
	}
	// A customer who writes can be reached again (they unblocked the bot,
	// their mailbox works again): later replies are tried again.
	if err := tx.SetCustomerUnreachable(cust, ""); err != nil {
		return bridge.DeliverResult{}, err
	}
	conv, created, reopened, err := e.resolveConversation(tx, m, cust, now)
	if err != nil {
		return bridge.DeliverResult{}, err
	}
	if reopened {
		closed := conv
		closed.Status = bridge.StatusClosed
		if rated, err := e.rateIfAnswer(tx, closed, m, now); err != nil || rated {
			if err != nil {
				return bridge.DeliverResult{}, err
			}
			var res bridge.DeliverResult
			return res, e.recordRating(tx, closed, m, cust, now, &res)
		}
	}
	msg, err := e.storeCustomerMessage(tx, &conv, m, now)
	if err != nil {
		return bridge.DeliverResult{}, err
	}
	routed, changed, wake, err := e.customerWrote(tx, &conv, m, created, now)
	if err != nil {
		return bridge.DeliverResult{}, err
	}
	if err := e.recordArrival(tx, conv, m, msg, created, reopened, now); err != nil {
		return bridge.DeliverResult{}, err
	}
	if err := e.queue(tx, conv.ID, now).mirror(msg.ID, "", (reopened || changed) && !created); err != nil {
		return bridge.DeliverResult{}, err
	}
	if wake != "" {
		if err := e.effects(tx, conv.ID, Outcome{Notice: wake, Mentions: ownerMention(conv)}, now); err != nil {
			return bridge.DeliverResult{}, err
		}
	}
	if created {
		if err := e.routedEffects(tx, conv, routed, now); err != nil {
			return bridge.DeliverResult{}, err
		}
	}
	return bridge.DeliverResult{Conversation: conv.ID, Message: msg.ID, Created: created, Reopened: reopened}, nil
}

// storeCustomerMessage inserts the message (as an edit of an earlier one
// when it corrects it) and names the conversation's customer if unnamed.
func (e *Engine) storeCustomerMessage(tx bridge.Tx, conv *bridge.Conversation, m bridge.InboundMessage, now time.Time) (bridge.Message, error) {
	var editOf bridge.MessageID
	if m.EditOf != "" {
		if orig, err := tx.MessageByExternal(m.Channel, m.EditOf); err == nil {
			editOf = orig.ID
		}
	}
	name := customerName(m)
	if conv.CustomerName == "" {
		conv.CustomerName = name
	}
	msg := bridge.Message{
		Conversation: conv.ID, Direction: bridge.DirCustomer, AuthorID: m.Address, Author: name,
		Body: m.Text, Attachments: m.Attachments, Platform: m.Channel, ExternalID: m.ExternalID, CreatedAt: now,
	}
	return msg, tx.InsertMessage(&msg, editOf)
}

func customerName(m bridge.InboundMessage) string {
	if m.Name != "" {
		return m.Name
	}
	return m.Address
}

// customerWrote updates the conversation for a new customer message: it is
// open again, rules run, a snooze ends early (wake says so), the SLA
// clocks move. changed reports whether the card shows something new.
func (e *Engine) customerWrote(tx bridge.Tx, conv *bridge.Conversation, m bridge.InboundMessage, created bool, now time.Time) (routed rules.RuleOutcome, changed bool, wake string, err error) {
	conv.LastCustomerAt = now
	conv.UpdatedAt = now
	if conv.Status == bridge.StatusWaiting {
		conv.Status = bridge.StatusOpen
		changed = true
	}
	if conv.Subject == "" {
		conv.Subject = firstLine(m.Text, 80)
	}
	routed = rules.EvaluateRules(e.dir.Options().Rules, rules.RuleInput{New: created, Channel: m.Channel, Address: m.Address,
		Email: m.Email, Subject: m.Subject, Text: m.Text, To: m.To})
	ruleChanged, err := e.applyRules(tx, conv, routed, created, now)
	if err != nil {
		return routed, false, "", err
	}
	changed = changed || ruleChanged
	if !conv.SnoozedUntil.IsZero() {
		conv.SnoozedUntil = time.Time{}
		changed = true
		wake = "⏰ Snooze ended early: the customer wrote again."
	}
	ev := slaCustomer
	if created {
		ev = slaCreated
	}
	e.slaSync(conv, false, ev, now)
	return routed, changed, wake, tx.UpdateConversation(*conv)
}

// recordArrival audits a conversation the message opened or reopened (and
// tells staff about a reopening).
func (e *Engine) recordArrival(tx bridge.Tx, conv bridge.Conversation, m bridge.InboundMessage, msg bridge.Message, created, reopened bool, now time.Time) error {
	customer := bridge.Actor{ID: bridge.StaffID("customer:" + m.Address), Name: msg.Author}
	switch {
	case created:
		detail := string(m.Channel)
		if via := conv.Via(); via != "" {
			detail += " via " + via
		}
		return tx.Audit(bridge.AuditEntry{Conversation: conv.ID, Actor: customer, Action: "created", Detail: detail, At: now})
	case reopened:
		if err := tx.Audit(bridge.AuditEntry{Conversation: conv.ID, Actor: customer, Action: "reopened", Detail: "customer wrote again", At: now}); err != nil {
			return err
		}
		_, err := e.queue(tx, conv.ID, now).system("Reopened: the customer wrote again.", "")
		return err
	}
	return nil
}

func (e *Engine) resolveConversation(tx bridge.Tx, m bridge.InboundMessage, cust bridge.CustomerID, now time.Time) (c bridge.Conversation, created, reopened bool, err error) {
	found := false
	if m.ConversationHint != 0 {
		hc, err := tx.Conversation(m.ConversationHint)
		switch {
		case err == nil && hc.Channel == m.Channel && hc.Customer == cust:
			c, found = hc, true
		case err == nil && hc.Channel != m.Channel && m.SignedHint:
			// The customer answers, on another channel, what we sent them
			// there (the web chat's unseen replies by email): the answer
			// joins the conversation where it began. Only a token we
			// signed for this sender gets here; knowing an id is not enough.
			c, found = hc, true
		case err != nil && !errors.Is(err, bridge.ErrNotFound):
			return c, false, false, err
		}
	}
	if !found && len(m.References) > 0 {
		rc, err := tx.ConversationByReference(m.Channel, m.References)
		switch {
		case err == nil && rc.Channel == m.Channel:
			c, found = rc, true
		case err == nil:
			// Our continuation's Message-ID, but the sender is not the one
			// it was sent to (a forward): no way into another channel's
			// conversation without SignedHint.
		case !errors.Is(err, bridge.ErrNotFound):
			return c, false, false, err
		}
	}
	if !found && m.ThreadBySubject {
		sc, err := e.sameSubject(tx, m, cust)
		switch {
		case err == nil:
			c, found = sc, true
		case !errors.Is(err, bridge.ErrNotFound):
			return c, false, false, err
		}
	}
	if !found && !m.StartsThread {
		lc, err := tx.LatestConversation(cust, m.Channel, m.Address)
		switch {
		case err == nil:
			c, found = lc, true
		case !errors.Is(err, bridge.ErrNotFound):
			return c, false, false, err
		}
	}
	if found {
		if c.Status != bridge.StatusClosed {
			return c, false, false, nil
		}
		if now.Sub(c.ClosedAt) < e.cfg.ReopenWindow {
			c.Status = bridge.StatusOpen
			c.ClosedAt = time.Time{}
			c.CloseReason = ""
			return c, false, true, nil
		}
	}
	c, err = e.createConversation(tx, m, cust, now)
	return c, err == nil, false, err
}

// createConversation opens a new conversation for the message. (Apart from
// resolveConversation, so that only this path, not every message, puts the
// conversation on the heap for CreateConversation's pointer.)
func (e *Engine) createConversation(tx bridge.Tx, m bridge.InboundMessage, cust bridge.CustomerID, now time.Time) (bridge.Conversation, error) {
	c := &bridge.Conversation{
		Customer: cust, Channel: m.Channel, Address: m.Address, Subject: firstLine(m.Subject, 120),
		Status: bridge.StatusOpen, Priority: e.cfg.DefaultPriority, Department: e.cfg.DefaultDepartment,
		CreatedAt: now, UpdatedAt: now,
	}
	if len(m.To) > 0 {
		c.Entry = rules.NormalizeTo(m.To[0])
	}
	err := tx.CreateConversation(c)
	return *c, err
}

// sameSubject finds the customer's open conversation on this address whose
// subject threads with the message's (reply prefixes and tags aside).
func (e *Engine) sameSubject(tx bridge.Tx, m bridge.InboundMessage, cust bridge.CustomerID) (bridge.Conversation, error) {
	want := rules.ThreadSubject(firstLine(m.Subject, 120))
	if want == "" {
		return bridge.Conversation{}, bridge.ErrNotFound
	}
	open, err := tx.OpenConversationsOf(cust, m.Channel, m.Address)
	if err != nil {
		return bridge.Conversation{}, err
	}
	for _, c := range open {
		if rules.ThreadSubject(c.Subject) == want {
			return c, nil
		}
	}
	return bridge.Conversation{}, bridge.ErrNotFound
}

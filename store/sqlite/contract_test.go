package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/storetest"
)

// Regression tests for contract violations the conformance suite
// (storetest.Run) found; each failed before its fix.

// newConversation creates a customer on webchat/address and c for them.
func newConversation(t *testing.T, s bridge.Store, address string, c *bridge.Conversation) {
	t.Helper()
	err := s.Write(context.Background(), func(tx bridge.Tx) error {
		cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: address}, c.CreatedAt)
		if err != nil {
			return err
		}
		c.Customer, c.Channel, c.Address = cust, "webchat", address
		return tx.CreateConversation(c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// CreateConversation inserted a few columns and remembered the whole
// struct, so the rest was lost, and an UpdateConversation of the same
// values in that write was skipped as "unchanged".
func TestCreateConversationStoresEveryField(t *testing.T) {
	s := storetest.Open(t)
	at := time.Date(2031, 3, 3, 9, 0, 0, 0, time.UTC)
	c := bridge.Conversation{Status: bridge.StatusClosed, Priority: bridge.PriorityNormal, CreatedAt: at, UpdatedAt: at,
		ClosedAt: at.Add(time.Hour), CloseReason: "spam", LastCustomerAt: at, SLADue: at.Add(2 * time.Hour),
		SnoozedUntil: at.Add(3 * time.Hour), SLA: bridge.SLAState{Policy: "gold", NextCheck: at.Add(time.Minute), NextMet: 2}}
	newConversation(t, s, "v1", &c)
	got, err := s.Conversation(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ClosedAt.Equal(c.ClosedAt) || got.CloseReason != "spam" || !got.LastCustomerAt.Equal(at) || !got.SLADue.Equal(c.SLADue) ||
		!got.SnoozedUntil.Equal(c.SnoozedUntil) || got.SLA.Policy != "gold" || !got.SLA.NextCheck.Equal(c.SLA.NextCheck) || got.SLA.NextMet != 2 {
		t.Errorf("stored %+v\nfrom %+v", got, c)
	}
}

// Messages with limit <= 0 stopped at 1000 messages.
func TestMessagesWithoutLimitListsAll(t *testing.T) {
	s := storetest.Open(t)
	c := bridge.Conversation{Status: bridge.StatusOpen, Priority: bridge.PriorityNormal}
	newConversation(t, s, "v1", &c)
	err := s.Write(context.Background(), func(tx bridge.Tx) error {
		for i := range 1001 {
			m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Body: fmt.Sprint(i)}
			if err := tx.InsertMessage(&m, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := s.Messages(context.Background(), c.ID, 0); err != nil || len(ms) != 1001 {
		t.Errorf("Messages(0) listed %d of 1001, %v", len(ms), err)
	}
}

// A row queued without NotBefore was stored as due at 0 (1970): it showed
// as due before it was queued, and NextOutboxDue answered 1970.
func TestEnqueuedRowIsDueAtNow(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2031, 3, 3, 9, 0, 0, 0, time.UTC)
	c := bridge.Conversation{Status: bridge.StatusOpen, Priority: bridge.PriorityNormal, CreatedAt: now, UpdatedAt: now}
	newConversation(t, s, "v1", &c)
	err := s.Write(ctx, func(tx bridge.Tx) error {
		return tx.Enqueue(bridge.OutboxRow{Conversation: c.ID, Target: "console", Kind: bridge.KindCard}, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	if next, err := s.NextOutboxDue(ctx); err != nil || !next.Equal(now) {
		t.Errorf("NextOutboxDue = %v, %v; want %v", next, err, now)
	}
	if due, err := s.DueOutbox(ctx, now.Add(-time.Second), 10, nil); err != nil || len(due) != 0 {
		t.Errorf("due a second before it was queued: %+v, %v", due, err)
	}
	if due, err := s.DueOutbox(ctx, now, 10, nil); err != nil || len(due) != 1 || !due[0].NextAttempt.Equal(now) {
		t.Errorf("due at now: %+v, %v", due, err)
	}
}

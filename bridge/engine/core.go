package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/threadlinehq/threadline/bridge"
)

// The engine is the core adapters are given (bridge.Deps.Core).
var _ bridge.Core = (*Engine)(nil)

// SystemNote stores a staff-only note by Threadline in conv (an email
// bounce), once per source and externalID.
func (e *Engine) SystemNote(ctx context.Context, conv bridge.ConversationID, source bridge.Platform, externalID, text string) error {
	_, err := e.Note(ctx, StaffContext{Conversation: conv, Actor: bridge.SystemActor(), Surface: source, ExternalID: externalID}, text, nil)
	return err
}

// ThreadNote stores a staff-only note by Threadline in conv (every
// surface shows it) and returns its id: suggestions and AI drafts
// (bridge/answers).
func (e *Engine) ThreadNote(ctx context.Context, conv bridge.ConversationID, text string) (bridge.MessageID, error) {
	return e.Note(ctx, StaffContext{Conversation: conv, Actor: bridge.SystemActor()}, text, nil)
}

// Receipt shows what a channel learnt about a reply after sending it. The
// staff message that caused the reply gets a receipt on the surface it was
// written on; a failure is also stored as a notice for every thread (the
// customer did not get the reply, staff must know). A reply Threadline
// did not send (or no longer knows) is ignored.
func (e *Engine) Receipt(ctx context.Context, r bridge.ChannelReceipt) error {
	switch r.Status {
	case bridge.ReceiptDelivered, bridge.ReceiptRead, bridge.ReceiptFailed:
	default:
		return fmt.Errorf("receipt: unknown status %q", r.Status)
	}
	now := e.now()
	queued := false
	err := e.store.Write(ctx, func(tx bridge.Tx) error {
		queued = false
		m, err := tx.MessageByExternal(r.Channel, r.ExternalID)
		if errors.Is(err, bridge.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if m.Direction != bridge.DirStaff {
			return nil // the customer's own message (its id is stored too)
		}
		q := e.queue(tx, m.Conversation, now)
		failed := r.Status == bridge.ReceiptFailed
		if m.ExternalID != "" && slices.Contains(e.surfaces, m.Platform) {
			rec := bridge.Receipt{Message: m.ID, Source: m.ExternalID, OK: !failed, Status: r.Status, Error: r.Error}
			if failed {
				rec.Status = ""
			}
			payload, _ := json.Marshal(rec)
			if err := q.row(m.Platform, bridge.KindReceipt, m.ID, string(payload)); err != nil {
				return err
			}
			queued = true
		}
		if !failed {
			return nil
		}
		text := fmt.Sprintf("⚠ A reply could not be delivered to the customer on %s (message %d): %s", r.Channel, m.ID, r.Error)
		if _, err := q.system(text, ""); err != nil {
			return err
		}
		queued = true
		return tx.Audit(bridge.AuditEntry{Conversation: m.Conversation, Actor: bridge.SystemActor(), Action: "undelivered",
			Detail: fmt.Sprintf("message %d on %s: %s", m.ID, r.Channel, r.Error), At: now})
	})
	if err == nil && queued {
		e.notify()
	}
	return err
}

package engine

import (
	"encoding/json"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// queue is where one write puts the outgoing work of one conversation:
// every outbox row the engine queues goes through it. Rows reach each lane
// (conversation, target) in the order they are queued here.
type queue struct {
	tx       bridge.Tx
	conv     bridge.ConversationID
	now      time.Time
	surfaces []bridge.Platform
}

func (e *Engine) queue(tx bridge.Tx, conv bridge.ConversationID, now time.Time) queue {
	return queue{tx: tx, conv: conv, now: now, surfaces: e.surfaces}
}

func (q queue) row(target bridge.Platform, kind bridge.OutboxKind, msg bridge.MessageID, payload string) error {
	return q.tx.Enqueue(bridge.OutboxRow{Conversation: q.conv, Target: target, Kind: kind, Message: msg, Payload: payload}, q.now)
}

// later queues a row that is due at notBefore (when its lane is empty by
// then; behind the lane's pending rows otherwise).
func (q queue) later(target bridge.Platform, kind bridge.OutboxKind, msg bridge.MessageID, notBefore time.Time) error {
	return q.tx.Enqueue(bridge.OutboxRow{Conversation: q.conv, Target: target, Kind: kind, Message: msg, NotBefore: notBefore}, q.now)
}

// each runs fn for every staff surface, in configuration order.
func (q queue) each(fn func(s bridge.Platform) error) error {
	for _, s := range q.surfaces {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// staff queues one row of kind on every staff surface but except ("" for
// none: a message written on a surface is already shown there).
func (q queue) staff(kind bridge.OutboxKind, msg bridge.MessageID, payload string, except bridge.Platform) error {
	return q.each(func(s bridge.Platform) error {
		if s == except {
			return nil
		}
		return q.row(s, kind, msg, payload)
	})
}

// post shows a stored message in every staff thread but except's.
func (q queue) post(msg bridge.MessageID, except bridge.Platform) error {
	return q.staff(bridge.KindStaffPost, msg, "", except)
}

// cards refreshes the ticket card on every surface.
func (q queue) cards() error { return q.staff(bridge.KindCard, 0, "", "") }

// customer sends a stored staff message to the customer on channel;
// payload is a bridge.CustomerSendPayload ("" for the message as stored).
func (q queue) customer(channel bridge.Platform, msg bridge.MessageID, payload string) error {
	return q.row(channel, bridge.KindCustomerSend, msg, payload)
}

// notice queues staff-only text for one surface's thread; it is not
// stored as a message.
func (q queue) notice(surface bridge.Platform, text string) error {
	payload, _ := json.Marshal(bridge.NoticePayload{Text: text})
	return q.row(surface, bridge.KindNotice, 0, string(payload))
}

// system stores a notice for staff (bridge.SystemMessage) and shows it in
// every thread, or only on surface when it is set.
func (q queue) system(text string, surface bridge.Platform, mentions ...bridge.StaffID) (bridge.Message, error) {
	msg := bridge.SystemMessage(q.conv, text, q.now, mentions...)
	if err := q.tx.InsertMessage(&msg, 0); err != nil {
		return msg, err
	}
	if surface != "" {
		return msg, q.row(surface, bridge.KindStaffPost, msg.ID, "")
	}
	return msg, q.post(msg.ID, "")
}

// mirror shows a staff-written message on every surface but the one it was
// written on (which shows it already), refreshing the cards after it when
// card is set.
func (q queue) mirror(msg bridge.MessageID, origin bridge.Platform, card bool) error {
	return q.each(func(s bridge.Platform) error {
		if s != origin {
			if err := q.row(s, bridge.KindStaffPost, msg, ""); err != nil {
				return err
			}
		}
		if !card {
			return nil
		}
		return q.row(s, bridge.KindCard, 0, "")
	})
}

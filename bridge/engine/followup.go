package engine

import (
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// FollowUp is a second way to reach a channel's customers when they leave
// a staff reply unseen (the web chat's continuation by email). Every staff
// reply on Channel also queues a customer send for Target, due After the
// reply, when Wanted says the customer can be reached there. The row is
// durable like every other: a restart does not lose it. Target's channel
// decides when the row is due whether anything goes out (the customer may
// have seen the reply meanwhile, or an earlier row took it along).
type FollowUp struct {
	Channel bridge.Platform // replies to customers on this channel
	Target  bridge.Platform // are followed up on this one (an outbox channel)
	After   time.Duration   // how long a reply may stay unseen first (> 0)
	// Wanted reads, in the reply's transaction, whether the conversation's
	// customer can be reached by Target (nil: always).
	Wanted func(tx bridge.CursorTx, c bridge.Conversation) (bool, error)
}

// followUp queues the follow-ups of a staff reply. Replies that are more
// than their text (a WhatsApp template) are not followed up.
func (e *Engine) followUp(q queue, c bridge.Conversation, msg bridge.MessageID, payload string) error {
	if payload != "" {
		return nil
	}
	for _, f := range e.follow {
		if f.Channel != c.Channel || f.After <= 0 {
			continue
		}
		if f.Wanted != nil {
			ok, err := f.Wanted(q.tx, c)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		if err := q.later(f.Target, bridge.KindCustomerSend, msg, q.now.Add(f.After)); err != nil {
			return err
		}
	}
	return nil
}

package outbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/store/storetest"
)

// followUp is a channel that only follows up on replies another channel
// delivered (as the web chat's email does): it fails when told to.
type followUp struct{ fail bool }

func (f *followUp) Name() bridge.Platform                         { return "chat-email" }
func (f *followUp) Run(ctx context.Context, _ bridge.Inbox) error { <-ctx.Done(); return nil }
func (f *followUp) FollowsUp()                                    {}
func (f *followUp) Send(context.Context, bridge.Delivery) (bridge.ExternalRef, error) {
	if f.fail {
		return bridge.ExternalRef{}, bridge.Permanent(errors.New("550 mailbox unavailable"))
	}
	return bridge.ExternalRef{Platform: "chat-email", ID: "<m1@example.com>"}, nil
}

// A follow-up puts no second receipt on the staff message when it is sent,
// and when it fails staff read that the follow-up failed, not that their
// reply was not delivered (it was, on its own channel).
func TestAFollowUpIsNotTheReplysDelivery(t *testing.T) {
	for _, fail := range []bool{false, true} {
		st := storetest.Open(t)
		surface := adaptertest.NewSurface("console")
		ch := &followUp{fail: fail}
		ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface}, Channels: []bridge.CustomerChannel{ch}})
		eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); ob.Run(ctx) }()
		res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		var reply bridge.MessageID
		err = st.Write(ctx, func(tx bridge.Tx) error {
			m := bridge.Message{Conversation: res.Conversation, Direction: bridge.DirStaff, Author: "Alice", Body: "on it", Platform: "console", ExternalID: "c1", CreatedAt: time.Now()}
			if err := tx.InsertMessage(&m, 0); err != nil {
				return err
			}
			reply = m.ID
			return tx.Enqueue(bridge.OutboxRow{Conversation: res.Conversation, Target: "chat-email", Kind: bridge.KindCustomerSend, Message: m.ID}, time.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		ob.Notify()
		adaptertest.Eventually(t, 10*time.Second, func() bool {
			rows, _ := st.OutboxRows(ctx, res.Conversation)
			for _, r := range rows {
				if r.Target == "chat-email" && r.State != "pending" {
					return true
				}
			}
			return false
		}, "the follow-up row is finished")
		time.Sleep(100 * time.Millisecond)
		rows, _ := st.OutboxRows(ctx, res.Conversation)
		for _, r := range rows {
			if r.Kind == bridge.KindReceipt && r.Message == reply {
				t.Errorf("fail=%v: a receipt was queued for the reply: %+v", fail, r)
			}
		}
		msgs, _ := st.Messages(ctx, res.Conversation, 0)
		var notice string
		for _, m := range msgs {
			if m.Direction == bridge.DirSystem && strings.HasPrefix(m.Body, "⚠") {
				notice = m.Body
			}
		}
		switch {
		case !fail && notice != "":
			t.Errorf("a sent follow-up left a warning: %q", notice)
		case fail && !strings.Contains(notice, "A follow-up (chat-email) could not be sent"):
			t.Errorf("a failed follow-up left %q", notice)
		}
		cancel()
		<-done
	}
}

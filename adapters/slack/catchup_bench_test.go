package slack

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

// BenchmarkCatchUp200Threads measures one catch-up over 200 open threads
// (each with a customer message and a staff reply already handled): what
// every start and Socket Mode reconnect costs when nothing was missed. One
// conversations.replies call per thread against the loopback fake.
func BenchmarkCatchUp200Threads(b *testing.B) {
	fake := fakeslack.New()
	defer fake.Close()
	st := storetest.Open(b)
	cfg := Config{BotToken: fake.BotToken, ChannelID: "C0STAFF01", APIURL: fake.APIURL(), SigningSecret: fake.Secret}
	cfg.Defaults()
	s, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Init(bridge.Deps{Clock: bridge.SystemClock(), Store: st, Core: engine.New(engine.Options{Store: st})}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := s.identify(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := range 200 {
		v := bridge.ConversationView{Conversation: bridge.Conversation{CustomerName: "Anna", Channel: "webchat", Status: bridge.StatusOpen, Priority: bridge.PriorityNormal}}
		err := st.Write(ctx, func(tx bridge.Tx) error {
			cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: fmt.Sprint("v", i)}, now)
			if err != nil {
				return err
			}
			v.Customer, v.Address, v.CreatedAt, v.UpdatedAt = cust, fmt.Sprint("v", i), now, now
			return tx.CreateConversation(&v.Conversation)
		})
		if err != nil {
			b.Fatal(err)
		}
		ref, err := s.OpenThread(ctx, v)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Write(ctx, func(tx bridge.Tx) error { return tx.SetThread(v.ID, Platform, ref, now) }); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Post(ctx, ref, bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Text: "hello"}); err != nil {
			b.Fatal(err)
		}
		channel, ts, _ := parseRef(string(ref))
		s.mark(ctx, messageKey(channel, fake.WriteUnheard(channel, ts, "U0ALICE", "answer")))
	}
	s.cu.Caught(ctx) // the listening mark
	for b.Loop() {
		if err := s.catchUp(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

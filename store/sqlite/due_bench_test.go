package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/storetest"
)

// BenchmarkDueOutbox reads the due lane heads the way a busy outbox does:
// 1,000 lanes with a head due and rows waiting behind it, 75 heads in
// flight (skipped), a batch of 64.
func BenchmarkDueOutbox(b *testing.B) {
	s := storetest.Open(b)
	ctx := context.Background()
	now := time.Now()
	var heads []bridge.OutboxID
	for i := range 1000 {
		err := s.Write(ctx, func(tx bridge.Tx) error {
			cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: fmt.Sprint(i)}, now)
			if err != nil {
				return err
			}
			c := bridge.Conversation{Customer: cust, Channel: "webchat", Address: fmt.Sprint(i), Status: bridge.StatusOpen,
				Priority: bridge.PriorityNormal, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateConversation(&c); err != nil {
				return err
			}
			for range 3 {
				if err := tx.Enqueue(bridge.OutboxRow{Conversation: c.ID, Target: "slack", Kind: bridge.KindNotice, Payload: `{"text":"x"}`}, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	due, err := s.DueOutbox(ctx, now, 1000, nil)
	if err != nil || len(due) != 1000 {
		b.Fatalf("%d due, %v", len(due), err)
	}
	for _, it := range due[:75] {
		heads = append(heads, it.ID)
	}
	for _, v := range []struct {
		name  string
		limit int
		skip  []bridge.OutboxID
	}{{"64", 64, heads}, {"64-noskip", 64, nil}, {"4", 4, heads}, {"4-noskip", 4, nil}} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				got, err := s.DueOutbox(ctx, now, v.limit, v.skip)
				if err != nil || len(got) != v.limit {
					b.Fatalf("%d due, %v", len(got), err)
				}
			}
		})
	}
}

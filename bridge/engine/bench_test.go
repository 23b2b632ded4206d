package engine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

// BenchmarkDeliver measures one customer message committed end to end
// (identity, conversation, message, FTS, outbox row) per op.
func BenchmarkDeliver(b *testing.B) {
	st := storetest.Open(b)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprint("v", i%1000), ExternalID: fmt.Sprint(i), Text: "hello there, my order is late"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverParallel shows group commit: concurrent deliveries share
// transactions.
func BenchmarkDeliverParallel(b *testing.B) {
	st := storetest.Open(b)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}})
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprint("v", i%1000), ExternalID: fmt.Sprint(i), Text: "hello there, my order is late"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

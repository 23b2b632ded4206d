package outbox_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/store/storetest"
)

// The outbox hands rows to workers it keeps while it runs; when Run
// returns, every worker has been told to stop and none is left behind.
func TestOutboxWorkersStopWithRun(t *testing.T) {
	st := storetest.OpenAt(t, t.TempDir()+"/threadline.db")
	surface := adaptertest.NewSurface("console")
	before := runtime.NumGoroutine()
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{surface}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ob.Run(ctx) }()
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Notify: ob.Notify})
	const n = 120
	for i := range n {
		if _, err := eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: fmt.Sprint("v", i%12),
			ExternalID: fmt.Sprint("m", i), Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	waitPosts(t, surface, n)
	cancel()
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Run returned, %d before it started:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

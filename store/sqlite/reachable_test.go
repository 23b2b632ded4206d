package sqlite_test

import (
	"context"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

func TestSetReachability(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	eng := engine.New(engine.Options{Store: st})
	res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "telegram", Address: "42", ExternalID: "42:1", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{"blocked the bot", "", "blocked again"} {
		if err := st.SetReachability(ctx, "telegram", "42", reason); err != nil {
			t.Fatal(err)
		}
		if c, _ := st.Conversation(ctx, res.Conversation); c.Unreachable != reason {
			t.Errorf("unreachable = %q, want %q", c.Unreachable, reason)
		}
	}
	if err := st.SetReachability(ctx, "telegram", "unknown", "x"); err != nil {
		t.Errorf("unknown address: %v", err)
	}
}

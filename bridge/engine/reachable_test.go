package engine_test

import (
	"context"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
)

// A customer marked unreachable (blocked the bot) who writes again can be
// answered again.
func TestCustomerWritingAgainIsReachable(t *testing.T) {
	r := newRig(t, "console")
	ctx := context.Background()
	res, err := r.eng.Deliver(ctx, msg("v1", "m1", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	conv, _ := r.st.Conversation(ctx, res.Conversation)
	err = r.st.Write(ctx, func(tx bridge.Tx) error {
		return tx.SetCustomerUnreachable(conv.Customer, "bot was blocked by the user")
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := r.st.Conversation(ctx, res.Conversation); c.Unreachable == "" {
		t.Fatal("not marked unreachable")
	}
	if _, err := r.eng.Deliver(ctx, msg("v1", "m2", "I unblocked you")); err != nil {
		t.Fatal(err)
	}
	if c, _ := r.st.Conversation(ctx, res.Conversation); c.Unreachable != "" {
		t.Errorf("still unreachable after the customer wrote: %q", c.Unreachable)
	}
	// A redelivery of an old message does not count as writing again.
	r.st.Write(ctx, func(tx bridge.Tx) error { return tx.SetCustomerUnreachable(conv.Customer, "blocked again") })
	if _, err := r.eng.Deliver(ctx, msg("v1", "m2", "I unblocked you")); err != nil {
		t.Fatal(err)
	}
	if c, _ := r.st.Conversation(ctx, res.Conversation); c.Unreachable != "blocked again" {
		t.Errorf("a duplicate cleared the mark: %q", c.Unreachable)
	}
}

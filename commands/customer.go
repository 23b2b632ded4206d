package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Handlers for the customer behind a conversation: !history and !link.

// runHistory lists the customer's conversations on every channel, marking
// the one asked from.
func runHistory(ctx context.Context, in *Invocation) (string, error) {
	c, err := in.Engine.Store().Conversation(ctx, in.Conversation)
	if err != nil {
		return "", err
	}
	convs, err := in.Engine.Store().CustomerConversations(ctx, c.Customer, 20)
	if err != nil {
		return "", err
	}
	loc := in.Engine.Directory().Location()
	var b strings.Builder
	fmt.Fprintf(&b, "%s's conversations (%d):", c.CustomerName, len(convs))
	for _, x := range convs {
		mark := ""
		if x.ID == c.ID {
			mark = " ← this one"
		}
		fmt.Fprintf(&b, "\n%s %s on %s · %s · %d messages · %s%s", x.ID, x.CreatedAt.In(loc).Format("2006-01-02"),
			x.Channel, x.Status, x.MessageCount, x.Subject, mark)
	}
	return b.String(), nil
}

// runLink records that this conversation's customer and another's are the
// same person.
func runLink(ctx context.Context, in *Invocation) (string, error) {
	other, err := bridge.ParseConversationID(in.Args[0])
	if err != nil {
		return "", bridge.Reject("%v", err)
	}
	if _, err := in.Engine.LinkCustomers(ctx, in.Staff(), other); err != nil {
		return "", err
	}
	return fmt.Sprintf("Linked: !history now shows the conversations of both %s and %s.", in.Conversation, other), nil
}

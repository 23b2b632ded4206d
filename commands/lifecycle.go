package commands

import (
	"context"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Handlers for a conversation's state: !close, !reopen, !snooze.

func runClose(ctx context.Context, in *Invocation) (string, error) {
	c, err := in.Engine.Close(ctx, in.Staff(), in.Rest)
	return confirm(c, err, "%s is closed. If the customer writes again it reopens.")
}

func runReopen(ctx context.Context, in *Invocation) (string, error) {
	c, err := in.Engine.Reopen(ctx, in.Staff())
	return confirm(c, err, "%s is open again.")
}

// runSnooze sets the conversation aside until a time ParseWhen reads, in
// the team's time zone; "off" or "cancel" wakes it.
func runSnooze(ctx context.Context, in *Invocation) (string, error) {
	if strings.EqualFold(in.Rest, "off") || strings.EqualFold(in.Rest, "cancel") {
		c, err := in.Engine.Unsnooze(ctx, in.Staff())
		return confirm(c, err, "%s is awake.")
	}
	loc := in.Engine.Directory().Location()
	until, err := ParseWhen(in.Rest, in.Engine.Now(), loc)
	if err != nil {
		return "", bridge.Reject("%v", err)
	}
	c, err := in.Engine.Snooze(ctx, in.Staff(), until)
	return confirm(c, err, "%s snoozed until %s.", until.In(loc).Format("Mon 2 Jan 15:04 MST"))
}

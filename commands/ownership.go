package commands

import (
	"context"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Handlers for who owns a conversation: !claim, !release, !assign, !handoff.

func runClaim(ctx context.Context, in *Invocation) (string, error) {
	c, err := in.Engine.Claim(ctx, in.Staff())
	return confirm(c, err, "You own %s now.")
}

func runRelease(ctx context.Context, in *Invocation) (string, error) {
	c, err := in.Engine.Release(ctx, in.Staff())
	return confirm(c, err, "%s is unclaimed now.")
}

func runAssign(ctx context.Context, in *Invocation) (string, error) {
	id, name, err := in.resolveStaff(ctx, in.Args[0])
	if err != nil {
		return "", err
	}
	c, err := in.Engine.Assign(ctx, in.Staff(), id, name)
	return confirm(c, err, "%s is %s's now.", name)
}

// runHandoff hands over to a department when the first word names one
// (without "@"), otherwise to a person; the rest of the text is the note.
func runHandoff(ctx context.Context, in *Invocation) (string, error) {
	target := in.Args[0]
	note := strings.TrimSpace(strings.TrimPrefix(in.Rest, target))
	dir := in.Engine.Directory()
	dept := strings.ToLower(target)
	if _, ok := dir.Department(dept); ok && !strings.HasPrefix(target, "@") {
		c, err := in.Engine.Handoff(ctx, in.Staff(), dept, "", "", note)
		msg, err := confirm(c, err, "%s is with %s now.", c.Department)
		if err != nil {
			return "", err
		}
		return msg + summaryAfterHandoff(in), nil
	}
	id, name, err := in.resolveStaff(ctx, target)
	if err != nil {
		return "", bridge.Reject("%v; departments: %s", err, strings.Join(dir.Departments(), ", "))
	}
	c, err := in.Engine.Handoff(ctx, in.Staff(), "", id, name, note)
	msg, err := confirm(c, err, "%s is %s's now.", name)
	if err != nil {
		return "", err
	}
	return msg + summaryAfterHandoff(in), nil
}

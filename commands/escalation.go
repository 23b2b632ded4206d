package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/team"
)

// Handlers for pulling people in: !escalate, !deescalate and !oncall (who
// an escalation to "oncall" reaches).

func runEscalate(ctx context.Context, in *Invocation) (string, error) {
	target := strings.ToLower(in.Args[0])
	reason := strings.TrimSpace(in.Rest[len(in.Args[0]):])
	c, err := in.Engine.Escalate(ctx, in.Staff(), target, reason)
	return confirm(c, err, "%s is escalated to %s.", c.EscalatedTo)
}

func runDeescalate(ctx context.Context, in *Invocation) (string, error) {
	c, err := in.Engine.Deescalate(ctx, in.Staff())
	return confirm(c, err, "%s is no longer escalated.")
}

// runOncall lists each department's on-call staff and, for rotations, who
// takes over next and when.
func runOncall(ctx context.Context, in *Invocation) (string, error) {
	dir := in.Engine.Directory()
	known, _ := in.Engine.Store().KnownStaff(ctx)
	if len(dir.Departments()) == 0 {
		return "No departments are configured.", nil
	}
	var b strings.Builder
	b.WriteString("On call now:")
	now := in.Engine.Now()
	for _, d := range dir.Departments() {
		fmt.Fprintf(&b, "\n%s: %s", d, onCallNow(dir, known, d, now))
		if r, ok := dir.Rotation(d); ok {
			_, until := r.OnCall(now)
			next, _ := r.OnCall(until)
			fmt.Fprintf(&b, " until %s, then %s", until.In(dir.Location()).Format("Mon 2 Jan 15:04 MST"), staffName(dir, known, next))
		}
	}
	return b.String(), nil
}

// onCallNow names who is on call in department d, or "nobody".
func onCallNow(dir *team.Directory, known map[bridge.StaffID]string, d string, now time.Time) string {
	ids := dir.OnCall(d, now)
	if len(ids) == 0 {
		return "nobody"
	}
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		names = append(names, staffName(dir, known, id))
	}
	return strings.Join(names, ", ")
}

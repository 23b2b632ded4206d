package commands

import (
	"context"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/team"
)

// resolveStaff turns "@alice" (or a staff id) into who is meant.
func (in *Invocation) resolveStaff(ctx context.Context, ref string) (bridge.StaffID, string, error) {
	if id, ok := in.Mentions[ref]; ok {
		known, _ := in.Engine.Store().KnownStaff(ctx)
		return id, staffName(in.Engine.Directory(), known, id), nil
	}
	if ref == "@me" || ref == "me" {
		return in.Actor.ID, in.Actor.Name, nil
	}
	known, err := in.Engine.Store().KnownStaff(ctx)
	if err != nil {
		return "", "", err
	}
	id, name, ok := in.Engine.Directory().ResolveStaff(ref, known, in.Surface)
	if !ok {
		return "", "", bridge.Reject("do not know who %s is (mention them, or use their staff id such as slack:U0123)", ref)
	}
	return id, name, nil
}

// staffName is the best name for id: the directory's, then the one last
// seen on a surface, then what kind of group id is ("Slack user group S0123").
func staffName(dir *team.Directory, known map[bridge.StaffID]string, id bridge.StaffID) string {
	if n, ok := dir.Name(id); ok {
		return n
	}
	if n, ok := known[id]; ok {
		return n
	}
	if label, ok := dir.GroupLabel(id); ok {
		return label
	}
	return string(id)
}

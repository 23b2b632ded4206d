package team

import (
	"slices"

	"github.com/threadlinehq/threadline/bridge"
)

// GroupSource expands groups into people, for the questions that have no
// actor to ask (leads of a department, whom to assign). It answers from
// memory and must not block: the engine asks inside transactions.
type GroupSource interface {
	// GroupMembers lists a group's members; ok is false when they are not
	// known (not resolved yet, or resolving failed: nobody counts as a member).
	GroupMembers(group bridge.StaffID) (members []bridge.StaffID, ok bool)
}

// SetGroups installs the source that expands the groups that can be
// listed (bridge.GroupForm.Listable). Call it while wiring, before the
// directory is used. Membership through a group that cannot be listed is
// known only from the actor's own groups (Actor.Groups).
func (d *Directory) SetGroups(g GroupSource) { d.groups = g }

// inGroup reports whether id is a known member of a group. Groups that
// cannot be listed have no known members, so nobody is in one by this test.
func (d *Directory) inGroup(id, group bridge.StaffID) bool {
	if !d.o.StaffIDs.Listable(group) || d.groups == nil {
		return false
	}
	members, ok := d.groups.GroupMembers(group)
	return ok && slices.Contains(members, id)
}

// MemberOf reports whether the actor belongs to dept: listed by id, in a
// group the surface says they are in (Actor.Groups), or in a group the
// directory can expand.
func (d *Directory) MemberOf(a bridge.Actor, dept string) bool {
	members := d.o.Departments[dept].Members
	for _, g := range a.Groups {
		if g.IsGroup() && slices.Contains(members, g) {
			return true
		}
	}
	return d.IsMember(a.ID, dept)
}

// expand turns a member list into people: ids as they are, groups that
// can be listed replaced by their members (when known), others left out.
func (d *Directory) expand(ids []bridge.StaffID) []bridge.StaffID {
	var out []bridge.StaffID
	for _, id := range ids {
		if !id.IsGroup() {
			out = bridge.AppendUnique(out, id)
			continue
		}
		if d.o.StaffIDs.Listable(id) && d.groups != nil {
			if members, ok := d.groups.GroupMembers(id); ok {
				out = bridge.AppendUnique(out, members...)
			}
		}
	}
	return out
}

// unlistedSurfaces are the surfaces of the groups among ids whose members
// cannot be listed.
func (d *Directory) unlistedSurfaces(ids []bridge.StaffID) map[bridge.Platform]bool {
	out := map[bridge.Platform]bool{}
	for _, id := range ids {
		if id.IsGroup() && !d.o.StaffIDs.Listable(id) {
			out[id.Surface()] = true
		}
	}
	return out
}

// GroupLabel is how staff read a group id ("Slack user group S0123"),
// when id is a group of a known kind.
func (d *Directory) GroupLabel(id bridge.StaffID) (string, bool) {
	g, ok := d.o.StaffIDs.Group(id)
	if !ok {
		return "", false
	}
	return g.Label(id), true
}

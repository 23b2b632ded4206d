package team

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

var (
	slackGroupPattern  = regexp.MustCompile(`^slack:group:S[A-Z0-9]+$`)
	discordRolePattern = regexp.MustCompile(`^discord:role:[0-9]+$`)
)

// memberProblem explains why id is neither a staff id nor a group ("" when
// it is one of them).
func memberProblem(id bridge.StaffID) string {
	s := string(id)
	switch {
	case strings.HasPrefix(s, bridge.SlackGroupPrefix):
		if !slackGroupPattern.MatchString(s) {
			return fmt.Sprintf("%q is not a Slack user group: want slack:group: and the group's id, which starts with S (S0123ABC; in Slack open the group under People → User groups and copy the id from the link, or call usergroups.list)", id)
		}
	case strings.HasPrefix(s, bridge.DiscordRolePrefix):
		if !discordRolePattern.MatchString(s) {
			return fmt.Sprintf("%q is not a Discord role: want discord:role: and the role's numeric id (Server Settings → Roles → ⋯ → Copy Role ID, with Developer Mode on)", id)
		}
	case !id.IsPerson():
		return fmt.Sprintf("%q is not a staff id or group (want slack:U0123, discord:1234, console:name, or a group: slack:group:S0123ABC, discord:role:1234)", id)
	}
	return ""
}

// GroupSource expands groups into people, for the questions that have no
// actor to ask (leads of a department, whom to assign). It answers from
// memory and must not block: the engine asks inside transactions.
type GroupSource interface {
	// GroupMembers lists a group's members; ok is false when they are not
	// known (not resolved yet, or resolving failed: nobody counts as a member).
	GroupMembers(group bridge.StaffID) (members []bridge.StaffID, ok bool)
}

// SetGroups installs the source that expands Slack user groups. Call it
// while wiring, before the directory is used. Discord roles cannot be
// listed (that needs the privileged Server Members intent): membership
// through a role is known only from the actor's own roles (Actor.Groups).
func (d *Directory) SetGroups(g GroupSource) { d.groups = g }

// inSlackGroup reports whether id is a known member of a Slack user group.
// Discord roles cannot be listed, so nobody is in one by this test.
func (d *Directory) inSlackGroup(id, group bridge.StaffID) bool {
	if _, ok := group.SlackGroup(); !ok || d.groups == nil {
		return false
	}
	members, ok := d.groups.GroupMembers(group)
	return ok && slices.Contains(members, id)
}

// MemberOf reports whether the actor belongs to dept: listed by id, in a
// group the surface says they are in (Actor.Groups), or in a Slack user
// group the directory can expand.
func (d *Directory) MemberOf(a bridge.Actor, dept string) bool {
	members := d.cfg.Departments[dept].Members
	for _, g := range a.Groups {
		if g.IsGroup() && slices.Contains(members, g) {
			return true
		}
	}
	return d.IsMember(a.ID, dept)
}

// expand turns a member list into people: ids as they are, Slack user
// groups replaced by their members (when known), Discord roles left out.
func (d *Directory) expand(ids []bridge.StaffID) []bridge.StaffID {
	var out []bridge.StaffID
	for _, id := range ids {
		if !id.IsGroup() {
			out = bridge.AppendUnique(out, id)
			continue
		}
		if _, ok := id.SlackGroup(); ok && d.groups != nil {
			if members, ok := d.groups.GroupMembers(id); ok {
				out = bridge.AppendUnique(out, members...)
			}
		}
	}
	return out
}

// Groups lists every group named in departments' members and on-call
// lists, sorted, each once.
func (w Config) Groups() []bridge.StaffID {
	seen := map[bridge.StaffID]bool{}
	for _, d := range w.Departments {
		for _, id := range append(append([]bridge.StaffID(nil), d.Members...), d.OnCall...) {
			if id.IsGroup() {
				seen[id] = true
			}
		}
	}
	out := make([]bridge.StaffID, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Notes are things about a valid config that work differently from what
// one might expect; the banner and check-config print them.
func (w Config) Notes() []string {
	var out []string
	for _, dept := range w.Assignment.Departments {
		c, ok := w.Departments[dept]
		if !ok || !hasDiscordRole(c.Members) {
			continue
		}
		out = append(out, fmt.Sprintf("round-robin in %s skips its Discord roles: Discord does not let bots list a role's members without the privileged Server Members intent, so only the people listed (and Slack user group members, rotation people) are assigned; the roles still count for membership and mentions", dept))
	}
	return out
}

func hasDiscordRole(ids []bridge.StaffID) bool {
	return slices.ContainsFunc(ids, func(id bridge.StaffID) bool { _, ok := id.DiscordRole(); return ok })
}

// onlyDiscordRoles reports whether ids is non-empty and names only Discord roles.
func onlyDiscordRoles(ids []bridge.StaffID) bool {
	return len(ids) > 0 && !slices.ContainsFunc(ids, func(id bridge.StaffID) bool { _, ok := id.DiscordRole(); return !ok })
}

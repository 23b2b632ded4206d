package config

import (
	"fmt"
	"strings"

	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/adapters/mattermost"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
)

// StaffIDs are the staff id forms of every staff surface, whether enabled
// or not (a config may name people of a surface it does not run yet), in
// the order hints list them.
func (c *Config) StaffIDs() bridge.StaffIDForms { return staffIDForms() }

func staffIDForms() bridge.StaffIDForms {
	return bridge.StaffIDForms{slack.StaffIDs(), discord.StaffIDs(), mattermost.StaffIDs(), console.StaffIDs()}
}

// memberProblem explains why id is neither a staff id nor a group ("" when
// it is one of them).
func memberProblem(ids bridge.StaffIDForms, id bridge.StaffID) string {
	if g, ok := ids.Group(id); ok {
		if g.Pattern != nil && !g.Pattern.MatchString(string(id)) {
			return fmt.Sprintf("%q is not %s", id, g.Help)
		}
		return ""
	}
	if !ids.IsPerson(id) {
		var groups []string
		for _, f := range ids {
			for _, g := range f.Groups {
				groups = append(groups, g.Example)
			}
		}
		return fmt.Sprintf("%q is not a staff id or group (want %s, or a group: %s)", id,
			strings.Join(personExamples(ids), ", "), strings.Join(groups, ", "))
	}
	return ""
}

// personProblem explains why id is not a staff id of one person ("" when
// it is one).
func personProblem(ids bridge.StaffIDForms, id bridge.StaffID) string {
	if _, ok := ids.Group(id); ok {
		return fmt.Sprintf("%q is a group; staff entries are people (name groups under departments.<name>.members or oncall)", id)
	}
	if !ids.IsPerson(id) {
		ex := personExamples(ids)
		want := strings.Join(ex, " or ")
		if n := len(ex); n > 2 {
			want = strings.Join(ex[:n-1], ", ") + " or " + ex[n-1]
		}
		return fmt.Sprintf("%q is not a staff id (want %s)", id, want)
	}
	return ""
}

func personExamples(ids bridge.StaffIDForms) []string {
	out := make([]string, 0, len(ids))
	for _, f := range ids {
		out = append(out, f.PersonExample)
	}
	return out
}

// personExample is how a person's id looks on surface.
func personExample(ids bridge.StaffIDForms, surface bridge.Platform) string {
	for _, f := range ids {
		if f.Surface == surface {
			return f.PersonExample
		}
	}
	return string(surface) + ":…"
}

// unlisted returns the form of id when it is a group whose members cannot
// be listed.
func unlisted(ids bridge.StaffIDForms, id bridge.StaffID) (bridge.GroupForm, bool) {
	g, ok := ids.Group(id)
	return g, ok && !g.Listable
}

// firstUnlisted returns the form of the first group among members that
// cannot be listed.
func firstUnlisted(ids bridge.StaffIDForms, members []bridge.StaffID) (bridge.GroupForm, bool) {
	for _, m := range members {
		if g, ok := unlisted(ids, m); ok {
			return g, true
		}
	}
	return bridge.GroupForm{}, false
}

// onlyUnlisted reports whether members is non-empty and names only groups
// that cannot be listed (nobody to assign to), with the first one's form.
func onlyUnlisted(ids bridge.StaffIDForms, members []bridge.StaffID) (bridge.GroupForm, bool) {
	for _, m := range members {
		if _, ok := unlisted(ids, m); !ok {
			return bridge.GroupForm{}, false
		}
	}
	return firstUnlisted(ids, members)
}

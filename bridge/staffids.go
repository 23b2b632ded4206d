package bridge

import (
	"regexp"
	"strings"
)

// StaffIDForm says how one surface's staff ids look. Each staff surface
// exports its own; config collects them for validation and hands them to
// the directory, so the core asks the forms and never names a platform.
type StaffIDForm struct {
	Surface Platform
	// Person matches a whole id of one person ("slack:U0123").
	Person *regexp.Regexp
	// PersonExample is shown in hints ("slack:U0123").
	PersonExample string
	// Groups are the kinds of staff group the surface knows (Slack user
	// groups, Discord roles); ids of a group start with its Prefix.
	Groups []GroupForm
}

// GroupForm describes one kind of staff group.
type GroupForm struct {
	// Prefix starts every id of this kind ("slack:group:").
	Prefix string
	// Pattern matches a whole well-formed id ("slack:group:S0123ABC").
	Pattern *regexp.Regexp
	// Name is what staff call one ("Slack user group"): a group is shown
	// as Name and its id ("Slack user group S0123ABC").
	Name string
	// Example is shown in hints ("slack:group:S0123ABC").
	Example string
	// Help completes `"<id>" is not ...` for an id that has the Prefix but
	// not the Pattern: what the id should be and where to find it.
	Help string
	// Listable: members can be listed (Slack user groups, through the
	// surface's GroupSource); false: membership is known only from the
	// actor (Discord roles), and Unlisted says why (for hints and notes).
	Listable bool
	Unlisted string
}

// Label is how staff read a group id: Name and the id after the prefix.
func (g GroupForm) Label(id StaffID) string {
	return g.Name + " " + strings.TrimPrefix(string(id), g.Prefix)
}

// StaffIDForms are the forms of every staff surface, in the order hints
// list them.
type StaffIDForms []StaffIDForm

// twoPart is a person id when no forms are known (tests, tools): a
// surface name and an id without colons.
var twoPart = regexp.MustCompile(`^[a-z]+:[A-Za-z0-9_.@-]+$`)

// IsPerson reports whether id is a well-formed id of one person on one of
// the surfaces. With no forms at all, any surface:name id counts.
func (fs StaffIDForms) IsPerson(id StaffID) bool {
	if len(fs) == 0 {
		return twoPart.MatchString(string(id))
	}
	for _, f := range fs {
		if f.Person != nil && f.Person.MatchString(string(id)) {
			return true
		}
	}
	return false
}

// Group returns the kind of group id names by its prefix, whether or not
// the rest of it is well-formed (check Pattern for that).
func (fs StaffIDForms) Group(id StaffID) (GroupForm, bool) {
	for _, f := range fs {
		for _, g := range f.Groups {
			if strings.HasPrefix(string(id), g.Prefix) {
				return g, true
			}
		}
	}
	return GroupForm{}, false
}

// Listable reports whether id is a group whose members can be listed.
func (fs StaffIDForms) Listable(id StaffID) bool {
	g, ok := fs.Group(id)
	return ok && g.Listable
}

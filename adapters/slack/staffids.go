package slack

import (
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// GroupPrefix starts the staff id of a Slack user group:
// "slack:group:S0123ABC" (the subteam id).
const GroupPrefix = "slack:group:"

var (
	personPattern = regexp.MustCompile(`^slack:[A-Za-z0-9_.@-]+$`)
	groupPattern  = regexp.MustCompile(`^slack:group:S[A-Z0-9]+$`)
)

// StaffIDs says how Slack staff ids look: users ("slack:U0123") and user
// groups ("slack:group:S0123ABC"), whose members the surface lists
// (usergroups.users.list, GroupMembers).
func StaffIDs() bridge.StaffIDForm {
	return bridge.StaffIDForm{
		Surface: "slack", Person: personPattern, PersonExample: "slack:U0123",
		Groups: []bridge.GroupForm{{
			Prefix: GroupPrefix, Pattern: groupPattern, Name: "Slack user group", Example: "slack:group:S0123ABC",
			Help: "a Slack user group: want slack:group: and the group's id, which starts with S (S0123ABC; in Slack open the group " +
				"under People → User groups and copy the id from the link, or call usergroups.list)",
			Listable: true,
		}},
	}
}

// GroupID returns the subteam id (S0123ABC) of a Slack user group's staff id.
func GroupID(id bridge.StaffID) (string, bool) {
	g, ok := strings.CutPrefix(string(id), GroupPrefix)
	return g, ok && g != ""
}

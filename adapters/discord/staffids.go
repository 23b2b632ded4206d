package discord

import (
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// RolePrefix starts the staff id of a Discord role: "discord:role:123456789".
const RolePrefix = "discord:role:"

var (
	personPattern = regexp.MustCompile(`^discord:[A-Za-z0-9_.@-]+$`)
	rolePattern   = regexp.MustCompile(`^discord:role:[0-9]+$`)
)

// StaffIDs says how Discord staff ids look: users ("discord:1234") and
// roles ("discord:role:1234"). A role's members cannot be listed (that
// needs the privileged Server Members intent): the gateway tells each
// actor's roles instead (Actor.Groups).
func StaffIDs() bridge.StaffIDForm {
	return bridge.StaffIDForm{
		Surface: "discord", Person: personPattern, PersonExample: "discord:1234",
		Groups: []bridge.GroupForm{{
			Prefix: RolePrefix, Pattern: rolePattern, Name: "Discord role", Example: "discord:role:1234",
			Help:     "a Discord role: want discord:role: and the role's numeric id (Server Settings → Roles → ⋯ → Copy Role ID, with Developer Mode on)",
			Unlisted: "listing a role's members needs the privileged Server Members intent",
		}},
	}
}

// RoleID returns the role id of a Discord role's staff id.
func RoleID(id bridge.StaffID) (string, bool) {
	r, ok := strings.CutPrefix(string(id), RolePrefix)
	return r, ok && r != ""
}

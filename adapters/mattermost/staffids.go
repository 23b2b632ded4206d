package mattermost

import (
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

var personPattern = regexp.MustCompile(`^mattermost:[a-z0-9]{26}$`)

// StaffIDs says how Mattermost staff ids look: "mattermost:" and the
// user's id (26 letters and digits, as the API and the profile's "Copy
// ID" show it). Usernames can be changed, so they are not ids.
func StaffIDs() bridge.StaffIDForm {
	return bridge.StaffIDForm{Surface: Platform, Person: personPattern, PersonExample: "mattermost:<user id>"}
}

// UserID returns the Mattermost user id of a staff id ("" and false for
// ids of other surfaces and for groups).
func UserID(id bridge.StaffID) (string, bool) {
	u, ok := strings.CutPrefix(string(id), string(Platform)+":")
	return u, ok && IsID(u)
}

package console

import (
	"regexp"

	"github.com/threadlinehq/threadline/bridge"
)

var personPattern = regexp.MustCompile(`^console:[A-Za-z0-9_.@-]+$`)

// StaffIDs says how console staff ids look: "console:<name>", one person
// each (the console has no groups).
func StaffIDs() bridge.StaffIDForm {
	return bridge.StaffIDForm{Surface: "console", Person: personPattern, PersonExample: "console:name"}
}

// Package slashcmd reads the text of the /ticket slash command of the
// surfaces whose slash commands arrive as plain text and say nothing of
// the thread they were typed in (Slack, Mattermost), so commands name the
// conversation.
package slashcmd

import (
	"fmt"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Usage is the answer to a slash command that could not be read; cmd is
// the command as configured ("/ticket").
func Usage(cmd string) string {
	return fmt.Sprintf("Usage: `%[1]s list`, `%[1]s stats [7d]`, `%[1]s oncall`, `%[1]s <id>` (status), `%[1]s <command> <id> [text]` (e.g. `%[1]s claim 142`, `%[1]s close 142 fixed`), `%[1]s help`.", cmd)
}

// Parse turns the words after the command into the staff command it
// stands for, written with prefix ("!"): "list", "help", "stats [7d]"
// and "oncall" as they are, "<id>" as status of conversation id, and
// "<command> <id> [text]" as command on conversation id with text. conv
// is 0 for the commands of no conversation; ok false means the words
// are none of these (answer with Usage).
func Parse(fields []string, prefix string) (conv bridge.ConversationID, text string, ok bool) {
	switch {
	case len(fields) == 0:
		return 0, "", false
	case fields[0] == "list" || fields[0] == "help" || fields[0] == "stats" || fields[0] == "oncall":
		return 0, prefix + strings.Join(fields, " "), true
	}
	if id, err := bridge.ParseConversationID(fields[0]); err == nil {
		return id, prefix + "status", true
	}
	if len(fields) < 2 {
		return 0, "", false
	}
	id, err := bridge.ParseConversationID(fields[1])
	if err != nil {
		return 0, "", false
	}
	return id, prefix + strings.Join(append([]string{fields[0]}, fields[2:]...), " "), true
}

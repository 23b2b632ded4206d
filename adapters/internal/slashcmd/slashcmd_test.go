package slashcmd

import (
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
)

func TestParseNamesTheConversationAfterTheCommand(t *testing.T) {
	for in, want := range map[string]struct {
		conv bridge.ConversationID
		text string
	}{
		"list":                  {0, "!list"},
		"stats 7d":              {0, "!stats 7d"},
		"oncall":                {0, "!oncall"},
		"help":                  {0, "!help"},
		"142":                   {142, "!status"},
		"#142":                  {142, "!status"},
		"claim 142":             {142, "!claim"},
		"close #142 fixed it":   {142, "!close fixed it"},
		"assign 7 @anna please": {7, "!assign @anna please"},
	} {
		conv, text, ok := Parse(strings.Fields(in), "!")
		if !ok || conv != want.conv || text != want.text {
			t.Errorf("Parse(%q) = %d, %q, %v; want %d, %q", in, conv, text, ok, want.conv, want.text)
		}
	}
}

func TestParseRefusesWhatNamesNoConversation(t *testing.T) {
	for _, in := range []string{"", "claim", "claim abc", "close 0 x", "-3"} {
		if conv, text, ok := Parse(strings.Fields(in), "!"); ok {
			t.Errorf("Parse(%q) = %d, %q, accepted", in, conv, text)
		}
	}
}

func TestUsageNamesTheConfiguredCommand(t *testing.T) {
	u := Usage("/helpdesk")
	if !strings.HasPrefix(u, "Usage: `/helpdesk list`") || strings.Contains(u, "/ticket") {
		t.Errorf("usage %q", u)
	}
}

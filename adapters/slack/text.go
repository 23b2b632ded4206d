package slack

import (
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

var slackToken = regexp.MustCompile(`<([^<>]*)>`)

// toPlain turns Slack's message text into what the customer should read:
// links become their URL (with the label if it differs), user and channel
// mentions become @name / #channel, special mentions lose their brackets,
// and HTML entities are decoded. names resolves user ids.
func toPlain(text string, names func(id string) string) string {
	out := slackToken.ReplaceAllStringFunc(text, func(tok string) string {
		inner := tok[1 : len(tok)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@U"), strings.HasPrefix(target, "@W"):
			if hasLabel {
				return "@" + label
			}
			return "@" + names(target[1:])
		case strings.HasPrefix(target, "#C"):
			if hasLabel {
				return "#" + label
			}
			return "#channel"
		case strings.HasPrefix(target, "!subteam^"):
			if hasLabel {
				return label
			}
			return "@group"
		case strings.HasPrefix(target, "!"):
			if hasLabel {
				return label
			}
			return "@" + strings.TrimPrefix(target, "!")
		case strings.HasPrefix(target, "mailto:"):
			return strings.TrimPrefix(target, "mailto:")
		}
		if hasLabel && label != target {
			return label + " (" + target + ")"
		}
		return target
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(out)
}

// mentionMap maps the "@name" words toPlain produces for user mentions to
// their staff ids, so commands like "!assign @alice" know who is meant.
func mentionMap(text string, names func(id string) string) map[string]bridge.StaffID {
	var out map[string]bridge.StaffID
	for _, m := range slackToken.FindAllStringSubmatch(text, -1) {
		target, label, hasLabel := strings.Cut(m[1], "|")
		if !strings.HasPrefix(target, "@U") && !strings.HasPrefix(target, "@W") {
			continue
		}
		name := label
		if !hasLabel {
			name = names(target[1:])
		}
		if out == nil {
			out = map[string]bridge.StaffID{}
		}
		out["@"+name] = bridge.StaffID("slack:" + target[1:])
	}
	return out
}

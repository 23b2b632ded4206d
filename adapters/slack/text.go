package slack

import (
	"regexp"
	"strings"
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

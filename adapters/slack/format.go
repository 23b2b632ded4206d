package slack

import (
	"fmt"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// maxText keeps each posted message well under Slack's limits (section
// blocks take 3000 characters; Slack advises short messages).
const maxText = 3500

// escape makes text inert in mrkdwn: <!channel>, <!here>, <@U123> and
// <http://evil|innocent> only work with literal angle brackets, which this
// turns into entities. Plain "@channel" typed by a customer does not ping
// when posted through the API without link_names.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// postText renders a staff-thread post as mrkdwn. Everything that came
// from outside (customer text, names, other surfaces' staff text) is
// escaped. With asCustomer the name is shown by the username override
// instead of in the text.
func postText(p bridge.StaffPost, asCustomer bool) string {
	body := escape(p.Text)
	for _, a := range p.Attachments {
		body += "\n" + attachmentLine(a)
	}
	if m := mentions(p.Mentions); m != "" {
		body += " " + m
	}
	name := escape(p.Author)
	switch p.Direction {
	case bridge.DirCustomer:
		if asCustomer {
			return body
		}
		return fmt.Sprintf("*%s*: %s", name, body)
	case bridge.DirStaff:
		return fmt.Sprintf("*%s* → customer%s: %s", name, via(p.Origin), body)
	case bridge.DirNote:
		return fmt.Sprintf(":memo: *%s* (internal note)%s: %s", name, via(p.Origin), body)
	}
	return ":gear: " + body
}

func via(origin bridge.Platform) string {
	if origin == "" || origin == Platform {
		return ""
	}
	return " _(via " + escape(string(origin)) + ")_"
}

// attachmentLine links a file; link syntax characters in the URL are
// percent-encoded so a crafted URL cannot change the link text.
func attachmentLine(a bridge.Attachment) string {
	name := escape(a.Name)
	if a.URL == "" {
		return ":paperclip: " + name
	}
	u := strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20").Replace(a.URL)
	return fmt.Sprintf(":paperclip: <%s|%s>", u, name)
}

// mentions renders staff to ping: Slack users and user groups as real
// mentions; staff and groups of other surfaces cannot be pinged here and
// are left out.
func mentions(ids []bridge.StaffID) string {
	var parts []string
	for _, id := range ids {
		if id == bridge.MentionHere {
			parts = append(parts, "<!here>")
		} else if g, ok := GroupID(id); ok {
			parts = append(parts, "<!subteam^"+g+">")
		} else if u, ok := strings.CutPrefix(string(id), "slack:"); ok && u != "" && !id.IsGroup() {
			parts = append(parts, "<@"+u+">")
		}
	}
	return strings.Join(parts, " ")
}

package mattermost

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/bridge"
)

// maxMessage keeps each post under Mattermost's limit (16383 characters
// since server 5.0).
const maxMessage = 16000

// zwsp (a zero-width space) breaks mention and link syntax without
// changing what staff read.
const zwsp = "\u200b"

// neutralize makes text from outside Mattermost (customers, other
// surfaces) inert: "@channel", "@all", "@here" and "@someone" stop being
// mentions (Mattermost takes an @ that follows no letter or digit as one;
// an email address's @ follows a letter and stays as it is), markdown
// links and images ([text](url), ![](url)) show as typed, and Slack-style
// <url|text> and <!channel> lose their meaning.
func neutralize(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	prev := rune(-1)
	for i, r := range s {
		switch r {
		case '@':
			b.WriteRune(r)
			if !isWord(prev) {
				b.WriteString(zwsp)
			}
		case '[':
			b.WriteString(`\[`)
		case '<':
			b.WriteRune(r)
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); unicode.IsLetter(next) || next == '!' || next == '@' || next == '#' {
				b.WriteString(zwsp)
			}
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// plainName makes a name safe for bold markdown and the username
// override: one line, no markup characters, mentions neutralised.
func plainName(s string) string {
	s = oneLine(strings.ToValidUTF8(s, ""))
	s = strings.Map(func(r rune) rune {
		switch r {
		case '*', '_', '`', '~', '|', '[', ']', '<', '>', '#':
			return -1
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	return neutralize(strings.TrimSpace(s))
}

// clip shortens s to at most n runes, ending with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// oneLine collapses whitespace (newlines included) to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// postText renders a thread post. Customer messages posted under the
// customer's name (override) carry the text alone; otherwise the author
// is named in bold. Everything from outside is neutralised; mentions is
// what pings staff (already Mattermost syntax).
func postText(p bridge.StaffPost, override bool, links []string, mentions string) string {
	body := neutralize(p.Text)
	if len(links) > 0 {
		if body != "" {
			body += "\n"
		}
		body += strings.Join(links, "\n")
	}
	if mentions != "" {
		body += " " + mentions
	}
	name := plainName(p.Author)
	if name == "" {
		name = "Customer"
	}
	via := ""
	if p.Origin != "" && p.Origin != Platform {
		via = " via " + plainName(string(p.Origin))
	}
	switch p.Direction {
	case bridge.DirCustomer:
		if override {
			return body
		}
		return fmt.Sprintf("**%s:** %s", name, body)
	case bridge.DirStaff:
		return fmt.Sprintf("💬 **%s**%s → customer:\n%s", name, via, body)
	case bridge.DirNote:
		return fmt.Sprintf("📝 **%s**%s (note, staff only):\n%s", name, via, body)
	}
	if strings.HasPrefix(body, "⚠") {
		return body
	}
	return "ℹ️ " + body
}

// overrideName is the name a customer's posts appear under with the
// username override: their name and the channel they wrote on.
func overrideName(p bridge.StaffPost) string {
	name := plainName(p.Author)
	if name == "" {
		name = "Customer"
	}
	if p.Origin != "" {
		name += " (" + plainName(string(p.Origin)) + ")"
	}
	return clip(name, 64)
}

// attachmentLine names a file that was not uploaded, linking it when it
// has a URL (link syntax in the URL is percent-encoded).
func attachmentLine(a bridge.Attachment) string {
	name := plainName(a.Name)
	if name == "" {
		name = "file"
	}
	if a.URL == "" {
		return "📎 " + name + " (not uploaded: too large or not stored)"
	}
	u := strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(a.URL)
	return fmt.Sprintf("📎 [%s](%s)", name, u)
}

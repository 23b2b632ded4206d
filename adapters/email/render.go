package email

import (
	"html"
	"regexp"
	"strings"
)

// renderHTML turns a staff reply (plain text with light Markdown/Slack
// formatting) into the HTML part of the email. Everything is escaped first,
// so nothing staff or customers typed can inject markup; then paragraphs,
// line breaks, bullet and numbered lists, quotes (> ), **bold**/*bold*,
// _italic_, `code` and links are rendered.
func renderHTML(text string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n<body style=\"font-family: sans-serif; font-size: 14px; line-height: 1.5;\">\n")
	blocks := splitBlocks(strings.ReplaceAll(text, "\r\n", "\n"))
	for _, blk := range blocks {
		switch {
		case allLines(blk, isBullet):
			b.WriteString("<ul>\n")
			for _, l := range blk {
				b.WriteString("<li>" + inline(strings.TrimSpace(bulletRe.ReplaceAllString(l, ""))) + "</li>\n")
			}
			b.WriteString("</ul>\n")
		case allLines(blk, isNumbered):
			b.WriteString("<ol>\n")
			for _, l := range blk {
				b.WriteString("<li>" + inline(strings.TrimSpace(numberRe.ReplaceAllString(l, ""))) + "</li>\n")
			}
			b.WriteString("</ol>\n")
		case allLines(blk, isQuoted):
			var inner []string
			for _, l := range blk {
				inner = append(inner, strings.TrimPrefix(strings.TrimPrefix(strings.TrimLeft(l, " "), ">"), " "))
			}
			b.WriteString("<blockquote style=\"margin: 0 0 0 .8ex; border-left: 2px solid #ccc; padding-left: 1ex; color: #555;\">" +
				joinLines(inner) + "</blockquote>\n")
		case len(blk) >= 2 && strings.HasPrefix(blk[0], "```") && strings.HasPrefix(blk[len(blk)-1], "```"):
			b.WriteString("<pre>" + html.EscapeString(strings.Join(blk[1:len(blk)-1], "\n")) + "</pre>\n")
		default:
			b.WriteString("<p>" + joinLines(blk) + "</p>\n")
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

func joinLines(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = inline(l)
	}
	return strings.Join(out, "<br>\n")
}

// splitBlocks splits text at blank lines.
func splitBlocks(text string) [][]string {
	var blocks [][]string
	var cur []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == "" {
			if len(cur) > 0 {
				blocks = append(blocks, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, strings.TrimRight(l, " \t"))
	}
	if len(cur) > 0 {
		blocks = append(blocks, cur)
	}
	return blocks
}

var (
	bulletRe = regexp.MustCompile(`^\s*[-*•]\s+`)
	numberRe = regexp.MustCompile(`^\s*\d{1,3}[.)]\s+`)
)

func isBullet(l string) bool   { return bulletRe.MatchString(l) }
func isNumbered(l string) bool { return numberRe.MatchString(l) }
func isQuoted(l string) bool   { return strings.HasPrefix(strings.TrimLeft(l, " "), ">") }

func allLines(lines []string, f func(string) bool) bool {
	for _, l := range lines {
		if !f(l) {
			return false
		}
	}
	return len(lines) > 0
}

var (
	slackLink  = regexp.MustCompile(`&lt;(https?://[^|\s]+?)\|([^&]+?)&gt;`)
	mdLink     = regexp.MustCompile(`\[([^\]]{1,200})\]\((https?://[^)\s]+)\)`)
	bareURL    = regexp.MustCompile(`(^|[\s(])(https?://[^\s<>"]+[^\s<>".,;:!?)\]'])`)
	codeSpan   = regexp.MustCompile("`([^`]+)`")
	boldDouble = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	boldSingle = regexp.MustCompile(`(^|[\s(])\*([^*\s][^*\n]*?)\*($|[\s).,;:!?])`)
	italic     = regexp.MustCompile(`(^|[\s(])_([^_\s][^_\n]*?)_($|[\s).,;:!?])`)
)

// inline escapes one line and applies inline formatting. Link targets are
// only ever http(s) URLs, so no javascript: link can be made.
func inline(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' {
			return -1
		}
		return r
	}, s)
	s = html.EscapeString(s)
	var codes []string
	s = codeSpan.ReplaceAllStringFunc(s, func(m string) string {
		codes = append(codes, "<code>"+m[1:len(m)-1]+"</code>")
		return "\x00" + string(rune('a'+len(codes)-1)) + "\x00"
	})
	var links []string
	keep := func(a string) string {
		links = append(links, a)
		return "\x01" + string(rune('a'+len(links)-1)) + "\x01"
	}
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		sm := slackLink.FindStringSubmatch(m)
		return keep(`<a href="` + sm[1] + `">` + sm[2] + `</a>`)
	})
	s = mdLink.ReplaceAllStringFunc(s, func(m string) string {
		sm := mdLink.FindStringSubmatch(m)
		return keep(`<a href="` + sm[2] + `">` + sm[1] + `</a>`)
	})
	s = bareURL.ReplaceAllStringFunc(s, func(m string) string {
		sm := bareURL.FindStringSubmatch(m)
		return sm[1] + keep(`<a href="`+sm[2]+`">`+sm[2]+`</a>`)
	})
	s = boldDouble.ReplaceAllString(s, "<strong>$1</strong>")
	s = boldSingle.ReplaceAllString(s, "$1<strong>$2</strong>$3")
	s = italic.ReplaceAllString(s, "$1<em>$2</em>$3")
	for i, l := range links {
		s = strings.Replace(s, "\x01"+string(rune('a'+i))+"\x01", l, 1)
	}
	for i, c := range codes {
		s = strings.Replace(s, "\x00"+string(rune('a'+i))+"\x00", c, 1)
	}
	return s
}

package discord

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxMessage is Discord's content limit (2000 characters).
const maxMessage = 2000

// split cuts text into pieces of at most limit characters, preferring a
// line break, then a space, as the cut point (the break itself is dropped).
func split(text string, limit int) []string {
	var out []string
	for utf8.RuneCountInString(text) > limit {
		// byte offset of the limit-th rune
		end := 0
		for i := 0; i < limit; i++ {
			_, n := utf8.DecodeRuneInString(text[end:])
			end += n
		}
		cut, skip := end, 0
		if c := text[end]; c == '\n' || c == ' ' {
			skip = 1
		} else if i := strings.LastIndexByte(text[:end], '\n'); i > end/2 {
			cut, skip = i, 1
		} else if i := strings.LastIndexByte(text[:end], ' '); i > end/2 {
			cut, skip = i, 1
		}
		out = append(out, text[:cut])
		text = text[cut+skip:]
	}
	if text != "" || len(out) == 0 {
		out = append(out, text)
	}
	return out
}

// escapeCustomer makes customer text inert in Discord markdown where it
// could mislead staff: masked links ([innocent](http://evil)) are shown as
// typed. Mentions are neutralised by allowed_mentions, not by editing text.
func escapeCustomer(s string) string {
	return strings.ReplaceAll(s, "[", `\[`)
}

var forbiddenName = regexp.MustCompile(`(?i)discord|clyde`)

// webhookUsername is the name a customer's messages appear under: their
// name and channel, without the words Discord refuses in webhook names.
func webhookUsername(name, origin string) string {
	printable := func(s string) string {
		return strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, ""), func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	}
	name, origin = printable(name), clip(printable(origin), 20)
	for forbiddenName.MatchString(name) {
		name = forbiddenName.ReplaceAllString(name, "")
	}
	name = strings.TrimSpace(name)
	switch strings.ToLower(name) {
	case "", "everyone", "here":
		name = "Customer"
	}
	suffix := ""
	if origin != "" && !forbiddenName.MatchString(origin) {
		suffix = " (" + origin + ")"
	}
	name = clip(name, 80-utf8.RuneCountInString(suffix))
	return strings.TrimSpace(name) + suffix
}

// clip shortens s to at most n characters, ending with "…" when cut.
func clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// oneLine collapses whitespace (newlines included) to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

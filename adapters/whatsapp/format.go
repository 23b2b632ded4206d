package whatsapp

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// WhatsApp's limits: a text message's body and a media caption, in
// characters. Lengths here are counted in UTF-16 code units, never fewer
// than characters, so a count errs on the safe side.
const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
)

// header is the line that names the staff member above a reply, in bold.
// WhatsApp has no escape for its formatting markers, so they are dropped
// from the name rather than let it turn the rest of the line into markup.
func header(author string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune("*_~`", r), unicode.IsControl(r), isInvisible(r):
			return -1
		}
		return r
	}, author)
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return ""
	}
	if r := []rune(name); len(r) > 64 {
		name = string(r[:63]) + "…"
	}
	return "*" + name + "*\n"
}

// isInvisible: bidirectional overrides and zero-width characters, which
// could make a name read as something else.
func isInvisible(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0xFEFF:
		return true
	}
	return false
}

// staffText prepares a staff reply for WhatsApp's own formatting, which
// already matches what staff type on Slack (*bold*, _italic_, ~strike~,
// ```code```): the doubled markers of Discord and Markdown (**bold**,
// ~~strike~~) become WhatsApp's single ones. Everything else is sent as
// typed; WhatsApp has no mentions in one-to-one chats.
func staffText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for _, d := range []string{"**", "~~"} {
		s = undouble(s, d)
	}
	return strings.TrimSpace(s)
}

// undouble replaces d...d spans on one line (opening at a word start,
// closing at a word end) with the single marker.
func undouble(s, d string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, d)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		open := i == 0 || !isWordRune(lastRune(s[:i]))
		rest := s[i+len(d):]
		j := strings.Index(rest, d)
		nl := strings.IndexByte(rest, '\n')
		if open && j > 0 && (nl < 0 || j < nl) && !unicode.IsSpace(firstRune(rest)) && !unicode.IsSpace(lastRune(rest[:j])) &&
			(j+len(d) == len(rest) || !isWordRune(firstRune(rest[j+len(d):]))) {
			b.WriteString(s[:i])
			b.WriteString(d[:1] + rest[:j] + d[:1])
			s = rest[j+len(d):]
			continue
		}
		b.WriteString(s[:i+len(d)])
		s = rest
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// units counts s in UTF-16 code units.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// splitText cuts s into pieces of at most limit UTF-16 units, at a
// paragraph break if one is in the second half of a piece, else at a line
// break, else at a space, else anywhere between characters. first is the
// room the first piece must leave (for the header).
func splitText(s string, limit, first int) []string {
	s = strings.TrimSpace(s)
	var out []string
	room := limit - first
	for s != "" {
		if units(s) <= room {
			out = append(out, s)
			break
		}
		// The longest prefix that fits, in bytes.
		end, n := 0, 0
		for i, r := range s {
			if n+utf16.RuneLen(r) > room {
				break
			}
			n += utf16.RuneLen(r)
			end = i + utf8.RuneLen(r)
		}
		cut := end
		for _, sep := range []string{"\n\n", "\n", " "} {
			if k := strings.LastIndex(s[:end], sep); k > end/2 {
				cut = k
				break
			}
		}
		if cut == 0 {
			cut = end
		}
		if cut == 0 { // room smaller than one character
			_, w := utf8.DecodeRuneInString(s)
			cut = w
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = strings.TrimSpace(s[cut:])
		room = limit
	}
	return out
}

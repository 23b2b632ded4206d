package telegram

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Telegram's limits, counted after entity parsing. Lengths here are counted
// in UTF-16 code units (what Telegram uses for entities), which is never
// less than the number of characters, so the count errs on the safe side.
const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
)

// style is a set of inline formats.
type style uint8

const (
	styleBold style = 1 << iota
	styleItalic
	styleStrike
	styleCode
	stylePre
)

// styled is one character of staff text with its formatting.
type styled struct {
	r rune
	s style
}

// parseStaffText reads staff text as plain text with a few common markers:
// *bold* / **bold**, _italic_, ~strike~ / ~~strike~~, `code` and ```pre```.
// A marker only counts where it opens at a word start and closes at a word
// end on the same line (snake_case, 2*3*4 and paths stay as typed), and
// everything else is literal text: nothing staff type can become markup.
func parseStaffText(s string) []styled {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var out []styled
	parseInline(s, 0, &out, 0)
	return out
}

var langHint = regexp.MustCompile(`^[A-Za-z0-9_+#.-]{1,20}$`)

type marker struct {
	delim string
	st    style
}

// Longer delimiters first, so ** is not read as two *.
var markers = []marker{
	{"```", stylePre},
	{"`", styleCode},
	{"**", styleBold},
	{"~~", styleStrike},
	{"*", styleBold},
	{"_", styleItalic},
	{"~", styleStrike},
}

func parseInline(s string, st style, out *[]styled, depth int) {
	for i := 0; i < len(s); {
		if depth < 4 {
			if m, content, next, ok := matchMarker(s, i); ok {
				switch {
				case m.st&(styleCode|stylePre) != 0:
					for _, r := range content {
						*out = append(*out, styled{r, st | m.st})
					}
				default:
					parseInline(content, st|m.st, out, depth+1)
				}
				i = next
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		*out = append(*out, styled{r, st})
		i += n
	}
}

// matchMarker reports whether a formatted span starts at s[i].
func matchMarker(s string, i int) (m marker, content string, next int, ok bool) {
	for _, m := range markers {
		if !strings.HasPrefix(s[i:], m.delim) {
			continue
		}
		switch m.st {
		case stylePre:
			end := strings.Index(s[i+3:], "```")
			if end < 0 {
				continue
			}
			c := s[i+3 : i+3+end]
			if nl := strings.IndexByte(c, '\n'); nl > 0 && langHint.MatchString(c[:nl]) {
				c = c[nl:] // ```go\n...: the language name is not content
			}
			c = strings.TrimSuffix(strings.TrimPrefix(c, "\n"), "\n")
			if strings.TrimSpace(c) == "" {
				continue
			}
			return m, c, i + 3 + end + 3, true
		case styleCode:
			rest := s[i+1:]
			end := strings.IndexAny(rest, "`\n")
			if end <= 0 || rest[end] != '`' {
				continue
			}
			return m, rest[:end], i + 1 + end + 1, true
		}
		if !canOpen(s, i, m.delim) {
			return marker{}, "", 0, false // a shorter marker of the same character would not open either
		}
		start := i + len(m.delim)
		for j := start + 1; j < len(s); j++ {
			if s[j] == '\n' {
				break
			}
			if strings.HasPrefix(s[j:], m.delim) && canClose(s, j, m.delim) {
				return m, s[start:j], j + len(m.delim), true
			}
		}
	}
	return marker{}, "", 0, false
}

// canOpen: at the start of text or after a space or opening punctuation,
// and followed by a character that is neither a space nor the marker's own.
func canOpen(s string, i int, delim string) bool {
	if i > 0 {
		prev, _ := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsSpace(prev) && !strings.ContainsRune(`([{"'«“`, prev) {
			return false
		}
	}
	rest := s[i+len(delim):]
	if rest == "" {
		return false
	}
	next, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsSpace(next) && next != rune(delim[0])
}

// canClose: after a character that is neither a space nor the marker's own,
// and at the end of text or before a space or closing punctuation.
func canClose(s string, j int, delim string) bool {
	prev, _ := utf8.DecodeLastRuneInString(s[:j])
	if unicode.IsSpace(prev) || prev == rune(delim[0]) {
		return false
	}
	rest := s[j+len(delim):]
	if rest == "" {
		return true
	}
	next, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsSpace(next) || strings.ContainsRune(`.,;:!?)]}"'»”-`, next)
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// splitStyled cuts text into chunks of at most limit UTF-16 units; the
// first chunk has room for reserve units less. It cuts at a blank line, a
// line end or a space in the second half of the window when it can, and
// drops the whitespace at each cut.
func splitStyled(text []styled, limit, reserve int) [][]styled {
	var chunks [][]styled
	for {
		text = trimStyled(text)
		if len(text) == 0 {
			return chunks
		}
		room := limit
		if len(chunks) == 0 {
			room = max(room-reserve, 1)
		}
		n, units := 0, 0
		for n < len(text) && units+utf16Len(text[n].r) <= room {
			units += utf16Len(text[n].r)
			n++
		}
		if n == len(text) {
			return append(chunks, text)
		}
		cut := bestCut(text[:n+1], n)
		chunks = append(chunks, text[:cut])
		text = text[cut:]
	}
}

// bestCut picks where to end a chunk of at most n characters: window[n]
// is the first character that does not fit.
func bestCut(window []styled, n int) int {
	half := n / 2
	for _, sep := range []string{"\n\n", "\n", " "} {
		for i := n; i > half; i-- {
			if matchesAt(window, i, sep) {
				return i
			}
		}
	}
	return max(n, 1)
}

func matchesAt(text []styled, i int, sep string) bool {
	k := 0
	for _, r := range sep {
		if i+k >= len(text) || text[i+k].r != r {
			return false
		}
		k++
	}
	return true
}

func trimStyled(t []styled) []styled {
	for len(t) > 0 && unicode.IsSpace(t[0].r) && t[0].s&stylePre == 0 {
		t = t[1:]
	}
	for len(t) > 0 && unicode.IsSpace(t[len(t)-1].r) && t[len(t)-1].s&stylePre == 0 {
		t = t[:len(t)-1]
	}
	return t
}

// utf16Count is the length Telegram sees.
func utf16Count(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

var tagOrder = []struct {
	st         style
	open, shut string
}{
	{stylePre, "<pre>", "</pre>"},
	{styleBold, "<b>", "</b>"},
	{styleItalic, "<i>", "</i>"},
	{styleStrike, "<s>", "</s>"},
	{styleCode, "<code>", "</code>"},
}

// renderHTML writes a chunk as Telegram HTML with &, < and > escaped.
// Tags are opened in one fixed order and closed in reverse, keeping the
// common outer ones open across style changes, so they always nest.
func renderHTML(t []styled) string {
	var b strings.Builder
	var open []int // indexes into tagOrder, outermost first
	for _, c := range t {
		st := c.s
		if st&stylePre != 0 {
			st &^= styleCode // <pre> already is monospace
		}
		var want []int
		for k, tg := range tagOrder {
			if st&tg.st != 0 {
				want = append(want, k)
			}
		}
		keep := 0
		for keep < len(open) && keep < len(want) && open[keep] == want[keep] {
			keep++
		}
		for k := len(open) - 1; k >= keep; k-- {
			b.WriteString(tagOrder[open[k]].shut)
		}
		for _, k := range want[keep:] {
			b.WriteString(tagOrder[k].open)
		}
		open = want
		writeEscaped(&b, c.r)
	}
	for k := len(open) - 1; k >= 0; k-- {
		b.WriteString(tagOrder[open[k]].shut)
	}
	return b.String()
}

func writeEscaped(b *strings.Builder, r rune) {
	switch r {
	case '&':
		b.WriteString("&amp;")
	case '<':
		b.WriteString("&lt;")
	case '>':
		b.WriteString("&gt;")
	default:
		b.WriteRune(r)
	}
}

// escapeHTML escapes plain text for Telegram HTML.
func escapeHTML(s string) string {
	var b strings.Builder
	for _, r := range s {
		writeEscaped(&b, r)
	}
	return b.String()
}

// formatReply renders a staff reply as Telegram HTML messages of at most
// limit characters each; header (already HTML, headerLen visible units)
// starts the first one.
func formatReply(header string, headerLen int, text string, limit int) []string {
	chunks := splitStyled(parseStaffText(text), limit, headerLen)
	out := make([]string, 0, len(chunks))
	for i, c := range chunks {
		h := ""
		if i == 0 {
			h = header
		}
		out = append(out, h+renderHTML(c))
	}
	return out
}

// Package textcut cuts text for platforms that cap a message's length in
// characters (runes): Slack and Mattermost posts. Platforms with other
// rules (Discord drops the break it cuts at, WhatsApp and Telegram count
// UTF-16 units) keep their own cutters.
package textcut

import (
	"strings"
	"unicode/utf8"
)

// Split cuts s into pieces of at most max runes, preferring a line break,
// then a space, in the second half of a piece as the cut point. The break
// ends the piece it follows and trailing breaks and spaces are trimmed
// from each piece but the last. An empty s is one empty piece.
func Split(s string, max int) []string {
	var out []string
	for utf8.RuneCountInString(s) > max {
		cut := byteIndexOfRune(s, max)
		head := s[:cut]
		if i := strings.LastIndexByte(head, '\n'); i > cut/2 {
			cut = i + 1
		} else if i := strings.LastIndexByte(head, ' '); i > cut/2 {
			cut = i + 1
		}
		out = append(out, strings.TrimRight(s[:cut], "\n "))
		s = s[cut:]
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// byteIndexOfRune is the byte offset of the n-th rune of s (len(s) when s
// has fewer).
func byteIndexOfRune(s string, n int) int {
	i := 0
	for pos := range s {
		if i == n {
			return pos
		}
		i++
	}
	return len(s)
}

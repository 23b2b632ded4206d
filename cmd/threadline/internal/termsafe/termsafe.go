// Package termsafe keeps text from outside (customers' messages, names,
// subjects) from driving the terminal it is printed on: escape sequences
// could clear lines, fake staff lines or write the clipboard (OSC 52).
// Control characters become visible caret or U+ notation; newlines and
// tabs stay.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// String returns s with every control character made visible.
func String(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		write(&b, r)
	}
	return b.String()
}

// clean reports whether s has nothing to neutralise (the common case,
// checked without allocating).
func clean(s string) bool {
	for _, r := range s {
		if unsafe(r) {
			return false
		}
	}
	return true
}

// unsafe: C0 controls but newline and tab, DEL, C1 controls, bidirectional
// overrides and isolates (text that displays other than it reads), and
// invalid UTF-8.
func unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == utf8.RuneError:
		return true
	}
	return false
}

func write(b *strings.Builder, r rune) {
	switch {
	case !unsafe(r):
		b.WriteRune(r)
	case r < 0x20:
		b.WriteByte('^')
		b.WriteByte(byte(r) + '@') // ESC -> ^[, CR -> ^M
	case r == 0x7f:
		b.WriteString("^?")
	case r == utf8.RuneError:
		b.WriteRune(utf8.RuneError)
	default:
		fmt.Fprintf(b, "<U+%04X>", r)
	}
}

// Writer neutralises everything written through it (see String). UTF-8
// sequences split across writes are kept whole.
func Writer(w io.Writer) io.Writer { return &writer{w: w} }

type writer struct {
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence from the last write
}

func (t *writer) Write(p []byte) (int, error) {
	buf := append(t.pending, p...)
	cut := len(buf)
	// Hold back a trailing sequence that is not complete yet.
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	t.pending = append([]byte(nil), buf[cut:]...)
	if _, err := io.WriteString(t.w, String(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

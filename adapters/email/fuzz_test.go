package email

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input may panic Parse, and every result keeps the
// invariants (one-line header values, valid UTF-8, safe file names).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/parse/*.eml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x--"))
	f.Add([]byte("Subject: =?utf-8?b?AAAA?=\r\nContent-Type: text/html\r\n\r\n<blockquote><blockquote><p>x"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw, Limits{MaxAttachmentBytes: 1 << 16, MaxParts: 50, MaxDepth: 8})
		if err != nil {
			return
		}
		checkInvariants(t, "fuzz", p)
		StripQuotes(p.FullText)
		renderHTML(p.Text)
	})
}

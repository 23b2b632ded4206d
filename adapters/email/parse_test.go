package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

var update = flag.Bool("update", false, "rewrite golden files")

// dump renders a parse result for golden files.
func dump(p Parsed, err error) string {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "message-id: %s (synthesized %v)\n", p.MessageID, p.MessageIDSynthesized)
	fmt.Fprintf(&b, "thread-refs: %s\n", strings.Join(p.ThreadRefs(), " "))
	fmt.Fprintf(&b, "from: %q <%s>\n", p.From.Name, p.From.Email)
	for _, a := range p.ReplyTo {
		fmt.Fprintf(&b, "reply-to: %q <%s>\n", a.Name, a.Email)
	}
	for _, a := range append(append([]Address{}, p.To...), p.Cc...) {
		fmt.Fprintf(&b, "rcpt: %q <%s>\n", a.Name, a.Email)
	}
	if p.ReturnPath != "" {
		fmt.Fprintf(&b, "return-path: %s\n", p.ReturnPath)
	}
	fmt.Fprintf(&b, "subject: %q\n", p.Subject)
	fmt.Fprintf(&b, "date: %s\n", dateOrZero(p.Date))
	fmt.Fprintf(&b, "auto: %q (%s)\n", p.Auto, p.AutoReason)
	if p.Bounce != nil {
		fmt.Fprintf(&b, "bounce: original=%s recipient=%s action=%s status=%s diagnostic=%q\n",
			p.Bounce.OriginalMessageID, p.Bounce.Recipient, p.Bounce.Action, p.Bounce.Status, p.Bounce.Diagnostic)
	}
	fmt.Fprintf(&b, "from-html: %v\n", p.FromHTML)
	for _, a := range p.Attachments {
		sum := sha256.Sum256(a.Data)
		fmt.Fprintf(&b, "attachment: %q %s size=%d inline=%v cid=%q kept=%v sha=%s skipped=%q\n", a.Name, a.ContentType, a.Size, a.Inline, a.ContentID,
			a.Data != nil, hex.EncodeToString(sum[:4]), a.Skipped)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	fmt.Fprintf(&b, "--- text\n%s\n", p.Text)
	if p.FullText != p.Text {
		fmt.Fprintf(&b, "--- full text\n%s\n", p.FullText)
	}
	return b.String()
}

var goldenLimits = Limits{MaxAttachmentBytes: 4096}

func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/parse/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := dump(Parse(raw, goldenLimits))
			golden := strings.TrimSuffix(f, ".eml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("parse result differs from %s (go test -run TestParseGolden -update to accept):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestParseInvariants checks properties every result must have, on the
// fixtures: one-line subject and names, valid UTF-8, safe file names.
func TestParseInvariants(t *testing.T) {
	files, _ := filepath.Glob("testdata/parse/*.eml")
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		p, err := Parse(raw, goldenLimits)
		if err != nil {
			continue
		}
		checkInvariants(t, filepath.Base(f), p)
	}
}

func checkInvariants(t *testing.T, name string, p Parsed) {
	t.Helper()
	for _, s := range []string{p.Subject, p.From.Name, p.From.Email, p.MessageID} {
		if strings.ContainsAny(s, "\r\n\x00") {
			t.Errorf("%s: header value %q holds CR, LF or NUL", name, s)
		}
	}
	for _, s := range []string{p.Subject, p.Text, p.FullText, p.From.Name} {
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8 %q", name, s)
		}
	}
	if !strings.HasPrefix(p.MessageID, "<") || !strings.HasSuffix(p.MessageID, ">") {
		t.Errorf("%s: message id %q lacks brackets", name, p.MessageID)
	}
	for _, a := range p.Attachments {
		if a.Name == "" || strings.ContainsAny(a.Name, "/\\\x00") || strings.HasPrefix(a.Name, ".") {
			t.Errorf("%s: unsafe attachment name %q", name, a.Name)
		}
	}
	if strings.TrimSpace(p.Text) == "" && strings.TrimSpace(p.FullText) != "" {
		t.Errorf("%s: quote stripping removed everything", name)
	}
}

func TestStripQuotes(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"gmail", "Sure, Tuesday works.\n\nOn Mon, 9 Mar 2026 at 16:00, Support <s@x.com> wrote:\n> When?\n", "Sure, Tuesday works."},
		{"wrapped header", "Yes.\n\nOn Mon, 9 Mar 2026 at 16:00, Example Support <support@example.com>\nwrote:\n> Hi\n", "Yes."},
		{"german", "Danke!\n\nAm 09.03.2026 um 16:00 schrieb Support <s@x.de>:\n> Hallo\n", "Danke!"},
		{"outlook", "Fine by me.\n\n________________________________\nFrom: Support <s@x.com>\nSent: Monday\nTo: Sam\n\nHi", "Fine by me."},
		{"original message", "Ok\n-----Original Message-----\nFrom: x\n", "Ok"},
		{"signature", "Thanks!\n\n-- \nAnna\nCEO, Example", "Thanks!"},
		{"mobile footer", "On my way.\n\nSent from my iPhone", "On my way."},
		{"trailing quote", "Agreed.\n\n> earlier text\n> more", "Agreed."},
		{"interleaved kept", "See below.\n\nOn Mon, Support wrote:\n> Q1?\nA1.\n> Q2?\nA2.", "See below.\n\nOn Mon, Support wrote:\n> Q1?\nA1.\n> Q2?\nA2."},
		{"only quote kept", "> just a quote", "> just a quote"},
		{"forward kept", "FYI\n\n---------- Forwarded message ----------\nFrom: A <a@x>\nDate: today\nSent: x\n\nbody", "FYI\n\n---------- Forwarded message ----------\nFrom: A <a@x>\nDate: today\nSent: x\n\nbody"},
		{"no quotes", "Plain message\nwith two lines", "Plain message\nwith two lines"},
	}
	for _, c := range cases {
		if got := StripQuotes(c.in); got != c.want {
			t.Errorf("%s: StripQuotes(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestSanitizeFilename(t *testing.T) {
	cases := map[string]string{
		"../../etc/passwd":                "passwd",
		`C:\Users\me\evil.exe`:            "evil.exe",
		"..":                              "attachment",
		".hidden":                         "hidden",
		"a\x00b\nc.txt":                   "abc.txt",
		"re<po>rt?.pdf":                   "re_po_rt_.pdf",
		"":                                "attachment",
		strings.Repeat("x", 300) + ".pdf": strings.Repeat("x", 96) + ".pdf",
	}
	for in, want := range cases {
		if got := SanitizeFilename(in, "application/octet-stream"); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SanitizeFilename("", "image/png"); got != "attachment.png" {
		t.Errorf("unnamed png = %q", got)
	}
}

func TestParseRejectsNonEmail(t *testing.T) {
	for _, in := range []string{"", " leading space\r\n\r\nbody", "no colon here\r\n\r\n"} {
		if _, err := Parse([]byte(in), Limits{}); err == nil && in != "" {
			t.Errorf("Parse(%q) accepted garbage", in)
		}
	}
	// A header-only message is fine.
	if p, err := Parse([]byte("From: a@b.c\r\nSubject: hi\r\n"), Limits{}); err != nil || p.Subject != "hi" {
		t.Errorf("header-only: %+v %v", p, err)
	}
	_ = bytes.MinRead
}

func dateOrZero(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// readHeader reads the header block of a message we sent.
func readHeader(raw []byte) (textproto.Header, error) {
	p := &parser{lim: Limits{}.withDefaults()}
	h, _, err := p.readHeader(raw)
	return h, err
}

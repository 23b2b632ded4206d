package telegram

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden")

const trickyReply = "Hi <Anna> & team! Your order #123 is *confirmed* and _ships today_.\n" +
	"Use code `SAVE<10>&more` at checkout; snake_case_name stays, 2*3*4 = 24, path /usr/*/bin, __init__.\n" +
	"**Double bold**, ~~gone~~, ~strike~ and *bold with _italic_ inside*.\n" +
	"```go\nif a < b && c > d {\n    fmt.Println(\"<b>not bold</b>\")\n}\n```\n" +
	"Unclosed *star and `tick, and a lone & or < or >. Entities stay text: &amp; &lt;b&gt;\n" +
	"Emoji 👍🏽 and Привет, link https://example.com/a_b_c?x=1&y=2 and <a href=\"x\">fake link</a>."

func longReply() string {
	var b strings.Builder
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "Paragraph %02d: the *parcel* is in transit & tracking shows <no news>; ", i)
		b.WriteString(strings.Repeat("we keep checking every day and will write again soon. ", 3))
		b.WriteString("\n\n")
	}
	// One unbroken run longer than a message: it must be cut hard.
	b.WriteString(strings.Repeat("x", 5000))
	return b.String()
}

func TestFormatReplyGolden(t *testing.T) {
	cases := []struct {
		name, author, text string
		limit              int
	}{
		{"tricky", "Alice <Support>", trickyReply, maxTextLen},
		{"long", "Bob", longReply(), maxTextLen},
		{"caption", "", "Your *invoice* is attached & paid.", maxCaptionLen},
	}
	var out strings.Builder
	for _, c := range cases {
		header, headerLen := "", 0
		if c.author != "" {
			header, headerLen = "<b>"+escapeHTML(c.author)+"</b>\n", len(c.author)+1
		}
		msgs := formatReply(header, headerLen, c.text, c.limit)
		fmt.Fprintf(&out, "=== %s: %d message(s), limit %d\n", c.name, len(msgs), c.limit)
		for i, m := range msgs {
			shown, err := faketelegram.ParseHTML(m)
			if err != nil {
				t.Errorf("%s part %d: Telegram would refuse it: %v\n%s", c.name, i+1, err, m)
			}
			n := len(utf16.Encode([]rune(shown)))
			if n > c.limit {
				t.Errorf("%s part %d: %d characters, limit %d", c.name, i+1, n, c.limit)
			}
			fmt.Fprintf(&out, "--- part %d (%d characters as shown)\n%s\n", i+1, n, m)
		}
	}
	golden := filepath.Join("testdata", "format.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("output differs from %s (go test -run TestFormatReplyGolden -update to accept):\n%s", golden, got)
	}
}

func TestFormatKeepsEveryCharacter(t *testing.T) {
	// Splitting drops only the whitespace at the cuts.
	text := longReply()
	var shown strings.Builder
	for _, m := range formatReply("", 0, text, maxTextLen) {
		s, err := faketelegram.ParseHTML(m)
		if err != nil {
			t.Fatal(err)
		}
		shown.WriteString(s)
	}
	squash := func(s string) string {
		s = strings.NewReplacer("*", "", " ", "", "\n", "").Replace(s)
		return s
	}
	if squash(shown.String()) != squash(text) {
		t.Error("characters were lost or changed while splitting")
	}
}

func TestParseStaffText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"a *b* c", "a <b>b</b> c"},
		{"a **b** c", "a <b>b</b> c"},
		{"_i_", "<i>i</i>"},
		{"snake_case_name", "snake_case_name"},
		{"2*3*4", "2*3*4"},
		{"* not bold *", "* not bold *"},
		{"`a<b`", "<code>a&lt;b</code>"},
		{"x ~~y~~ z", "x <s>y</s> z"},
		{"(*b*)", "(<b>b</b>)"},
		{"*b*.", "<b>b</b>."},
		{"*multi\nline*", "*multi\nline*"},
		{"```\n<pre>\n```", "<pre>&lt;pre&gt;</pre>"},
		{"```sh\nls -l\n```", "<pre>ls -l</pre>"},
		{"a & b < c > d", "a &amp; b &lt; c &gt; d"},
		{"*_both_*", "<b><i>both</i></b>"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, c := range cases {
		if got := renderHTML(parseStaffText(c.in)); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSplitCountsUTF16(t *testing.T) {
	// 3000 emoji are 6000 UTF-16 units: two messages.
	msgs := formatReply("", 0, strings.Repeat("😀", 3000), maxTextLen)
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(msgs))
	}
	for _, m := range msgs {
		if n := len(utf16.Encode([]rune(m))); n > maxTextLen {
			t.Errorf("message of %d units", n)
		}
	}
}

func FuzzFormatReply(f *testing.F) {
	f.Add(trickyReply, 4096)
	f.Add("*a _b `c` d_ e*", 5)
	f.Add("```\n\n```", 3)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if limit < 10 || limit > 5000 {
			limit = 4096
		}
		for _, m := range formatReply("<b>A</b>\n", 2, text, limit) {
			shown, err := faketelegram.ParseHTML(m)
			if err != nil {
				t.Fatalf("invalid HTML %q: %v", m, err)
			}
			if n := len(utf16.Encode([]rune(shown))); n > limit {
				t.Fatalf("part of %d units > %d", n, limit)
			}
		}
	})
}

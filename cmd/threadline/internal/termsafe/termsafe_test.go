package termsafe

import (
	"bytes"
	"testing"
)

func TestControlCharactersBecomeVisible(t *testing.T) {
	for in, want := range map[string]string{
		"hello\n\tworld":            "hello\n\tworld",
		"\x1b[2K\rstaff: fake line": "^[[2K^Mstaff: fake line",
		"\x1b]52;c;ZXZpbA==\x07":    "^[]52;c;ZXZpbA==^G",
		"a\x7fb\u009bc":             "a^?b<U+009B>c",
		"abc\u202edcba":             "abc<U+202E>dcba",
		"ok \xff bytes":             "ok \uFFFD bytes",
		"Zoë, 日本, 👍":                "Zoë, 日本, 👍",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriterKeepsSequencesSplitAcrossWrites(t *testing.T) {
	var out bytes.Buffer
	w := Writer(&out)
	msg := []byte("Zoë \u009b end\x1b")
	for i := range msg {
		w.Write(msg[i : i+1])
	}
	if got, want := out.String(), "Zoë <U+009B> end^["; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzString(f *testing.F) {
	f.Add("\x1b[31mred\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		for _, r := range out {
			if unsafe(r) && r != 0xFFFD {
				t.Fatalf("%q left %U in %q", s, r, out)
			}
		}
	})
}

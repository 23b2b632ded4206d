package textcut

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitPrefersLineBreaksThenSpacesAndKeepsEveryWord(t *testing.T) {
	long := strings.Repeat("word ", 2000) // 10000 runes
	parts := Split(long, 3500)
	if len(parts) != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	total := 0
	for _, p := range parts {
		if n := utf8.RuneCountInString(p); n > 3500 || n == 0 {
			t.Errorf("part of %d runes", n)
		}
		total += len(strings.Fields(p))
	}
	if total != 2000 {
		t.Errorf("words after split = %d", total)
	}
	if got := Split("line one\nline two", 12); len(got) != 2 || got[0] != "line one" || got[1] != "line two" {
		t.Errorf("line break: %q", got)
	}
}

func TestSplitShortTextIsOnePiece(t *testing.T) {
	if got := Split("短い", 10); len(got) != 1 || got[0] != "短い" {
		t.Errorf("short: %q", got)
	}
	if got := Split("", 10); len(got) != 1 || got[0] != "" {
		t.Errorf("empty: %q", got)
	}
}

func TestSplitNeverBreaksARune(t *testing.T) {
	for _, p := range Split(strings.Repeat("ü", 7001), 3500) {
		if !utf8.ValidString(p) || utf8.RuneCountInString(p) > 3500 {
			t.Errorf("bad part of %d runes", utf8.RuneCountInString(p))
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("word word word\nword", 5)
	f.Add("üüüü", 1)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 1000 || !utf8.ValidString(s) {
			return
		}
		parts := Split(s, max)
		if len(parts) == 0 {
			t.Fatal("no parts")
		}
		for _, p := range parts {
			if utf8.RuneCountInString(p) > max {
				t.Fatalf("part of %d runes over %d", utf8.RuneCountInString(p), max)
			}
		}
	})
}

func TestSplitLosesOnlyTheBreaksItCutsAt(t *testing.T) {
	s := strings.Repeat("word ", 5000)
	parts := Split(s, 100)
	if strings.TrimRight(strings.Join(parts, " "), " ") != strings.TrimRight(s, " ") {
		t.Error("split lost text")
	}
	for _, p := range parts {
		if len([]rune(p)) > 100 {
			t.Errorf("part of %d runes", len([]rune(p)))
		}
	}
}

package commands

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	s := DefaultSyntax()
	for _, tc := range []struct {
		in   string
		want Parsed
	}{
		{"hello there", Parsed{Kind: KindReply, Text: "hello there"}},
		{"  padded  \n", Parsed{Kind: KindReply, Text: "padded"}},
		{"!claim", Parsed{Kind: KindCommand, Name: "claim"}},
		{"!CLAIM", Parsed{Kind: KindCommand, Name: "claim"}},
		{"  !close  duplicate of #4 ", Parsed{Kind: KindCommand, Name: "close", Rest: "duplicate of #4", Args: []string{"duplicate", "of", "#4"}}},
		{"!close don't need it", Parsed{Kind: KindCommand, Name: "close", Rest: "don't need it", Args: []string{"don't", "need", "it"}}},
		{`!tag add "needs review"`, Parsed{Kind: KindCommand, Name: "tag", Rest: `add "needs review"`, Args: []string{"add", "needs review"}}},
		{"!t “hello world” x", Parsed{Kind: KindCommand, Name: "t", Rest: "“hello world” x", Args: []string{"hello world", "x"}}},
		{`!note "unclosed`, Parsed{Kind: KindCommand, Name: "note", Rest: `"unclosed`, Args: []string{"unclosed"}}},
		{"!note\nmulti\nline", Parsed{Kind: KindCommand, Name: "note", Rest: "multi\nline", Args: []string{"multi", "line"}}},
		{"!!important: read this", Parsed{Kind: KindReply, Text: "!important: read this"}},
		{"! not a command", Parsed{Kind: KindReply, Text: "! not a command"}},
		{"!1 is a number", Parsed{Kind: KindReply, Text: "!1 is a number"}},
		{"!", Parsed{Kind: KindReply, Text: "!"}},
		{"// check their plan first", Parsed{Kind: KindNote, Text: "check their plan first"}},
		{"//no space", Parsed{Kind: KindNote, Text: "no space"}},
		{"see https://example.com", Parsed{Kind: KindReply, Text: "see https://example.com"}},
		{"!ñote", Parsed{Kind: KindCommand, Name: "ñote"}},
	} {
		got := s.Parse(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) =\n %#v\nwant\n %#v", tc.in, got, tc.want)
		}
	}
}

func TestParseCustomPrefix(t *testing.T) {
	s := Syntax{Prefix: "/", NotePrefixes: []string{"#note", ">>"}}
	if p := s.Parse("/claim"); p.Kind != KindCommand || p.Name != "claim" {
		t.Errorf("/claim = %+v", p)
	}
	if p := s.Parse(">> internal"); p.Kind != KindNote || p.Text != "internal" {
		t.Errorf(">> = %+v", p)
	}
	if p := s.Parse("!claim"); p.Kind != KindReply {
		t.Errorf("!claim with / prefix = %+v", p)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"hello", "!claim", "!close because \"x", "// note", "!!x", "!", "“", "!a\tb\nc", "\x00!x", "!\u00e9t\u00e9"} {
		f.Add(seed)
	}
	s := DefaultSyntax()
	f.Fuzz(func(t *testing.T, in string) {
		p := s.Parse(in)
		switch p.Kind {
		case KindReply:
			// A reply carries the text as typed (trimmed, escape removed).
			trimmed := strings.TrimSpace(in)
			if p.Text != trimmed && "!"+p.Text != trimmed {
				t.Fatalf("reply text %q from %q", p.Text, in)
			}
		case KindNote:
			if !strings.HasPrefix(strings.TrimSpace(in), "//") {
				t.Fatalf("note without prefix: %q", in)
			}
		case KindCommand:
			if p.Name == "" || strings.ContainsAny(p.Name, " \t\n") {
				t.Fatalf("bad command name %q from %q", p.Name, in)
			}
			if utf8.ValidString(in) && !utf8.ValidString(p.Rest) {
				t.Fatalf("invalid UTF-8 rest from valid input %q", in)
			}
			for _, a := range p.Args {
				if a == "" {
					t.Fatalf("empty arg from %q: %#v", in, p.Args)
				}
			}
		}
	})
}

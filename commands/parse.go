package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a staff message is.
type Kind int

const (
	KindReply   Kind = iota // plain text: goes to the customer
	KindNote                // internal note: staff only
	KindCommand             // a command such as !claim
)

func (k Kind) String() string {
	switch k {
	case KindNote:
		return "note"
	case KindCommand:
		return "command"
	}
	return "reply"
}

// Parsed is a classified staff message.
type Parsed struct {
	Kind Kind
	Text string   // reply or note body
	Name string   // command name, lower case, without prefix
	Rest string   // command arguments as typed
	Args []string // command arguments split on spaces ("quoted words" kept together)
}

// Syntax holds the configurable prefixes.
type Syntax struct {
	Prefix       string   // command prefix, "!" by default
	NotePrefixes []string // message prefixes that make a note, "//" by default
}

// DefaultSyntax is "!" for commands and "//" for notes.
func DefaultSyntax() Syntax { return Syntax{Prefix: "!", NotePrefixes: []string{"//"}} }

// Parse classifies text:
//   - "!name args" (prefix then a letter) is a command;
//   - "!!text" is a reply that starts with "!" (the doubled prefix escapes it);
//   - "// text" (a note prefix) is an internal note;
//   - anything else is a reply to the customer.
func (s Syntax) Parse(text string) Parsed {
	body := strings.TrimSpace(text)
	if s.Prefix != "" && strings.HasPrefix(body, s.Prefix) {
		after := body[len(s.Prefix):]
		if strings.HasPrefix(after, s.Prefix) {
			return Parsed{Kind: KindReply, Text: after}
		}
		if r, _ := utf8.DecodeRuneInString(after); unicode.IsLetter(r) {
			name, rest, _ := strings.Cut(after, " ")
			if i := strings.IndexAny(name, "\t\n"); i >= 0 {
				name, rest = name[:i], name[i+1:]+" "+rest
			}
			rest = strings.TrimSpace(rest)
			return Parsed{Kind: KindCommand, Name: strings.ToLower(name), Rest: rest, Args: splitArgs(rest)}
		}
	}
	for _, np := range s.NotePrefixes {
		if np != "" && strings.HasPrefix(body, np) {
			return Parsed{Kind: KindNote, Text: strings.TrimSpace(body[len(np):])}
		}
	}
	return Parsed{Kind: KindReply, Text: body}
}

// splitArgs splits on whitespace; "double quotes" (or “curly” ones) group
// words. An unclosed quote runs to the end; empty quotes give no argument.
// Apostrophes are ordinary text.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	var closer rune
	inArg := false
	for _, r := range s {
		switch {
		case closer != 0 && r == closer:
			closer = 0
		case closer != 0:
			cur.WriteRune(r)
		case r == '"':
			closer, inArg = '"', true
		case r == '“':
			closer, inArg = '”', true
		case unicode.IsSpace(r):
			if inArg && cur.Len() > 0 {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg && cur.Len() > 0 {
		args = append(args, cur.String())
	}
	return args
}

package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/bridge"
)

func TestEscapeNeutralizesMentionsAndLinks(t *testing.T) {
	for _, in := range []string{"<!channel> help", "<!here>", "<!everyone>", "<@U123ABC> look", "<http://evil.example|your bank>", "<#C0123|general>", "a & b"} {
		out := escape(in)
		if strings.ContainsAny(out, "<>") {
			t.Errorf("escape(%q) = %q still has angle brackets", in, out)
		}
	}
	p := bridge.StaffPost{Direction: bridge.DirCustomer, Author: "<!channel> Mallory", Text: "hi <!here> <@U1> <https://x.y|click>"}
	got := postText(p, false)
	if strings.Contains(got, "<!") || strings.Contains(got, "<@") || strings.Contains(got, "<https") {
		t.Errorf("post text is not inert: %q", got)
	}
}

func TestPostTextPerDirection(t *testing.T) {
	for _, tc := range []struct {
		p    bridge.StaffPost
		want string
	}{
		{bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Text: "hello"}, "*Anna*: hello"},
		{bridge.StaffPost{Direction: bridge.DirStaff, Author: "Bob", Origin: "discord", Text: "on it"}, "*Bob* → customer _(via discord)_: on it"},
		{bridge.StaffPost{Direction: bridge.DirStaff, Author: "Bob", Origin: "slack", Text: "x"}, "*Bob* → customer: x"},
		{bridge.StaffPost{Direction: bridge.DirNote, Author: "Bob", Origin: "console", Text: "vip"}, ":memo: *Bob* (internal note) _(via console)_: vip"},
		{bridge.StaffPost{Direction: bridge.DirSystem, Text: "Alice claimed this conversation."}, ":gear: Alice claimed this conversation."},
		{bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Text: "see file", Attachments: []bridge.Attachment{{Name: "a|b>.pdf", URL: "https://f.example/x|y>z"}}},
			"*Anna*: see file\n:paperclip: <https://f.example/x%7Cy%3Ez|a|b&gt;.pdf>"},
	} {
		if got := postText(tc.p, false); got != tc.want {
			t.Errorf("postText(%+v) =\n %q\nwant\n %q", tc.p, got, tc.want)
		}
	}
	if got := postText(bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Text: "hi"}, true); got != "hi" {
		t.Errorf("as customer: %q", got)
	}
}

func TestToPlain(t *testing.T) {
	names := func(id string) string { return map[string]string{"U1": "alice"}[id] }
	for in, want := range map[string]string{
		"Try <https://example.com/reset>":    "Try https://example.com/reset",
		"See <https://example.com|our docs>": "See our docs (https://example.com)",
		"Ask <@U1> or <@U2|bob>":             "Ask @alice or @bob",
		"1 &lt; 2 &amp;&amp; 3 &gt; 2":       "1 < 2 && 3 > 2",
		"<mailto:a@b.c|a@b.c>":               "a@b.c",
		"in <#C1|general> <!here>":           "in #general @here",
		"&amp;lt;b&amp;gt; stays text":       "&lt;b&gt; stays text",
		"no tokens":                          "no tokens",
	} {
		if got := toPlain(in, names); got != want {
			t.Errorf("toPlain(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzToPlain(f *testing.F) {
	for _, s := range []string{"<@U1>", "<http://a|b>", "&lt;", "<<>>", "<!here|x>", "<#C1>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := toPlain(s, func(string) string { return "x" })
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
	})
}

func TestMentionRendering(t *testing.T) {
	for _, tc := range []struct {
		ids  []bridge.StaffID
		want string
	}{
		{[]bridge.StaffID{"slack:U0ALICE"}, "<@U0ALICE>"},
		{[]bridge.StaffID{"slack:group:S0123ABC"}, "<!subteam^S0123ABC>"},
		{[]bridge.StaffID{bridge.MentionHere, "slack:group:S1", "slack:U1"}, "<!here> <!subteam^S1> <@U1>"},
		// Other surfaces' people and groups cannot be pinged in Slack.
		{[]bridge.StaffID{"discord:role:123", "discord:42", "console:alice"}, ""},
		{[]bridge.StaffID{"slack:group:", "slack:"}, ""},
	} {
		if got := mentions(tc.ids); got != tc.want {
			t.Errorf("mentions(%v) = %q, want %q", tc.ids, got, tc.want)
		}
	}
	p := bridge.StaffPost{Direction: bridge.DirSystem, Text: "🚨 Lea escalated this conversation to billing. On call:", Mentions: []bridge.StaffID{"slack:group:S0BILL"}}
	if got := postText(p, false); got != ":gear: 🚨 Lea escalated this conversation to billing. On call: <!subteam^S0BILL>" {
		t.Errorf("escalation = %q", got)
	}
	// A customer cannot write a group mention.
	c := bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Mallory", Text: "<!subteam^S0BILL> refund now"}
	if got := postText(c, false); strings.Contains(got, "<!subteam") {
		t.Errorf("customer text pings a group: %q", got)
	}
}

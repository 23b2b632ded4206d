package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
)

func TestEvaluateRules(t *testing.T) {
	rules := []Rule{
		{Name: "vip", When: Match{Domains: []string{"bigcorp.com"}, Customers: nil}, Set: Actions{Priority: "urgent", Tags: []string{"VIP"}}},
		{Name: "billing", When: Match{Keywords: []string{"invoice", "refund", "charged twice"}}, Set: Actions{Department: "billing", Priority: "high", Tags: []string{"billing"}}},
		{Name: "angry", OnMessage: true, When: Match{Negative: true}, Set: Actions{Priority: "high", Tags: []string{"upset"}}},
		{Name: "telegram", When: Match{Channels: []bridge.Platform{"telegram"}}, Set: Actions{Department: "support", Reply: "hello"}, Stop: true},
		{Name: "never", When: Match{Keywords: []string{"zzz"}}, Set: Actions{Tags: []string{"never"}}},
		{Name: "default", Set: Actions{Department: "support"}},
	}
	for _, tc := range []struct {
		name string
		in   RuleInput
		want RuleOutcome
	}{
		{"vip billing: first priority wins, tags add up",
			RuleInput{New: true, Channel: "email", Email: "ceo@BigCorp.com", Text: "Please send the invoice"},
			RuleOutcome{Department: "billing", Priority: bridge.PriorityUrgent, Tags: []string{"vip", "billing"}, Matched: []string{"vip", "billing", "default"}}},
		{"word boundaries: 'refunded' is not 'refund'",
			RuleInput{New: true, Channel: "webchat", Text: "I was refunded, thanks"},
			RuleOutcome{Department: "support", Matched: []string{"default"}}},
		{"phrase",
			RuleInput{New: true, Channel: "webchat", Text: "I got CHARGED TWICE."},
			RuleOutcome{Department: "billing", Priority: bridge.PriorityHigh, Tags: []string{"billing"}, Matched: []string{"billing", "default"}}},
		{"stop ends evaluation",
			RuleInput{New: true, Channel: "telegram", Text: "hi zzz"},
			RuleOutcome{Department: "support", Reply: "hello", Matched: []string{"telegram"}}},
		{"message rules run on later messages and only they do",
			RuleInput{New: false, Channel: "webchat", Text: "This is UNACCEPTABLE, worst service ever!!!"},
			RuleOutcome{Priority: bridge.PriorityHigh, Tags: []string{"upset"}, Matched: []string{"angry"}}},
		{"calm later message: nothing",
			RuleInput{New: false, Channel: "webchat", Text: "thanks, invoice received"},
			RuleOutcome{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EvaluateRules(rules, tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestEvaluateRulesTo: rules match the address the customer wrote to.
func TestEvaluateRulesTo(t *testing.T) {
	rules := []Rule{
		{Name: "sales-mail", When: Match{To: []string{"Sales@Example.com"}}, Set: Actions{Department: "sales"}},
		{Name: "billing-widget", When: Match{Channels: []bridge.Platform{"webchat"}, To: []string{"billing"}}, Set: Actions{Department: "billing"}},
		{Name: "vip-bot", When: Match{To: []string{"@acme_vip_bot", "vip@example.com"}}, Set: Actions{Priority: "urgent", Tags: []string{"vip"}}},
		{Name: "billing-upset", OnMessage: true, When: Match{To: []string{"billing@example.com", "billing"}, Negative: true}, Set: Actions{Priority: "high"}},
		{Name: "default", Set: Actions{Department: "support"}},
	}
	for _, tc := range []struct {
		name string
		in   RuleInput
		want RuleOutcome
	}{
		{"alias in To",
			RuleInput{New: true, Channel: "email", To: []string{"sales@example.com", "support@example.com"}, Text: "a quote please"},
			RuleOutcome{Department: "sales", Matched: []string{"sales-mail", "default"}}},
		{"alias in Cc or Delivered-To, any position",
			RuleInput{New: true, Channel: "email", To: []string{"support@example.com", "sales@example.com"}, Text: "hi"},
			RuleOutcome{Department: "sales", Matched: []string{"sales-mail", "default"}}},
		{"plus tag ignored on the message side",
			RuleInput{New: true, Channel: "email", To: []string{"sales+12.abcdef0123@example.com"}, Text: "hi"},
			RuleOutcome{Department: "sales", Matched: []string{"sales-mail", "default"}}},
		{"case-insensitive",
			RuleInput{New: true, Channel: "email", To: []string{"SALES@EXAMPLE.COM"}, Text: "hi"},
			RuleOutcome{Department: "sales", Matched: []string{"sales-mail", "default"}}},
		{"other mailbox: default",
			RuleInput{New: true, Channel: "email", To: []string{"salesforce@example.com", "sales@example.org"}, Text: "hi"},
			RuleOutcome{Department: "support", Matched: []string{"default"}}},
		{"widget name",
			RuleInput{New: true, Channel: "webchat", To: []string{"billing"}, Text: "hi"},
			RuleOutcome{Department: "billing", Matched: []string{"billing-widget", "default"}}},
		{"widget name needs the channel too",
			RuleInput{New: true, Channel: "telegram", To: []string{"billing"}, Text: "hi"},
			RuleOutcome{Department: "support", Matched: []string{"default"}}},
		{"web chat without a widget name",
			RuleInput{New: true, Channel: "webchat", Text: "hi"},
			RuleOutcome{Department: "support", Matched: []string{"default"}}},
		{"telegram bot",
			RuleInput{New: true, Channel: "telegram", To: []string{"@ACME_VIP_BOT"}, Text: "hi"},
			RuleOutcome{Department: "support", Priority: bridge.PriorityUrgent, Tags: []string{"vip"}, Matched: []string{"vip-bot", "default"}}},
		{"a bot is not a mailbox",
			RuleInput{New: true, Channel: "telegram", To: []string{"@sales"}, Text: "hi"},
			RuleOutcome{Department: "support", Matched: []string{"default"}}},
		{"on: message rules see it on later messages",
			RuleInput{New: false, Channel: "email", To: []string{"billing+7.0123456789@example.com"}, Text: "This is a scam, unacceptable"},
			RuleOutcome{Priority: bridge.PriorityHigh, Matched: []string{"billing-upset"}}},
		{"on: message rule, other address",
			RuleInput{New: false, Channel: "email", To: []string{"support@example.com"}, Text: "This is a scam, unacceptable"},
			RuleOutcome{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EvaluateRules(rules, tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestNegativeSentiment(t *testing.T) {
	for text, want := range map[string]bool{
		"This is a scam":                          true,
		"I am disappointed and frustrated":        true,
		"WHY IS NOTHING WORKING FOR ME":           false,
		"WHY IS NOTHING WORKING FOR ME!!!":        true,
		"Could you help me reset my password?":    false,
		"Worst experience, unacceptable":          true,
		"I'm not angry, just curious":             true, // a heuristic, not magic: documented
		"the weather is terrible here, btw hello": true,
		"thanks, that was awesome":                false,
	} {
		if got := NegativeSentiment(text); got != want {
			t.Errorf("NegativeSentiment(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestTemplates(t *testing.T) {
	if err := ValidateTemplate("Hi {{customer}}, {{ agent }} here"); err != nil {
		t.Error(err)
	}
	if err := ValidateTemplate("Hi {{nope}}"); err == nil || !strings.Contains(err.Error(), "{{nope}}") {
		t.Errorf("unknown var = %v", err)
	}
	got := RenderTemplate("Hi {{customer}}, I'm {{ agent }}. Ref {{conversation}}.", map[string]string{"customer": "Anna", "agent": "Bob", "conversation": "#4"})
	if got != "Hi Anna, I'm Bob. Ref #4." {
		t.Errorf("render = %q", got)
	}
}

// TestAVariableWithoutValueDropsWithItsLead: a template greeting a
// customer whose name is not known reads naturally, not "Thanks, !".
func TestAVariableWithoutValueDropsWithItsLead(t *testing.T) {
	for body, want := range map[string]string{
		"Thanks for your message, {{customer}}! We answer soon.": "Thanks for your message! We answer soon.",
		"Hi {{customer}}, thanks for writing.":                   "Hi, thanks for writing.",
		"Hello {{customer}} and welcome":                         "Hello and welcome",
		"Dear {{customer}}":                                      "Dear",
		"Ref{{customer}}x":                                       "Refx",
		"Thanks, {{customer}}! Ref {{conversation}}.":            "Thanks! Ref #4.",
	} {
		if got := RenderTemplate(body, map[string]string{"conversation": "#4"}); got != want {
			t.Errorf("RenderTemplate(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestNormalizeTo(t *testing.T) {
	for in, want := range map[string]string{
		" Sales@Example.COM ":           "sales@example.com",
		"support+12.abcdef@example.com": "support@example.com",
		"a+b+c@example.com":             "a@example.com",
		"+tag@example.com":              "+tag@example.com", // nothing before the tag: left alone
		"@Acme_Bot":                     "@acme_bot",
		"billing":                       "billing",
		"":                              "",
	} {
		if got := NormalizeTo(in); got != want {
			t.Errorf("NormalizeTo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRuleToValidation(t *testing.T) {
	for _, tc := range []struct {
		to   string
		want string // "" for valid
	}{
		{"sales@example.com", ""},
		{"Sales+VIP@Example.com", ""},
		{"billing", ""},
		{"Billing-2_eu", ""},
		{"@acme_support_bot", ""},
		{"", "empty"},
		{"   ", "empty"},
		{"sales team", "space"},
		{"billing!", "not a widget name"},
		{strings.Repeat("w", 33), "not a widget name"},
		{"sales@", "not an email address"},
		{"@", "not an email address"},
		{"a@b@c", "not an email address"},
		{"+x@example.com", "nothing before the +tag"},
	} {
		err := CheckTo(tc.to)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("to %q: unexpected error %v", tc.to, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("to %q: error %v, want one about %q", tc.to, err, tc.want)
		}
	}
}

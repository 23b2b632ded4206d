package rules

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/threadlinehq/threadline/bridge"
)

// Rule is one automation rule: when a new conversation (or, with
// OnMessage, any customer message) matches, set department, priority,
// tags, or send a template reply.
type Rule struct {
	Name string
	// OnMessage: the rule looks at every customer message, the first one
	// included, and may only raise priority and add tags; otherwise it
	// looks at new conversations only.
	OnMessage bool
	When      Match
	Set       Actions
	Stop      bool // later rules are not looked at
}

// Match holds conditions; all given conditions must hold (none: always).
type Match struct {
	Channels  []bridge.Platform
	Keywords  []string // any of these words or phrases, case-insensitive
	Negative  bool     // angry or upset language (NegativeSentiment)
	Customers []string // exact addresses (emails, Telegram chat ids, visitor ids)
	Domains   []string // email domains (VIP companies)
	// To matches the address the customer wrote to (NormalizeTo on both
	// sides; CheckTo tells the values that can match).
	To []string
}

// Actions is what a matching rule does.
type Actions struct {
	Department string
	Priority   bridge.Priority // "": unchanged
	Tags       []string
	Reply      string // template name to send to the customer
}

// RuleInput is what rules look at.
type RuleInput struct {
	New     bool // a new conversation (else a later customer message)
	Channel bridge.Platform
	Address string
	Email   string
	Subject string
	Text    string
	To      []string // the addresses the customer wrote to (InboundMessage.To)
}

// RuleOutcome is the combined effect of the matching rules.
type RuleOutcome struct {
	Department string
	Priority   bridge.Priority
	Tags       []string
	Reply      string
	Matched    []string // rule names (or #index) that matched, in order
}

// EvaluateRules applies rules in order. For department, reply and (on new
// conversations) priority the first matching rule that sets it wins; tags
// add up; message rules only ever raise priority. A matching rule with
// stop ends the evaluation.
func EvaluateRules(rules []Rule, in RuleInput) RuleOutcome {
	var out RuleOutcome
	text := strings.ToLower(in.Subject + "\n" + in.Text)
	for i, r := range rules {
		// new_conversation rules run on the first message only; message
		// rules run on every customer message, including the first.
		onMessage := r.OnMessage
		if !onMessage && !in.New {
			continue
		}
		if !r.When.matches(in, text) {
			continue
		}
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		out.Matched = append(out.Matched, name)
		if out.Department == "" {
			out.Department = r.Set.Department
		}
		if out.Reply == "" {
			out.Reply = r.Set.Reply
		}
		if p := r.Set.Priority; p != "" {
			if out.Priority == "" || (onMessage && p.Rank() < out.Priority.Rank()) {
				out.Priority = p
			}
		}
		for _, t := range r.Set.Tags {
			out.Tags = addTag(out.Tags, t)
		}
		if r.Stop {
			break
		}
	}
	return out
}

func addTag(tags []string, t string) []string {
	t = NormalizeTag(t)
	for _, x := range tags {
		if x == t {
			return tags
		}
	}
	return append(tags, t)
}

// NormalizeTag lower-cases a tag and joins words with dashes.
func NormalizeTag(t string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#"))), "-")
}

func (m Match) matches(in RuleInput, lowerText string) bool {
	if len(m.Channels) > 0 && !onChannel(m.Channels, in.Channel) {
		return false
	}
	if len(m.Customers) > 0 && !containsFold(m.Customers, in.Address) && !(in.Email != "" && containsFold(m.Customers, in.Email)) {
		return false
	}
	if len(m.Domains) > 0 {
		_, domain, ok := strings.Cut(strings.ToLower(in.Email), "@")
		if !ok || !containsFold(m.Domains, domain) {
			return false
		}
	}
	if len(m.To) > 0 && !matchesTo(m.To, in.To) {
		return false
	}
	if len(m.Keywords) > 0 {
		hit := false
		for _, k := range m.Keywords {
			if containsWord(lowerText, strings.ToLower(k)) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	if m.Negative && !NegativeSentiment(in.Subject+"\n"+in.Text) {
		return false
	}
	return true
}

// NormalizeTo is how addresses the customer wrote to are compared:
// trimmed, lower-case, and for email addresses without the +tag
// (support+x7@example.com is support@example.com).
func NormalizeTo(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" {
		return s // a widget name or a @bot
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "@" + domain
}

func matchesTo(want, have []string) bool {
	for _, h := range have {
		h = NormalizeTo(h)
		if h == "" {
			continue
		}
		for _, w := range want {
			if NormalizeTo(w) == h {
				return true
			}
		}
	}
	return false
}

// CheckTo refuses a To value that can never match: it must be a mailbox
// (sales@example.com), a web chat widget name (billing), a bot (@acme_bot)
// or a WhatsApp business number (+15550783881, or its phone number id).
func CheckTo(t string) error {
	t = strings.TrimSpace(t)
	local, domain, hasAt := strings.Cut(t, "@")
	switch {
	case t == "":
		return errors.New("empty; give a mailbox (sales@example.com), a widget name (billing), a bot (@acme_bot) or a WhatsApp number (+15550783881)")
	case strings.ContainsFunc(t, unicode.IsSpace):
		return fmt.Errorf("%q contains a space", t)
	case strings.HasPrefix(t, "+") && !hasAt:
		if digits := t[1:]; len(digits) < 6 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
			return fmt.Errorf("%q is not a phone number in international form (+ and 6 to 15 digits, e.g. +15550783881)", t)
		}
	case !hasAt && !ValidWidgetName(strings.ToLower(t)):
		return fmt.Errorf("%q is not a widget name (1-32 letters, digits, - or _), a mailbox or a @bot", t)
	case hasAt && (domain == "" || strings.Contains(domain, "@")):
		return fmt.Errorf("%q is not an email address or a @bot", t)
	case hasAt && local != "" && strings.HasPrefix(local, "+"):
		return fmt.Errorf("%q has nothing before the +tag", t)
	}
	return nil
}

// ValidWidgetName reports whether s can name a web chat widget: 1-32
// lower-case letters, digits, - or _.
func ValidWidgetName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// onChannel reports whether ch is among channels, ignoring case.
func onChannel(channels []bridge.Platform, ch bridge.Platform) bool {
	for _, c := range channels {
		if strings.EqualFold(strings.TrimSpace(string(c)), string(ch)) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

// containsWord finds phrase in text at word boundaries ("refund" matches
// "a refund?" but not "refunded"... unless the phrase ends with *).
func containsWord(text, phrase string) bool {
	prefix := strings.HasSuffix(phrase, "*")
	phrase = strings.TrimSuffix(phrase, "*")
	if phrase == "" {
		return false
	}
	for start := 0; ; {
		i := strings.Index(text[start:], phrase)
		if i < 0 {
			return false
		}
		i += start
		end := i + len(phrase)
		before := i == 0 || !isWordByte(text, i-1)
		after := prefix || end == len(text) || !isWordByte(text, end)
		if before && after {
			return true
		}
		start = i + 1
	}
}

func isWordByte(s string, i int) bool {
	r := rune(s[i])
	if r >= 0x80 {
		return true // part of a multi-byte letter
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}

// NegativeSentiment is a small, explainable heuristic for angry or upset
// messages: strong words count 2, milder ones 1, shouting (mostly capitals)
// and "!!!" count 1; a score of 2 or more is negative.
func NegativeSentiment(text string) bool {
	lower := strings.ToLower(text)
	score := 0
	for _, w := range []string{"scam", "fraud", "lawyer", "sue you", "furious", "unacceptable", "disgusting", "worst",
		"terrible", "ridiculous", "outrageous", "angry", "pathetic", "never again", "cancel my", "chargeback"} {
		if containsWord(lower, w) {
			score += 2
		}
	}
	for _, w := range []string{"disappointed", "frustrated", "annoyed", "useless", "awful", "horrible", "wtf", "still waiting",
		"again and again", "no one", "nobody", "waste", "fed up", "hate"} {
		if containsWord(lower, w) {
			score++
		}
	}
	if strings.Contains(text, "!!!") || strings.Contains(text, "???") {
		score++
	}
	letters, upper := 0, 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	if letters >= 12 && upper*10 >= letters*7 {
		score++
	}
	return score >= 2
}

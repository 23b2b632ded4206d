package rules

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/threadlinehq/threadline/bridge"
)

// RuleConfig is one automation rule: when a new conversation (or, with
// on: message, any customer message) matches, set department, priority,
// tags, or send a template reply.
type RuleConfig struct {
	Name string    `yaml:"name"`
	On   string    `yaml:"on"` // new_conversation (default) or message
	When RuleMatch `yaml:"when"`
	Set  RuleSet   `yaml:"set"`
	Stop bool      `yaml:"stop"` // later rules are not looked at
}

// RuleMatch holds conditions; all given conditions must hold (none: always).
type RuleMatch struct {
	Channels  []string `yaml:"channels"`  // webchat, telegram, email
	Keywords  []string `yaml:"keywords"`  // any of these words or phrases, case-insensitive
	Sentiment string   `yaml:"sentiment"` // "negative": angry or upset language
	Customers []string `yaml:"customers"` // exact addresses (emails, Telegram chat ids, visitor ids)
	Domains   []string `yaml:"domains"`   // email domains (VIP companies)
	// To matches the address the customer wrote to: a mailbox or alias
	// (sales@example.com; a +tag is ignored on both sides), a web chat
	// widget name (billing), a Telegram bot (@acme_support_bot).
	To []string `yaml:"to"`
}

// RuleSet is what a matching rule does.
type RuleSet struct {
	Department string   `yaml:"department"`
	Priority   string   `yaml:"priority"`
	Tags       []string `yaml:"tags"`
	Reply      string   `yaml:"reply"` // template name to send to the customer
}

func (r RuleConfig) Validate() error {
	var errs []error
	switch r.On {
	case "", "new_conversation", "message":
	default:
		errs = append(errs, fmt.Errorf("on must be new_conversation or message, not %q", r.On))
	}
	if r.Set.Priority != "" {
		if _, err := bridge.ParsePriority(r.Set.Priority); err != nil {
			errs = append(errs, err)
		}
	}
	if r.When.Sentiment != "" && r.When.Sentiment != "negative" {
		errs = append(errs, fmt.Errorf("sentiment must be negative, not %q", r.When.Sentiment))
	}
	for i, t := range r.When.To {
		if err := checkTo(t); err != nil {
			errs = append(errs, fmt.Errorf("when.to[%d]: %w", i, err))
		}
	}
	if r.Set.Department == "" && r.Set.Priority == "" && len(r.Set.Tags) == 0 && r.Set.Reply == "" {
		errs = append(errs, errors.New("set does nothing: give department, priority, tags or reply"))
	}
	if r.On == "message" && (r.Set.Department != "" || r.Set.Reply != "") {
		errs = append(errs, errors.New("on: message rules may only set priority and tags"))
	}
	return errors.Join(errs...)
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
func EvaluateRules(rules []RuleConfig, in RuleInput) RuleOutcome {
	var out RuleOutcome
	text := strings.ToLower(in.Subject + "\n" + in.Text)
	for i, r := range rules {
		// new_conversation rules run on the first message only; message
		// rules run on every customer message, including the first.
		onMessage := r.On == "message"
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
		if p, err := bridge.ParsePriority(r.Set.Priority); err == nil {
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

func (m RuleMatch) matches(in RuleInput, lowerText string) bool {
	if len(m.Channels) > 0 && !containsFold(m.Channels, string(in.Channel)) {
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
	if m.Sentiment == "negative" && !NegativeSentiment(in.Subject+"\n"+in.Text) {
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

// checkTo refuses when.to values that can never match.
func checkTo(t string) error {
	t = strings.TrimSpace(t)
	local, domain, hasAt := strings.Cut(t, "@")
	switch {
	case t == "":
		return errors.New("empty; give a mailbox (sales@example.com), a widget name (billing) or a bot (@acme_bot)")
	case strings.ContainsFunc(t, unicode.IsSpace):
		return fmt.Errorf("%q contains a space", t)
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

package config

import (
	"errors"
	"fmt"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
)

// Rule is one automation rule: when a new conversation (or, with
// on: message, any customer message) matches, set department, priority,
// tags, or send a template reply.
type Rule struct {
	Name string    `yaml:"name"`
	On   string    `yaml:"on"` // new_conversation (default) or message
	When RuleMatch `yaml:"when"`
	Set  RuleSet   `yaml:"set"`
	Stop bool      `yaml:"stop"` // later rules are not looked at
}

// RuleMatch holds conditions; all given conditions must hold (none: always).
type RuleMatch struct {
	Channels  []string `yaml:"channels"`  // webchat, telegram, email, whatsapp
	Keywords  []string `yaml:"keywords"`  // any of these words or phrases, case-insensitive
	Sentiment string   `yaml:"sentiment"` // "negative": angry or upset language
	Customers []string `yaml:"customers"` // exact addresses (emails, Telegram chat ids, visitor ids, WhatsApp <phone number id>:<wa_id>)
	Domains   []string `yaml:"domains"`   // email domains (VIP companies)
	// To matches the address the customer wrote to: a mailbox or alias
	// (sales@example.com; a +tag is ignored on both sides), a web chat
	// widget name (billing), a Telegram bot (@acme_support_bot), a WhatsApp
	// business number (+15550783881, or its phone number id).
	To []string `yaml:"to"`
}

// RuleSet is what a matching rule does.
type RuleSet struct {
	Department string   `yaml:"department"`
	Priority   string   `yaml:"priority"`
	Tags       []string `yaml:"tags"`
	Reply      string   `yaml:"reply"` // template name to send to the customer
}

// Validate reports the rule's own problems (the workflow checks the
// departments and templates it names).
func (r Rule) Validate() error {
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
		if err := rules.CheckTo(t); err != nil {
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

// rule is the rule as the engine runs it.
func (r Rule) rule() rules.Rule {
	prio, _ := bridge.ParsePriority(r.Set.Priority) // "" when unset
	channels := make([]bridge.Platform, len(r.When.Channels))
	for i, c := range r.When.Channels {
		channels[i] = bridge.Platform(c)
	}
	if len(channels) == 0 {
		channels = nil
	}
	return rules.Rule{
		Name: r.Name, OnMessage: r.On == "message", Stop: r.Stop,
		When: rules.Match{Channels: channels, Keywords: r.When.Keywords, Negative: r.When.Sentiment == "negative",
			Customers: r.When.Customers, Domains: r.When.Domains, To: r.When.To},
		Set: rules.Actions{Department: r.Set.Department, Priority: prio, Tags: r.Set.Tags, Reply: r.Set.Reply},
	}
}

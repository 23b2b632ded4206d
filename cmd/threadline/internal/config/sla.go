package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/sla"
)

// SLA is the sla section of config.yaml.
type SLA struct {
	Calendars map[string]Calendar `yaml:"calendars"`
	Policies  []Policy            `yaml:"policies"`
	// WarnAt sends a warning when this percentage of a target is used (0: no warning).
	WarnAt int `yaml:"warn_at"`
	// RepeatInterval and MaxNags: after the breach notice, remind every
	// interval (counted on the policy's calendar) up to max_nags times.
	RepeatInterval bridge.Duration `yaml:"repeat_interval"`
	MaxNags        int             `yaml:"max_nags"`
	// Ladder says whom each step mentions: owner, oncall, leads, here.
	Ladder Ladder `yaml:"ladder"`
	// Acknowledgement is sent to the customer when a conversation starts.
	Acknowledgement Acknowledgement `yaml:"acknowledgement"`
	// CloseNotice / ReopenNotice are sent to the customer when staff close
	// or reopen a conversation ("" = off).
	CloseNotice  string `yaml:"close_notice"`
	ReopenNotice string `yaml:"reopen_notice"`
	// Satisfaction asks for a 1-5 rating after close; the answer is recorded.
	Satisfaction Satisfaction `yaml:"satisfaction"`
	// OverdueDigest (a cron schedule, e.g. "0 * * * *") posts the list of
	// overdue conversations in each department's channel; "" = off.
	OverdueDigest string `yaml:"overdue_digest"`
}

// Policy sets targets for conversations matching priority,
// department and channel (empty matches any; the most specific wins).
type Policy struct {
	Name          string          `yaml:"name"`
	Priority      string          `yaml:"priority"`
	Department    string          `yaml:"department"`
	Channel       string          `yaml:"channel"`
	FirstResponse bridge.Duration `yaml:"first_response"`
	NextResponse  bridge.Duration `yaml:"next_response"`
	Resolution    bridge.Duration `yaml:"resolution"`
	// Calendar names a calendar under sla.calendars, or "24x7" (default).
	Calendar string `yaml:"calendar"`
}

// Ladder names who each nag step mentions.
type Ladder struct {
	Warning []string `yaml:"warning"`
	Breach  []string `yaml:"breach"`
	Repeat  []string `yaml:"repeat"`
}

// Acknowledgement is the automatic acknowledgement.
type Acknowledgement struct {
	Enabled    bool   `yaml:"enabled"`
	Template   string `yaml:"template"`
	OutOfHours string `yaml:"out_of_hours"`
	// Calendar decides "in hours"; default: the first policy's calendar.
	Calendar string `yaml:"calendar"`
}

// Satisfaction is the after-close rating question.
type Satisfaction struct {
	Enabled  bool   `yaml:"enabled"`
	Question string `yaml:"question"`
	Thanks   string `yaml:"thanks"`
}

// Calendar is a weekly schedule in a time zone, with holidays.
//
//	timezone: Europe/Berlin
//	hours:
//	  mon-fri: "09:00-17:00"
//	  sat: "10:00-12:00,13:00-15:00"
//	holidays: [2026-12-25, 2026-12-26]
type Calendar struct {
	Timezone string            `yaml:"timezone"`
	Hours    map[string]string `yaml:"hours"`
	Holidays []string          `yaml:"holidays"`
}

// Defaults fills unset fields.
func (c *SLA) Defaults() {
	if c.WarnAt == 0 {
		c.WarnAt = 75
	}
	if c.RepeatInterval == 0 {
		c.RepeatInterval = bridge.Duration(time.Hour)
	}
	if c.MaxNags == 0 {
		c.MaxNags = 3
	}
	if len(c.Ladder.Warning) == 0 {
		c.Ladder.Warning = []string{"owner"}
	}
	if len(c.Ladder.Breach) == 0 {
		c.Ladder.Breach = []string{"owner", "oncall"}
	}
	if len(c.Ladder.Repeat) == 0 {
		c.Ladder.Repeat = []string{"oncall", "leads"}
	}
	if c.Acknowledgement.Template == "" {
		c.Acknowledgement.Template = "Thanks for your message, {{customer}}! We usually answer within {{expected_wait}}."
	}
	if c.Acknowledgement.OutOfHours == "" {
		c.Acknowledgement.OutOfHours = "Thanks for your message, {{customer}}! We are away right now ({{business_hours}}); we will answer when we are back."
	}
	if c.Satisfaction.Question == "" {
		c.Satisfaction.Question = "How did we do? Reply with a number from 1 (bad) to 5 (great)."
	}
	if c.Satisfaction.Thanks == "" {
		c.Satisfaction.Thanks = "Thank you for the feedback!"
	}
}

// Validate reports every problem, with paths relative to the sla section.
func (c SLA) Validate(departments map[string]bool) error {
	var p problems
	for name, cal := range c.Calendars {
		if _, err := cal.build(); err != nil {
			p.nested("calendars."+name, err)
		}
	}
	c.checkPolicies(&p, departments)
	if c.WarnAt < 0 || c.WarnAt >= 100 {
		p.add("warn_at", "must be a percentage between 0 (no warning) and 99")
	}
	if c.MaxNags < 0 {
		p.add("max_nags", "must not be negative")
	}
	c.checkLadder(&p)
	c.checkCalendar(&p, "acknowledgement.calendar", c.Acknowledgement.Calendar, "unknown calendar %q")
	c.checkTexts(&p)
	return p.err()
}

// checkPolicies: known priorities, departments, channels and calendars,
// and at least one target each.
func (c SLA) checkPolicies(p *problems, departments map[string]bool) {
	for i, pol := range c.Policies {
		f := fmt.Sprintf("policies[%d]", i)
		if pol.Priority != "" {
			if _, err := bridge.ParsePriority(pol.Priority); err != nil {
				p.add(f+".priority", "%v", err)
			}
		}
		if pol.Department != "" && !departments[pol.Department] {
			p.add(f+".department", "unknown department %q", pol.Department)
		}
		switch pol.Channel {
		case "", "webchat", "telegram", "email", "whatsapp":
		default:
			p.add(f+".channel", "unknown channel %q (webchat, telegram, email, whatsapp)", pol.Channel)
		}
		if pol.FirstResponse <= 0 && pol.NextResponse <= 0 && pol.Resolution <= 0 {
			p.add(f, "sets no target: give first_response, next_response or resolution")
		}
		c.checkCalendar(p, f+".calendar", pol.Calendar, "unknown calendar %q (define it under sla.calendars, or use 24x7)")
	}
}

// checkCalendar: name, when set, is 24x7 or a calendar under calendars.
func (c SLA) checkCalendar(p *problems, field, name, msg string) {
	if name == "" || name == "24x7" {
		return
	}
	if _, ok := c.Calendars[name]; !ok {
		p.add(field, msg, name)
	}
}

// checkLadder: every step names known targets.
func (c SLA) checkLadder(p *problems) {
	for name, steps := range map[string][]string{"warning": c.Ladder.Warning, "breach": c.Ladder.Breach, "repeat": c.Ladder.Repeat} {
		for _, s := range steps {
			if _, err := sla.ParseTarget(s); err != nil {
				p.add("ladder."+name, "%v", err)
			}
		}
	}
}

// checkTexts: the texts sent to customers are valid templates.
func (c SLA) checkTexts(p *problems) {
	for field, t := range map[string]string{"acknowledgement.template": c.Acknowledgement.Template, "acknowledgement.out_of_hours": c.Acknowledgement.OutOfHours,
		"close_notice": c.CloseNotice, "reopen_notice": c.ReopenNotice, "satisfaction.question": c.Satisfaction.Question} {
		if t != "" {
			if err := rules.ValidateTemplate(t + " "); err != nil && !strings.Contains(err.Error(), "empty") {
				p.add(field, "%v", err)
			}
		}
	}
}

// build makes the calendar; the error lists every problem as field errors
// relative to the calendar.
func (c Calendar) build() (*sla.Calendar, error) {
	loc := time.UTC
	var tzErr error
	if c.Timezone != "" {
		l, err := time.LoadLocation(c.Timezone)
		if err != nil {
			tzErr = bridge.FieldErrorf("timezone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", c.Timezone)
		} else {
			loc = l
		}
	}
	cal, err := sla.NewCalendar(sla.CalendarSpec{Location: loc, Hours: c.Hours, Holidays: c.Holidays})
	return cal, errors.Join(tzErr, err)
}

// calendars builds the named calendars that are valid, and 24x7.
func (c SLA) calendars() map[string]*sla.Calendar {
	out := map[string]*sla.Calendar{"24x7": sla.WallClock()}
	for name, cc := range c.Calendars {
		if cal, err := cc.build(); err == nil {
			out[name] = cal
		}
	}
	return out
}

// options builds the SLA's options from calendars (c.calendars()).
func (c SLA) options(calendars map[string]*sla.Calendar) sla.Options {
	o := sla.Options{
		Nag:             sla.NagRules{WarnAt: c.WarnAt, RepeatInterval: c.RepeatInterval.D(), MaxNags: c.MaxNags},
		Ladder:          sla.Ladder{Warning: targets(c.Ladder.Warning), Breach: targets(c.Ladder.Breach), Repeat: targets(c.Ladder.Repeat)},
		CloseNotice:     c.CloseNotice,
		ReopenNotice:    c.ReopenNotice,
		Satisfaction:    sla.Satisfaction{Enabled: c.Satisfaction.Enabled, Question: c.Satisfaction.Question, Thanks: c.Satisfaction.Thanks},
		Acknowledgement: sla.Acknowledgement{Enabled: c.Acknowledgement.Enabled, Template: c.Acknowledgement.Template, OutOfHours: c.Acknowledgement.OutOfHours},
	}
	if name := c.Acknowledgement.Calendar; name != "" {
		o.Acknowledgement.Calendar = calendars[name]
	}
	for _, p := range c.Policies {
		prio, _ := bridge.ParsePriority(p.Priority) // "" when unset
		o.Policies = append(o.Policies, sla.Policy{Name: p.Name, Priority: prio, Department: p.Department, Channel: bridge.Platform(p.Channel),
			FirstResponse: p.FirstResponse.D(), NextResponse: p.NextResponse.D(), Resolution: p.Resolution.D(),
			Calendar: calendars[p.Calendar], CalendarName: p.Calendar})
	}
	return o
}

func targets(steps []string) []sla.Target {
	out := make([]sla.Target, 0, len(steps))
	for _, s := range steps {
		if t, err := sla.ParseTarget(s); err == nil {
			out = append(out, t)
		}
	}
	return out
}

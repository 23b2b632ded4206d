package sla

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
)

// SLAConfig is the sla section of config.yaml.
type Config struct {
	Calendars map[string]CalendarConfig `yaml:"calendars"`
	Policies  []PolicyConfig            `yaml:"policies"`
	// WarnAt sends a warning when this percentage of a target is used (0: no warning).
	WarnAt int `yaml:"warn_at"`
	// RepeatInterval and MaxNags: after the breach notice, remind every
	// interval (counted on the policy's calendar) up to max_nags times.
	RepeatInterval bridge.Duration `yaml:"repeat_interval"`
	MaxNags        int             `yaml:"max_nags"`
	// Ladder says whom each step mentions: owner, oncall, leads, here.
	Ladder LadderConfig `yaml:"ladder"`
	// Acknowledgement is sent to the customer when a conversation starts.
	Acknowledgement AckConfig `yaml:"acknowledgement"`
	// CloseNotice / ReopenNotice are sent to the customer when staff close
	// or reopen a conversation ("" = off).
	CloseNotice  string `yaml:"close_notice"`
	ReopenNotice string `yaml:"reopen_notice"`
	// Satisfaction asks for a 1-5 rating after close; the answer is recorded.
	Satisfaction SatisfactionConfig `yaml:"satisfaction"`
	// OverdueDigest (a cron schedule, e.g. "0 * * * *") posts the list of
	// overdue conversations in each department's channel; "" = off.
	OverdueDigest string `yaml:"overdue_digest"`
}

// SLAPolicyConfig sets targets for conversations matching priority,
// department and channel (empty matches any; the most specific wins).
type PolicyConfig struct {
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

// LadderConfig names who each nag step mentions.
type LadderConfig struct {
	Warning []string `yaml:"warning"`
	Breach  []string `yaml:"breach"`
	Repeat  []string `yaml:"repeat"`
}

// AckConfig is the automatic acknowledgement.
type AckConfig struct {
	Enabled    bool   `yaml:"enabled"`
	Template   string `yaml:"template"`
	OutOfHours string `yaml:"out_of_hours"`
	// Calendar decides "in hours"; default: the first policy's calendar.
	Calendar string `yaml:"calendar"`
}

// SatisfactionConfig is the after-close rating question.
type SatisfactionConfig struct {
	Enabled  bool   `yaml:"enabled"`
	Question string `yaml:"question"`
	Thanks   string `yaml:"thanks"`
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
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
func (c Config) Validate(departments map[string]bool) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, bridge.FieldErrorf(field, format, args...))
	}
	for name, cal := range c.Calendars {
		if _, err := NewCalendar(cal); err != nil {
			for _, e := range unwrapAll(err) {
				var fe *bridge.FieldError
				if errors.As(e, &fe) {
					add("calendars."+name+"."+fe.Field, "%s", fe.Msg)
				} else {
					add("calendars."+name, "%v", e)
				}
			}
		}
	}
	for i, p := range c.Policies {
		f := fmt.Sprintf("policies[%d]", i)
		if p.Priority != "" {
			if _, err := bridge.ParsePriority(p.Priority); err != nil {
				add(f+".priority", "%v", err)
			}
		}
		if p.Department != "" {
			if !departments[p.Department] {
				add(f+".department", "unknown department %q", p.Department)
			}
		}
		switch p.Channel {
		case "", "webchat", "telegram", "email":
		default:
			add(f+".channel", "unknown channel %q (webchat, telegram, email)", p.Channel)
		}
		if p.FirstResponse <= 0 && p.NextResponse <= 0 && p.Resolution <= 0 {
			add(f, "sets no target: give first_response, next_response or resolution")
		}
		if p.Calendar != "" && p.Calendar != "24x7" {
			if _, ok := c.Calendars[p.Calendar]; !ok {
				add(f+".calendar", "unknown calendar %q (define it under sla.calendars, or use 24x7)", p.Calendar)
			}
		}
	}
	if c.WarnAt < 0 || c.WarnAt >= 100 {
		add("warn_at", "must be a percentage between 0 (no warning) and 99")
	}
	if c.MaxNags < 0 {
		add("max_nags", "must not be negative")
	}
	for name, steps := range map[string][]string{"warning": c.Ladder.Warning, "breach": c.Ladder.Breach, "repeat": c.Ladder.Repeat} {
		for _, s := range steps {
			switch s {
			case "owner", "oncall", "leads", "here":
			default:
				add("ladder."+name, "unknown target %q (owner, oncall, leads, here)", s)
			}
		}
	}
	if c.Acknowledgement.Calendar != "" && c.Acknowledgement.Calendar != "24x7" {
		if _, ok := c.Calendars[c.Acknowledgement.Calendar]; !ok {
			add("acknowledgement.calendar", "unknown calendar %q", c.Acknowledgement.Calendar)
		}
	}
	for field, t := range map[string]string{"acknowledgement.template": c.Acknowledgement.Template, "acknowledgement.out_of_hours": c.Acknowledgement.OutOfHours,
		"close_notice": c.CloseNotice, "reopen_notice": c.ReopenNotice, "satisfaction.question": c.Satisfaction.Question} {
		if t != "" {
			if err := rules.ValidateTemplate(t + " "); err != nil && !strings.Contains(err.Error(), "empty") {
				add(field, "%v", err)
			}
		}
	}
	return errors.Join(errs...)
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// SLAPolicy is a resolved policy.
type Policy struct {
	Name          string
	FirstResponse time.Duration
	NextResponse  time.Duration
	Resolution    time.Duration
	Calendar      *Calendar
	CalendarName  string
}

// SLA resolves policies and calendars; built once from config.
type SLA struct {
	cfg       Config
	calendars map[string]*Calendar
}

// NewSLA builds the resolver from validated config.
func New(cfg Config) *SLA {
	cfg.Defaults()
	s := &SLA{cfg: cfg, calendars: map[string]*Calendar{"24x7": WallClock()}}
	for name, cc := range cfg.Calendars {
		if cal, err := NewCalendar(cc); err == nil {
			s.calendars[name] = cal
		}
	}
	return s
}

// Config returns the SLA config.
func (s *SLA) Config() Config { return s.cfg }

// Enabled reports whether any policy is configured.
func (s *SLA) Enabled() bool { return len(s.cfg.Policies) > 0 }

// Calendar returns a named calendar (nil if unknown).
func (s *SLA) Calendar(name string) *Calendar {
	if name == "" {
		name = "24x7"
	}
	return s.calendars[name]
}

// Policy picks the most specific policy matching the conversation.
func (s *SLA) Policy(c bridge.Conversation) (Policy, bool) {
	best, bestScore := -1, -1
	for i, p := range s.cfg.Policies {
		if (p.Priority != "" && bridge.Priority(p.Priority) != c.Priority) || (p.Department != "" && p.Department != c.Department) ||
			(p.Channel != "" && bridge.Platform(p.Channel) != c.Channel) {
			continue
		}
		score := 0
		for _, set := range []bool{p.Priority != "", p.Department != "", p.Channel != ""} {
			if set {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return Policy{}, false
	}
	p := s.cfg.Policies[best]
	name := p.Name
	if name == "" {
		name = fmt.Sprintf("policy %d", best+1)
	}
	cal := s.Calendar(p.Calendar)
	if cal == nil {
		cal = WallClock()
	}
	return Policy{Name: name, FirstResponse: p.FirstResponse.D(), NextResponse: p.NextResponse.D(), Resolution: p.Resolution.D(),
		Calendar: cal, CalendarName: p.Calendar}, true
}

// Clock is one running SLA target, as the nag decision sees it.
type Clock struct {
	Kind    string // first, next, resolution
	Target  time.Duration
	Used    time.Duration // counted before Since
	Since   time.Time     // running segment start (zero: paused)
	Nags    int           // 0 none, 1 warned, 2 breached, 3.. repeats
	LastNag time.Time
}

// Elapsed is the counted time so far.
func (c Clock) Elapsed(cal *Calendar, now time.Time) time.Duration {
	if c.Since.IsZero() {
		return c.Used
	}
	return c.Used + cal.Elapsed(c.Since, now)
}

// NagStep is what a nag is.
type NagStep string

const (
	StepWarning NagStep = "warning"
	StepBreach  NagStep = "breach"
	StepRepeat  NagStep = "repeat"
)

// NagRules are the decision parameters.
type NagRules struct {
	WarnAt         int // percent, 0 = none
	RepeatInterval time.Duration
	MaxNags        int
}

// Nag is one reminder to post.
type Nag struct {
	Clock   string
	Step    NagStep
	Elapsed time.Duration
	Target  time.Duration
	Repeat  int // 1.. for repeats
}

// DecideNag is the pure nag decision for one clock: which nag (if any) is
// due at now, the clock's nag count after it, and when to look again (zero:
// never, the ladder is done or the clock is paused). A late sweep sends only
// the most advanced step that is due, never a stale warning.
func DecideNag(c Clock, r NagRules, cal *Calendar, now time.Time) (nag *Nag, nags int, next time.Time) {
	if c.Target <= 0 || c.Since.IsZero() {
		return nil, c.Nags, time.Time{}
	}
	elapsed := c.Elapsed(cal, now)
	warnAt := time.Duration(0)
	if r.WarnAt > 0 {
		warnAt = c.Target * time.Duration(r.WarnAt) / 100
	}
	nags = c.Nags
	switch {
	case nags < 2 && elapsed >= c.Target:
		nag, nags = &Nag{Clock: c.Kind, Step: StepBreach, Elapsed: elapsed, Target: c.Target}, 2
		c.LastNag = now
	case nags < 1 && warnAt > 0 && elapsed >= warnAt:
		nag, nags = &Nag{Clock: c.Kind, Step: StepWarning, Elapsed: elapsed, Target: c.Target}, 1
	case nags >= 2 && nags-2 < r.MaxNags && r.RepeatInterval > 0 && !cal.Add(maxTime(c.LastNag, c.Since), r.RepeatInterval).After(now):
		nag, nags = &Nag{Clock: c.Kind, Step: StepRepeat, Elapsed: elapsed, Target: c.Target, Repeat: nags - 1}, nags+1
		c.LastNag = now
	}
	// When is the next step due?
	remaining := func(at time.Duration) time.Time { return cal.Add(now, at-elapsed) }
	switch {
	case nags < 1 && warnAt > 0:
		next = remaining(warnAt)
	case nags < 2:
		next = remaining(c.Target)
	case nags-2 < r.MaxNags && r.RepeatInterval > 0:
		next = cal.Add(maxTime(c.LastNag, c.Since), r.RepeatInterval)
	}
	return nag, nags, next
}

// FormatNag renders a nag for the thread.
func FormatNag(n Nag, unclaimed bool) string {
	what := map[string]string{"first": "First response", "next": "Next response", "resolution": "Resolution"}[n.Clock]
	var s string
	switch n.Step {
	case StepWarning:
		s = fmt.Sprintf("⏳ %s due in %s (target %s, %s used).", what, Human(n.Target-n.Elapsed), Human(n.Target), Human(n.Elapsed))
	case StepBreach:
		s = fmt.Sprintf("🔴 %s SLA breached: %s counted against a target of %s.", what, Human(n.Elapsed), Human(n.Target))
	case StepRepeat:
		s = fmt.Sprintf("🔴 Reminder %d: %s still overdue, %s counted (target %s).", n.Repeat, strings.ToLower(what[:1])+what[1:], Human(n.Elapsed), Human(n.Target))
	}
	if unclaimed && n.Clock != "resolution" {
		s += " Nobody has claimed it."
	}
	return s
}

// Human prints a duration coarsely: 45s, 12m, 3h05m, 2d4h.
func Human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// SortNags orders nags most urgent first (breaches, then warnings).
func SortNags(ns []Nag) {
	rank := map[NagStep]int{StepBreach: 0, StepRepeat: 1, StepWarning: 2}
	sort.SliceStable(ns, func(i, j int) bool { return rank[ns[i].Step] < rank[ns[j].Step] })
}

package sla

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Options are the service levels: policies with their targets, and what
// nags and notices say and whom they mention.
type Options struct {
	// Policies set targets; the most specific one matching a conversation wins.
	Policies []Policy
	// Nag decides warnings and reminders (NagRules).
	Nag NagRules
	// Ladder says whom each nag step mentions.
	Ladder Ladder
	// Acknowledgement is sent to the customer when a conversation starts.
	Acknowledgement Acknowledgement
	// CloseNotice / ReopenNotice are templates sent to the customer when
	// staff close or reopen a conversation ("": none).
	CloseNotice  string
	ReopenNotice string
	// Satisfaction asks for a 1-5 rating after a close.
	Satisfaction Satisfaction
}

// Policy sets targets for conversations matching priority, department and
// channel (empty matches any).
type Policy struct {
	Name          string // "": "policy <n>", counted from 1
	Priority      bridge.Priority
	Department    string
	Channel       bridge.Platform
	FirstResponse time.Duration
	NextResponse  time.Duration
	Resolution    time.Duration
	// Calendar counts the time (nil: every second, WallClock);
	// CalendarName is how config names it.
	Calendar     *Calendar
	CalendarName string
}

// Target is whom a ladder step mentions.
type Target string

const (
	TargetOwner  Target = "owner"  // the owner, or on call when unclaimed
	TargetOnCall Target = "oncall" // the department's on-call people
	TargetLeads  Target = "leads"  // the department's leads
	TargetHere   Target = "here"   // everyone active in the staff channel
)

// ParseTarget reads a ladder target.
func ParseTarget(s string) (Target, error) {
	switch t := Target(s); t {
	case TargetOwner, TargetOnCall, TargetLeads, TargetHere:
		return t, nil
	}
	return "", fmt.Errorf("unknown target %q (owner, oncall, leads, here)", s)
}

// Ladder names whom each nag step mentions.
type Ladder struct {
	Warning []Target
	Breach  []Target
	Repeat  []Target
}

// Step returns the targets of one nag step.
func (l Ladder) Step(step NagStep) []Target {
	switch step {
	case StepWarning:
		return l.Warning
	case StepBreach:
		return l.Breach
	case StepRepeat:
		return l.Repeat
	}
	return nil
}

// Acknowledgement is the automatic first answer to a new conversation.
type Acknowledgement struct {
	Enabled    bool
	Template   string // in business hours
	OutOfHours string // outside them
	// Calendar decides "in hours" (nil: the conversation's policy's).
	Calendar *Calendar
}

// Satisfaction is the after-close rating question.
type Satisfaction struct {
	Enabled  bool
	Question string
	Thanks   string // the answer to a rating ("": none)
}

// SLA resolves policies; built once from options and read concurrently.
type SLA struct {
	o Options
}

// New builds the resolver.
func New(o Options) *SLA {
	o.Policies = slices.Clone(o.Policies)
	for i := range o.Policies {
		if o.Policies[i].Name == "" {
			o.Policies[i].Name = fmt.Sprintf("policy %d", i+1)
		}
		if o.Policies[i].Calendar == nil {
			o.Policies[i].Calendar = WallClock()
		}
	}
	return &SLA{o: o}
}

// Options returns the options the SLA was built with (policy names and
// calendars filled in).
func (s *SLA) Options() Options { return s.o }

// Enabled reports whether any policy is configured.
func (s *SLA) Enabled() bool { return len(s.o.Policies) > 0 }

// Policy picks the most specific policy matching the conversation.
func (s *SLA) Policy(c bridge.Conversation) (Policy, bool) {
	best, bestScore := -1, -1
	for i, p := range s.o.Policies {
		if (p.Priority != "" && p.Priority != c.Priority) || (p.Department != "" && p.Department != c.Department) ||
			(p.Channel != "" && p.Channel != c.Channel) {
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
	return s.o.Policies[best], true
}

// Fingerprint changes when anything that decides conversations' SLA
// clocks changes (policies, their calendars, the nag rules), so clocks
// are recomputed once after such a change.
func (s *SLA) Fingerprint() string {
	var b strings.Builder
	for _, p := range s.o.Policies {
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%s|%s|%s;", p.Name, p.Priority, p.Department, p.Channel, p.FirstResponse, p.NextResponse, p.Resolution, p.Calendar)
	}
	fmt.Fprintf(&b, "%+v", s.o.Nag)
	return b.String()
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

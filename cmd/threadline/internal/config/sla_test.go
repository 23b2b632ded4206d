package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/sla"
)

func TestSLAValidate(t *testing.T) {
	c := SLA{
		Calendars: map[string]Calendar{"office": {Hours: map[string]string{"mon-fri": "09:00-12:00,11:00-17:00"}},
			"away": {Timezone: "Nowhere/City", Hours: map[string]string{"mon": "09:00-10:00"}}},
		Policies: []Policy{{Priority: "asap", FirstResponse: bridge.Duration(time.Hour)}, {Department: "legal", Calendar: "nights"},
			{Channel: "fax", FirstResponse: bridge.Duration(time.Hour)}},
		WarnAt: 120,
		Ladder: Ladder{Breach: []string{"boss"}},
	}
	err := c.Validate(map[string]bool{"support": true})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"calendars.office.hours: monday has overlapping hours", "policies[0].priority", "policies[1].department",
		"policies[1]: sets no target", "policies[1].calendar", "policies[2].channel", "warn_at", "ladder.breach: unknown target \"boss\" (owner, oncall, leads, here)",
		`calendars.away.timezone: unknown time zone "Nowhere/City" (use an IANA name such as Europe/Berlin)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// TestSLAOptionsAreParsed: policies get their calendars built (none set:
// every second counts), the acknowledgement its own only when named, and
// the ladder its targets.
func TestSLAOptionsAreParsed(t *testing.T) {
	cfg, err := parse(t, `sla:
  calendars:
    office: {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}
  policies:
    - {name: normal, first_response: 1h, calendar: office}
    - {priority: urgent, channel: email, first_response: 15m}
  repeat_interval: 30m
  acknowledgement: {enabled: true, calendar: 24x7}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.SLAOptions()
	if len(o.Policies) != 2 || o.Policies[0].Calendar == nil || o.Policies[0].Calendar.Location().String() != "Europe/Berlin" ||
		o.Policies[0].CalendarName != "office" || o.Policies[0].FirstResponse != time.Hour {
		t.Fatalf("policies = %+v", o.Policies)
	}
	if p := o.Policies[1]; p.Priority != bridge.PriorityUrgent || p.Channel != "email" || p.Calendar != nil || p.FirstResponse != 15*time.Minute {
		t.Errorf("second policy = %+v", p)
	}
	if o.Nag != (sla.NagRules{WarnAt: 75, RepeatInterval: 30 * time.Minute, MaxNags: 3}) {
		t.Errorf("nag rules = %+v", o.Nag)
	}
	if !slices.Equal(o.Ladder.Breach, []sla.Target{sla.TargetOwner, sla.TargetOnCall}) || !slices.Equal(o.Ladder.Repeat, []sla.Target{sla.TargetOnCall, sla.TargetLeads}) {
		t.Errorf("ladder = %+v", o.Ladder)
	}
	if a := o.Acknowledgement; !a.Enabled || a.Calendar == nil || a.Calendar.String() != "24x7" || !strings.Contains(a.Template, "{{expected_wait}}") {
		t.Errorf("acknowledgement = %+v", a)
	}
	if o.Satisfaction.Thanks != "Thank you for the feedback!" {
		t.Errorf("satisfaction = %+v", o.Satisfaction)
	}
	// Unnamed: the policy's calendar decides.
	cfg.SLA.Acknowledgement.Calendar = ""
	if c := cfg.SLAOptions().Acknowledgement.Calendar; c != nil {
		t.Errorf("unnamed acknowledgement calendar = %v", c)
	}
}

func TestOutboxOptionsAreParsed(t *testing.T) {
	cfg, err := parse(t, "outbox:\n  workers: 3\n  send_timeout: 5s\n  pacing:\n    telegram: {per_destination: 2, per_adapter: 20}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.OutboxOptions()
	if o.Workers != 3 || o.MaxAttempts != 12 || o.SendTimeout != 5*time.Second || o.BaseBackoff != 2*time.Second ||
		o.Pacing["telegram"] != (bridge.Pacing{PerDestination: 2, PerAdapter: 20}) {
		t.Errorf("outbox options = %+v", o)
	}
	if e := cfg.EngineConfig(); e.ReopenWindow != 7*24*time.Hour || e.DefaultPriority != bridge.PriorityNormal {
		t.Errorf("engine config = %+v", e)
	}
}

package sla

import (
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

func TestDecideNag(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	office := mustCal(t, CalendarSpec{Location: zone(t, "Europe/Berlin"), Hours: map[string]string{"mon-fri": "09:00-17:00"}, Holidays: []string{"2026-04-03"}})
	wall := WallClock()
	rules := NagRules{WarnAt: 75, RepeatInterval: time.Hour, MaxNags: 2}
	for _, tc := range []struct {
		name     string
		cal      *Calendar
		clock    Clock
		now      string
		wantStep NagStep // "" = none
		wantNags int
		wantNext string // "" = never
	}{
		{"fresh clock: nothing yet, warning next", wall, Clock{Kind: "first", Target: 4 * time.Hour, Since: at("2026-03-02 10:00")}, "2026-03-02 11:00",
			"", 0, "2026-03-02 13:00"},
		{"warning at 75%", wall, Clock{Kind: "first", Target: 4 * time.Hour, Since: at("2026-03-02 10:00")}, "2026-03-02 13:01",
			StepWarning, 1, "2026-03-02 14:00"},
		{"breach", wall, Clock{Kind: "first", Target: 4 * time.Hour, Since: at("2026-03-02 10:00"), Nags: 1}, "2026-03-02 14:00",
			StepBreach, 2, "2026-03-02 15:00"},
		{"late sweep skips the stale warning", wall, Clock{Kind: "first", Target: 4 * time.Hour, Since: at("2026-03-02 10:00")}, "2026-03-02 18:30",
			StepBreach, 2, "2026-03-02 19:30"},
		{"repeat after the interval", wall, Clock{Kind: "next", Target: time.Hour, Since: at("2026-03-02 10:00"), Nags: 2, LastNag: at("2026-03-02 11:00")}, "2026-03-02 12:00",
			StepRepeat, 3, "2026-03-02 13:00"},
		{"repeat not yet", wall, Clock{Kind: "next", Target: time.Hour, Since: at("2026-03-02 10:00"), Nags: 2, LastNag: at("2026-03-02 11:00")}, "2026-03-02 11:30",
			"", 2, "2026-03-02 12:00"},
		{"max nags reached: silence", wall, Clock{Kind: "next", Target: time.Hour, Since: at("2026-03-02 10:00"), Nags: 4, LastNag: at("2026-03-02 13:00")}, "2026-03-02 20:00",
			"", 4, ""},
		{"paused clock never nags", wall, Clock{Kind: "first", Target: time.Hour, Used: 5 * time.Hour}, "2026-03-02 20:00", "", 0, ""},
		{"business hours: friday evening waits for monday", office, Clock{Kind: "first", Target: 4 * time.Hour, Since: at("2026-03-06 16:00")}, "2026-03-07 12:00",
			"", 0, "2026-03-09 11:00"},
		{"business hours: used time counts", office, Clock{Kind: "resolution", Target: 8 * time.Hour, Used: 7 * time.Hour, Since: at("2026-03-09 09:00")}, "2026-03-09 10:00",
			StepBreach, 2, "2026-03-09 11:00"},
		{"holiday (Good Friday) does not count", office, Clock{Kind: "first", Target: 2 * time.Hour, Since: at("2026-04-02 16:00")}, "2026-04-03 16:00",
			"", 0, "2026-04-06 09:30"},
		{"repeats follow business hours", office, Clock{Kind: "first", Target: time.Hour, Since: at("2026-03-06 09:00"), Nags: 2, LastNag: at("2026-03-06 16:30")}, "2026-03-06 18:00",
			"", 2, "2026-03-09 09:30"},
		{"DST spring forward on a 24x7 clock", wall, Clock{Kind: "first", Target: 2 * time.Hour, Since: at("2026-03-29 01:30"), Nags: 1}, "2026-03-29 04:30",
			StepBreach, 2, "2026-03-29 05:30"},
		{"no warning configured goes straight to breach", wall, Clock{Kind: "first", Target: time.Hour, Since: at("2026-03-02 10:00")}, "2026-03-02 10:50",
			"", 0, "2026-03-02 11:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rules
			if strings.HasPrefix(tc.name, "no warning") {
				r.WarnAt = 0
			}
			nag, nags, next := DecideNag(tc.clock, r, tc.cal, at(tc.now))
			step := NagStep("")
			if nag != nil {
				step = nag.Step
			}
			gotNext := ""
			if !next.IsZero() {
				gotNext = next.In(berlin).Format("2006-01-02 15:04")
			}
			if step != tc.wantStep || nags != tc.wantNags || gotNext != tc.wantNext {
				t.Errorf("got step %q nags %d next %q; want %q %d %q", step, nags, gotNext, tc.wantStep, tc.wantNags, tc.wantNext)
			}
		})
	}
}

func TestPolicyMatching(t *testing.T) {
	s := New(Options{Policies: []Policy{
		{Name: "default", FirstResponse: 4 * time.Hour},
		{Name: "urgent", Priority: "urgent", FirstResponse: 30 * time.Minute},
		{Name: "billing-urgent", Priority: "urgent", Department: "billing", FirstResponse: 15 * time.Minute},
		{Name: "email", Channel: "email", FirstResponse: 8 * time.Hour},
	}})
	for _, tc := range []struct {
		c    bridge.Conversation
		want string
	}{
		{bridge.Conversation{Priority: "normal", Channel: "webchat"}, "default"},
		{bridge.Conversation{Priority: "urgent", Channel: "webchat"}, "urgent"},
		{bridge.Conversation{Priority: "urgent", Department: "billing", Channel: "email"}, "billing-urgent"},
		{bridge.Conversation{Priority: "low", Channel: "email"}, "email"},
	} {
		if p, _ := s.Policy(tc.c); p.Name != tc.want {
			t.Errorf("%+v → %s, want %s", tc.c, p.Name, tc.want)
		}
	}
}

func TestFormatNag(t *testing.T) {
	got := FormatNag(Nag{Clock: "first", Step: StepWarning, Elapsed: 45 * time.Minute, Target: time.Hour}, true)
	if got != "⏳ First response due in 15m (target 1h00m, 45m used). Nobody has claimed it." {
		t.Errorf("warning = %q", got)
	}
	got = FormatNag(Nag{Clock: "resolution", Step: StepRepeat, Elapsed: 50 * time.Hour, Target: 24 * time.Hour, Repeat: 2}, true)
	if got != "🔴 Reminder 2: resolution still overdue, 2d2h counted (target 1d0h)." {
		t.Errorf("repeat = %q", got)
	}
}

// TestFingerprintChangesWithTheClocksOnly: equal options built twice give
// the same fingerprint (no pointers in it), a changed target or calendar
// another one.
func TestFingerprintChangesWithTheClocksOnly(t *testing.T) {
	build := func(target time.Duration, hours string) *SLA {
		cal := mustCal(t, CalendarSpec{Location: zone(t, "Europe/Berlin"), Hours: map[string]string{"mon-fri": hours}, Holidays: []string{"2026-12-25", "2026-01-01"}})
		return New(Options{Policies: []Policy{{FirstResponse: target, Calendar: cal, CalendarName: "office"}}, Nag: NagRules{WarnAt: 75},
			CloseNotice: "bye"})
	}
	a, b := build(time.Hour, "09:00-17:00"), build(time.Hour, "09:00-17:00")
	if a.Fingerprint() != b.Fingerprint() {
		t.Errorf("same options, different fingerprints:\n%s\n%s", a.Fingerprint(), b.Fingerprint())
	}
	if a.Fingerprint() == build(2*time.Hour, "09:00-17:00").Fingerprint() || a.Fingerprint() == build(time.Hour, "08:00-17:00").Fingerprint() {
		t.Error("a changed target or calendar keeps the fingerprint")
	}
}

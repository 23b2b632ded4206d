package sla

import (
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

func TestRotation(t *testing.T) {
	r, err := NewRotation(RotationSpec{People: []bridge.StaffID{"slack:A", "slack:B", "slack:C"}, Shift: 7 * 24 * time.Hour,
		Start: "2026-03-02 09:00", Location: zone(t, "Europe/Berlin"),
		Overrides: []OverrideSpec{{From: "2026-03-18 00:00", To: "2026-03-19 00:00", Person: "slack:Z"}}})
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time { v, _ := time.ParseInLocation("2006-01-02 15:04", s, berlin); return v }
	for _, tc := range []struct{ at, who, until string }{
		{"2026-03-02 09:00", "slack:A", "2026-03-09 09:00"},
		{"2026-03-09 08:59", "slack:A", "2026-03-09 09:00"},
		{"2026-03-09 09:00", "slack:B", "2026-03-16 09:00"},
		{"2026-03-18 12:00", "slack:Z", "2026-03-19 00:00"}, // override
		{"2026-03-20 12:00", "slack:C", "2026-03-23 09:00"},
		{"2026-03-30 09:00", "slack:B", "2026-04-06 09:00"}, // after the DST change: still 09:00 local
		{"2026-03-23 09:00", "slack:A", "2026-03-30 09:00"},
		{"2026-02-28 12:00", "slack:C", "2026-03-02 09:00"}, // before the start: the cycle runs backwards
	} {
		who, until := r.OnCall(at(tc.at))
		if string(who) != tc.who || until.In(berlin).Format("2006-01-02 15:04") != tc.until {
			t.Errorf("%s: %s until %s, want %s until %s", tc.at, who, until.In(berlin).Format("2006-01-02 15:04"), tc.who, tc.until)
		}
	}
	hourly, _ := NewRotation(RotationSpec{People: []bridge.StaffID{"slack:A", "slack:B"}, Shift: 12 * time.Hour, Start: "2026-03-02 08:00"})
	if who, _ := hourly.OnCall(time.Date(2026, 3, 2, 21, 0, 0, 0, time.UTC)); who != "slack:B" {
		t.Errorf("12h shifts: %s", who)
	}
	_, err = NewRotation(RotationSpec{Shift: time.Minute, Start: "monday",
		Overrides: []OverrideSpec{{From: "2026-03-03 00:00", To: "2026-03-02 00:00"}}})
	for _, want := range []string{"shift", "people: list at least one person", "start", "overrides[0]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %s in %v", want, err)
		}
	}
}

package sla

import (
	"strings"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustCal(t *testing.T, cfg CalendarSpec) *Calendar {
	t.Helper()
	c, err := NewCalendar(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCalendarElapsedAndAdd(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	office := mustCal(t, CalendarSpec{Location: zone(t, "Europe/Berlin"), Hours: map[string]string{"mon-fri": "09:00-12:00,13:00-17:00", "sat": "10:00-12:00"},
		Holidays: []string{"2026-12-25"}})
	allDay := mustCal(t, CalendarSpec{Location: zone(t, "Europe/Berlin"), Hours: map[string]string{"mon-sun": "00:00-24:00"}})
	for _, tc := range []struct {
		name     string
		cal      *Calendar
		from, to string
		elapsed  time.Duration
	}{
		{"within a morning", office, "2026-03-02 09:30", "2026-03-02 11:00", 90 * time.Minute},
		{"across lunch", office, "2026-03-02 11:30", "2026-03-02 13:30", time.Hour},
		{"before opening to after closing", office, "2026-03-02 06:00", "2026-03-02 20:00", 7 * time.Hour},
		{"friday evening to monday", office, "2026-03-06 16:00", "2026-03-09 10:00", time.Hour + 2*time.Hour + time.Hour},
		{"whole week", office, "2026-03-02 00:00", "2026-03-09 00:00", 5*7*time.Hour + 2*time.Hour},
		{"holiday counts nothing", office, "2026-12-25 08:00", "2026-12-25 18:00", 0},
		{"around a holiday (saturday hours count)", office, "2026-12-24 16:00", "2026-12-28 10:00", time.Hour + 2*time.Hour + time.Hour},
		{"spring forward day is 23h", allDay, "2026-03-28 12:00", "2026-03-29 12:00", 23 * time.Hour},
		{"fall back day is 25h", allDay, "2026-10-24 12:00", "2026-10-25 12:00", 25 * time.Hour},
		{"backwards is zero", office, "2026-03-03 10:00", "2026-03-02 10:00", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to := at(tc.from), at(tc.to)
			if got := tc.cal.Elapsed(from, to); got != tc.elapsed {
				t.Errorf("Elapsed = %s, want %s", got, tc.elapsed)
			}
			if tc.elapsed > 0 {
				// Add is the inverse: from + elapsed lands at or before to,
				// and exactly on it when to is inside business hours.
				due := tc.cal.Add(from, tc.elapsed)
				if due.After(to) || (tc.cal.Open(to) && !due.Equal(to)) {
					t.Errorf("Add(from, %s) = %s, want %s", tc.elapsed, due.In(berlin), to)
				}
			}
		})
	}
	for _, tc := range []struct {
		from string
		d    time.Duration
		want string
	}{
		{"2026-03-02 16:30", time.Hour, "2026-03-03 09:30"},        // overnight
		{"2026-03-06 16:30", 4 * time.Hour, "2026-03-09 10:30"},    // friday → saturday 2h → monday
		{"2026-03-07 20:00", 30 * time.Minute, "2026-03-09 09:30"}, // saturday evening → monday
		{"2026-12-24 16:30", time.Hour, "2026-12-26 10:30"},        // holiday skipped, saturday hours
		{"2026-03-02 11:30", time.Hour, "2026-03-02 13:30"},        // lunch skipped
	} {
		if got := office.Add(at(tc.from), tc.d); !got.Equal(at(tc.want)) {
			t.Errorf("Add(%s, %s) = %s, want %s", tc.from, tc.d, got.In(berlin).Format("2006-01-02 15:04"), tc.want)
		}
	}
	if office.Open(at("2026-03-08 11:00")) || !office.Open(at("2026-03-07 11:00")) || office.Open(at("2026-03-02 12:30")) {
		t.Error("Open is wrong")
	}
	if got := office.NextOpen(at("2026-03-02 12:15")); !got.Equal(at("2026-03-02 13:00")) {
		t.Errorf("NextOpen = %s", got)
	}
	wall := WallClock()
	if wall.Elapsed(at("2026-03-28 12:00"), at("2026-03-29 12:00")) != 23*time.Hour || !wall.Open(at("2026-03-08 03:00")) {
		t.Error("wall clock")
	}
}

func TestNewCalendarReportsEveryProblem(t *testing.T) {
	_, err := NewCalendar(CalendarSpec{Hours: map[string]string{
		"mon-fri": "09:00-13:00,12:00-17:00", "funday": "09:00-10:00", "sat": "25:00-26:00", "sun": "17:00-09:00"},
		Holidays: []string{"christmas"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`unknown day "funday"`, `"25:00" is not a time`, "ends before it starts", "overlapping hours", `"christmas" is not a date`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	if _, err := NewCalendar(CalendarSpec{Hours: map[string]string{"mon-sun": "closed"}}); err == nil || !strings.Contains(err.Error(), "no open hours") {
		t.Errorf("closed week = %v", err)
	}
	if c, err := NewCalendar(CalendarSpec{Hours: map[string]string{"fri-mon": "10:00-11:00"}}); err != nil || len(c.week[time.Sunday]) != 1 || len(c.week[time.Wednesday]) != 0 {
		t.Errorf("wrap-around range: %v", err)
	}
}

package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseWhen reads a snooze time: a duration ("2h", "30m", "3d", "1h30m"),
// "tomorrow [HH:MM]", a weekday ("monday [HH:MM]"), "HH:MM" (today, or
// tomorrow if past), or "YYYY-MM-DD [HH:MM]". Days without a time mean 9:00
// in loc.
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return time.Time{}, fmt.Errorf("say when: 2h, 30m, tomorrow, tomorrow 14:00, monday, 17:30 or 2026-12-01 10:00")
	}
	now = now.In(loc)
	if d, err := parseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%q is not in the future", s)
		}
		return now.Add(d), nil
	}
	fields := strings.Fields(s)
	hour, minute := 9, 0
	if len(fields) == 2 {
		h, m, err := clock(fields[1])
		if err != nil {
			return time.Time{}, err
		}
		hour, minute = h, m
	} else if len(fields) > 2 {
		return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
	}
	day := func(d time.Time) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc)
	}
	switch first := fields[0]; {
	case first == "tomorrow":
		return day(now.AddDate(0, 0, 1)), nil
	case first == "today" && len(fields) == 2:
		return day(now), nil
	case weekday(first) >= 0:
		want := time.Weekday(weekday(first))
		ahead := (int(want) - int(now.Weekday()) + 7) % 7
		if ahead == 0 {
			ahead = 7
		}
		return day(now.AddDate(0, 0, ahead)), nil
	case len(fields) == 1 && strings.Contains(first, ":"):
		h, m, err := clock(first)
		if err != nil {
			return time.Time{}, err
		}
		t := time.Date(now.Year(), now.Month(), now.Day(), h, m, 0, 0, loc)
		if !t.After(now) {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", fields[0], loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot read %q as a time (try 2h, tomorrow 9:00, friday or 2026-12-01 10:00)", s)
	}
	return day(d), nil
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	if w, ok := strings.CutSuffix(s, "w"); ok {
		n, err := strconv.Atoi(w)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 7 * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func clock(s string) (int, int, error) {
	h, m, ok := strings.Cut(s, ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return hour, minute, nil
}

func weekday(s string) int {
	for i, d := range []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"} {
		if s == d || (len(s) >= 3 && strings.HasPrefix(d, s)) {
			return i
		}
	}
	return -1
}

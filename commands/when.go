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
	if len(fields) == 1 && strings.Contains(fields[0], ":") {
		return nextTimeOfDay(fields[0], now, loc)
	}
	if len(fields) > 2 {
		return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
	}
	hour, minute := 9, 0
	if len(fields) == 2 {
		h, m, err := clock(fields[1])
		if err != nil {
			return time.Time{}, err
		}
		hour, minute = h, m
	}
	d, ok := namedDay(fields[0], len(fields) == 2, now)
	if !ok {
		var err error
		if d, err = time.ParseInLocation("2006-01-02", fields[0], loc); err != nil {
			return time.Time{}, fmt.Errorf("cannot read %q as a time (try 2h, tomorrow 9:00, friday or 2026-12-01 10:00)", s)
		}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc), nil
}

// nextTimeOfDay is the next HH:MM: today if it is still ahead, else tomorrow.
func nextTimeOfDay(s string, now time.Time, loc *time.Location) (time.Time, error) {
	h, m, err := clock(s)
	if err != nil {
		return time.Time{}, err
	}
	t := time.Date(now.Year(), now.Month(), now.Day(), h, m, 0, 0, loc)
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// namedDay reads "tomorrow", a weekday (the next one: a week ahead when it
// is today) and, only with a time after it, "today". now is in the team's
// zone.
func namedDay(word string, withTime bool, now time.Time) (time.Time, bool) {
	switch {
	case word == "tomorrow":
		return now.AddDate(0, 0, 1), true
	case word == "today" && withTime:
		return now, true
	case weekday(word) >= 0:
		ahead := (weekday(word) - int(now.Weekday()) + 7) % 7
		if ahead == 0 {
			ahead = 7
		}
		return now.AddDate(0, 0, ahead), true
	}
	return time.Time{}, false
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

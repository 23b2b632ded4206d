package sla

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// CalendarSpec is a weekly schedule in a time zone, with holidays, as
// config writes it:
//
//	hours:
//	  mon-fri: "09:00-17:00"
//	  sat: "10:00-12:00,13:00-15:00"
//	holidays: [2026-12-25, 2026-12-26]
type CalendarSpec struct {
	Location *time.Location    // nil: UTC
	Hours    map[string]string // day or day range → intervals, or "closed"
	Holidays []string          // YYYY-MM-DD
}

// span is an open interval of a day in minutes from midnight, [start, end).
type span struct{ start, end int }

// Calendar measures time that counts for SLAs: either wall-clock time or
// business hours. Intervals are wall-clock times of the local day, so DST
// changes shift them correctly (a 09:00-17:00 day is 8 hours on both sides).
type Calendar struct {
	always   bool
	loc      *time.Location
	week     [7][]span // by time.Weekday
	holidays map[string]bool
}

// WallClock counts every second (24x7).
func WallClock() *Calendar { return &Calendar{always: true, loc: time.UTC} }

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func dayIndex(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, d := range dayNames {
		if s == d || (len(s) > 3 && strings.HasPrefix(s, d) && strings.HasPrefix(longDay(i), s)) {
			return i, true
		}
	}
	return 0, false
}

func longDay(i int) string { return strings.ToLower(time.Weekday(i).String()) }

// NewCalendar builds a business-hours calendar; every problem is reported
// (bad day names, bad times, overlapping intervals, a week with no hours),
// each a bridge.FieldError naming hours.<days> or holidays[i].
func NewCalendar(cfg CalendarSpec) (*Calendar, error) {
	c := &Calendar{holidays: map[string]bool{}, loc: cfg.Location}
	if c.loc == nil {
		c.loc = time.UTC
	}
	var errs []error
	keys := make([]string, 0, len(cfg.Hours))
	for k := range cfg.Hours {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		days, err := parseDays(key)
		if err != nil {
			errs = append(errs, bridge.FieldErrorf("hours."+key, "%v", err))
			continue
		}
		spans, err := parseSpans(cfg.Hours[key])
		if err != nil {
			errs = append(errs, bridge.FieldErrorf("hours."+key, "%v", err))
			continue
		}
		for _, d := range days {
			c.week[d] = append(c.week[d], spans...)
		}
	}
	total := 0
	for d := range c.week {
		sort.Slice(c.week[d], func(i, j int) bool { return c.week[d][i].start < c.week[d][j].start })
		for i, s := range c.week[d] {
			total += s.end - s.start
			if i > 0 && s.start < c.week[d][i-1].end {
				errs = append(errs, bridge.FieldErrorf("hours", "%s has overlapping hours (%s and %s)", longDay(d), fmtSpan(c.week[d][i-1]), fmtSpan(s)))
			}
		}
	}
	if total == 0 && len(errs) == 0 {
		errs = append(errs, bridge.FieldErrorf("hours", "the week has no open hours (e.g. mon-fri: \"09:00-17:00\")"))
	}
	for i, h := range cfg.Holidays {
		d, err := time.Parse("2006-01-02", strings.TrimSpace(h))
		if err != nil {
			errs = append(errs, bridge.FieldErrorf(fmt.Sprintf("holidays[%d]", i), "%q is not a date (YYYY-MM-DD)", h))
			continue
		}
		c.holidays[d.Format("2006-01-02")] = true
	}
	return c, errors.Join(errs...)
}

func parseDays(key string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(key, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := dayIndex(from)
		if !ok {
			return nil, fmt.Errorf("unknown day %q (use mon, tue, ... or ranges like mon-fri)", from)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, ok := dayIndex(to)
		if !ok {
			return nil, fmt.Errorf("unknown day %q", to)
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func parseSpans(s string) ([]span, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "closed" || s == "" {
		return nil, nil
	}
	var out []span
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("%q is not an interval like 09:00-17:00", part)
		}
		start, err := minutes(a)
		if err != nil {
			return nil, err
		}
		end, err := minutes(b)
		if err != nil {
			return nil, err
		}
		if end <= start {
			return nil, fmt.Errorf("%q ends before it starts (intervals may not cross midnight; split them)", part)
		}
		out = append(out, span{start, end})
	}
	return out, nil
}

func minutes(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time (HH:MM, 00:00 to 24:00)", s)
	}
	return hh*60 + mm, nil
}

func fmtSpan(s span) string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.start/60, s.start%60, s.end/60, s.end%60)
}

// String describes the calendar completely (zone, weekly hours, holidays),
// the same way each time: equal strings mean equal calendars.
func (c *Calendar) String() string {
	if c == nil || c.always {
		return "24x7"
	}
	var b strings.Builder
	b.WriteString(c.loc.String())
	for d, spans := range c.week {
		for _, s := range spans {
			fmt.Fprintf(&b, " %s %s", dayNames[d], fmtSpan(s))
		}
	}
	for _, h := range slices.Sorted(maps.Keys(c.holidays)) {
		b.WriteString(" -" + h)
	}
	return b.String()
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// intervals returns the open intervals of the local day containing t.
func (c *Calendar) intervals(day time.Time) [][2]time.Time {
	y, m, d := day.Date()
	if c.holidays[fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)] {
		return nil
	}
	var out [][2]time.Time
	for _, s := range c.week[day.Weekday()] {
		a := time.Date(y, m, d, s.start/60, s.start%60, 0, 0, c.loc)
		b := time.Date(y, m, d, s.end/60, s.end%60, 0, 0, c.loc)
		if s.end == 24*60 {
			b = time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
		}
		out = append(out, [2]time.Time{a, b})
	}
	return out
}

// maxDays bounds calendar walks (ten years): a calendar always has open
// hours, so real walks end long before.
const maxDays = 3660

// Elapsed is the counted time between from and to (0 if to is before from).
func (c *Calendar) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.always {
		return to.Sub(from)
	}
	var total time.Duration
	day := from.In(c.loc)
	for i := 0; i < maxDays; i++ {
		for _, iv := range c.intervals(day) {
			a, b := maxTime(iv[0], from), minTime(iv[1], to)
			if b.After(a) {
				total += b.Sub(a)
			}
		}
		y, m, d := day.Date()
		day = time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
		if !day.Before(to) {
			break
		}
	}
	return total
}

// Add returns the moment when d of counted time has passed after from.
func (c *Calendar) Add(from time.Time, d time.Duration) time.Time {
	if c.always {
		return from.Add(d)
	}
	day := from.In(c.loc)
	for i := 0; i < maxDays; i++ {
		for _, iv := range c.intervals(day) {
			a := maxTime(iv[0], from)
			if !iv[1].After(a) {
				continue
			}
			if avail := iv[1].Sub(a); d <= avail {
				return a.Add(d)
			} else {
				d -= avail
			}
		}
		y, m, dd := day.Date()
		day = time.Date(y, m, dd+1, 0, 0, 0, 0, c.loc)
	}
	return from.Add(time.Duration(maxDays) * 24 * time.Hour)
}

// Open reports whether t is inside business hours.
func (c *Calendar) Open(t time.Time) bool {
	if c.always {
		return true
	}
	for _, iv := range c.intervals(t.In(c.loc)) {
		if !t.Before(iv[0]) && t.Before(iv[1]) {
			return true
		}
	}
	return false
}

// NextOpen returns t if open, else when business hours next start.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	if c.Open(t) {
		return t
	}
	return c.Add(t, 0)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Stats is a report over a window [Since, Until) for !stats, `threadline
// stats` and the digest. Which conversations each number counts:
//   - volume, first response, first-response SLA and tags: conversations
//     opened in the window;
//   - resolution and resolution SLA: conversations closed in the window;
//   - next-response SLA: the whole-conversation counters of conversations
//     opened or closed in the window;
//   - staff: replies, closes and claims made in the window (audit log);
//   - CSAT: ratings given in the window; Now: the queue when asked.
type Stats struct {
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Timezone string    `json:"timezone"` // days and hours are in this zone

	Created    int `json:"created"`    // conversations opened
	Closed     int `json:"closed"`     // conversations closed
	Unanswered int `json:"unanswered"` // opened in the window, no staff reply yet

	ByChannel    []Count     `json:"by_channel"`
	ByDepartment []Count     `json:"by_department"` // "" is no department
	ByDay        []DayCount  `json:"by_day"`        // every day of the window, oldest first
	ByHour       [24]int     `json:"by_hour"`       // opened per hour of day
	BusiestHours []HourCount `json:"busiest_hours"` // top 3 hours with any volume

	FirstResponse  Timing     `json:"first_response"`         // wall clock, opened -> first staff reply
	Resolution     Timing     `json:"resolution"`             // wall clock, opened -> closed
	ResponseByHour [24]Timing `json:"first_response_by_hour"` // by the hour the conversation was opened

	SLA    SLA          `json:"sla"`
	Tags   []Count      `json:"top_tags"` // top 10
	Agents []AgentStats `json:"agents"`
	CSAT   CSAT         `json:"csat"`
	Now    Backlog      `json:"now"`
}

// Count is a named number.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// DayCount is the volume of one calendar day.
type DayCount struct {
	Day   time.Time `json:"day"` // midnight in the report's zone
	Count int       `json:"count"`
}

// HourCount is the volume of one hour of the day (0-23).
type HourCount struct {
	Hour  int `json:"hour"`
	Count int `json:"count"`
}

// Timing summarises durations: how many, median and 90th percentile.
type Timing struct {
	Count  int
	Median time.Duration
	P90    time.Duration
}

// MarshalJSON writes seconds, which scripts read more easily than nanoseconds.
func (t Timing) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Count  int     `json:"count"`
		Median float64 `json:"median_seconds"`
		P90    float64 `json:"p90_seconds"`
	}{t.Count, t.Median.Seconds(), t.P90.Seconds()})
}

// Attainment counts SLA targets met and missed.
type Attainment struct {
	Met    int `json:"met"`
	Missed int `json:"missed"`
}

// Total is met plus missed.
func (a Attainment) Total() int { return a.Met + a.Missed }

// Percent is the share met (0-100); ok is false when nothing was measured.
func (a Attainment) Percent() (pct float64, ok bool) {
	if a.Total() == 0 {
		return 0, false
	}
	return 100 * float64(a.Met) / float64(a.Total()), true
}

// MarshalJSON adds the percentage (null when nothing was measured).
func (a Attainment) MarshalJSON() ([]byte, error) {
	var pct *float64
	if p, ok := a.Percent(); ok {
		p = math.Round(p*10) / 10
		pct = &p
	}
	return json.Marshal(struct {
		Met     int      `json:"met"`
		Missed  int      `json:"missed"`
		Percent *float64 `json:"percent"`
	}{a.Met, a.Missed, pct})
}

// SLAStats is SLA attainment as the SLA engine recorded it (business hours
// aware, unlike the wall-clock Timings).
type SLA struct {
	FirstResponse Attainment `json:"first_response"`
	Resolution    Attainment `json:"resolution"`
	NextResponse  Attainment `json:"next_response"`
}

// AgentStats is what one staff member did in the window.
type AgentStats struct {
	ID      bridge.StaffID `json:"id"`
	Name    string         `json:"name"`
	Replies int            `json:"replies"`
	Closed  int            `json:"closed"`
	Claims  int            `json:"claims"`
}

// CSAT is the customer satisfaction average (scores 1-5).
type CSAT struct {
	Count   int     `json:"count"`
	Average float64 `json:"average"`
}

// Backlog is the queue at the moment the report was made.
type Backlog struct {
	Open      int `json:"open"`      // waiting on staff
	Unclaimed int `json:"unclaimed"` // open or waiting, nobody owns it
	Waiting   int `json:"waiting"`   // waiting on the customer
}

// SLAOutcome is a recorded SLA result: met, missed or unknown (no target,
// not decided yet).
type SLAOutcome int8

const (
	SLAUnknown SLAOutcome = iota
	SLAMet
	SLAMissed
)

func (a *Attainment) add(o SLAOutcome) {
	switch o {
	case SLAMet:
		a.Met++
	case SLAMissed:
		a.Missed++
	}
}

// StatsBuilder aggregates conversations into Stats. The store feeds it
// rows; it keeps counters plus one duration per answered or closed
// conversation of the window (for the percentiles), nothing else.
type Builder struct {
	s        Stats
	loc      *time.Location
	channels map[string]int
	depts    map[string]int
	days     map[time.Time]int
	first    []time.Duration
	byHour   [24][]time.Duration
	res      []time.Duration
}

// NewStatsBuilder starts a report for [since, until) with days and hours in loc.
func NewBuilder(since, until time.Time, loc *time.Location) *Builder {
	if loc == nil {
		loc = time.UTC
	}
	return &Builder{
		s:   Stats{Since: since.In(loc), Until: until.In(loc), Timezone: loc.String()},
		loc: loc, channels: map[string]int{}, depts: map[string]int{}, days: map[time.Time]int{},
	}
}

// In reports whether t falls in the window.
func (b *Builder) In(t time.Time) bool {
	return !t.IsZero() && !t.Before(b.s.Since) && t.Before(b.s.Until)
}

func (b *Builder) day(t time.Time) time.Time {
	y, m, d := t.In(b.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, b.loc)
}

// AddOpened counts a conversation opened in the window; firstResponse is
// zero when staff have not replied yet.
func (b *Builder) AddOpened(created, firstResponse time.Time, channel bridge.Platform, department string, first SLAOutcome) {
	b.s.Created++
	b.channels[string(channel)]++
	b.depts[department]++
	b.days[b.day(created)]++
	h := created.In(b.loc).Hour()
	b.s.ByHour[h]++
	b.s.SLA.FirstResponse.add(first)
	if firstResponse.IsZero() {
		b.s.Unanswered++
		return
	}
	d := max(firstResponse.Sub(created), 0)
	b.first = append(b.first, d)
	b.byHour[h] = append(b.byHour[h], d)
}

// AddClosed counts a conversation closed in the window.
func (b *Builder) AddClosed(created, closed time.Time, resolution SLAOutcome) {
	b.s.Closed++
	b.res = append(b.res, max(closed.Sub(created), 0))
	b.s.SLA.Resolution.add(resolution)
}

// AddNextResponses adds a conversation's next-response SLA counters.
func (b *Builder) AddNextResponses(met, missed int) {
	b.s.SLA.NextResponse.Met += met
	b.s.SLA.NextResponse.Missed += missed
}

// Finish computes the percentiles and rankings. Tags, Agents, CSAT and Now
// are filled by the caller.
func (b *Builder) Finish() Stats {
	s := b.s
	s.ByChannel = topCounts(b.channels, 0)
	s.ByDepartment = topCounts(b.depts, 0)
	for d := b.day(s.Since); d.Before(s.Until); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, b.loc) {
		s.ByDay = append(s.ByDay, DayCount{Day: d, Count: b.days[d]})
	}
	s.BusiestHours = BusiestHours(s.ByHour, 3)
	s.FirstResponse = NewTiming(b.first)
	s.Resolution = NewTiming(b.res)
	for h := range b.byHour {
		s.ResponseByHour[h] = NewTiming(b.byHour[h])
	}
	return s
}

// topCounts sorts a tally, biggest first (ties by name); n > 0 keeps the top n.
func topCounts(m map[string]int, n int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{Name: k, Count: v})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Name, b.Name)
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// BusiestHours returns the n hours with the most volume, busiest first
// (ties: earlier hour first); hours with no volume are left out.
func BusiestHours(byHour [24]int, n int) []HourCount {
	var out []HourCount
	for h, c := range byHour {
		if c > 0 {
			out = append(out, HourCount{Hour: h, Count: c})
		}
	}
	slices.SortStableFunc(out, func(a, b HourCount) int { return b.Count - a.Count })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// NewTiming sorts ds in place and summarises it.
func NewTiming(ds []time.Duration) Timing {
	slices.Sort(ds)
	return Timing{Count: len(ds), Median: Percentile(ds, 50), P90: Percentile(ds, 90)}
}

// Percentile returns the p-th percentile (0-100) of sorted durations,
// interpolating linearly between the two nearest ranks (so the median of
// an even count is the mean of the middle two). Zero for no durations.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	p = min(max(p, 0), 100)
	rank := p / 100 * float64(n-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, n-1)
	frac := rank - float64(lo)
	return sorted[lo] + time.Duration(math.Round(frac*float64(sorted[hi]-sorted[lo])))
}

// ParseStatsWindow reads a report window: "today", "yesterday", "week"
// (since Monday), or a length back from now ("7d", "24h", "30d").
func ParseWindow(s string, now time.Time, loc *time.Location) (since, until time.Time, err error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	y, m, d := now.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return now.Add(-7 * 24 * time.Hour), now, nil
	case "today":
		return midnight, now, nil
	case "yesterday":
		return time.Date(y, m, d-1, 0, 0, 0, 0, loc), midnight, nil
	case "week":
		back := (int(now.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc), now, nil
	}
	var dur bridge.Duration
	if err := dur.UnmarshalText([]byte(s)); err != nil || dur <= 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("%q is not a period: use today, yesterday, week, or a length such as 24h, 7d or 30d", s)
	}
	return now.Add(-dur.D()), now, nil
}

// ParseStatsTime reads a point in time for `threadline stats --since/--until`:
// "now", a length back from now ("7d", "12h"), a date ("2026-03-01",
// midnight in loc), "2026-03-01 14:30", or RFC 3339.
func ParseTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "now") {
		return now, nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	var dur bridge.Duration
	if err := dur.UnmarshalText([]byte(s)); err == nil {
		return now.Add(-dur.D()), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use now, a length back such as 7d or 12h, a date (2026-03-01), or RFC 3339", s)
}

// ShortDuration prints a duration compactly for reports: "45s", "12m",
// "3h05m", "2d4h".
func ShortDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + ShortDuration(-d)
	case d < time.Minute:
		return strconv.Itoa(int(d.Round(time.Second).Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Round(time.Minute).Minutes())) + "m"
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		if d >= 24*time.Hour {
			return "1d"
		}
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	d = d.Round(time.Hour)
	days, hours := int(d.Hours())/24, int(d.Hours())%24
	if hours == 0 {
		return strconv.Itoa(days) + "d"
	}
	return fmt.Sprintf("%dd%dh", days, hours)
}

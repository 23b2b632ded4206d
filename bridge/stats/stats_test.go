package stats_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/stats"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func mins(ns ...int) []time.Duration {
	out := make([]time.Duration, len(ns))
	for i, n := range ns {
		out[i] = time.Duration(n) * time.Minute
	}
	return out
}

func TestPercentile(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        []time.Duration
		p         float64
		want      time.Duration
		wantTimed stats.Timing
	}{
		{name: "empty", in: nil, p: 50, want: 0},
		{name: "one", in: mins(7), p: 50, want: 7 * time.Minute},
		{name: "one p90", in: mins(7), p: 90, want: 7 * time.Minute},
		{name: "odd median", in: mins(1, 2, 3, 4, 100), p: 50, want: 3 * time.Minute},
		{name: "even median is the mean of the middle two", in: mins(1, 2, 4, 10), p: 50, want: 3 * time.Minute},
		{name: "p90 of ten interpolates", in: mins(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 90, want: 9*time.Minute + 6*time.Second},
		{name: "p90 of eleven hits a rank", in: mins(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 90, want: 9 * time.Minute},
		{name: "p0 is the minimum", in: mins(3, 5, 9), p: 0, want: 3 * time.Minute},
		{name: "p100 is the maximum", in: mins(3, 5, 9), p: 100, want: 9 * time.Minute},
		{name: "out of range clamps", in: mins(3, 5, 9), p: 150, want: 9 * time.Minute},
		{name: "equal values", in: mins(4, 4, 4, 4), p: 90, want: 4 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stats.Percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.want)
			}
		})
	}
	// NewTiming sorts first.
	tm := stats.NewTiming(mins(10, 1, 4, 2))
	if tm.Count != 4 || tm.Median != 3*time.Minute || tm.P90 != 8*time.Minute+12*time.Second {
		t.Errorf("NewTiming = %+v", tm)
	}
}

func TestShortDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {45 * time.Second, "45s"}, {59*time.Second + 600*time.Millisecond, "60s"},
		{12 * time.Minute, "12m"}, {90 * time.Minute, "1h30m"}, {3*time.Hour + 5*time.Minute, "3h05m"},
		{23*time.Hour + 59*time.Minute + 50*time.Second, "1d"}, {48 * time.Hour, "2d"},
		{52*time.Hour + 10*time.Minute, "2d4h"}, {-5 * time.Minute, "-5m"},
	} {
		if got := stats.ShortDuration(tc.in); got != tc.want {
			t.Errorf("ShortDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseStatsWindow(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 12, 15, 30, 0, 0, berlin) // a Thursday
	for _, tc := range []struct {
		in           string
		since, until time.Time
		err          bool
	}{
		{in: "", since: now.Add(-7 * 24 * time.Hour), until: now},
		{in: "7d", since: now.Add(-7 * 24 * time.Hour), until: now},
		{in: "30d", since: now.Add(-30 * 24 * time.Hour), until: now},
		{in: "24h", since: now.Add(-24 * time.Hour), until: now},
		{in: "today", since: time.Date(2026, 3, 12, 0, 0, 0, 0, berlin), until: now},
		{in: "Yesterday", since: time.Date(2026, 3, 11, 0, 0, 0, 0, berlin), until: time.Date(2026, 3, 12, 0, 0, 0, 0, berlin)},
		{in: "week", since: time.Date(2026, 3, 9, 0, 0, 0, 0, berlin), until: now},
		{in: "forever", err: true},
		{in: "-3d", err: true},
		{in: "0d", err: true},
	} {
		since, until, err := stats.ParseWindow(tc.in, now, berlin)
		if tc.err {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || !since.Equal(tc.since) || !until.Equal(tc.until) {
			t.Errorf("%q: %v – %v, %v; want %v – %v", tc.in, since, until, err, tc.since, tc.until)
		}
	}

	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{in: "now", want: now},
		{in: "", want: now},
		{in: "7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "2026-03-01", want: time.Date(2026, 3, 1, 0, 0, 0, 0, berlin)},
		{in: "2026-03-01 14:30", want: time.Date(2026, 3, 1, 14, 30, 0, 0, berlin)},
		{in: "2026-03-01T14:30:00Z", want: time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)},
		{in: "last tuesday", err: true},
	} {
		got, err := stats.ParseTime(tc.in, now, berlin)
		if tc.err != (err != nil) || (!tc.err && !got.Equal(tc.want)) {
			t.Errorf("ParseStatsTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// sampleStats builds a report through the builder across the 2026 spring
// DST change in Berlin (29 March: that day has 23 hours).
func sampleStats(t *testing.T) stats.Stats {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 3, 26, 0, 0, 0, 0, berlin)
	until := time.Date(2026, 4, 2, 0, 0, 0, 0, berlin)
	b := stats.NewBuilder(since, until, berlin)
	at := func(day, hour, min int) time.Time { return time.Date(2026, 3, day, hour, min, 0, 0, berlin) }
	type conv struct {
		created  time.Time
		first    time.Duration // 0: unanswered
		channel  bridge.Platform
		dept     string
		firstSLA stats.SLAOutcome
	}
	for _, c := range []conv{
		{at(26, 9, 5), 4 * time.Minute, "webchat", "support", stats.SLAMet},
		{at(26, 9, 40), 12 * time.Minute, "webchat", "support", stats.SLAMet},
		{at(26, 14, 0), 2 * time.Hour, "email", "billing", stats.SLAMissed},
		{at(27, 9, 30), 6 * time.Minute, "telegram", "", stats.SLAMet},
		{at(29, 3, 30), 0, "email", "", stats.SLAUnknown}, // after the 02:00 -> 03:00 jump
		{at(29, 10, 0), 20 * time.Minute, "webchat", "support", stats.SLAMet},
		{at(31, 9, 15), 3 * time.Minute, "webchat", "billing", stats.SLAMet},
		{at(31, 16, 45), 45 * time.Minute, "telegram", "support", stats.SLAMissed},
	} {
		first := time.Time{}
		if c.first > 0 {
			first = c.created.Add(c.first)
		}
		b.AddOpened(c.created, first, c.channel, c.dept, c.firstSLA)
		b.AddNextResponses(1, 0)
	}
	b.AddClosed(at(20, 10, 0), at(26, 11, 0), stats.SLAMissed)
	b.AddClosed(at(26, 9, 5), at(26, 10, 5), stats.SLAMet)
	b.AddClosed(at(27, 9, 30), at(28, 9, 30), stats.SLAMet)
	b.AddNextResponses(2, 1)
	s := b.Finish()
	s.Tags = []stats.Count{{Name: "refund", Count: 3}, {Name: "login", Count: 2}}
	s.Agents = []stats.AgentStats{
		{ID: "slack:U1", Name: "Alice", Replies: 9, Closed: 2, Claims: 3},
		{ID: "discord:2", Name: "Bartholomew Longname-Smythe", Replies: 4, Closed: 1, Claims: 1},
	}
	s.CSAT = stats.CSAT{Count: 3, Average: 4.333}
	s.Now = stats.Backlog{Open: 2, Unclaimed: 1, Waiting: 4}
	return s
}

func TestStatsBuilder(t *testing.T) {
	s := sampleStats(t)
	if s.Created != 8 || s.Closed != 3 || s.Unanswered != 1 {
		t.Errorf("counts: created %d closed %d unanswered %d", s.Created, s.Closed, s.Unanswered)
	}
	if len(s.ByDay) != 7 {
		t.Fatalf("days: %d, want 7 (26 Mar - 1 Apr)", len(s.ByDay))
	}
	wantDays := []int{3, 1, 0, 2, 0, 2, 0}
	for i, d := range s.ByDay {
		if d.Count != wantDays[i] || d.Day.Hour() != 0 {
			t.Errorf("day %d: %v %d, want %d at midnight", i, d.Day, d.Count, wantDays[i])
		}
	}
	if s.ByDay[3].Day.Day() != 29 || s.ByDay[4].Day.Day() != 30 {
		t.Errorf("DST day walk: %v, %v", s.ByDay[3].Day, s.ByDay[4].Day)
	}
	if s.ByHour[9] != 4 || s.ByHour[3] != 1 || s.ByHour[2] != 0 {
		t.Errorf("by hour: %v", s.ByHour)
	}
	if got := s.BusiestHours; len(got) != 3 || got[0] != (stats.HourCount{Hour: 9, Count: 4}) || got[1].Hour != 3 || got[2].Hour != 10 {
		t.Errorf("busiest hours: %+v", got)
	}
	if s.ByChannel[0] != (stats.Count{Name: "webchat", Count: 4}) || len(s.ByChannel) != 3 {
		t.Errorf("by channel: %+v", s.ByChannel)
	}
	if s.ByDepartment[0] != (stats.Count{Name: "support", Count: 4}) || s.ByDepartment[1] != (stats.Count{Name: "", Count: 2}) {
		t.Errorf("by department: %+v", s.ByDepartment)
	}
	// First responses: 3, 4, 6, 12, 20, 45, 120 minutes.
	if s.FirstResponse.Count != 7 || s.FirstResponse.Median != 12*time.Minute || s.FirstResponse.P90 != 75*time.Minute {
		t.Errorf("first response: %+v", s.FirstResponse)
	}
	if h := s.ResponseByHour[9]; h.Count != 4 || h.Median != 5*time.Minute {
		t.Errorf("9h response: %+v", h)
	}
	if s.Resolution.Count != 3 || s.Resolution.Median != 24*time.Hour {
		t.Errorf("resolution: %+v", s.Resolution)
	}
	if s.SLA.FirstResponse != (stats.Attainment{Met: 5, Missed: 2}) || s.SLA.Resolution != (stats.Attainment{Met: 2, Missed: 1}) ||
		s.SLA.NextResponse != (stats.Attainment{Met: 10, Missed: 1}) {
		t.Errorf("sla: %+v", s.SLA)
	}
	if pct, ok := s.SLA.FirstResponse.Percent(); !ok || pct < 71.4 || pct > 71.5 {
		t.Errorf("first response attainment %v %v", pct, ok)
	}
	if _, ok := (stats.Attainment{}).Percent(); ok {
		t.Error("empty attainment has a percentage")
	}

	// JSON: durations in seconds, percentages rounded, null when unmeasured.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"first_response":{"count":7,"median_seconds":720,"p90_seconds":4500}`,
		`"first_response":{"met":5,"missed":2,"percent":71.4}`, `"by_hour":[0,0,0,1,0,`, `"timezone":"Europe/Berlin"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	if b, _ := json.Marshal(stats.Attainment{}); string(b) != `{"met":0,"missed":0,"percent":null}` {
		t.Errorf("empty attainment JSON %s", b)
	}
}

func TestFormatStatsGolden(t *testing.T) {
	s := sampleStats(t)
	week := stats.Format(s)
	golden(t, "stats_week", week)

	// A month shows days as a sparkline and stays short enough for Discord.
	month := s
	month.Since = s.Since.AddDate(0, 0, -23)
	var days []stats.DayCount
	for d := month.Since; d.Before(s.Since); d = d.AddDate(0, 0, 1) {
		days = append(days, stats.DayCount{Day: d, Count: d.Day() % 5})
	}
	month.ByDay = append(days, s.ByDay...)
	for i := range 14 {
		month.Agents = append(month.Agents, stats.AgentStats{ID: bridge.StaffID("console:agent" + string(rune('a'+i))), Replies: 14 - i})
	}
	month.Tags = nil
	for i, tag := range []string{"refund", "login", "password-reset", "invoice", "bug", "android", "ios", "feature-request", "vip", "billing-address"} {
		month.Tags = append(month.Tags, stats.Count{Name: tag, Count: 40 - 3*i})
	}
	out := stats.Format(month)
	golden(t, "stats_month", out)
	if n := len([]rune(out)); n > 1900 {
		t.Errorf("month report is %d characters; Discord allows 2000", n)
	}

	berlin, _ := time.LoadLocation("Europe/Berlin")
	empty := stats.NewBuilder(time.Date(2026, 3, 2, 0, 0, 0, 0, berlin), time.Date(2026, 3, 3, 0, 0, 0, 0, berlin), berlin).Finish()
	golden(t, "stats_empty", stats.Format(empty))
}

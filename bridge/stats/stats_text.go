package stats

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// maxDayRows: longer windows show days as a one-line sparkline.
const maxDayRows = 14

// maxAgentRows caps the staff table.
const maxAgentRows = 10

// FormatStats renders a report as plain text for a monospace font (Slack
// and Discord code blocks, a terminal). It stays well under Discord's 2000
// characters for any window.
func Format(s Stats) string {
	r := &report{}
	fmt.Fprintf(&r.b, "Threadline stats · %s (%s)\n\n", windowLabel(s.Since, s.Until), s.Timezone)
	r.line("Opened", "%d · closed %d · unanswered %d", s.Created, s.Closed, s.Unanswered)
	r.line("Right now", "%d open · %d waiting on customer · %d unclaimed", s.Now.Open, s.Now.Waiting, s.Now.Unclaimed)
	r.b.WriteByte('\n')
	r.timings(s)
	r.outcomes(s)
	r.b.WriteByte('\n')
	if s.Created > 0 {
		r.list("Channels", countParts(s.ByChannel, 6, ""))
		if len(s.ByDepartment) > 1 || (len(s.ByDepartment) == 1 && s.ByDepartment[0].Name != "") {
			r.list("Departments", countParts(s.ByDepartment, 6, "none"))
		}
	}
	if len(s.Tags) > 0 {
		r.list("Top tags", countParts(s.Tags, 10, ""))
	}
	if s.Created > 0 {
		r.b.WriteByte('\n')
		writeDays(&r.b, s.ByDay)
	}
	r.agents(s.Agents)
	if s.Created == 0 && s.Closed == 0 && len(s.Agents) == 0 {
		r.b.WriteString("No conversations in this period.\n")
	}
	return strings.TrimRight(r.b.String(), "\n")
}

// report is the text Format builds: labelled lines in a 16-column gutter.
type report struct{ b strings.Builder }

func (r *report) line(label, format string, args ...any) {
	fmt.Fprintf(&r.b, "%-16s%s\n", label, fmt.Sprintf(format, args...))
}

// timings is the median / p90 table of first response and resolution.
func (r *report) timings(s Stats) {
	r.line("", "%-9s %-9s %s", "median", "p90", "count")
	for _, t := range []struct {
		label string
		t     Timing
	}{{"First response", s.FirstResponse}, {"Resolution", s.Resolution}} {
		if t.t.Count == 0 {
			r.line(t.label, "%-9s %-9s %d", "-", "-", 0)
			continue
		}
		r.line(t.label, "%-9s %-9s %d", ShortDuration(t.t.Median), ShortDuration(t.t.P90), t.t.Count)
	}
	r.b.WriteByte('\n')
}

// outcomes are SLA attainment, satisfaction and the busiest hours.
func (r *report) outcomes(s Stats) {
	sla := []struct {
		name string
		a    Attainment
	}{{"first response", s.SLA.FirstResponse}, {"resolution", s.SLA.Resolution}, {"next responses", s.SLA.NextResponse}}
	label := "SLA met"
	for _, x := range sla {
		if pct, ok := x.a.Percent(); ok {
			r.line(label, "%-15s %3.0f%% (%d of %d)", x.name, pct, x.a.Met, x.a.Total())
			label = ""
		}
	}
	if label != "" {
		r.line(label, "no SLA outcomes recorded")
	}
	if s.CSAT.Count > 0 {
		r.line("Satisfaction", "%.1f / 5 from %d rating%s", s.CSAT.Average, s.CSAT.Count, plural(s.CSAT.Count))
	}
	if len(s.BusiestHours) > 0 {
		var hs []string
		for _, h := range s.BusiestHours {
			hs = append(hs, fmt.Sprintf("%02d-%02dh (%d)", h.Hour, (h.Hour+1)%24, h.Count))
		}
		r.line("Busiest hours", "%s", strings.Join(hs, " · "))
		r.line("Per hour", "%s  00h→23h", sparkline(s.ByHour[:]))
	}
}

// list writes parts after label, wrapped at about 80 columns with
// continuation lines under the first item.
func (r *report) list(label string, parts []string) {
	cur := ""
	for _, p := range parts {
		if cur != "" && utf8.RuneCountInString(cur)+3+utf8.RuneCountInString(p) > 80-16 {
			r.line(label, "%s ·", cur)
			label, cur = "", ""
		}
		if cur != "" {
			cur += " · "
		}
		cur += p
	}
	r.line(label, "%s", cur)
}

// agents is the per-staff table.
func (r *report) agents(agents []AgentStats) {
	if len(agents) == 0 {
		return
	}
	r.b.WriteByte('\n')
	fmt.Fprintf(&r.b, "%-16s %7s %7s %7s\n", "Staff", "replies", "closed", "claims")
	for i, a := range agents {
		if i == maxAgentRows {
			fmt.Fprintf(&r.b, "… and %d more\n", len(agents)-maxAgentRows)
			break
		}
		name := a.Name
		if name == "" {
			name = string(a.ID)
		}
		fmt.Fprintf(&r.b, "%-16s %7d %7d %7d\n", clipRunes(name, 16), a.Replies, a.Closed, a.Claims)
	}
}

func writeDays(b *strings.Builder, days []DayCount) {
	if len(days) == 0 {
		return
	}
	peak := days[0]
	counts := make([]int, len(days))
	for i, d := range days {
		counts[i] = d.Count
		if d.Count > peak.Count {
			peak = d
		}
	}
	if len(days) > maxDayRows {
		fmt.Fprintf(b, "%-16s%s  %s→%s, peak %d on %s\n", "Per day", sparkline(counts),
			days[0].Day.Format("2 Jan"), days[len(days)-1].Day.Format("2 Jan"), peak.Count, peak.Day.Format("Mon 2 Jan"))
		return
	}
	fmt.Fprintf(b, "%-16s%s\n", "Day", "opened")
	for _, d := range days {
		bar := 0
		if peak.Count > 0 {
			bar = (d.Count*20 + peak.Count - 1) / peak.Count
		}
		row := fmt.Sprintf("%-16s%4d %s", d.Day.Format("Mon 2 Jan"), d.Count, strings.Repeat("█", bar))
		b.WriteString(strings.TrimRight(row, " ") + "\n")
	}
}

// windowLabel prints the window; whole days as dates, inclusive.
func windowLabel(since, until time.Time) string {
	if isMidnight(since) && isMidnight(until) {
		last := until.AddDate(0, 0, -1)
		if last.Equal(since) {
			return since.Format("Mon 2 Jan 2006")
		}
		return since.Format("Mon 2 Jan") + " – " + last.Format("Mon 2 Jan 2006")
	}
	return since.Format("Mon 2 Jan 15:04") + " – " + until.Format("Mon 2 Jan 15:04")
}

func isMidnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// sparkline draws one character per value, scaled to the largest; zero is "·".
func sparkline(vs []int) string {
	const bars = "▁▂▃▄▅▆▇█"
	levels := []rune(bars)
	peak := 0
	for _, v := range vs {
		peak = max(peak, v)
	}
	var b strings.Builder
	for _, v := range vs {
		if v <= 0 || peak == 0 {
			b.WriteRune('·')
			continue
		}
		b.WriteRune(levels[(v*len(levels)-1)/peak])
	}
	return b.String()
}

// countParts renders the top n counts as "name 12", the rest summed up.
func countParts(cs []Count, n int, emptyName string) []string {
	var parts []string
	rest := 0
	for i, c := range cs {
		if i >= n {
			rest += c.Count
			continue
		}
		name := c.Name
		if name == "" {
			name = emptyName
		}
		parts = append(parts, fmt.Sprintf("%s %d", clipRunes(name, 20), c.Count))
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("others %d", rest))
	}
	return parts
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

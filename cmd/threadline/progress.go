package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows how far long work has come on w (stderr): a redrawn bar
// on a terminal, and plain lines at every 10% (and at the end) otherwise,
// so logs and CI output stay readable.
type progress struct {
	w      io.Writer
	label  string
	unit   string // "bytes" prints sizes; anything else is a count of it
	total  int64
	tty    bool
	start  time.Time
	drawn  time.Time
	step   int64 // last 10% step printed (plain mode)
	active bool
}

func newProgress(w io.Writer, label, unit string, total int64) *progress {
	return &progress{w: w, label: label, unit: unit, total: total, tty: isTerminal(w), start: time.Now(), step: -1}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Set reports done units (of total; total may grow, e.g. as it is learnt).
func (p *progress) Set(done, total int64) {
	if total > 0 {
		p.total = total
	}
	if p.tty {
		if now := time.Now(); now.Sub(p.drawn) >= 100*time.Millisecond || done >= p.total {
			p.drawn = now
			p.active = true
			fmt.Fprintf(p.w, "\r\033[K%s", p.line(done, true))
		}
		return
	}
	if p.total <= 0 {
		return
	}
	if s := min(done*10/p.total, 10); s > p.step {
		p.step = s
		fmt.Fprintln(p.w, p.line(done, false))
	}
}

// Done ends the bar (a final newline on a terminal).
func (p *progress) Done() {
	if p.tty && p.active {
		fmt.Fprintln(p.w)
		p.active = false
	}
}

func (p *progress) line(done int64, bar bool) string {
	pct := 100.0
	if p.total > 0 {
		pct = min(100, float64(done)*100/float64(p.total))
	}
	var b strings.Builder
	b.WriteString(p.label)
	if bar {
		const width = 30
		fill := int(pct / 100 * width)
		b.WriteString(" [" + strings.Repeat("#", fill) + strings.Repeat(".", width-fill) + "]")
	}
	if p.unit == "bytes" {
		fmt.Fprintf(&b, " %3.0f%%  %s / %s", pct, humanBytes(done), humanBytes(p.total))
	} else {
		fmt.Fprintf(&b, " %3.0f%%  %d / %d %s", pct, done, p.total, p.unit)
	}
	if el := time.Since(p.start); bar && el > time.Second && done > 0 && done < p.total {
		left := time.Duration(float64(el) * float64(p.total-done) / float64(done))
		fmt.Fprintf(&b, "  %s left", left.Round(time.Second))
	}
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/stats"
	"github.com/threadlinehq/threadline/bridge/stats/chart"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
)

// statsReader computes reports (store.Store); bridge.Reader does not grow for it.
type statsReader interface {
	Stats(ctx context.Context, since, until time.Time, loc *time.Location) (stats.Stats, error)
}

// digestJob schedules the statistics digest when digest.slack_channel or
// digest.discord_channel is set and that surface runs.
func (a *app) digestJob() {
	d, problems := newDigester(a.cfg.Digest, a.st, a.surfaces, a.log.With("job", "digest"))
	d.kb, d.gapStore = a.kb, a.st
	switch {
	case !a.cfg.Digest.Enabled():
		a.status = append(a.status, statusLine{"digest", "off", "digest.slack_channel / digest.discord_channel not set"})
		return
	case len(d.targets) == 0:
		a.status = append(a.status, statusLine{"digest", "off", strings.Join(problems, "; ")})
		return
	}
	a.jobs = append(a.jobs, job{name: "digest", schedule: a.cfg.Digest.Spec(), fn: d.run})
	var to []string
	for _, t := range d.targets {
		to = append(to, string(t.surface)+" "+t.channel)
	}
	detail := fmt.Sprintf("%q in %s, covering %s, to %s", a.cfg.Digest.Schedule, d.loc, periodText(d.period), strings.Join(to, ", "))
	if len(problems) > 0 {
		detail += " (" + strings.Join(problems, "; ") + ")"
	}
	a.status = append(a.status, statusLine{"digest", "on", detail})
}

// periodText prints a period as it is written in the config: "1d", "12h", "90m".
func periodText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// digestTarget is one channel the digest goes to.
type digestTarget struct {
	surface bridge.Platform
	channel string
	poster  bridge.DigestPoster
}

// digester computes the report for the last period, draws the chart and
// posts both. Digests belong to no conversation, so they skip the outbox:
// each post is tried a few times with a doubling wait (longer if the
// platform says so), and what still fails is reported to the scheduler,
// which logs it; the next run posts a fresh digest.
type digester struct {
	stats    statsReader
	targets  []digestTarget
	period   time.Duration
	loc      *time.Location
	now      func() time.Time
	log      *slog.Logger
	attempts int           // per target
	backoff  time.Duration // first wait between attempts
	// kb and gapStore add the knowledge gaps (nil kb: no knowledge base,
	// no section).
	kb       *answers.KB
	gapStore answers.GapStore
}

// newDigester finds the surfaces the config names; problems says which
// channels cannot be served (their surface is off).
func newDigester(cfg config.DigestConfig, st statsReader, surfaces []bridge.StaffSurface, log *slog.Logger) (*digester, []string) {
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		loc = time.UTC // validated at load; only hand-built configs get here
	}
	d := &digester{stats: st, period: cfg.Period.D(), loc: loc, now: time.Now, log: log, attempts: 3, backoff: 5 * time.Second}
	var problems []string
	for _, want := range []struct {
		surface bridge.Platform
		channel string
	}{{"slack", cfg.SlackChannel}, {"discord", cfg.DiscordChannel}} {
		if want.channel == "" {
			continue
		}
		var poster bridge.DigestPoster
		for _, s := range surfaces {
			if p, ok := s.(bridge.DigestPoster); ok && s.Name() == want.surface {
				poster = p
			}
		}
		if poster == nil {
			problems = append(problems, fmt.Sprintf("digest.%s_channel is set but %s is off", want.surface, want.surface))
			continue
		}
		d.targets = append(d.targets, digestTarget{surface: want.surface, channel: want.channel, poster: poster})
	}
	return d, problems
}

// digestWindow is the period ending now; a whole number of days ends at
// the last midnight in loc, so a daily digest reports yesterday.
func digestWindow(now time.Time, period time.Duration, loc *time.Location) (since, until time.Time) {
	const day = 24 * time.Hour
	if period < day || period%day != 0 {
		return now.Add(-period), now
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d-int(period/day), 0, 0, 0, 0, loc), time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// maxGaps is how many knowledge gaps a report lists.
const maxGaps = 10

// knowledgeGaps is the knowledge gaps of the period; nil without a
// knowledge base.
func knowledgeGaps(ctx context.Context, kb *answers.KB, st answers.GapStore, since, until time.Time) (*answers.GapReport, error) {
	if kb == nil {
		return nil, nil
	}
	r, err := kb.GapsBetween(ctx, st, since, until, maxGaps)
	if err != nil {
		return nil, fmt.Errorf("knowledge gaps: %w", err)
	}
	return &r, nil
}

// run builds and posts one digest.
func (d *digester) run(ctx context.Context) error {
	since, until := digestWindow(d.now(), d.period, d.loc)
	s, err := d.stats.Stats(ctx, since, until, d.loc)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	text := stats.Format(s)
	if gaps, err := knowledgeGaps(ctx, d.kb, d.gapStore, since, until); err != nil {
		d.log.Warn("digest: the knowledge gaps could not be computed; posting the statistics alone", "err", err)
	} else if gaps != nil {
		text += "\n\n" + answers.FormatGaps(*gaps)
	}
	png, err := chart.Hourly(s, chart.Options{})
	if err != nil {
		d.log.Warn("digest chart could not be drawn; posting the text alone", "err", err)
		png = nil
	}
	filename := "threadline-stats-" + since.Format("2006-01-02") + ".png"
	var errs []error
	for _, t := range d.targets {
		if err := d.post(ctx, t, text, png, filename); err != nil {
			errs = append(errs, fmt.Errorf("digest to %s %s: %w", t.surface, t.channel, err))
			continue
		}
		d.log.Info("digest posted", "surface", t.surface, "channel", t.channel, "since", since, "until", until)
	}
	return errors.Join(errs...)
}

func (d *digester) post(ctx context.Context, t digestTarget, text string, png []byte, filename string) error {
	wait := d.backoff
	for attempt := 1; ; attempt++ {
		err := t.poster.PostDigest(ctx, t.channel, text, png, filename)
		if err == nil || bridge.IsPermanent(err) || attempt >= d.attempts {
			return err
		}
		var rl *bridge.RateLimitError
		if errors.As(err, &rl) && rl.RetryAfter > wait {
			wait = rl.RetryAfter
		}
		d.log.Warn("digest post failed; retrying", "surface", t.surface, "attempt", attempt, "wait", wait, "err", err)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		wait *= 2
	}
}

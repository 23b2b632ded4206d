package commands

import (
	"context"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/stats"
)

// StatsReader computes reports; store.Store implements it. It is not part
// of bridge.Reader, so !stats asks the engine's store for it.
type StatsReader interface {
	Stats(ctx context.Context, since, until time.Time, loc *time.Location) (stats.Stats, error)
}

// maxStatsWindow keeps a chat command from asking for years of history.
const maxStatsWindow = 366 * 24 * time.Hour

// Stats returns the reporting commands.
func Stats() []Command {
	return []Command{
		{Name: "stats", Args: "[today|yesterday|week|7d|30d]", Help: "statistics: volume, response and resolution times, SLA, busiest hours, tags, staff (default 7d)",
			MaxArgs: 1, Global: true, Run: runStats},
	}
}

// runStats reports on a window (7d unless asked) in the team's time zone.
func runStats(ctx context.Context, in *Invocation) (string, error) {
	sr, ok := in.Engine.Store().(StatsReader)
	if !ok {
		return "", bridge.Reject("statistics are not available with this store")
	}
	arg := ""
	if len(in.Args) == 1 {
		arg = in.Args[0]
	}
	loc := in.Engine.Directory().Location()
	since, until, err := stats.ParseWindow(arg, in.Engine.Now(), loc)
	if err != nil {
		return "", bridge.Reject("%v", err)
	}
	if until.Sub(since) > maxStatsWindow {
		return "", bridge.Reject("%sstats covers at most 366 days; use `threadline stats` for longer periods", in.Syntax.Prefix)
	}
	s, err := sr.Stats(ctx, since, until, loc)
	if err != nil {
		return "", err
	}
	return monospace(in.Surface, stats.Format(s)), nil
}

// monospace fences text as a code block on surfaces that render Markdown,
// so the report's columns line up; the terminal shows it as it is.
func monospace(surface bridge.Platform, text string) string {
	switch surface {
	case "slack", "discord":
		return "```\n" + text + "\n```"
	}
	return text
}

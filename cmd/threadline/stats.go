package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/stats"
	"github.com/threadlinehq/threadline/bridge/stats/chart"
)

func (c *cli) statsCmd() *cobra.Command {
	var since, until, tz, chartPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Support statistics for a period: volume, response times, SLA, tags, staff (reads the database)",
		Long: `Print statistics for a period: conversations opened per channel, department, day
and hour; first-response and resolution times (median and 90th percentile);
SLA attainment; busiest hours; top tags; what each staff member did; CSAT;
and the queue right now; with a knowledge base (answers.kb_dir), the
knowledge gaps: frequent questions no article answers, and what the web
chat's article offers did. docs/statistics.md says exactly what each
number counts.

--since and --until take "now", a length back from now (7d, 12h), a date
(2026-03-01, midnight in --tz), "2026-03-01 14:30", or an RFC 3339 time.
Days and hours are counted in --tz (default: the config's timezone).`,
		Example: `  threadline stats
  threadline stats --since 30d --tz Europe/Berlin
  threadline stats --since 2026-03-01 --until 2026-04-01 --json
  threadline stats --since 1d --chart digest.png`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()
			if tz == "" {
				tz = cfg.Workflow.Timezone
			}
			loc, err := time.LoadLocation(tz)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("--tz: unknown time zone %q (use an IANA name such as Europe/Berlin)", tz)}
			}
			now := time.Now()
			from, err := stats.ParseTime(since, now, loc)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("--since: %w", err)}
			}
			to, err := stats.ParseTime(until, now, loc)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("--until: %w", err)}
			}
			if !from.Before(to) {
				return &exitError{code: 2, err: fmt.Errorf("--since (%s) must be before --until (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339))}
			}
			s, err := st.Stats(cmd.Context(), from, to, loc)
			if err != nil {
				return err
			}
			kb, err := openKB(cfg.Answers, answers.KBOptions{})
			if err != nil {
				return err
			}
			gaps, err := knowledgeGaps(cmd.Context(), kb, st, from, to)
			if err != nil {
				return err
			}
			if chartPath != "" {
				png, err := chart.Hourly(s, chart.Options{})
				if err != nil {
					return err
				}
				if err := os.WriteFile(chartPath, png, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(c.stderr, "chart written to %s (%dx%d PNG)\n", chartPath, chart.DefaultWidth, chart.DefaultHeight)
			}
			if asJSON {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					stats.Stats
					KnowledgeGaps *answers.GapReport `json:"knowledge_gaps,omitempty"`
				}{s, gaps})
			}
			fmt.Fprintln(c.stdout, stats.Format(s))
			if gaps != nil {
				fmt.Fprintln(c.stdout)
				fmt.Fprintln(c.stdout, answers.FormatGaps(*gaps))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "7d", "start of the period")
	f.StringVar(&until, "until", "now", "end of the period (exclusive)")
	f.StringVar(&tz, "tz", "", "time zone for days and hours (default: timezone from the config)")
	f.BoolVar(&asJSON, "json", false, "print JSON (durations in seconds)")
	f.StringVar(&chartPath, "chart", "", "also write the digest chart (PNG) to this file")
	return cmd
}

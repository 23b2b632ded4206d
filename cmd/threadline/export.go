package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/export"
	"github.com/threadlinehq/threadline/store"
)

func (c *cli) exportCmd() *cobra.Command {
	var format, out, since string
	var statuses []string
	var conv string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export conversations and messages as JSON lines or Markdown transcripts",
		Long: `Export conversations with their messages, oldest first. It reads one consistent
snapshot while the daemon runs, and streams: memory does not grow with history.

Formats:
  conversations  JSON lines, one object per conversation with its messages
                 embedded in "messages" (default)
  messages       JSON lines, one object per message (with conversation_id)
  markdown       one transcript file per conversation in --out DIR

The fields are listed in docs/operations.md ("Export").`,
		Example: `  threadline export > all.jsonl
  threadline export --status closed --since 30d --out closed.jsonl
  threadline export --format markdown --out transcripts/
  threadline export --conversation 42 --format messages`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var f store.ExportFilter
			var err error
			if f.Since, err = parseSince(since, time.Now()); err != nil {
				return &exitError{code: 2, err: err}
			}
			for _, s := range statuses {
				for _, s := range strings.Split(s, ",") {
					switch st := bridge.Status(strings.TrimSpace(s)); st {
					case bridge.StatusOpen, bridge.StatusWaiting, bridge.StatusClosed:
						f.Statuses = append(f.Statuses, st)
					default:
						return &exitError{code: 2, err: fmt.Errorf("--status: %q is not open, waiting or closed", s)}
					}
				}
			}
			if conv != "" {
				if f.Conversation, err = parseConvArg(conv); err != nil {
					return err
				}
			}
			_, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()

			w := c.stdout
			dir := ""
			target := "standard output"
			switch {
			case format == "markdown":
				dir, target = out, out
			case out != "" && out != "-":
				file, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return err
				}
				defer file.Close()
				w, target = file, out
			}
			ew, err := export.New(format, w, dir)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			convs, msgs, err := st.CountExport(cmd.Context(), f)
			if err != nil {
				return err
			}
			start := time.Now()
			bar := newProgress(c.stderr, "Exporting", "conversations", int64(convs))
			v := ew.Visitor()
			end := v.End
			done := int64(0)
			v.End = func(cv bridge.ConversationView) error {
				done++
				bar.Set(done, 0)
				if end != nil {
					return end(cv)
				}
				return nil
			}
			err = st.Export(cmd.Context(), f, v)
			bar.Done()
			if cerr := ew.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			el := time.Since(start)
			fmt.Fprintf(c.stderr, "Exported %d conversations, %d messages to %s in %s (%.0f messages/s).\n",
				convs, msgs, target, el.Round(time.Millisecond), float64(msgs)/max(el.Seconds(), 1e-6))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "conversations", "conversations, messages or markdown")
	fl.StringVar(&out, "out", "", "output file (JSON formats; default standard output) or directory (markdown)")
	fl.StringVar(&since, "since", "", "only conversations active since: a date (2026-01-31), RFC 3339 time, or age (30d, 12h)")
	fl.StringSliceVar(&statuses, "status", nil, "only these statuses: open, waiting, closed (repeat or comma-separate)")
	fl.StringVar(&conv, "conversation", "", "only this conversation id")
	return cmd
}

// parseSince reads "2026-01-31", an RFC 3339 time, or an age like "30d".
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	var d bridge.Duration
	if err := d.UnmarshalText([]byte(s)); err == nil && d > 0 {
		return now.Add(-d.D()), nil
	}
	return time.Time{}, fmt.Errorf("--since: %q is not a date (2026-01-31), an RFC 3339 time or an age (30d, 12h)", s)
}

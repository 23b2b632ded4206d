package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

func (c *cli) retentionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Delete closed conversations older than retention.closed_after",
	}
	var dryRun bool
	var olderThan bridge.Duration
	var batch int
	run := &cobra.Command{
		Use:   "run",
		Short: "Purge now what the scheduled retention job would purge (--dry-run: only count)",
		Long: `Delete closed conversations with no activity for retention.closed_after (or
--older-than), with their messages, attachments stored under <data_dir>/attachments,
threads, outbox and audit rows, tags and ratings; then customers left with no
conversation. Safe while the daemon runs: it deletes in small transactions.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()
			keep := cfg.Retention.ClosedAfter
			if olderThan > 0 {
				keep = olderThan
			}
			if keep <= 0 {
				return &exitError{code: 2, err: fmt.Errorf("retention.closed_after is 0 (keep forever): set it in %s or pass --older-than (e.g. 365d)", c.configPath)}
			}
			if batch <= 0 {
				batch = cfg.Retention.Batch
			}
			cutoff := time.Now().Add(-keep.D())
			p, err := st.PreviewPurge(cmd.Context(), cutoff)
			if err != nil {
				return err
			}
			when := cutoff.Local().Format("2006-01-02 15:04")
			if p.Conversations == 0 {
				fmt.Fprintf(c.stdout, "Nothing to delete: no closed conversation is untouched since %s.\n", when)
				return nil
			}
			if dryRun {
				fmt.Fprintf(c.stdout, "Would delete %d closed conversations untouched since %s (%d messages), and %d customers left with no conversation.\n",
					p.Conversations, when, p.Messages, p.Customers)
				return nil
			}
			bar := newProgress(c.stderr, "Purging", "conversations", int64(p.Conversations))
			files := 0
			start := time.Now()
			d, err := st.PurgeClosed(cmd.Context(), cutoff, store.DeleteOptions{Batch: batch,
				Progress: func(d store.Deleted) { bar.Set(int64(d.Conversations), 0) },
				Files:    func(paths []string) { files += removeAttachments(cfg.DataDir, paths, c.cliLogger()) }})
			bar.Done()
			fmt.Fprintf(c.stdout, "Deleted %d closed conversations untouched since %s: %d messages, %d attachment files, %d customers (%d identities); %d transactions in %s.\n",
				d.Conversations, when, d.Messages, files, d.Customers, d.Identities, d.Batches, time.Since(start).Round(time.Millisecond))
			return err
		},
	}
	run.Flags().BoolVar(&dryRun, "dry-run", false, "only count what would be deleted")
	run.Flags().TextVar(&olderThan, "older-than", bridge.Duration(0), "override retention.closed_after (e.g. 365d)")
	run.Flags().IntVar(&batch, "batch", 0, "rows per transaction (default retention.batch)")
	cmd.AddCommand(run)
	return cmd
}

// cliLogger is a warnings-only logger on stderr for CLI commands.
func (c *cli) cliLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

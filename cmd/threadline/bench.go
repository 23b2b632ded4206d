package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/cmd/threadline/internal/bench"
)

func (c *cli) benchCmd() *cobra.Command {
	var asJSON, quick, noDaemon bool
	var sync, storeURL string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput, latency, memory, SLA sweep and start-up on this machine",
		Long: `Run the real engine, store and outbox on temporary SQLite files with in-process
channel and surface adapters, and report:

  end-to-end throughput (messages ingested and posted to a staff thread) next to the
  same-work baseline (exactly the SQL one message needs, one prepared transaction per
  message, no Threadline code) and the raw commit rate (one small insert per transaction);
  latency from Deliver to the staff post at 500 msg/s offered;
  peak RSS and Go heap of the real daemon with 10,000 and 100,000 open conversations;
  one SLA sweep over 100,000 open conversations (nothing due, and 1% due);
  daemon start-up time with 1,000,000 stored messages.

Nothing touches your database or the network. A full run takes a few minutes and
about 1.5 GB of temporary disk; --quick is smaller. --json prints one object.

--store postgres://user:pass@host/db measures the PostgreSQL store instead: the run
creates its own databases on that server (the user needs CREATEDB) and drops them at
the end; the database in the URL is only used to create them. Memory and start-up
are measured on SQLite only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sync != "normal" && sync != "full" {
				return &exitError{code: 2, err: fmt.Errorf("--synchronous must be normal or full")}
			}
			dir, err := os.MkdirTemp("", "threadline-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			exe, _ := os.Executable()
			o := bench.Options{Synchronous: sync, Store: storeURL, Exe: exe, Messages: 20_000, LatencyFor: 10 * time.Second,
				SweepOpen: 100_000, StartupMsgs: 1_000_000, SkipDaemon: noDaemon}
			if quick {
				o.Messages, o.LatencyFor, o.StartupMsgs = 5_000, 3*time.Second, 100_000
			}
			var bar *progress
			var current string
			o.Step = func(name string, done, total int) {
				if name != current {
					if bar != nil {
						bar.Done()
					}
					bar, current = newProgress(c.stderr, name, "", int64(total)), name
				}
				bar.Set(int64(done), int64(total))
			}
			r, err := bench.Run(cmd.Context(), dir, o)
			if bar != nil {
				bar.Done()
			}
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			printBench(c, r, noDaemon)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (fields documented in docs/performance.md)")
	cmd.Flags().BoolVar(&quick, "quick", false, "smaller run (5,000 messages, 3 s latency, 100,000 stored messages)")
	cmd.Flags().BoolVar(&noDaemon, "no-daemon", false, "skip the memory and start-up measurements that run the daemon")
	cmd.Flags().StringVar(&sync, "synchronous", "normal", "SQLite durability mode to measure: normal or full")
	cmd.Flags().StringVar(&storeURL, "store", "", "measure PostgreSQL at this postgres:// URL instead of SQLite (needs CREATEDB)")
	return cmd
}

func printBench(c *cli, r bench.Report, noDaemon bool) {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	mode := "SQLite, synchronous=" + r.Synchronous
	if r.Store == "postgres" {
		mode, noDaemon = "PostgreSQL", true
	}
	fmt.Fprintf(tw, "Threadline bench: %d CPUs, %s, %s\n\n", r.CPUs, r.GoVersion, mode)
	fmt.Fprintf(tw, "end-to-end throughput\t%.0f msg/s\t(%d messages, %.0f µs CPU per message)\n", r.E2EMsgsPerSec, r.Messages, r.E2ECPUMicrosPerMs)
	if r.E2EAvgBatch > 0 {
		fmt.Fprintf(tw, "group commit\t%.1f writes per transaction\tDeliver calls and outbox outcomes sharing one commit\n", r.E2EAvgBatch)
	}
	fmt.Fprintf(tw, "raw commit rate\t%.0f tx/s\tone small insert per transaction\n", r.RawTxPerSec)
	fmt.Fprintf(tw, "ratio\t%.2f\tend to end / raw commit rate (unlike work: a dozen statements against one)\n", r.Ratio)
	fmt.Fprintf(tw, "same-work baseline\t%.0f tx/s\tthe SQL of one message, one transaction each, no Threadline code\n", r.SameWorkTxPerSec)
	fmt.Fprintf(tw, "ratio to same work\t%.2f\ttarget >= 1.0 (group commit beats a transaction per message)\n", r.RatioSameWork)
	fmt.Fprintf(tw, "latency at %d msg/s\tp50 %.2f ms, p99 %.2f ms\ttarget p99 < 5 ms\n", r.LatencyRate, r.LatencyP50Ms, r.LatencyP99Ms)
	fmt.Fprintf(tw, "  a conversation's first message (opens the thread)\tp50 %.2f ms, p99 %.2f ms\t\n", r.LatencyFirstP50Ms, r.LatencyFirstP99Ms)
	fmt.Fprintf(tw, "SLA sweep, %d open\t%.1f ms idle, %.0f ms with 1%% due\ttarget < 100 ms\n", r.SweepOpen, r.SweepIdleMs, r.Sweep1PctMs)
	if !noDaemon {
		fmt.Fprintf(tw, "memory, 10,000 open\t%.1f MB peak RSS, %.1f MB heap\ttarget < 60 MB\n", r.Open10kPeakRSSMB, r.Open10kHeapMB)
		fmt.Fprintf(tw, "memory, 100,000 open\t%.1f MB peak RSS, %.1f MB heap\tshould not grow with history\n", r.Open100kPeakRSSMB, r.Open100kHeapMB)
		fmt.Fprintf(tw, "start-up, %d messages\t%.0f ms\ttarget < 1 s\n", r.StartupMessages, r.StartupMs)
	}
	tw.Flush()
}

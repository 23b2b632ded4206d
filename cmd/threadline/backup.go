package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/postgres"
)

func (c *cli) backupCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Copy the database to FILE, safely while Threadline runs (verified online backup)",
		Long: `Copy the SQLite database to FILE with SQLite's online backup API. It is safe while
"threadline serve" runs: the copy is one consistent snapshot of the moment it
started, and the daemon keeps writing meanwhile. The copy is written to a
temporary file next to FILE, checked (integrity_check, foreign_key_check,
schema version) and only then renamed to FILE. An existing FILE is refused
unless --force.

To restore: stop threadline, copy FILE over the configured store.path
(remove any -wal and -shm files next to it), and start threadline.

A PostgreSQL database (store.path is a postgres:// URL) is backed up with
pg_dump: this command prints the pg_dump command line for it and exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg, err := c.loadConfig(); err == nil && store.IsPostgresURL(cfg.Store.Path) {
				// No need to connect to say what to run instead.
				return &exitError{code: 1, err: postgres.BackupAdvice(cfg.Store.Path, args[0])}
			}
			cfg, st, err := c.openExisting()
			if err != nil {
				return err
			}
			defer st.Close()
			bar := newProgress(c.stderr, "Backing up", "bytes", 0)
			res, err := st.Backup(cmd.Context(), args[0], store.BackupOptions{Force: force, Progress: bar.Set})
			bar.Done()
			var unsupported *store.BackupUnsupportedError
			if errors.Is(err, store.ErrBackupExists) || errors.As(err, &unsupported) {
				return &exitError{code: 1, err: err}
			}
			if err != nil {
				return err
			}
			rate := float64(res.Bytes) / max(res.CopyDuration.Seconds(), 1e-6)
			fmt.Fprintf(c.stdout, "Backed up %s to %s: %s in %s (%s/s), verified: integrity ok, schema v%d.\n",
				cfg.Store.Path, res.Path, humanBytes(res.Bytes), res.Duration.Round(time.Millisecond), humanBytes(int64(rate)), res.SchemaVersion)
			fmt.Fprintf(c.stdout, "  %d conversations, %d messages, %d customers.\n", res.Conversations, res.Messages, res.Customers)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return cmd
}

// openExisting opens the configured database without requiring its schema
// to match this binary (backups are taken before upgrades, too).
func (c *cli) openExisting() (*config.Config, store.DB, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		return nil, nil, fmt.Errorf("no database at %s: check store.path (or THREADLINE_DB)", cfg.Store.Path)
	}
	st, err := openStore(cfg.Store, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

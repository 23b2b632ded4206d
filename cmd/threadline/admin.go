package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/store"
)

func (c *cli) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Long:  "Apply the embedded schema migrations to the configured database. `serve` does this at start too; a database newer than this binary is refused.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
				return err
			}
			st, err := openStore(cfg.Store, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			applied, err := st.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			for _, m := range applied {
				fmt.Fprintf(c.stdout, "applied %s\n", m.Name)
			}
			fmt.Fprintf(c.stdout, "%s is at schema v%d\n", storeLocation(cfg.Store), st.LatestVersion())
			return nil
		},
	}
}

func (c *cli) checkConfigCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check-config",
		Short: "Validate the config file; print every problem with file:line (exit 2 if any)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s is valid.\n  database   %s\n  http       %s\n  web chat   %s\n  console    %s\n",
				c.configPath, storeLocation(cfg.Store), cfg.HTTP.Listen, onOff(cfg.Webchat.Enabled), onOff(cfg.Console.Enabled))
			for _, n := range cfg.Notes() {
				fmt.Fprintf(c.stdout, "  note       %s\n", n)
			}
			return nil
		},
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// openReadOnly opens the database for read-only CLI commands; the daemon
// may be running (WAL lets both read).
func (c *cli) openReadOnly() (*config.Config, store.DB, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(cfg.Store.Path); err != nil && !store.IsPostgresURL(cfg.Store.Path) {
		return nil, nil, fmt.Errorf("no database at %s yet: start `threadline serve` (or run `threadline migrate`) first", cfg.Store.Path)
	}
	st, err := openStore(cfg.Store, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	if err := st.CheckSchema(context.Background()); err != nil {
		st.Close()
		return nil, nil, err
	}
	return cfg, st, nil
}

// adminClient reaches the running daemon's admin API.
func (c *cli) adminClient() (*console.Client, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	if !cfg.Console.Enabled {
		return nil, errors.New("the console surface is off in the config (console.enabled: false)")
	}
	b, err := os.ReadFile(cfg.Admin.TokenFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no admin token at %s: is `threadline serve` running with this config?", cfg.Admin.TokenFile)
		}
		return nil, fmt.Errorf("read admin token: %w", err)
	}
	return &console.Client{BaseURL: "http://" + cfg.Admin.Listen, Token: strings.TrimSpace(string(b))}, nil
}

func parseConvArg(s string) (bridge.ConversationID, error) {
	id, err := bridge.ParseConversationID(s)
	if err != nil {
		return 0, &exitError{code: 2, err: err}
	}
	return id, nil
}

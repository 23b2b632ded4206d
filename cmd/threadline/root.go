package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/termsafe"
)

// cli holds what every command shares: flags and streams. It is built per
// run, so nothing is package-level.
type cli struct {
	configPath string
	logLevel   string
	logFormat  string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	env        config.Env
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	// Everything commands print may hold customer text (watch, conversations
	// show, exports to stdout): control characters are neutralised on the
	// way out. stderr stays raw for the progress bar's own escapes.
	stdout = termsafe.Writer(stdout)
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, env: config.OSEnv}
	defaultConfig := "config.yaml"
	if v := os.Getenv("THREADLINE_CONFIG"); v != "" {
		defaultConfig = v
	}
	root := &cobra.Command{
		Use:   "threadline",
		Short: "Customer conversations from web chat, Telegram and email, answered in Slack, Discord or the terminal",
		Long: `Threadline mirrors every customer conversation (web chat, Telegram, email) into its own
staff thread (Slack, Discord, or this terminal) and carries staff replies back to the
customer. SQLite keeps the whole history.

Start the daemon with "threadline serve"; answer from the terminal with
"threadline watch" and "threadline say".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&c.configPath, "config", defaultConfig, "config file (env THREADLINE_CONFIG)")
	pf.StringVar(&c.logLevel, "log-level", "", "debug, info, warn or error (default from config: info)")
	pf.StringVar(&c.logFormat, "log-format", "", "text or json (default from config: text)")
	root.AddCommand(
		c.serveCmd(), c.migrateCmd(), c.checkConfigCmd(), c.versionCmd(),
		c.conversationsCmd(), c.watchCmd(), c.sayCmd(), c.slackCmd(), c.benchCmd(),
		c.statsCmd(),
		c.backupCmd(), c.exportCmd(), c.retentionCmd(), c.customerCmd(), c.healthcheckCmd(),
		c.doctorCmd(), c.discordCmd(), c.telegramCmd(),
	)
	return root
}

// loadConfig reads the config; problems come back as exit code 2.
func (c *cli) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(c.configPath, c.env)
	if err != nil {
		if errs, ok := err.(config.Errors); ok && len(errs) > 1 {
			return nil, &exitError{code: 2, err: fmt.Errorf("%s has %d problem(s):\n%w", c.configPath, len(errs), errs)}
		}
		return nil, &exitError{code: 2, err: err}
	}
	if c.logLevel != "" {
		cfg.Log.Level = c.logLevel
	}
	if c.logFormat != "" {
		cfg.Log.Format = c.logFormat
	}
	return cfg, nil
}

func (c *cli) logger(cfg *config.Config) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToLower(cfg.Log.Level))); err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("--log-level: %q is not debug, info, warn or error", cfg.Log.Level)}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.Log.Format {
	case "json":
		return slog.New(slog.NewJSONHandler(c.stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(c.stderr, opts)), nil
	}
	return nil, &exitError{code: 2, err: fmt.Errorf("--log-format: %q is not text or json", cfg.Log.Format)}
}

package main

import (
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func (c *cli) serveCmd() *cobra.Command {
	var pprofAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon (migrates the database first)",
		Long: `Run the Threadline daemon on the config file: migrate the database, start the customer
channels and staff surfaces that are configured, deliver the outbox, and serve HTTP
(web chat, webhooks, /healthz, /readyz). SIGINT or SIGTERM stops taking new messages,
lets deliveries in flight finish, and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			log, err := c.logger(cfg)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			a, err := buildApp(ctx, cfg, log)
			if err != nil {
				return err
			}
			if pprofAddr != "" {
				addr, stopPprof, err := servePprof(pprofAddr, log)
				if err != nil {
					a.close()
					return err
				}
				defer stopPprof()
				a.status = append(a.status, statusLine{"pprof", "on", "http://" + addr + "/debug/pprof/ (loopback only)"})
			}
			a.banner(c.stdout)
			return a.run(ctx)
		},
	}
	cmd.Flags().StringVar(&pprofAddr, "pprof", "", "serve Go profiles (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060")
	return cmd
}

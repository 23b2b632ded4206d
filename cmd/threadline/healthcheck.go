package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func (c *cli) healthcheckCmd() *cobra.Command {
	var url string
	var ready bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 if the running daemon answers /healthz (or /readyz), 1 if not",
		Long: `GET /healthz (process up) or, with --ready, /readyz (database writable, adapters
connected) on the daemon's HTTP listener and exit 0 on 200, 1 otherwise. Meant for
container health checks: slim images have no curl. The address comes from --url, else
from http.listen in the config (0.0.0.0 is asked on 127.0.0.1).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				listen := "127.0.0.1:8080"
				if v, ok := c.env("THREADLINE_LISTEN"); ok && v != "" {
					listen = v
				}
				if cfg, err := c.loadConfig(); err == nil {
					listen = cfg.HTTP.Listen
				}
				host, port, err := net.SplitHostPort(listen)
				if err != nil {
					return &exitError{code: 2, err: fmt.Errorf("http.listen %q is not host:port", listen)}
				}
				if host == "" || host == "0.0.0.0" || host == "::" {
					host = "127.0.0.1"
				}
				path := "/healthz"
				if ready {
					path = "/readyz"
				}
				url = "http://" + net.JoinHostPort(host, port) + path
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			resp, err := (&http.Client{}).Do(req)
			if err != nil {
				return &exitError{code: 1, err: fmt.Errorf("unhealthy: %v", err)}
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode != http.StatusOK {
				return &exitError{code: 1, err: fmt.Errorf("unhealthy: %s answered %s: %s", url, resp.Status, body)}
			}
			fmt.Fprintf(c.stdout, "%s: %s", url, body)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "URL to check (default from http.listen: http://HOST:PORT/healthz)")
	cmd.Flags().BoolVar(&ready, "ready", false, "check /readyz instead of /healthz")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	return cmd
}

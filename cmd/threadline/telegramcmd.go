package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/adapters/telegram"
)

func (c *cli) telegramCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "telegram", Short: "Telegram setup helpers"}
	var del, info, drop bool
	setWebhook := &cobra.Command{
		Use:   "set-webhook",
		Short: "Register <public_url>/telegram/webhook with Telegram (--delete: back to polling, --info: show)",
		Long: `Register the webhook Telegram pushes updates to: <public_url>/telegram/webhook, with
telegram.webhook_secret as the secret token Telegram sends back in every request
(serve does the same at start in webhook mode). Pending updates are kept.

  --info     print what Telegram has now (getWebhookInfo) and change nothing
  --delete   remove the webhook, so updates can be polled again (unset
             telegram.webhook_secret too, or serve registers it again);
             --drop-pending also discards the updates Telegram holds

Telegram needs an https:// public_url on port 443, 80, 88 or 8443.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			tc := cfg.Telegram
			if !tc.Enabled() {
				return &exitError{code: 2, err: errors.New("telegram is off: TELEGRAM_BOT_TOKEN not set")}
			}
			if !del && !info && !tc.Webhook() {
				return &exitError{code: 2, err: errors.New("telegram.webhook_secret (TELEGRAM_WEBHOOK_SECRET) is not set: without it serve uses long polling and deletes the webhook at start; set a secret (1-256 characters of A-Z a-z 0-9 _ -) first")}
			}
			tg, err := telegram.New(tc, telegram.Options{PublicURL: cfg.PublicURL})
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			switch {
			case info:
			case del:
				if err := tg.DeleteWebhook(ctx, drop); err != nil {
					return &exitError{code: 1, err: err}
				}
				fmt.Fprintln(c.stdout, "Webhook deleted; updates can be polled (unset telegram.webhook_secret so serve polls).")
			default:
				if err := tg.SetWebhook(ctx); err != nil {
					return &exitError{code: 1, err: err}
				}
				fmt.Fprintf(c.stdout, "Webhook set: %s (with the secret token).\n", tg.WebhookURL())
			}
			wi, err := tg.GetWebhookInfo(ctx)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			printWebhookInfo(c, wi)
			return nil
		},
	}
	setWebhook.Flags().BoolVar(&del, "delete", false, "delete the webhook (go back to long polling)")
	setWebhook.Flags().BoolVar(&drop, "drop-pending", false, "with --delete: also discard pending updates")
	setWebhook.Flags().BoolVar(&info, "info", false, "only print getWebhookInfo")
	cmd.AddCommand(setWebhook)
	return cmd
}

func printWebhookInfo(c *cli, wi telegram.WebhookInfo) {
	url := wi.URL
	if url == "" {
		url = "(none: long polling)"
	}
	fmt.Fprintf(c.stdout, "  url              %s\n  pending updates  %d\n", url, wi.PendingUpdateCount)
	if wi.MaxConnections > 0 {
		fmt.Fprintf(c.stdout, "  max connections  %d\n", wi.MaxConnections)
	}
	if len(wi.AllowedUpdates) > 0 {
		fmt.Fprintf(c.stdout, "  allowed updates  %v\n", wi.AllowedUpdates)
	}
	if t := wi.LastError(); !t.IsZero() {
		fmt.Fprintf(c.stdout, "  last error       %s: %s\n", t.Format(time.RFC3339), wi.LastErrorMessage)
	}
}

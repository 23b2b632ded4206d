package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/bridge"
)

// wireTelegram builds the Telegram channel when a bot token is configured.
// Polling needs nothing else; webhook mode registers /telegram/webhook.
func (a *app) wireTelegram(context.Context) error {
	cfg := a.cfg.Telegram
	if !cfg.Enabled() {
		a.status = append(a.status, statusLine{"telegram", "off", "TELEGRAM_BOT_TOKEN not set"})
		return nil
	}
	tg, err := telegram.New(cfg, telegram.Options{PublicURL: a.cfg.PublicURL, MaxBodyBytes: a.cfg.HTTP.MaxBodyBytes})
	if err != nil {
		return err
	}
	a.addChannel(tg)
	detail := "long polling " + cfg.APIURL
	if cfg.Webhook() {
		a.mounts = append(a.mounts, mount{patterns: []string{"POST " + telegram.WebhookPath},
			handler: func(in bridge.Inbox, _ bridge.StaffInbox) http.Handler { return tg.Handler(in) }})
		detail = "webhook " + tg.WebhookURL() + " (secret token set)"
	}
	a.status = append(a.status, statusLine{"telegram", "on", fmt.Sprintf("%s; files to %s", detail, filepath.Join(a.cfg.DataDir, "attachments"))})
	return nil
}

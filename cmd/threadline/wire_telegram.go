package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/threadlinehq/threadline/adapters/telegram"
)

// wireTelegram builds the Telegram channel when a bot token is configured.
// Polling needs nothing else; webhook mode registers /telegram/webhook.
func (a *app) wireTelegram(context.Context) error {
	cfg := a.cfg.Telegram
	if !cfg.Enabled() {
		a.status = append(a.status, statusLine{"telegram", "off", "TELEGRAM_BOT_TOKEN not set"})
		return nil
	}
	tg, err := telegram.New(cfg, telegram.Options{
		Cursors:        a.st,
		Reachability:   a.st,
		AttachmentsDir: filepath.Join(a.cfg.DataDir, "attachments"),
		PublicURL:      a.cfg.PublicURL,
		Log:            a.log.With("channel", "telegram"),
		MaxBodyBytes:   a.cfg.HTTP.MaxBodyBytes,
	})
	if err != nil {
		return err
	}
	a.channels = append(a.channels, tg)
	detail := "long polling " + cfg.APIURL
	if cfg.Webhook() {
		a.routes = append(a.routes, func(mux *http.ServeMux) {
			mux.Handle("POST "+telegram.WebhookPath, tg.Handler(a.engine))
		})
		detail = "webhook " + tg.WebhookURL() + " (secret token set)"
	}
	a.status = append(a.status, statusLine{"telegram", "on", fmt.Sprintf("%s; files to %s", detail, filepath.Join(a.cfg.DataDir, "attachments"))})
	return nil
}

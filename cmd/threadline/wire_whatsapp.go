package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/threadlinehq/threadline/adapters/whatsapp"
	"github.com/threadlinehq/threadline/bridge"
)

// wireWhatsApp builds the WhatsApp channel when an access token is
// configured and serves its webhook at /whatsapp/webhook: GET for Meta's
// check of the callback URL, POST for notifications. The route is an HTTP
// handler, so every replica takes notifications.
func (a *app) wireWhatsApp(context.Context) error {
	cfg := a.cfg.WhatsApp
	if !cfg.Enabled() {
		a.status = append(a.status, statusLine{"whatsapp", "off", "WHATSAPP_TOKEN not set"})
		return nil
	}
	wa, err := whatsapp.New(cfg, whatsapp.Options{PublicURL: a.cfg.PublicURL, MaxBodyBytes: max(a.cfg.HTTP.MaxBodyBytes, 3<<20)})
	if err != nil {
		return err
	}
	a.addChannel(wa)
	a.mounts = append(a.mounts, mount{patterns: []string{"GET " + whatsapp.WebhookPath, "POST " + whatsapp.WebhookPath},
		handler: func(in bridge.Inbox, _ bridge.StaffInbox) http.Handler { return wa.Handler(in) }})
	a.status = append(a.status, statusLine{"whatsapp", "on", fmt.Sprintf("webhook %s (signed with the app secret); number id(s) %s; files to %s",
		wa.WebhookURL(), strings.Join(cfg.PhoneNumberIDs, ", "), filepath.Join(a.cfg.DataDir, "attachments"))})
	return nil
}

package telegram

import (
	"context"
	"time"
)

// Bot is getMe's answer: who the token belongs to.
type Bot struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	Username  string `json:"username"`
}

// GetMe checks the token (`threadline doctor`).
func (a *Adapter) GetMe(ctx context.Context) (Bot, error) {
	var b Bot
	err := a.api.call(ctx, "getMe", struct{}{}, &b)
	return b, err
}

// WebhookInfo is getWebhookInfo's answer.
type WebhookInfo struct {
	URL                  string   `json:"url"`
	HasCustomCertificate bool     `json:"has_custom_certificate"`
	PendingUpdateCount   int      `json:"pending_update_count"`
	IPAddress            string   `json:"ip_address,omitempty"`
	LastErrorDate        int64    `json:"last_error_date,omitempty"`
	LastErrorMessage     string   `json:"last_error_message,omitempty"`
	MaxConnections       int      `json:"max_connections,omitempty"`
	AllowedUpdates       []string `json:"allowed_updates,omitempty"`
}

// LastError is when the last delivery to the webhook failed (zero if none).
func (w WebhookInfo) LastError() time.Time {
	if w.LastErrorDate == 0 {
		return time.Time{}
	}
	return time.Unix(w.LastErrorDate, 0)
}

// GetWebhookInfo asks Telegram how updates are delivered: URL empty means
// long polling.
func (a *Adapter) GetWebhookInfo(ctx context.Context) (WebhookInfo, error) {
	var w WebhookInfo
	err := a.api.call(ctx, "getWebhookInfo", struct{}{}, &w)
	return w, err
}

// SetWebhook registers WebhookURL with the secret token, keeping pending
// updates (what Run does in webhook mode; `threadline telegram set-webhook`).
func (a *Adapter) SetWebhook(ctx context.Context) error {
	return a.api.call(ctx, "setWebhook", map[string]any{
		"url": a.WebhookURL(), "secret_token": a.cfg.WebhookSecret,
		"allowed_updates": allowedUpdates, "drop_pending_updates": false,
	}, nil)
}

// DeleteWebhook removes the webhook so updates can be polled again;
// pending updates are kept unless drop is set.
func (a *Adapter) DeleteWebhook(ctx context.Context, drop bool) error {
	return a.api.call(ctx, "deleteWebhook", map[string]any{"drop_pending_updates": drop}, nil)
}

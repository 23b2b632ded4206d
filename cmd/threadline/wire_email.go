package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/threadlinehq/threadline/adapters/email"
)

// wireEmail builds the email channel when both an IMAP and an SMTP server
// are configured (EMAIL_IMAP_URL and EMAIL_SMTP_URL, or the email section).
func (a *app) wireEmail(ctx context.Context) error {
	cfg := a.cfg.Email
	if !cfg.Enabled() {
		a.status = append(a.status, statusLine{"email", "off", cfg.OffReason()})
		return nil
	}
	key := []byte(cfg.TokenSecret)
	if len(key) == 0 {
		hexKey, err := a.secret(ctx, "email_key", filepath.Join(a.cfg.DataDir, "email.key"), false)
		if err != nil {
			return fmt.Errorf("email key: %w", err)
		}
		key = []byte(hexKey)
	}
	// A bounce of one of our replies becomes a staff-only note in its
	// conversation through the engine (Deps.Core), once per bounce message.
	ch, err := email.New(cfg, email.Options{Key: key})
	if err != nil {
		return err
	}
	a.addChannel(ch)
	detail := fmt.Sprintf("reading %s, replying via %s as %s", cfg.IMAPDescription(), cfg.SMTPDescription(), cfg.From)
	a.status = append(a.status, statusLine{"email", "on", detail})
	return nil
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
)

func (a *app) wireWebchat(ctx context.Context) error {
	cfg := a.cfg
	if !cfg.Webchat.Enabled {
		a.status = append(a.status, statusLine{"web chat", "off", "webchat.enabled is false"})
		return nil
	}
	key := []byte(cfg.Webchat.TokenSecret)
	if len(key) == 0 {
		hexKey, err := a.secret(ctx, "webchat_token_key", filepath.Join(cfg.DataDir, "webchat.key"), false)
		if err != nil {
			return fmt.Errorf("web chat key: %w", err)
		}
		key = []byte(hexKey)
	}
	wc, err := webchat.New(cfg.Webchat, webchat.Options{Key: key, PublicURL: cfg.PublicURL, MaxBodyBytes: min(cfg.HTTP.MaxBodyBytes, 64<<10)})
	if err != nil {
		return err
	}
	a.addChannel(wc)
	patterns := []string{"/chat/"}
	if cfg.Webchat.DemoPage {
		patterns = append(patterns, "GET /{$}")
	}
	a.mounts = append(a.mounts, mount{patterns: patterns,
		handler: func(in bridge.Inbox, _ bridge.StaffInbox) http.Handler { return wc.Handler(in) }})
	detail := "widget: <script src=\"" + cfg.PublicURL + "/chat/widget.js\" async></script>"
	if cfg.Webchat.DemoPage {
		detail = "demo page " + cfg.PublicURL + "/   " + detail
	}
	a.status = append(a.status, statusLine{"web chat", "on", detail})
	return nil
}

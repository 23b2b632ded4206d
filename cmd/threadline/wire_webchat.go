package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
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
	wc, err := webchat.New(cfg.Webchat, webchat.Options{Key: key, PublicURL: cfg.PublicURL, MaxBodyBytes: min(cfg.HTTP.MaxBodyBytes, 64<<10),
		Availability: widgetAvailability(sla.New(cfg.SLAOptions()), a.dir, cfg.EngineConfig().DefaultPriority),
		Articles:     a.webchatArticles()})
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

// widgetAvailability tells the widget what the acknowledgement would tell
// a new web chat visitor: whether staff are in business hours (the
// acknowledgement's calendar, else the SLA policy's), when they are back,
// and the policy's first-response target as the usual wait.
func widgetAvailability(s *sla.SLA, dir *team.Directory, prio bridge.Priority) func(time.Time) webchat.Availability {
	if prio == "" {
		prio = bridge.PriorityNormal
	}
	c := bridge.Conversation{Channel: webchat.Platform, Priority: prio, Department: dir.Options().DefaultDepartment}
	cal, wait := sla.WallClock(), time.Duration(0)
	if p, ok := s.Policy(c); ok {
		cal, wait = p.Calendar, p.FirstResponse
	}
	if ac := s.Options().Acknowledgement.Calendar; ac != nil {
		cal = ac
	}
	return func(now time.Time) webchat.Availability {
		if cal.Open(now) {
			return webchat.Availability{Open: true, ExpectedWait: wait}
		}
		return webchat.Availability{Opens: cal.NextOpen(now), ExpectedWait: wait}
	}
}

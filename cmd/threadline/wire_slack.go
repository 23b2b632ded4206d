package main

import (
	"context"
	"net/http"
	"path/filepath"

	"github.com/threadlinehq/threadline/adapters/slack"
)

func (a *app) wireSlack(context.Context) error {
	cfg := a.cfg.Slack
	if !cfg.Enabled() {
		a.status = append(a.status, statusLine{"slack", "off", "SLACK_BOT_TOKEN not set"})
		return nil
	}
	// Departments may route to their own Slack channels.
	for dept, d := range a.cfg.Workflow.Departments {
		if ch := d.Channels["slack"]; ch != "" {
			if cfg.Channels == nil {
				cfg.Channels = map[string]string{}
			}
			cfg.Channels[dept] = ch
		}
	}
	s := slack.New(cfg, slack.Options{Log: a.log.With("surface", "slack"), Events: a.st,
		Notices: lazyEngine{a}, CommandPrefix: a.cfg.Commands.Prefix,
		AttachmentDir: filepath.Join(a.cfg.DataDir, "attachments")})
	a.surfaces = append(a.surfaces, s)
	mode := "Socket Mode (SLACK_APP_TOKEN)"
	if !cfg.SocketMode() {
		mode = "HTTP events at " + a.cfg.PublicURL + "/slack/events, /slack/interactivity, /slack/commands"
		a.routes = append(a.routes, func(mux *http.ServeMux) {
			mux.Handle("/slack/", s.Handler(a.handler))
		})
	}
	a.status = append(a.status, statusLine{"slack", "on", "channel " + cfg.ChannelID + ", " + mode})
	return nil
}

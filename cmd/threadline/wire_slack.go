package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
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
	groups := slackGroups(a.cfg.Workflow)
	s, err := slack.New(cfg, slack.Options{Groups: groups})
	if err != nil {
		return err
	}
	a.addSurface(s)
	if len(groups) > 0 {
		// Leads and round-robin assignment expand the groups from Slack.
		a.dir.SetGroups(s)
	}
	mode := "Socket Mode (SLACK_APP_TOKEN)"
	if !cfg.SocketMode() {
		mode = "HTTP events at " + a.cfg.PublicURL + "/slack/events, /slack/interactivity, /slack/commands"
		a.mounts = append(a.mounts, mount{patterns: []string{"/slack/"},
			handler: func(_ bridge.Inbox, staff bridge.StaffInbox) http.Handler { return s.Handler(staff) }})
	}
	detail := "channel " + cfg.ChannelID + ", " + mode
	if len(groups) > 0 {
		detail += fmt.Sprintf(", %d user group(s) (needs scope %s)", len(groups), slack.GroupScope)
	}
	a.status = append(a.status, statusLine{"slack", "on", detail})
	return nil
}

// slackGroups lists the Slack user groups (subteam ids) departments name.
func slackGroups(w config.Workflow) []string {
	var out []string
	for _, g := range w.Groups() {
		if id, ok := slack.GroupID(g); ok {
			out = append(out, id)
		}
	}
	return out
}

package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"

	"github.com/threadlinehq/threadline/adapters/mattermost"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
)

// wireMattermost builds the Mattermost staff surface when a server, a bot
// token and a staff channel are configured. Its card buttons and slash
// command call the public listener (/mattermost/actions,
// /mattermost/command); buttons are signed with a secret generated once
// per install (<data_dir>/mattermost.key, or shared by replicas).
func (a *app) wireMattermost(ctx context.Context) error {
	cfg := mattermostConfig(a.cfg)
	if !cfg.Enabled() {
		a.status = append(a.status, statusLine{"mattermost", "off", cfg.OffReason()})
		return nil
	}
	secret, err := a.secret(ctx, "mattermost_action_secret", filepath.Join(a.cfg.DataDir, "mattermost.key"), false)
	if err != nil {
		return fmt.Errorf("mattermost action secret: %w", err)
	}
	s, err := mattermost.New(cfg, mattermost.Options{PublicURL: a.cfg.PublicURL, ActionSecret: []byte(secret)})
	if err != nil {
		return err
	}
	a.addSurface(s)
	a.mounts = append(a.mounts, mount{patterns: []string{"POST " + mattermost.ActionsPath, "POST " + mattermost.CommandPath},
		handler: func(_ bridge.Inbox, staff bridge.StaffInbox) http.Handler { return s.Handler(staff) }})
	slash := cfg.SlashCommand + " at " + a.cfg.PublicURL + mattermost.CommandPath
	if cfg.CommandToken == "" {
		slash = "slash command off (no command_token)"
	}
	a.status = append(a.status, statusLine{"mattermost", "on", fmt.Sprintf("%s, staff channel %s; buttons call %s; %s",
		cfg.URL, cfg.ChannelID, s.ActionsURL(), slash)})
	return nil
}

// mattermostConfig is the mattermost section with the departments' own
// channels (departments.<name>.channels.mattermost) filled in.
func mattermostConfig(c *config.Config) mattermost.Config {
	cfg := c.Mattermost
	cfg.Channels = maps.Clone(cfg.Channels)
	for dept, d := range c.Workflow.Departments {
		if ch := d.Channels["mattermost"]; ch != "" {
			if cfg.Channels == nil {
				cfg.Channels = map[string]string{}
			}
			cfg.Channels[dept] = ch
		}
	}
	return cfg
}

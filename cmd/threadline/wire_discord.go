package main

import (
	"context"
	"fmt"

	"github.com/threadlinehq/threadline/adapters/discord"
)

// wireDiscord builds the Discord staff surface when a bot token and a staff
// channel are configured.
func (a *app) wireDiscord(context.Context) error {
	cfg := a.cfg.Discord
	if !cfg.Enabled() {
		a.status = append(a.status, statusLine{"discord", "off", cfg.OffReason()})
		return nil
	}
	for dept, d := range a.cfg.Workflow.Departments {
		if ch := d.Channels["discord"]; ch != "" {
			if cfg.Channels == nil {
				cfg.Channels = map[string]string{}
			}
			cfg.Channels[dept] = ch
		}
	}
	s, err := discord.New(cfg, discord.Options{})
	if err != nil {
		return err
	}
	a.addSurface(s)
	scope := "globally"
	if cfg.GuildID != "" {
		scope = "in server " + cfg.GuildID
	}
	detail := fmt.Sprintf("staff channel %s; slash commands registered %s", cfg.ChannelID, scope)
	if cfg.APIURL != discord.DefaultAPIURL() {
		detail += "; API " + cfg.APIURL
	}
	a.status = append(a.status, statusLine{"discord", "on", detail})
	return nil
}

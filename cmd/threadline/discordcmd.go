package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/adapters/discord"
)

func (c *cli) discordCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "discord", Short: "Discord setup helpers"}
	register := &cobra.Command{
		Use:   "register",
		Short: "Register Threadline's slash commands with Discord (serve also does it at every start)",
		Long: `Overwrite the application's slash commands (/claim, /release, /close, /reopen,
/note, /status, /help and the workflow commands) with Threadline's: in the server
discord.guild_id when it is set (they appear at once), otherwise globally (Discord may
take up to an hour to show them everywhere). The application id comes from
discord.application_id, else from Discord (GET /oauth2/applications/@me).
serve registers them at every start too; use this after changing guild_id, or to
check the token and the application without starting the daemon.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			dc := cfg.Discord
			if !dc.Enabled() {
				return &exitError{code: 2, err: errors.New("discord is off: " + dc.OffReason())}
			}
			s, err := discord.New(dc, discord.Options{})
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			id, err := s.CheckGateway(ctx)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			n, scope, err := s.RegisterCommands(ctx, id.ApplicationID)
			if err != nil {
				return &exitError{code: 1, err: fmt.Errorf("registering slash commands %s: %w", scope, err)}
			}
			fmt.Fprintf(c.stdout, "Registered %d slash commands %s for application %s (bot %s).\n", n, scope, id.ApplicationID, id.Username)
			return nil
		},
	}
	cmd.AddCommand(register)
	return cmd
}

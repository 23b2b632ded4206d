package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/adapters/slack"
)

func (c *cli) slackCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "slack", Short: "Slack setup helpers"}
	var httpMode bool
	manifest := &cobra.Command{
		Use:   "manifest",
		Short: "Print the Slack app manifest to paste at api.slack.com/apps (Create New App → From a manifest)",
		Long: `Print a Slack app manifest with exactly the scopes, events, shortcut and slash command
Threadline uses. By default it enables Socket Mode (no public URL needed); with --http it
points Slack at public_url's /slack/events, /slack/interactivity and /slack/commands.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			fmt.Fprint(c.stdout, slack.Manifest(!httpMode, cfg.PublicURL, cfg.Slack.SlashCommand))
			return nil
		},
	}
	manifest.Flags().BoolVar(&httpMode, "http", false, "use the HTTP Events API at public_url instead of Socket Mode")
	cmd.AddCommand(manifest)
	return cmd
}

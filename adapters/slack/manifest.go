package slack

import (
	"fmt"
	"strings"
)

// Scopes are the bot token scopes Threadline uses, each with why.
func Scopes() [][2]string {
	return [][2]string{
		{"chat:write", "post ticket cards and thread messages, edit cards, answer staff privately"},
		{"chat:write.customize", "show customer messages under the customer's name (post_as_customer)"},
		{"channels:history", "receive staff replies in threads of public staff channels (and read them back after downtime)"},
		{"groups:history", "the same for private staff channels"},
		{"app_mentions:read", "answer @threadline mentions"},
		{"reactions:write", "delivery receipts on staff replies"},
		{"users:read", "show staff by their display names"},
		{GroupScope, "count members of Slack user groups named in departments (usergroups.users.list)"},
		{"commands", "the /ticket slash command"},
		{"files:read", "forward files staff attach to customers"},
		{"files:write", "show files customers send"},
	}
}

// Manifest renders a Slack app manifest (YAML) to paste at
// api.slack.com/apps → Create New App → From a manifest. With Socket Mode no
// public URL is needed; otherwise publicURL must reach this daemon.
func Manifest(socketMode bool, publicURL, slashCommand string) string {
	if slashCommand == "" {
		slashCommand = "/ticket"
	}
	publicURL = strings.TrimRight(publicURL, "/")
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("display_information:")
	w("  name: Threadline")
	w("  description: Customer conversations from web chat, Telegram and email, one thread each")
	w("features:")
	w("  bot_user:")
	w("    display_name: threadline")
	w("    always_online: true")
	w("  shortcuts:")
	w("    - name: Ticket actions")
	w("      type: message")
	w("      callback_id: ticket_actions")
	w("      description: Show this thread's ticket with Claim, Release, Close and Reopen")
	w("  slash_commands:")
	w("    - command: %s", slashCommand)
	w("      description: List and act on Threadline conversations")
	w(`      usage_hint: "list | <id> | claim <id> | close <id> [reason] | help"`)
	w("      should_escape: false")
	if !socketMode {
		w("      url: %s/slack/commands", publicURL)
	}
	w("oauth_config:")
	w("  scopes:")
	w("    bot:")
	for _, s := range Scopes() {
		w("      - %s  # %s", s[0], s[1])
	}
	w("settings:")
	w("  event_subscriptions:")
	if !socketMode {
		w("    request_url: %s/slack/events", publicURL)
	}
	w("    bot_events:")
	w("      - message.channels")
	w("      - message.groups")
	w("      - app_mention")
	w("  interactivity:")
	w("    is_enabled: true")
	if !socketMode {
		w("    request_url: %s/slack/interactivity", publicURL)
	}
	w("  org_deploy_enabled: false")
	w("  socket_mode_enabled: %v", socketMode)
	w("  token_rotation_enabled: false")
	return b.String()
}

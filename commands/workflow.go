package commands

import "github.com/threadlinehq/threadline/bridge"

// Workflow returns the staff-workflow commands (departments, ownership,
// escalation, priority, tags, snooze, templates, customer context).
func Workflow() []Command {
	return []Command{
		{Name: "reply", Aliases: []string{"r"}, Args: "<text>", Help: "send to the customer even if the conversation is closed or someone else's",
			MinArgs: 1, MaxArgs: -1, Mutates: true, Run: runReply},
		{Name: "assign", Args: "@person", Help: "make someone the owner",
			Permission: bridge.RoleLead, MinArgs: 1, MaxArgs: 1, Mutates: true, Run: runAssign},
		{Name: "handoff", Aliases: []string{"transfer"}, Args: "@person|department [note]", Help: "hand the conversation to a person or another department, with a note",
			MinArgs: 1, MaxArgs: -1, Mutates: true, Run: runHandoff},
		{Name: "escalate", Args: "<department|oncall> [reason]", Help: "pull a department (or the on-call) in; priority goes to at least high",
			MinArgs: 1, MaxArgs: -1, Mutates: true, Run: runEscalate},
		{Name: "deescalate", Help: "end the escalation; the earlier priority comes back",
			Mutates: true, Run: runDeescalate},
		{Name: "priority", Aliases: []string{"prio", "p"}, Args: "urgent|high|normal|low", Help: "set the priority",
			MinArgs: 1, MaxArgs: 1, Mutates: true, Run: runPriority},
		{Name: "tag", Aliases: []string{"tags"}, Args: "[add|remove] <tag>", Help: "tag the conversation (no arguments: list its tags)",
			MaxArgs: -1, Mutates: true, Run: runTag},
		{Name: "snooze", Args: "2h|tomorrow 9:00|friday|off", Help: "set aside until then (it comes back earlier if the customer writes)",
			MinArgs: 1, MaxArgs: 2, Mutates: true, Run: runSnooze},
		{Name: "t", Aliases: []string{"tpl"}, Args: "<template>", Help: "send a quick-reply template to the customer",
			MinArgs: 1, MaxArgs: 1, Mutates: true, Run: runSendTemplate},
		{Name: "template", Args: "list | add <name> <text> | remove <name>", Help: "manage quick-reply templates ({{customer}}, {{agent}}, {{conversation}}, {{department}}, {{business_hours}}, {{expected_wait}})",
			MinArgs: 1, MaxArgs: -1, Global: true, Run: runTemplate},
		{Name: "wa-template", Aliases: []string{"wat"}, Args: "<name> [language] [parameters...]", Help: "send an approved WhatsApp template (what WhatsApp accepts more than 24 hours after the customer last wrote)",
			MinArgs: 1, MaxArgs: -1, Mutates: true, Run: runWhatsAppTemplate},
		{Name: "history", Help: "the customer's earlier conversations on every channel",
			Run: runHistory},
		{Name: "link", Args: "#id", Help: "same person: merge this customer with the customer of another conversation",
			MinArgs: 1, MaxArgs: 1, Mutates: true, Run: runLink},
		{Name: "search", Aliases: []string{"find"}, Args: "<words>", Help: "full-text search over all conversations",
			MinArgs: 1, MaxArgs: -1, Global: true, Run: runSearch},
		{Name: "oncall", Help: "who is on call in each department",
			Global: true, Run: runOncall},
	}
}

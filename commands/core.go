package commands

// Core returns the commands every surface has.
func Core() []Command {
	return []Command{
		{Name: "claim", Aliases: []string{"take"}, Help: "take ownership of this conversation",
			Mutates: true, Run: runClaim},
		{Name: "release", Aliases: []string{"unclaim"}, Help: "give up ownership",
			Mutates: true, Run: runRelease},
		{Name: "close", Aliases: []string{"resolve"}, Args: "[reason]", Help: "close the conversation",
			MaxArgs: -1, Mutates: true, Run: runClose},
		{Name: "reopen", Help: "reopen a closed conversation",
			Mutates: true, Run: runReopen},
		{Name: "note", Aliases: []string{"n"}, Args: "<text>", Help: "add an internal note (never sent to the customer)",
			MinArgs: 1, MaxArgs: -1, Run: runNote},
		{Name: "status", Aliases: []string{"info"}, Help: "show status, owner, priority and timings",
			Run: runStatus},
		{Name: "list", Aliases: []string{"queue"}, Args: "[n]", Help: "list open conversations, most urgent first",
			MaxArgs: 1, Global: true, Run: runList},
		{Name: "help", Aliases: []string{"commands", "?"}, Help: "list commands",
			MaxArgs: -1, Global: true, Run: runHelp},
	}
}

package discord

import (
	"regexp"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// SlashCommand is one application command Threadline registers. Running it
// is the same as typing "<prefix><Name> <option value>" in the thread.
type SlashCommand struct {
	Name        string
	Description string
	// Option is the name of a single free-text option ("" for none).
	Option            string
	OptionDescription string
	Required          bool
}

// DefaultSlashCommands mirrors the core command table.
func DefaultSlashCommands() []SlashCommand {
	return []SlashCommand{
		{Name: "claim", Description: "Take ownership of this conversation"},
		{Name: "release", Description: "Give up ownership of this conversation"},
		{Name: "close", Description: "Close this conversation", Option: "reason", OptionDescription: "Why it is closed (staff only)"},
		{Name: "reopen", Description: "Reopen this closed conversation"},
		{Name: "note", Description: "Add an internal note (never sent to the customer)", Option: "text", OptionDescription: "The note", Required: true},
		{Name: "status", Description: "Show status, owner, priority and timings"},
		{Name: "priority", Description: "Set the priority", Option: "level", OptionDescription: "urgent, high, normal or low", Required: true},
		{Name: "tag", Description: "Tag the conversation", Option: "tags", OptionDescription: "add X, remove X, or nothing to list"},
		{Name: "snooze", Description: "Set aside until a time", Option: "until", OptionDescription: "2h, tomorrow 9:00, friday, off", Required: true},
		{Name: "handoff", Description: "Hand to a person or department", Option: "to", OptionDescription: "@person or department, then an optional note", Required: true},
		{Name: "escalate", Description: "Pull a department or the on-call in", Option: "to", OptionDescription: "department or oncall, then an optional reason", Required: true},
		{Name: "deescalate", Description: "End the escalation"},
		{Name: "history", Description: "The customer's earlier conversations"},
		{Name: "list", Description: "Open conversations, most urgent first"},
		{Name: "oncall", Description: "Who is on call in each department"},
		{Name: "stats", Description: "Statistics", Option: "period", OptionDescription: "today, yesterday, week, 7d, 30d"},
		{Name: "suggest", Description: "The best past staff answers to questions like this one (for staff only)"},
		{Name: "use", Description: "Send a suggestion, or the AI draft, to the customer", Option: "which", OptionDescription: "a suggestion's number, or draft", Required: true},
		{Name: "kb", Description: "Search the knowledge base, or send an article found", Option: "words", OptionDescription: "words to search, or send N", Required: true},
		{Name: "promote", Description: "Turn the staff answer here into a draft knowledge-base article", Option: "title", OptionDescription: "the article's title"},
		{Name: "draft", Description: "AI: draft a reply as a note (never sent by itself)", Option: "instructions", OptionDescription: "what the reply should say"},
		{Name: "summary", Description: "AI: summarise the conversation as a note"},
		{Name: "translate", Description: "AI: translate the customer's last message, or your reply", Option: "reply", OptionDescription: "your reply, to translate into the customer's language"},
		{Name: "help", Description: "List Threadline's commands"},
	}
}

// global commands work outside conversation posts too.
func global(name string) bool {
	switch name {
	case "help", "list", "oncall", "stats", "kb":
		return true
	}
	return false
}

func (c SlashCommand) applicationCommand() *discordgo.ApplicationCommand {
	dm := false
	ac := &discordgo.ApplicationCommand{Name: c.Name, Description: c.Description, Type: discordgo.ChatApplicationCommand,
		DMPermission: &dm, Options: []*discordgo.ApplicationCommandOption{}}
	if c.Option != "" {
		ac.Options = append(ac.Options, &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString,
			Name: c.Option, Description: c.OptionDescription, Required: c.Required, MaxLength: 1900})
	}
	return ac
}

// commandText is the staff text a slash command or button stands for.
func commandText(prefix, name, arg string) string {
	text := prefix + strings.ToLower(strings.TrimSpace(name))
	if arg = strings.TrimSpace(arg); arg != "" {
		text += " " + arg
	}
	return text
}

// interactionCommand reads an interaction as (command name, argument);
// ok is false for interactions Threadline does not handle.
// Only a name shaped like a command may come back as one: anything else
// would become "!<name> ..." text that the parser reads as a reply to the
// customer.
func interactionCommand(i *discordgo.Interaction) (name, arg string, ok bool) {
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		data := i.ApplicationCommandData()
		for _, o := range data.Options {
			// Not o.StringValue(): it panics on an option without a value.
			if v, isString := o.Value.(string); isString && o.Type == discordgo.ApplicationCommandOptionString {
				arg = v
			}
		}
		return data.Name, arg, commandName.MatchString(data.Name)
	case discordgo.InteractionMessageComponent:
		name, ok := strings.CutPrefix(i.MessageComponentData().CustomID, buttonPrefix)
		return name, "", ok && commandName.MatchString(name)
	}
	return "", "", false
}

// commandName is what Threadline's command names look like.
var commandName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

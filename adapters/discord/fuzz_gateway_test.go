package discord

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/commands"
)

// FuzzInteraction feeds INTERACTION_CREATE payloads (slash commands and
// button presses) as the gateway delivers them. Whatever arrives, the
// text handed to the staff inbox is a command: an interaction never turns
// into a reply to the customer.
func FuzzInteraction(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","type":2,"channel_id":"9","member":{"user":{"id":"5","username":"alice"},"roles":[]},"data":{"id":"3","name":"close","type":1,"options":[{"name":"reason","type":3,"value":"fixed"}]}}`,
		`{"id":"1","type":3,"channel_id":"9","user":{"id":"5","username":"alice"},"data":{"custom_id":"tl:claim","component_type":2}}`,
		`{"id":"1","type":2,"data":{"name":" ","options":[{"type":3,"value":"hello customer"}]}}`,
		`{"id":"1","type":2,"data":{"name":"1reply","options":[{"type":3,"value":"x"}]}}`,
		`{"id":"1","type":3,"data":{"custom_id":"tl:","component_type":2}}`,
		`{"id":"1","type":3,"data":{"custom_id":"tl:!!hi","component_type":2}}`,
		`{"id":"1","type":4,"data":{"name":"x"}}`, `{"type":2}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	syntax := commands.DefaultSyntax()
	f.Fuzz(func(t *testing.T, data []byte) {
		var i discordgo.Interaction
		if json.Unmarshal(data, &i) != nil {
			return // discordgo drops the event
		}
		name, arg, ok := interactionCommand(&i)
		if !ok {
			return
		}
		text := commandText(syntax.Prefix, name, arg)
		if p := syntax.Parse(text); p.Kind != commands.KindCommand {
			t.Fatalf("interaction %q became %v text %q, not a command", data, p.Kind, text)
		}
		if utf8.ValidString(name+arg) && !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 from %q", data)
		}
	})
}

// FuzzGatewayMessage feeds MESSAGE_CREATE payloads: the filter and the
// staff identity never panic, and only people's messages in guilds pass.
func FuzzGatewayMessage(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","channel_id":"9","guild_id":"7","type":0,"content":"Hello <@5>","author":{"id":"5","username":"alice","global_name":"Alice"},"member":{"nick":"Al","roles":["11"]},"mentions":[{"id":"5","username":"alice"}]}`,
		`{"id":"1","channel_id":"9","guild_id":"7","type":0,"content":"hi","author":{"id":"6","username":"bot","bot":true}}`,
		`{"id":"1","channel_id":"9","type":0,"content":"dm","author":{"id":"6","username":"x"}}`,
		`{"id":"1","channel_id":"9","guild_id":"7","type":19,"content":"reply","author":{"id":"6","username":"x"},"webhook_id":"3"}`,
		`{"id":"1","channel_id":"9","guild_id":"7","type":0,"content":"x"}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	s := &Surface{cfg: Config{StaffRoleIDs: []string{"11"}, LeadRoleIDs: []string{"12"}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m discordgo.Message
		if json.Unmarshal(data, &m) != nil {
			return
		}
		// onMessage's filter, then what handleMessage reads.
		if m.Author == nil || m.Author.Bot || m.Author.System || m.WebhookID != "" || m.GuildID == "" {
			return
		}
		actor, _ := s.actor(m.Author, m.Member)
		if !strings.HasPrefix(string(actor.ID), "discord:") {
			t.Fatalf("actor id %q", actor.ID)
		}
		_ = m.ContentWithMentionsReplaced()
	})
}

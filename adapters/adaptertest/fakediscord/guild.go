package fakediscord

import (
	"net/http"
	"strconv"
)

// BotPermissions is what the bot's role allows by default: exactly the
// permissions docs/discord.md asks for (View Channels, Send Messages, Send
// Messages in Threads, Create Public Threads, Manage Threads, Manage
// Webhooks, Read Message History, Add Reactions, Embed Links, Attach
// Files, Use Application Commands).
const BotPermissions int64 = 329101986880

// Overwrite is a channel permission overwrite (type 0 role, 1 member).
type Overwrite struct {
	ID    string `json:"id"`
	Type  int    `json:"type"`
	Allow string `json:"allow"`
	Deny  string `json:"deny"`
}

// Role is a guild role object.
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Permissions string `json:"permissions"`
	Position    int    `json:"position"`
	Managed     bool   `json:"managed"`
}

// BotRoleID is the id of the bot's managed role in the fake guild.
func (s *Server) BotRoleID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botRole
}

// SetBotPermissions changes what the bot's role allows server-wide.
func (s *Server) SetBotPermissions(perms int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botPerms = perms
}

// DenyInChannel adds a permission overwrite on a channel that denies the
// bot's role perms there, as a server admin would.
func (s *Server) DenyInChannel(channelID string, perms int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[channelID]; c != nil {
		c.PermissionOverwrites = append(c.PermissionOverwrites, Overwrite{ID: s.botRole, Type: 0, Allow: "0",
			Deny: strconv.FormatInt(perms, 10)})
	}
}

// getGuild answers GET /guilds/{id} with the roles and owner Discord sends.
func (s *Server) getGuild(r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PathValue("id") != s.guildID {
		return 0, nil, &apiError{404, 10004, "Unknown Guild"}
	}
	return 200, map[string]any{
		"id": s.guildID, "name": "Fake Support", "owner_id": "100000000000000001",
		"roles": []Role{
			{ID: s.guildID, Name: "@everyone", Permissions: "0"},
			{ID: s.botRole, Name: "Threadline", Permissions: strconv.FormatInt(s.botPerms, 10), Position: 1, Managed: true},
		},
	}, nil
}

// getMember answers GET /guilds/{id}/members/{user}: the bot and the
// people who wrote messages.
func (s *Server) getMember(r *http.Request) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PathValue("id") != s.guildID {
		return 0, nil, &apiError{404, 10004, "Unknown Guild"}
	}
	if m, ok := s.members[r.PathValue("user")]; ok {
		return 200, m, nil
	}
	if r.PathValue("user") != s.bot.ID {
		return 0, nil, &apiError{404, 10007, "Unknown Member"}
	}
	bot := s.bot
	return 200, Member{User: &bot, Roles: []string{s.botRole}, JoinedAt: "2024-01-01T00:00:00+00:00"}, nil
}

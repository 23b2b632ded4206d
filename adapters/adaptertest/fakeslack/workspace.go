package fakeslack

import (
	"net/http"
	"net/url"
	"strings"
)

// Channel is a channel of the fake workspace as conversations.info shows
// it. Channels the test did not declare exist, are public and have the bot
// as a member.
type Channel struct {
	ID, Name string
	Private  bool
	Archived bool
	Member   bool // the bot is in the channel
	// Missing makes conversations.info answer channel_not_found (what Slack
	// says for a private channel the bot is not in, too).
	Missing bool
}

// DefaultScopes are the scopes the fake reports for the bot token: the ones
// Threadline's manifest asks for.
func DefaultScopes() []string {
	return []string{"chat:write", "chat:write.customize", "channels:history", "groups:history", "app_mentions:read",
		"reactions:write", "users:read", "usergroups:read", "commands", "files:read", "files:write"}
}

// SetScopes changes the scopes of the bot token, reported in the
// X-OAuth-Scopes header of every Web API answer.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = append([]string{}, scopes...)
}

// SetChannel declares a channel. A channel the bot is not a member of
// refuses chat.postMessage with not_in_channel, as Slack does.
func (s *Server) SetChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.ID] = c
}

func (s *Server) channel(id string) Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[id]; ok {
		return c
	}
	return Channel{ID: id, Name: strings.ToLower(id), Member: true}
}

func (s *Server) scopeHeader(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("X-OAuth-Scopes", strings.Join(s.scopes, ","))
	w.Header().Set("X-Accepted-OAuth-Scopes", "")
}

// conversationsInfo answers conversations.info with Slack's channel object.
func (s *Server) conversationsInfo(w http.ResponseWriter, f url.Values) {
	c := s.channel(f.Get("channel"))
	if c.Missing || c.ID == "" {
		fail(w, "channel_not_found")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{
		"id": c.ID, "name": c.Name, "is_channel": !c.Private, "is_group": false, "is_private": c.Private,
		"is_archived": c.Archived, "is_member": c.Member, "is_general": false, "created": 1700000000,
		"name_normalized": c.Name, "is_shared": false, "is_org_shared": false, "is_ext_shared": false,
	}})
}

// SetUserGroup declares a user group (subteam id S…) with its members, or
// replaces its members. usergroups.users.list answers with them.
func (s *Server) SetUserGroup(id string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = append([]string{}, users...)
}

// RemoveUserGroup deletes a user group: usergroups.users.list then answers
// no_such_subteam, as Slack does for an unknown id.
func (s *Server) RemoveUserGroup(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, id)
}

// userGroupUsers answers usergroups.users.list: {"ok":true,"users":[...]},
// missing_scope (with needed/provided, as Slack sends) when the token lacks
// usergroups:read, no_such_subteam for an unknown group.
func (s *Server) userGroupUsers(w http.ResponseWriter, f url.Values) {
	s.mu.Lock()
	scoped := false
	for _, sc := range s.scopes {
		scoped = scoped || sc == "usergroups:read"
	}
	provided := strings.Join(s.scopes, ",")
	users, ok := s.groups[f.Get("usergroup")]
	users = append([]string{}, users...)
	s.mu.Unlock()
	switch {
	case !scoped:
		writeJSON(w, map[string]any{"ok": false, "error": "missing_scope", "needed": "usergroups:read", "provided": provided})
	case f.Get("usergroup") == "":
		fail(w, "invalid_arguments")
	case !ok:
		fail(w, "no_such_subteam")
	default:
		writeJSON(w, map[string]any{"ok": true, "users": users})
	}
}

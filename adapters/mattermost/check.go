package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Identity is who the bot token belongs to (GET /users/me).
type Identity struct {
	UserID, Username string
	IsBot            bool
	SystemAdmin      bool // may post ephemeral messages
}

// CheckToken asks who the bot token belongs to (`threadline doctor`).
func (s *Surface) CheckToken(ctx context.Context) (Identity, error) {
	u, err := s.me(ctx)
	if err != nil {
		return Identity{}, err
	}
	return Identity{UserID: u.ID, Username: u.Username, IsBot: u.IsBot,
		SystemAdmin: strings.Contains(" "+u.Roles+" ", " system_admin ")}, nil
}

// ChannelCheck is what the API says about a staff channel.
type ChannelCheck struct {
	ID, Name, DisplayName string
	Private               bool
	Reachable             bool // the channel exists and the bot may read it
	Archived              bool
	Member                bool // the bot is a member (it can post)
}

// CheckChannel reads a staff channel and the bot's membership in it. A
// channel that does not exist and one the bot may not read both come back
// as Reachable false with a nil error.
func (s *Surface) CheckChannel(ctx context.Context, botID, id string) (ChannelCheck, error) {
	ch, err := s.channel(ctx, id)
	switch st := statusOf(err); {
	case st == http.StatusNotFound || st == http.StatusForbidden:
		return ChannelCheck{ID: id}, nil
	case err != nil:
		return ChannelCheck{ID: id}, err
	}
	out := ChannelCheck{ID: id, Name: ch.Name, DisplayName: ch.DisplayName, Private: ch.Type == "P", Reachable: true, Archived: ch.DeleteAt != 0}
	err = s.call(ctx, http.MethodGet, "/channels/"+url.PathEscape(id)+"/members/"+url.PathEscape(botID), nil, nil)
	switch st := statusOf(err); {
	case st == http.StatusNotFound || st == http.StatusForbidden:
	case err != nil:
		return out, fmt.Errorf("channel membership: %w", err)
	default:
		out.Member = true
	}
	return out, nil
}

// UsernameOverride reports whether the server lets integrations post
// under another name (ServiceSettings.EnablePostUsernameOverride, read
// from the client config).
func (s *Surface) UsernameOverride(ctx context.Context) (bool, error) {
	cc, err := s.clientConfig(ctx)
	if err != nil {
		return false, err
	}
	return cc["EnablePostUsernameOverride"] == "true", nil
}

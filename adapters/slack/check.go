package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/bridge"
)

// Auth is what auth.test says about the bot token.
type Auth struct {
	Team, User, UserID, BotID string
	// Scopes are the token's scopes, from the X-OAuth-Scopes header Slack
	// sends on every Web API answer. Nil when the header was missing.
	Scopes []string
}

// AuthTest calls auth.test with the bot token and reads the token's scopes
// (`threadline doctor`). slack-go does not expose response headers, so
// this one call is made directly.
func (s *Surface) AuthTest(ctx context.Context) (Auth, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.APIURL+"auth.test", strings.NewReader(url.Values{}.Encode()))
	if err != nil {
		return Auth{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+s.cfg.BotToken)
	res, err := s.http.Do(req)
	if err != nil {
		return Auth{}, fmt.Errorf("slack auth.test: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return Auth{}, fmt.Errorf("slack auth.test: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return Auth{}, fmt.Errorf("slack auth.test: HTTP %s", res.Status)
	}
	var r struct {
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
		Team   string `json:"team"`
		User   string `json:"user"`
		UserID string `json:"user_id"`
		BotID  string `json:"bot_id"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return Auth{}, fmt.Errorf("slack auth.test: answer is not JSON: %w", err)
	}
	if !r.OK {
		return Auth{}, fmt.Errorf("slack auth.test: %s", r.Error)
	}
	a := Auth{Team: r.Team, User: r.User, UserID: r.UserID, BotID: r.BotID}
	if h, ok := res.Header["X-Oauth-Scopes"]; ok {
		a.Scopes = []string{}
		for _, sc := range strings.Split(strings.Join(h, ","), ",") {
			if sc = strings.TrimSpace(sc); sc != "" {
				a.Scopes = append(a.Scopes, sc)
			}
		}
	}
	return a, nil
}

// MissingScopes lists the scopes Threadline needs (Scopes) that granted
// lacks. usergroups:read is needed only when departments name Slack user
// groups (groups).
func MissingScopes(granted []string, groups bool) []string {
	have := map[string]bool{}
	for _, g := range granted {
		have[g] = true
	}
	var out []string
	for _, sc := range Scopes() {
		if sc[0] == GroupScope && !groups {
			continue
		}
		if !have[sc[0]] {
			out = append(out, sc[0])
		}
	}
	return out
}

// ChannelInfo is what conversations.info says about a staff channel.
type ChannelInfo struct {
	ID, Name  string
	Private   bool
	Archived  bool
	IsMember  bool // the bot is in the channel
	Reachable bool // the channel exists and the bot may see it
}

// Channel looks a channel up with conversations.info. A private channel
// the bot is not in answers channel_not_found, like one that does not
// exist; both come back as Reachable false with a nil error.
func (s *Surface) Channel(ctx context.Context, id string) (ChannelInfo, error) {
	ch, err := s.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		if strings.Contains(err.Error(), "channel_not_found") {
			return ChannelInfo{ID: id}, nil
		}
		return ChannelInfo{ID: id}, fmt.Errorf("slack conversations.info %s: %w", id, err)
	}
	return ChannelInfo{ID: id, Name: ch.Name, Private: ch.IsPrivate, Archived: ch.IsArchived, IsMember: ch.IsMember, Reachable: true}, nil
}

// CheckAppToken opens a Socket Mode connection URL (apps.connections.open)
// with the app-level token, without connecting to it.
func (s *Surface) CheckAppToken(ctx context.Context) error {
	if _, _, err := s.api.StartSocketModeContext(ctx); err != nil {
		return fmt.Errorf("slack apps.connections.open: %w", err)
	}
	return nil
}

// Configured lists every staff channel in the config: the default one and
// the departments' own.
func (c Config) Configured() []string {
	return bridge.StaffChannels(c.ChannelID, c.Channels)
}

package slack

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// userCache maps Slack user ids to display names (users.info), for an hour.
type userCache struct {
	api  *slack.Client
	now  func() time.Time
	mu   sync.Mutex
	byID map[string]cachedUser
}

type cachedUser struct {
	name string
	at   time.Time
}

func newUserCache(api *slack.Client, now func() time.Time) *userCache {
	return &userCache{api: api, now: now, byID: make(map[string]cachedUser)}
}

// name returns the user's display name, or the id if Slack cannot say.
func (c *userCache) name(ctx context.Context, id string) string {
	c.mu.Lock()
	u, ok := c.byID[id]
	c.mu.Unlock()
	if ok && c.now().Sub(u.at) < time.Hour {
		return u.name
	}
	info, err := c.api.GetUserInfoContext(ctx, id)
	if err != nil {
		if ok {
			return u.name
		}
		return id
	}
	name := info.Profile.DisplayName
	if name == "" {
		name = info.RealName
	}
	if name == "" {
		name = info.Name
	}
	if name == "" {
		name = id
	}
	c.mu.Lock()
	if len(c.byID) > 10000 {
		c.byID = make(map[string]cachedUser)
	}
	c.byID[id] = cachedUser{name: name, at: c.now()}
	c.mu.Unlock()
	return name
}

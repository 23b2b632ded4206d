package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/team"
)

// GroupScope is the bot token scope usergroups.users.list needs.
const GroupScope = "usergroups:read"

// DefaultGroupTTL is how long a user group's members are trusted before
// the next lookup asks Slack again.
const DefaultGroupTTL = 5 * time.Minute

// groupCache knows the members of the Slack user groups named in config
// (usergroups.users.list). Each answer is kept for ttl; a lookup after that
// asks again (lazily: nothing polls). A group that cannot be resolved has
// no members until it can, and the failure is logged once per episode.
type groupCache struct {
	api *slack.Client
	now func() time.Time
	ttl time.Duration
	log *slog.Logger
	ids []string // subteam ids named in config
	// wake asks the refresher (Run) to refresh stale groups, for lookups
	// that must not wait for Slack.
	wake chan struct{}

	mu      sync.Mutex
	entries map[string]*groupEntry
	fetches map[string]*sync.Mutex // one usergroups.users.list per group at a time
}

type groupEntry struct {
	members []string
	ok      bool      // the last lookup succeeded
	until   time.Time // fresh until (ttl after a success, a short wait after a failure)
	failing bool      // in a failure episode (already warned)
}

func newGroupCache(api *slack.Client, now func() time.Time, ttl time.Duration, log *slog.Logger, ids []string) *groupCache {
	if ttl <= 0 {
		ttl = DefaultGroupTTL
	}
	c := &groupCache{api: api, now: now, ttl: ttl, log: log, wake: make(chan struct{}, 1),
		entries: map[string]*groupEntry{}, fetches: map[string]*sync.Mutex{}}
	for _, id := range ids {
		if !slices.Contains(c.ids, id) {
			c.ids = append(c.ids, id)
			c.fetches[id] = &sync.Mutex{}
		}
	}
	return c
}

// fresh returns the cached answer for id if it is still fresh.
func (c *groupCache) fresh(id string) (members []string, ok, hit bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[id]
	if e == nil || !c.now().Before(e.until) {
		return nil, false, false
	}
	return e.members, e.ok, true
}

// members returns id's members, asking Slack when the cached answer is
// stale. ok is false when the group could not be resolved.
func (c *groupCache) members(ctx context.Context, id string) ([]string, bool) {
	f := c.fetches[id]
	if f == nil {
		return nil, false // not a group named in config
	}
	if m, ok, hit := c.fresh(id); hit {
		return m, ok
	}
	f.Lock()
	defer f.Unlock()
	if m, ok, hit := c.fresh(id); hit {
		return m, ok // another lookup just refreshed it
	}
	return c.refresh(ctx, id)
}

// cached returns what is known about id without waiting for Slack; when
// that is stale, the refresher is asked to renew it.
func (c *groupCache) cached(id string) ([]string, bool) {
	c.mu.Lock()
	e := c.entries[id]
	stale := e == nil || !c.now().Before(e.until)
	c.mu.Unlock()
	if stale {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	if e == nil {
		return nil, false
	}
	return e.members, e.ok
}

// refresh asks Slack for id's members and records the answer.
func (c *groupCache) refresh(ctx context.Context, id string) ([]string, bool) {
	call, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	users, err := c.api.GetUserGroupMembersContext(call, id)
	if err != nil && ctx.Err() != nil {
		return nil, false // shutting down or the caller gave up: not the group's failure
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[id]
	if e == nil {
		e = &groupEntry{}
		c.entries[id] = e
	}
	if err != nil {
		wait := min(c.ttl, time.Minute)
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) && rl.RetryAfter > 0 {
			wait = rl.RetryAfter
		}
		e.members, e.ok, e.until = nil, false, now.Add(wait)
		if !e.failing {
			e.failing = true
			c.log.Warn("slack: cannot resolve user group; until it resolves, nobody counts as a member through it",
				"group", id, "err", groupError(err), "retry_in", wait)
		} else {
			c.log.Debug("slack: user group still unresolved", "group", id, "err", groupError(err))
		}
		return nil, false
	}
	if e.failing {
		c.log.Info("slack: user group resolves again", "group", id, "members", len(users))
	}
	e.members, e.ok, e.until, e.failing = slices.Clone(users), true, now.Add(c.ttl), false
	return e.members, true
}

// run refreshes every group at start, then stale ones when cached asks,
// until ctx ends.
func (c *groupCache) run(ctx context.Context) {
	for {
		for _, id := range c.ids {
			if ctx.Err() != nil {
				return
			}
			c.members(ctx, id)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		}
	}
}

// of returns the configured groups user belongs to, as staff group ids.
func (c *groupCache) of(ctx context.Context, user string) []bridge.StaffID {
	var out []bridge.StaffID
	for _, id := range c.ids {
		if m, ok := c.members(ctx, id); ok && slices.Contains(m, user) {
			out = append(out, bridge.StaffID(GroupPrefix+id))
		}
	}
	return out
}

// groupError explains a usergroups.users.list failure with the fix.
func groupError(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "missing_scope":
			return "missing_scope: the bot token lacks " + GroupScope + " (add it under OAuth & Permissions and reinstall the app)"
		case "no_such_subteam":
			return "no_such_subteam: there is no user group with this id in the workspace (check departments.*.members and oncall)"
		}
		return se.Err
	}
	return err.Error()
}

// GroupMembers implements bridge.GroupSource for the Slack user groups
// named in config: the members known now, without waiting for Slack.
func (s *Surface) GroupMembers(group bridge.StaffID) ([]bridge.StaffID, bool) {
	id, ok := GroupID(group)
	if !ok || s.groups == nil {
		return nil, false
	}
	users, ok := s.groups.cached(id)
	if !ok {
		return nil, false
	}
	out := make([]bridge.StaffID, len(users))
	for i, u := range users {
		out[i] = bridge.StaffID("slack:" + u)
	}
	return out, true
}

// CheckGroup asks Slack for a user group's members (`threadline doctor`).
func (s *Surface) CheckGroup(ctx context.Context, id string) (int, error) {
	users, err := s.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("usergroups.users.list %s: %s", id, groupError(err))
	}
	return len(users), nil
}

var _ team.GroupSource = (*Surface)(nil)

package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/commands"
)

// overdueJob posts, on sla.overdue_digest's schedule, the list of overdue
// conversations of each department in that department's channel (Slack:
// its own channel or the staff channel; Discord: digest.discord_channel).
func (a *app) overdueJob() {
	if a.cfg.SLA.OverdueDigest == "" {
		return
	}
	a.jobs = append(a.jobs, job{name: "overdue digest", schedule: a.cfg.SLA.OverdueDigest, fn: a.postOverdue})
}

func (a *app) postOverdue(ctx context.Context) error {
	now := a.clock.Now()
	convs, err := a.st.Overdue(ctx, now, 500)
	if err != nil || len(convs) == 0 {
		return err
	}
	byDept := map[string][]bridge.Conversation{}
	for _, c := range convs {
		byDept[c.Department] = append(byDept[c.Department], c)
	}
	depts := make([]string, 0, len(byDept))
	for d := range byDept {
		depts = append(depts, d)
	}
	sort.Strings(depts)
	var errs []error
	for _, dept := range depts {
		text := overdueText(dept, byDept[dept], now)
		for _, s := range a.surfaces {
			poster, ok := s.(bridge.DigestPoster)
			if !ok {
				continue
			}
			channel := a.overdueChannel(s.Name(), dept)
			if channel == "" {
				continue
			}
			if err := poster.PostDigest(ctx, channel, text, nil, ""); err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", s.Name(), dept, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (a *app) overdueChannel(surface bridge.Platform, dept string) string {
	switch surface {
	case "slack":
		if ch := a.cfg.Workflow.Departments[dept].Channels["slack"]; ch != "" {
			return ch
		}
		return a.cfg.Slack.ChannelID
	case "discord":
		return a.cfg.Digest.DiscordChannel
	}
	return ""
}

func overdueText(dept string, convs []bridge.Conversation, now time.Time) string {
	name := dept
	if name == "" {
		name = "the staff channel"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Overdue in %s (%d):", name, len(convs))
	for _, c := range convs {
		owner := "unclaimed"
		if c.Owner != "" {
			owner = c.OwnerName
		}
		fmt.Fprintf(&b, "\n%s %-24s %s response %s over · %s · %s", c.ID, commands.Clip(c.CustomerName+" ("+string(c.Channel)+")", 24),
			c.SLA.RespKind, commands.Round(now.Sub(c.SLADue)), c.Priority, owner)
	}
	return b.String()
}

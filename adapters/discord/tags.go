package discord

import (
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

// Forum posts may carry at most 5 tags.
const maxAppliedTags = 5

func allStatuses() []string {
	return []string{string(bridge.StatusOpen), string(bridge.StatusWaiting), string(bridge.StatusClosed)}
}

func allPriorities() []string {
	return []string{string(bridge.PriorityUrgent), string(bridge.PriorityHigh), string(bridge.PriorityNormal), string(bridge.PriorityLow)}
}

// tagName is the forum tag name for a status, priority or department.
func (c Config) tagName(key string) string {
	if v, ok := c.Tags[key]; ok {
		return v
	}
	for k, v := range c.Tags {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return key
}

func findTag(tags []discordgo.ForumTag, name string) (string, bool) {
	for _, t := range tags {
		if strings.EqualFold(strings.TrimSpace(t.Name), strings.TrimSpace(name)) {
			return t.ID, true
		}
	}
	return "", false
}

// wantedTags are the tag ids that describe v: status, priority, department.
func (c Config) wantedTags(available []discordgo.ForumTag, v bridge.ConversationView) []string {
	var out []string
	for _, key := range []string{string(v.Status), string(v.Priority), v.Department} {
		if key == "" {
			continue
		}
		if id, ok := findTag(available, c.tagName(key)); ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// mergeTags keeps the tags staff applied by hand and replaces the ones
// Threadline manages (any status or priority, and v's department).
func (c Config) mergeTags(available []discordgo.ForumTag, current []string, v bridge.ConversationView) []string {
	managed := map[string]bool{}
	for _, key := range append(append(allStatuses(), allPriorities()...), v.Department) {
		if key == "" {
			continue
		}
		if id, ok := findTag(available, c.tagName(key)); ok {
			managed[id] = true
		}
	}
	out := c.wantedTags(available, v)
	for _, id := range current {
		if !managed[id] && !slices.Contains(out, id) && len(out) < maxAppliedTags {
			out = append(out, id)
		}
	}
	if len(out) > maxAppliedTags {
		out = out[:maxAppliedTags]
	}
	return out
}

// missingTags lists the status and priority tags (urgent, high) the forum lacks.
func (c Config) missingTags(available []discordgo.ForumTag) []string {
	var out []string
	for _, key := range append(allStatuses(), string(bridge.PriorityUrgent), string(bridge.PriorityHigh)) {
		name := c.tagName(key)
		if _, ok := findTag(available, name); !ok {
			out = append(out, name)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

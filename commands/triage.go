package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
)

// Handlers for sorting the queue: !priority and !tag.

func runPriority(ctx context.Context, in *Invocation) (string, error) {
	p, err := bridge.ParsePriority(strings.ToLower(in.Args[0]))
	if err != nil {
		return "", bridge.Reject("%v", err)
	}
	c, err := in.Engine.SetPriority(ctx, in.Staff(), p)
	return confirm(c, err, "%s is %s priority.", c.Priority)
}

// runTag lists the tags (no arguments), or adds or removes one tag: "add"
// is the default, and the words after the verb are the tag.
func runTag(ctx context.Context, in *Invocation) (string, error) {
	if len(in.Args) == 0 {
		return listTags(ctx, in)
	}
	add, words := true, in.Args
	switch strings.ToLower(in.Args[0]) {
	case "add", "+":
		words = in.Args[1:]
	case "remove", "rm", "del", "-":
		add, words = false, in.Args[1:]
	}
	if len(words) == 0 {
		return "", bridge.Reject("Usage: !tag add <tag> or !tag remove <tag>")
	}
	tag := rules.NormalizeTag(strings.Join(words, " "))
	if _, err := in.Engine.Tag(ctx, in.Staff(), tag, add); err != nil {
		return "", err
	}
	if add {
		return fmt.Sprintf("Tagged %s.", tag), nil
	}
	return fmt.Sprintf("Removed tag %s.", tag), nil
}

func listTags(ctx context.Context, in *Invocation) (string, error) {
	v, err := in.Engine.Store().ConversationView(ctx, in.Conversation)
	if err != nil {
		return "", err
	}
	if len(v.Tags) == 0 {
		return fmt.Sprintf("%s has no tags.", v.ID), nil
	}
	return fmt.Sprintf("%s tags: %s", v.ID, strings.Join(v.Tags, ", ")), nil
}

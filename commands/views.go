package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Read-only handlers: !status, !list, !search and !help.

func runStatus(ctx context.Context, in *Invocation) (string, error) {
	v, err := in.Engine.Store().ConversationView(ctx, in.Conversation)
	if err != nil {
		return "", err
	}
	return FormatStatus(v, in.Engine.Now()), nil
}

// runList shows the n most urgent open conversations (15 unless asked).
func runList(ctx context.Context, in *Invocation) (string, error) {
	n := 15
	if len(in.Args) == 1 {
		v, err := strconv.Atoi(in.Args[0])
		if err != nil || v < 1 || v > 100 {
			return "", bridge.Reject("!list takes a number from 1 to 100")
		}
		n = v
	}
	convs, err := in.Engine.Store().OpenConversations(ctx, n)
	if err != nil {
		return "", err
	}
	return FormatList(convs, in.Engine.Now()), nil
}

// runSearch shows the ten newest full-text matches. Any search error goes
// back to staff as a refusal ("search: give at least one word" is the
// common one).
func runSearch(ctx context.Context, in *Invocation) (string, error) {
	hits, err := in.Engine.Store().Search(ctx, in.Rest, 10)
	if err != nil {
		return "", bridge.Reject("%v", err)
	}
	if len(hits) == 0 {
		return "No matches.", nil
	}
	loc := in.Engine.Directory().Location()
	var b strings.Builder
	fmt.Fprintf(&b, "%d match(es), newest first:", len(hits))
	for _, h := range hits {
		fmt.Fprintf(&b, "\n%s %s %s (%s): %s", h.Conversation, h.CreatedAt.In(loc).Format("2006-01-02"), h.Author, h.Direction, h.Snippet)
	}
	return b.String(), nil
}

func runHelp(_ context.Context, in *Invocation) (string, error) {
	return in.Table.Help(in.Syntax), nil
}

package commands

import (
	"context"
	"strings"
)

// Handlers that write: !reply (to the customer, whatever the conversation's
// state), !note (staff only) and !t (a template to the customer). For replies
// the engine's warning, if any, is the feedback.

func runReply(ctx context.Context, in *Invocation) (string, error) {
	_, warning, err := in.Engine.ReplyWith(ctx, in.Staff(), in.Rest, nil, true)
	return warning, err
}

func runNote(ctx context.Context, in *Invocation) (string, error) {
	_, err := in.Engine.Note(ctx, in.Staff(), in.Rest, nil)
	return "", err
}

func runSendTemplate(ctx context.Context, in *Invocation) (string, error) {
	text, err := in.Engine.RenderTemplateFor(ctx, in.Conversation, strings.ToLower(in.Args[0]), in.Actor)
	if err != nil {
		return "", err
	}
	_, warning, err := in.Engine.ReplyWith(ctx, in.Staff(), text, nil, false)
	return warning, err
}

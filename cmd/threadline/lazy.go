package main

import (
	"context"

	"github.com/threadlinehq/threadline/bridge"
)

// lazyEngine lets adapters built before the engine reach it once it exists
// (the engine needs the list of surfaces, the surfaces need the engine).
type lazyEngine struct{ a *app }

func (l lazyEngine) Notice(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform, text string) error {
	return l.a.engine.Notice(ctx, conv, surface, text)
}

func (l lazyEngine) ThreadGone(ctx context.Context, surface bridge.Platform, ref bridge.ThreadRef) error {
	return l.a.engine.ThreadGone(ctx, surface, ref)
}

func (l lazyEngine) Store() bridge.Reader { return l.a.st }

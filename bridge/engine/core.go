package engine

import (
	"context"

	"github.com/threadlinehq/threadline/bridge"
)

// The engine is the core adapters are given (bridge.Deps.Core).
var _ bridge.Core = (*Engine)(nil)

// SystemNote stores a staff-only note by Threadline in conv (an email
// bounce), once per source and externalID.
func (e *Engine) SystemNote(ctx context.Context, conv bridge.ConversationID, source bridge.Platform, externalID, text string) error {
	_, err := e.Note(ctx, StaffContext{Conversation: conv, Actor: bridge.SystemActor(), Surface: source, ExternalID: externalID}, text, nil)
	return err
}

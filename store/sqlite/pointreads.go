package sqlite

import (
	"context"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// The outbox's reads for every row it sends are lookups by key on a local
// file that finish in microseconds and never wait for the writer (WAL).
// They run without the caller's cancellation: for a query whose context
// can be cancelled, database/sql starts a goroutine to watch it and the
// driver arms a callback, which cost more than the lookup.

// Thread is sqlstore's Thread without cancellation (above).
func (s *Store) Thread(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform) (bridge.ThreadRef, error) {
	return s.Store.Thread(context.WithoutCancel(ctx), conv, surface)
}

// Message is sqlstore's Message without cancellation (above).
func (s *Store) Message(ctx context.Context, id bridge.MessageID) (bridge.Message, error) {
	return s.Store.Message(context.WithoutCancel(ctx), id)
}

// DueOutbox is sqlstore's DueOutbox without cancellation (above): an index
// range scan that reads at most limit rows.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int, skip []bridge.OutboxID) ([]bridge.OutboxItem, error) {
	return s.Store.DueOutbox(context.WithoutCancel(ctx), now, limit, skip)
}

// NextOutboxDue is sqlstore's NextOutboxDue without cancellation (above).
func (s *Store) NextOutboxDue(ctx context.Context) (time.Time, error) {
	return s.Store.NextOutboxDue(context.WithoutCancel(ctx))
}

// PostSource is sqlstore's PostSource without cancellation (above).
func (s *Store) PostSource(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform, msg bridge.MessageID) (bridge.ThreadRef, bridge.Message, error) {
	return s.Store.PostSource(context.WithoutCancel(ctx), conv, surface, msg)
}

// PostSources is sqlstore's PostSources without cancellation (above).
func (s *Store) PostSources(ctx context.Context, surface bridge.Platform, msgs []bridge.MessageID) (map[bridge.MessageID]bridge.PostSource, error) {
	return s.Store.PostSources(context.WithoutCancel(ctx), surface, msgs)
}

// ConversationView is sqlstore's ConversationViewSnapshot without
// cancellation (above): the card a thread opens with, read in one snapshot.
func (s *Store) ConversationView(ctx context.Context, id bridge.ConversationID) (bridge.ConversationView, error) {
	return s.Store.ConversationViewSnapshot(context.WithoutCancel(ctx), id)
}

// PreviousThread is sqlstore's PreviousThread without cancellation (above).
func (s *Store) PreviousThread(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform) (bridge.ThreadRef, error) {
	return s.Store.PreviousThread(context.WithoutCancel(ctx), conv, surface)
}

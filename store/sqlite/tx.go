package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// querier is what *sql.DB and *sql.Tx share, so one query function serves
// both the read pool and write transactions.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is one write transaction (bridge.Tx). It lives only inside Write.
type Tx struct {
	tx  *sql.Tx
	ctx context.Context
	// read holds conversations as this transaction last read or wrote
	// them, so updates write only what changed.
	read map[bridge.ConversationID]bridge.Conversation
}

func (t *Tx) remember(c bridge.Conversation) {
	if t.read == nil {
		t.read = make(map[bridge.ConversationID]bridge.Conversation, 2)
	}
	t.read[c.ID] = c
}

var _ bridge.Tx = (*Tx)(nil)
var _ bridge.Store = (*Store)(nil)

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, query, args...)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64)
}

func fromBool(n sql.NullInt64) *bool {
	if !n.Valid {
		return nil
	}
	b := n.Int64 == 1
	return &b
}

func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	if *b {
		return 1
	}
	return 0
}

// notFound maps sql.ErrNoRows to bridge.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return bridge.ErrNotFound
	}
	return err
}

var (
	_ bridge.Cursors  = (*Store)(nil)
	_ bridge.EventLog = (*Store)(nil)
)

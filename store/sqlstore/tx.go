package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/threadlinehq/threadline/bridge"
)

// Tx is one write transaction (bridge.Tx). It lives only inside Write.
type Tx struct {
	tx  Querier
	ctx context.Context
	// read holds conversations as this transaction last read or wrote
	// them, so updates write only what changed.
	read map[bridge.ConversationID]bridge.Conversation
}

// NewTx is the bridge.Tx a backend hands to a write function: q is the
// backend's transaction (as Dialect.Wrap returns it), ctx the context its
// statements run with.
func NewTx(ctx context.Context, q Querier) *Tx { return &Tx{tx: q, ctx: ctx} }

var _ bridge.Tx = (*Tx)(nil)

func (t *Tx) remember(c bridge.Conversation) {
	if t.read == nil {
		t.read = make(map[bridge.ConversationID]bridge.Conversation, 2)
	}
	t.read[c.ID] = c
}

// Exec runs a statement in the transaction (backend-specific writes and
// ExecForTest use it).
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *Tx) queryRow(query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// insertID runs an INSERT ... RETURNING id and returns the id.
func (t *Tx) insertID(query string, args ...any) (int64, error) {
	var id int64
	err := t.tx.QueryRowContext(t.ctx, query, args...).Scan(&id)
	return id, err
}

// ExecForTest runs raw SQL inside a write transaction of a shared-SQL
// backend. Tests use it to set up states the engine cannot produce (a
// future schema, corrupt rows).
func ExecForTest(tx bridge.Tx, query string, args ...any) error {
	_, err := tx.(*Tx).exec(query, args...)
	return err
}

// notFound maps sql.ErrNoRows to bridge.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return bridge.ErrNotFound
	}
	return err
}

func affected(res sql.Result) int {
	n, _ := res.RowsAffected()
	return int(n)
}

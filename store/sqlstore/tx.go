package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"

	"github.com/threadlinehq/threadline/bridge"
)

// Tx is one write transaction (bridge.Tx). It lives only inside Write.
type Tx struct {
	tx *sql.Tx
	// conn, instead of tx: a connection on which the backend began the
	// transaction with SQL (SQLite's writer). database/sql's Tx starts a
	// goroutine per transaction to watch its context and, because that
	// context can be cancelled, another per query inside it; a connection
	// used with a context that cannot be cancelled starts none.
	conn *sql.Conn
	d    Dialect
	ctx  context.Context
	// read holds conversations as this transaction last read or wrote
	// them, so updates write only what changed.
	read map[bridge.ConversationID]bridge.Conversation
	// reachable is a customer this transaction read as reachable (no
	// unreachable reason) or created, so clearing the reason is a no-op.
	reachable bridge.CustomerID
	// inserted: InsertMessage added a message (SQLite indexes new
	// messages for search at commit, only when a write inserted one).
	inserted bool
	err      error // the first error a statement returned
}

// InsertedMessages reports whether a message was inserted through t.
func (t *Tx) InsertedMessages() bool { return t.inserted }

// NewTx is the bridge.Tx a backend hands to a write function: tx is the
// backend's transaction, d its dialect, ctx the context its statements run
// with.
func NewTx(ctx context.Context, tx *sql.Tx, d Dialect) *Tx { return &Tx{tx: tx, d: d, ctx: ctx} }

// NewConnTx is NewTx for a transaction the backend began with SQL on conn
// (BEGIN ... COMMIT); ctx should not be cancellable (context.WithoutCancel),
// or database/sql watches it with a goroutine per query.
func NewConnTx(ctx context.Context, conn *sql.Conn, d Dialect) *Tx {
	return &Tx{conn: conn, d: d, ctx: ctx}
}

var _ bridge.Tx = (*Tx)(nil)

// StatementError returns the first error a statement of the transaction
// returned, even if the write function did not pass it on (PostgreSQL's
// writer retries a transaction that met a serialization failure).
func (t *Tx) StatementError() error { return t.err }

func (t *Tx) remember(c bridge.Conversation) {
	if t.read == nil {
		t.read = make(map[bridge.ConversationID]bridge.Conversation, 2)
	}
	t.read[c.ID] = c
}

func (t *Tx) note(err error) {
	if err != nil && t.err == nil {
		t.err = err
	}
}

// exec, queryRow and query run a statement in the transaction. They call
// *sql.Conn or *sql.Tx itself, not through an interface, so the arguments
// do not escape to the heap (one allocation per statement less).
func (t *Tx) exec(query string, args ...any) (res sql.Result, err error) {
	if t.conn != nil {
		res, err = t.conn.ExecContext(t.ctx, t.d.Rebind(query), args...)
	} else {
		res, err = t.tx.ExecContext(t.ctx, t.d.Rebind(query), args...)
	}
	t.note(err)
	return res, err
}

func (t *Tx) queryRow(query string, args ...any) (row *sql.Row) {
	if t.conn != nil {
		row = t.conn.QueryRowContext(t.ctx, t.d.Rebind(query), args...)
	} else {
		row = t.tx.QueryRowContext(t.ctx, t.d.Rebind(query), args...)
	}
	t.note(row.Err())
	return row
}

func (t *Tx) query(query string, args ...any) (rows *sql.Rows, err error) {
	if t.conn != nil {
		rows, err = t.conn.QueryContext(t.ctx, t.d.Rebind(query), args...)
	} else {
		rows, err = t.tx.QueryContext(t.ctx, t.d.Rebind(query), args...)
	}
	t.note(err)
	return rows, err
}

// on is the transaction for the helpers that also run on the read pool.
func (t *Tx) on() on {
	if t.conn != nil {
		return on{t.conn, t.d}
	}
	return on{t.tx, t.d}
}

// insertID runs an INSERT and returns the new row's id, or sql.ErrNoRows
// when ON CONFLICT DO NOTHING inserted none.
func (t *Tx) insertID(query string, args ...any) (int64, error) {
	if t.d.InsertReturning() {
		var id int64
		err := t.queryRow(query+" RETURNING id", args...).Scan(&id)
		return id, err
	}
	res, err := t.exec(query, args...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, cmp.Or(err, sql.ErrNoRows)
	}
	return res.LastInsertId()
}

// ExecForTest runs raw SQL inside a write transaction of a shared-SQL
// backend. Tests use it to set up states the engine cannot produce (a
// future schema, corrupt rows) and the bench to seed rows. Raw SQL may
// insert messages, so the transaction counts as having inserted some.
func ExecForTest(tx bridge.Tx, query string, args ...any) error {
	t := tx.(*Tx)
	t.inserted = true
	_, err := t.exec(query, args...)
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

package sqlite

import "github.com/threadlinehq/threadline/bridge"

// ExecForTest runs raw SQL inside a write transaction. Tests use it to set
// up states the engine cannot produce (a future schema, corrupt rows).
func ExecForTest(tx bridge.Tx, query string, args ...any) error {
	_, err := tx.(*Tx).exec(query, args...)
	return err
}

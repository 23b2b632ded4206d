package sqlite

import (
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

// ExecForTest runs raw SQL inside a write transaction. Tests use it to set
// up states the engine cannot produce (a future schema, corrupt rows).
func ExecForTest(tx bridge.Tx, query string, args ...any) error {
	return sqlstore.ExecForTest(tx, query, args...)
}

package sqlstore

import (
	"context"

	"github.com/threadlinehq/threadline/bridge"
)

// SetReachability records whether replies can reach the customer behind a
// channel address ("" = they can; otherwise why not), for channels that
// learn it without a failed send (a Telegram user blocking or unblocking
// the bot). An address Threadline has never seen is ignored.
func (s *Store) SetReachability(ctx context.Context, platform bridge.Platform, address, reason string) error {
	return s.write(ctx, func(tx bridge.Tx) error {
		_, err := tx.(*Tx).exec(`UPDATE customers SET unreachable = ?1 WHERE unreachable != ?1 AND id =
			(SELECT customer_id FROM customer_identities WHERE platform = ?2 AND address = ?3)`, reason, platform, address)
		return err
	})
}

package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

// Seed creates a migrated SQLite database at path with `open` open
// conversations (one customer and identity each, first-response clocks
// running) and `messages` customer messages spread over them, in chunks so
// progress can be shown. It writes with SQL for speed: the point is the
// resulting data.
func Seed(ctx context.Context, path string, open, messages int, progress func(done, total int)) error {
	st, err := sqlite.Open(store.Config{Path: path}, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	return SeedInto(ctx, st, false, open, messages, progress)
}

// SeedInto is Seed into a migrated, empty store (postgres: a PostgreSQL
// one). The SQL is the same on both: casts give PostgreSQL the parameter
// types SQLite does not need.
func SeedInto(ctx context.Context, st store.DB, postgres bool, open, messages int, progress func(done, total int)) error {
	now := time.Now().Add(-time.Hour).UnixMilli()
	total := open + messages
	done := 0
	const chunk = 20000
	for lo := 1; lo <= open; lo += chunk {
		hi := min(lo+chunk-1, open)
		err := st.Write(ctx, func(tx bridge.Tx) error {
			for _, q := range []string{
				`WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
				 INSERT INTO customers (id, name, created_at) SELECT i, 'Customer ' || i, CAST(?3 AS BIGINT) FROM n`,
				`WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
				 INSERT INTO customer_identities (platform, address, customer_id, display_name, created_at, updated_at)
				 SELECT 'webchat', 'seed-' || i, i, 'Customer ' || i, CAST(?3 AS BIGINT), CAST(?3 AS BIGINT) FROM n`,
				`WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
				 INSERT INTO conversations (id, customer_id, channel, address, subject, status, priority, created_at, updated_at,
				   last_customer_at, sla_policy, sla_resp_kind, sla_resp_since, sla_res_since, sla_next_check)
				 SELECT i, i, 'webchat', 'seed-' || i, 'Order ' || i || ' is late', 'open', 'normal', CAST(?3 AS BIGINT), CAST(?3 AS BIGINT), CAST(?3 AS BIGINT),
				   'seed', 'first', CAST(?3 AS BIGINT), CAST(?3 AS BIGINT), CAST(?3 AS BIGINT) + 86400000 FROM n`,
			} {
				if err := sqlstore.ExecForTest(tx, q, lo, hi, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed conversations: %w", err)
		}
		done += hi - lo + 1
		if progress != nil {
			progress(done, total)
		}
	}
	if postgres && open > 0 {
		// Rows were given their ids: move the id sequences past them.
		err := st.Write(ctx, func(tx bridge.Tx) error {
			for _, t := range []string{"customers", "conversations"} {
				if err := sqlstore.ExecForTest(tx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT max(id) FROM `+t+`))`); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	for lo := 1; lo <= messages && open > 0; lo += chunk {
		hi := min(lo+chunk-1, messages)
		err := st.Write(ctx, func(tx bridge.Tx) error {
			return sqlstore.ExecForTest(tx, `WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
				INSERT INTO messages (conversation_id, direction, author_id, author, body, platform, external_id, created_at)
				SELECT (i % CAST(?3 AS BIGINT)) + 1, 'customer', 'seed', 'Customer', 'Hello, my order number ' || i || ' has not arrived yet. Can you check the tracking?',
				  'webchat', 'seed-msg-' || i, CAST(?4 AS BIGINT) FROM n`, lo, hi, open, now)
		})
		if err != nil {
			return fmt.Errorf("seed messages: %w", err)
		}
		done += hi - lo + 1
		if progress != nil {
			progress(done, total)
		}
	}
	return nil
}

// SweepTimes seeds `open` open conversations in dir and times one SLA sweep
// with nothing due and one with 1% due (warnings written).
func SweepTimes(ctx context.Context, b *Backend, open int, progress func(done, total int)) (idle, onePct time.Duration, err error) {
	st, err := b.Open(ctx, "sweep")
	if err != nil {
		return 0, 0, err
	}
	err = SeedInto(ctx, st, b.Postgres(), open, 0, progress)
	// Open it again, as a daemon starts on a database that is at rest (on
	// SQLite the seed's WAL is copied into the file at close).
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, err
	}
	if st, err = b.Open(ctx, "sweep"); err != nil {
		return 0, 0, err
	}
	defer st.Close()
	sla := sla.New(sla.Options{Policies: []sla.Policy{{Name: "seed", FirstResponse: 4 * time.Hour}}})
	clock := time.Now()
	eng := engine.New(engine.Options{Store: st, SLA: sla, Clock: clocktest.Func(func() time.Time { return clock })})
	start := time.Now()
	if err := eng.Sweep(ctx); err != nil {
		return 0, 0, err
	}
	idle = time.Since(start)
	due := open / 100
	if err := st.Write(ctx, func(tx bridge.Tx) error {
		return sqlstore.ExecForTest(tx, `UPDATE conversations SET sla_next_check = ?, sla_resp_since = ? WHERE id <= ?`,
			clock.UnixMilli(), clock.Add(-3*time.Hour-30*time.Minute).UnixMilli(), due)
	}); err != nil {
		return 0, 0, err
	}
	start = time.Now()
	if err := eng.Sweep(ctx); err != nil {
		return 0, 0, err
	}
	return idle, time.Since(start), nil
}

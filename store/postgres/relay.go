package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/threadlinehq/threadline/bridge"
)

// relayChannel is the NOTIFY channel every replica listens on.
const relayChannel = "threadline_relay"

// inlineLimit is the largest payload sent inside the NOTIFY itself
// (PostgreSQL allows 8000 bytes); larger ones go through relay_payloads.
const inlineLimit = 7000

// Relay is bridge.Relay across replicas: Publish is a NOTIFY, and every
// replica's Run LISTENs and hands what arrives to its local subscribers.
// A replica that is reconnecting misses what is published meanwhile
// (relayed pushes are live only; the store has the truth).
type Relay struct {
	url   string
	db    *sql.DB
	clock bridge.Clock
	log   *slog.Logger
	local *bridge.LocalRelay
}

var _ bridge.Relay = (*Relay)(nil)

// Publish notifies every replica. The notification is sent at once (it is
// not part of any other transaction).
func (r *Relay) Publish(ctx context.Context, topic string, payload []byte) error {
	if strings.ContainsAny(topic, "\n") || !utf8.Valid(payload) || strings.IndexByte(string(payload), 0) >= 0 {
		return fmt.Errorf("relay: topic %q: payload must be one-line-topic text without NUL", topic)
	}
	msg := topic + "\n" + string(payload)
	if len(msg) > inlineLimit {
		now := r.clock.Now()
		var id int64
		if err := r.db.QueryRowContext(ctx, `INSERT INTO relay_payloads (topic, payload, created_at) VALUES ($1, $2, $3) RETURNING id`,
			topic, string(payload), now.UnixMilli()).Scan(&id); err != nil {
			return fmt.Errorf("relay: store a large payload: %w", err)
		}
		// Old payloads go: every replica fetched them within seconds.
		_, _ = r.db.ExecContext(ctx, `DELETE FROM relay_payloads WHERE created_at < $1`, now.Add(-5*time.Minute).UnixMilli())
		msg = topic + "\n@" + strconv.FormatInt(id, 10)
	}
	if _, err := r.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, relayChannel, msg); err != nil {
		return fmt.Errorf("relay: notify: %w", err)
	}
	return nil
}

// Subscribe registers fn for what any replica publishes on topic.
func (r *Relay) Subscribe(topic string, fn func([]byte)) func() { return r.local.Subscribe(topic, fn) }

// Run listens until ctx ends, reconnecting with backoff.
func (r *Relay) Run(ctx context.Context) {
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		start := r.clock.Now()
		err := r.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if r.clock.Now().Sub(start) > time.Minute {
			backoff = 500 * time.Millisecond
		}
		r.log.Warn("relay: listening for live pushes failed; reconnecting (pushes published meanwhile are missed)", "err", err, "in", backoff)
		if !bridge.Sleep(r.clock, backoff, ctx.Done()) {
			return
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (r *Relay) listen(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(cctx, r.url)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+relayChannel); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		topic, payload, ok := strings.Cut(n.Payload, "\n")
		if !ok {
			continue
		}
		if idText, large := strings.CutPrefix(payload, "@"); large {
			id, _ := strconv.ParseInt(idText, 10, 64)
			if err := r.db.QueryRowContext(ctx, `SELECT payload FROM relay_payloads WHERE id = $1`, id).Scan(&payload); err != nil {
				if !errors.Is(err, sql.ErrNoRows) {
					r.log.Warn("relay: fetching a large payload failed", "id", id, "err", err)
				}
				continue
			}
		}
		r.local.Deliver(topic, []byte(payload))
	}
}

package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// Cluster is what replicas sharing one PostgreSQL database coordinate
// through, besides the data: who leads (Elector), live pushes between them
// (Relay), and the secrets they must agree on (Secret). It keeps its own
// small connection pool, apart from the store's.
type Cluster struct {
	db      *sql.DB
	clock   bridge.Clock
	elector *Elector
	relay   *Relay
}

// NewCluster connects to url (the store's). Run its relay with RunRelay.
func NewCluster(url string, o store.Options) (*Cluster, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clock := bridge.OrSystem(o.Clock)
	return &Cluster{
		db: db, clock: clock,
		elector: &Elector{URL: url, Clock: clock, Log: log.With("part", "leader")},
		relay:   &Relay{url: url, db: db, clock: clock, log: log.With("part", "relay"), local: bridge.NewLocalRelay()},
	}, nil
}

// Elector campaigns for leadership.
func (c *Cluster) Elector() *Elector { return c.elector }

// Relay is the live-push relay between replicas.
func (c *Cluster) Relay() *Relay { return c.relay }

// RunRelay listens for other replicas' pushes until ctx ends.
func (c *Cluster) RunRelay(ctx context.Context) { c.relay.Run(ctx) }

// Secret returns the secret called name, made with gen by whichever
// replica asks first; every replica gets the same one.
func (c *Cluster) Secret(ctx context.Context, name string, gen func() (string, error)) (string, error) {
	var v string
	err := c.db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read secret %s: %w", name, err)
	}
	made, err := gen()
	if err != nil {
		return "", err
	}
	if _, err := c.db.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		name, made, c.clock.Now().UnixMilli()); err != nil {
		return "", fmt.Errorf("store secret %s: %w", name, err)
	}
	// Another replica may have won the race: everyone takes the stored one.
	if err := c.db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return "", fmt.Errorf("read secret %s: %w", name, err)
	}
	return v, nil
}

// Close closes the cluster's connections.
func (c *Cluster) Close() error { return c.db.Close() }

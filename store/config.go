package store

import (
	"errors"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Config is the store section of config.yaml.
type Config struct {
	// Path is the SQLite database file, or a postgres:// (postgresql://)
	// URL for the PostgreSQL backend.
	Path string `yaml:"path"`
	// Synchronous is "normal" (survives a process crash; a power cut may lose
	// the last commits) or "full" (also survives power loss; slower
	// commits). SQLite only: PostgreSQL's is its synchronous_commit.
	Synchronous string `yaml:"synchronous"`
	// BusyTimeout is how long SQLite waits for a lock (PostgreSQL: for
	// the connection when opening).
	BusyTimeout bridge.Duration `yaml:"busy_timeout"`
	// ReadConnections sizes the read pool (writes have their own
	// connection: SQLite's one writer, PostgreSQL's committer).
	ReadConnections int `yaml:"read_connections"`
	// MaxBatch is how many concurrent writes may share one transaction
	// (group commit).
	MaxBatch int `yaml:"max_batch"`
	// FailureWindow is how long LastError keeps reporting a storage failure
	// after the last one, even if other writes succeed meanwhile (default
	// 5s; not in config.yaml, tests shorten it).
	FailureWindow time.Duration `yaml:"-"`
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.Path == "" {
		c.Path = "threadline.db"
	}
	if c.Synchronous == "" {
		c.Synchronous = "normal"
	}
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = bridge.Duration(5 * time.Second)
	}
	if c.ReadConnections <= 0 {
		c.ReadConnections = max(4, runtime.NumCPU())
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 128
	}
	if c.FailureWindow <= 0 {
		c.FailureWindow = 5 * time.Second
	}
}

// IsPostgresURL reports whether path is a PostgreSQL connection URL
// (postgres:// or postgresql://) rather than a SQLite file.
func IsPostgresURL(path string) bool {
	return strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://")
}

// Validate reports config errors.
func (c Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, bridge.FieldErrorf("path", "is required"))
	}
	if IsPostgresURL(c.Path) {
		if _, err := url.Parse(c.Path); err != nil {
			// Not err itself: it quotes the URL, password and all.
			errs = append(errs, bridge.FieldErrorf("path", "is not a valid PostgreSQL URL (postgres://user:password@host:5432/database)"))
		}
	}
	switch c.Synchronous {
	case "", "normal", "full":
	default:
		errs = append(errs, bridge.FieldErrorf("synchronous", "must be normal or full, not %q", c.Synchronous))
	}
	return errors.Join(errs...)
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store is closed")

// Options are what a backend is opened with besides its config.
type Options struct {
	Log *slog.Logger // nil: discard
	// Clock stamps the store's own bookkeeping (cursor and event times,
	// migration times, failure windows); writes get their times from the
	// caller. Nil: the system clock.
	Clock bridge.Clock
}

package postgres

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is PostgreSQL's sqlstore.Dialect. One per Store: it holds the
// cache of rewritten queries.
type dialect struct {
	mu sync.RWMutex
	// rebound maps a query as the shared SQL writes it (? and ?N) to
	// PostgreSQL's ($N). Queries built with a variable number of
	// placeholders (IN lists) are few shapes in practice; the map is
	// bounded all the same.
	rebound map[string]string
}

const maxRebound = 2048

func newDialect() *dialect { return &dialect{rebound: make(map[string]string, 128)} }

func (d *dialect) InsertReturning() bool { return true }

func (d *dialect) IDSet() string {
	return `SELECT value::bigint FROM json_array_elements_text(?::json)`
}

func (d *dialect) TableExistsQuery() string {
	return `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?`
}

// SnapshotTx: PostgreSQL's default (read committed) takes a snapshot per
// statement; Export and Stats need one for all of theirs.
func (d *dialect) SnapshotTx() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

// Rebind returns query with PostgreSQL's placeholders, from the cache.
func (d *dialect) Rebind(query string) string {
	d.mu.RLock()
	out, ok := d.rebound[query]
	d.mu.RUnlock()
	if ok {
		return out
	}
	out = rebind(query)
	d.mu.Lock()
	if len(d.rebound) >= maxRebound {
		clear(d.rebound)
	}
	d.rebound[query] = out
	d.mu.Unlock()
	return out
}

// rebind rewrites SQLite-style placeholders to PostgreSQL's: ?N becomes
// $N, and a bare ? takes the number after the largest used so far (as
// SQLite numbers it). String literals, quoted identifiers and comments are
// copied as they are.
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	largest := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled: an escaped quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(q))
			b.WriteString(q[i:end])
			i = end - 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			end := len(q)
			if n := strings.IndexByte(q[i:], '\n'); n >= 0 {
				end = i + n
			}
			b.WriteString(q[i:end])
			i = end - 1
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := len(q)
			if n := strings.Index(q[i+2:], "*/"); n >= 0 {
				end = i + 2 + n + 2
			}
			b.WriteString(q[i:end])
			i = end - 1
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := largest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			largest = max(largest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// retryable reports a serialization failure or a deadlock: the
// transaction lost a conflict and may be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// storageError reports whether err comes from the database server or the
// connection to it rather than from the caller's logic: connection
// failures, resources (disk full, out of memory, too many connections),
// operator intervention (shutdown), system and internal errors, a
// read-only server, a lock not obtained in time.
func storageError(err error) bool {
	if errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == "57014" { // query_canceled: a context or statement timeout
			return false
		}
		switch pe.Code[:2] {
		case "08", "53", "57", "58", "XX":
			return true
		}
		return pe.Code == "25006" || pe.Code == "55P03" // read_only_sql_transaction, lock_not_available
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne)
}

// MatchArg is a tsquery that ANDs the words; a stem becomes a prefix
// match (word:*). Words are letters and digits only, so no operator gets
// in.
func (d *dialect) MatchArg(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		if stem, ok := strings.CutSuffix(w, "*"); ok {
			w = stem + ":*"
		}
		q[i] = w
	}
	return strings.Join(q, " & ")
}

func (d *dialect) MatchCountQuery() string {
	return `SELECT count(*) FROM (SELECT 1 FROM messages WHERE search @@ to_tsquery('simple', ?) LIMIT ?) AS t`
}

func (d *dialect) MatchConversationsQuery() string {
	return `SELECT m.conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.search @@ to_tsquery('simple', ?) AND m.direction IN ('customer', 'staff') AND c.status = 'closed' AND c.id <> ?
		ORDER BY m.id DESC LIMIT ?`
}

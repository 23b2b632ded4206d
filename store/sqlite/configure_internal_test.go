package sqlite

import (
	"strings"
	"testing"
)

// Every connection this package opens plans statements without looking at
// bound values, so go-sqlite3's cached statements are not planned again on
// every run; queries that lean on a partial index say its condition
// themselves and still use it.
func TestStablePlans(t *testing.T) {
	s := openMigrated(t)
	if !newConnectionHasStablePlans() {
		t.Fatal("a connection opened after Open plans with bound values")
	}
	for _, c := range []struct {
		query, index string
		args         []any
	}{
		// The identity merge by email (customers_email: WHERE email != '').
		{`SELECT id FROM customers WHERE email = ? AND email != '' ORDER BY id LIMIT 1`, "customers_email", []any{"a@example.com"}},
		// The latest conversation of a visitor, once per message.
		{`SELECT id FROM conversations WHERE customer_id = ? AND channel = ? AND address = ? ORDER BY id DESC LIMIT 1`, "conversations_customer", []any{1, "webchat", "v"}},
		// The outbox's due rows (outbox_due: WHERE state = 'pending').
		{`SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, "outbox_due", []any{1, 10}},
	} {
		query, index := c.query, c.index
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+query, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, index) {
			t.Errorf("%s\n  plan %q does not use %s", query, p, index)
		}
	}
}

// SQLite keeps no memory statistics in this process: counting took a global
// mutex on every allocation.
func TestNoMemoryStatistics(t *testing.T) {
	s := openMigrated(t)
	if _, err := s.r.Exec(`SELECT count(*) FROM conversations`); err != nil {
		t.Fatal(err)
	}
	if !memoryStatisticsOff() {
		t.Error("SQLite counts its memory (SQLITE_CONFIG_MEMSTATUS is on)")
	}
}

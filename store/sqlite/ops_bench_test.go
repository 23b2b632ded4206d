package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// Sizes of the benchmark database: 200k messages in 20k conversations,
// half of them closed long ago (retention candidates).
const (
	benchConvs = 20_000
	benchMsgs  = 200_000
)

// buildBig fills a migrated store with generated rows in one transaction
// (raw SQL: a realistic shape much faster than 200k deliveries).
func buildBig(b *testing.B, path string) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(store.Config{Path: path}, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	old := time.Now().AddDate(-1, 0, 0).UnixMilli()
	now := time.Now().UnixMilli()
	queries := []string{
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d)
			INSERT INTO customers (id, name, email, created_at) SELECT i, 'Customer ' || i, 'c' || i || '@example.com', %d FROM n`, benchConvs, old),
		fmt.Sprintf(`INSERT INTO customer_identities (platform, address, customer_id, display_name, email, created_at, updated_at)
			SELECT 'webchat', 'visitor-' || id, id, name, email, %d, %d FROM customers`, old, old),
		fmt.Sprintf(`INSERT INTO conversations (id, customer_id, channel, address, subject, status, created_at, updated_at, closed_at)
			SELECT id, id, 'webchat', 'visitor-' || id, 'Question ' || id,
				CASE WHEN id %% 2 = 0 THEN 'closed' ELSE 'open' END, %d,
				CASE WHEN id %% 2 = 0 THEN %d ELSE %d END, CASE WHEN id %% 2 = 0 THEN %d END FROM customers`, old, old, now, old),
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d)
			INSERT INTO messages (id, conversation_id, direction, author, body, platform, external_id, created_at)
			SELECT i, (i %% %d) + 1, CASE WHEN i %% 3 = 0 THEN 'staff' ELSE 'customer' END, 'Someone',
				'Message ' || i || ': my order number ' || (i * 7919 %% 100003) || ' has not arrived and the tracking page says nothing since Tuesday, please help',
				'webchat', 'ext-' || i, %d FROM n`, benchMsgs, benchConvs, old),
		`INSERT INTO outbox (conversation_id, target, kind, message_id, state, attempts, next_attempt_at, created_at, done_at)
			SELECT conversation_id, 'console', 'staff_post', id, 'sent', 1, 0, created_at, created_at FROM messages`,
		`INSERT INTO threads (surface, thread_ref, conversation_id, created_at) SELECT 'console', 'thread-' || id, id, created_at FROM conversations`,
		`INSERT INTO audit_log (conversation_id, actor, action, at) SELECT id, 'console:bob', 'close', created_at FROM conversations WHERE status = 'closed'`,
	}
	err = s.Write(ctx, func(tx bridge.Tx) error {
		for _, q := range queries {
			if err := sqlite.ExecForTest(tx, q); err != nil {
				return fmt.Errorf("%w\n%s", err, q)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkBackup200k(b *testing.B) {
	dir := b.TempDir()
	s := buildBig(b, filepath.Join(dir, "big.db"))
	b.ResetTimer()
	for i := range b.N {
		res, err := s.Backup(context.Background(), filepath.Join(dir, fmt.Sprintf("copy-%d.db", i)), store.BackupOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(res.Bytes)
		b.ReportMetric(float64(res.Bytes)/1e6, "MB")
		b.ReportMetric(float64(res.Bytes)/1e6/res.CopyDuration.Seconds(), "copy-MB/s")
	}
}

func BenchmarkExport200k(b *testing.B) {
	s := buildBig(b, filepath.Join(b.TempDir(), "big.db"))
	b.ResetTimer()
	start := time.Now()
	rows := 0
	for range b.N {
		enc := json.NewEncoder(io.Discard)
		err := s.Export(context.Background(), store.ExportFilter{}, store.ExportVisitor{
			Conversation: func(c bridge.ConversationView) error { rows++; return enc.Encode(c) },
			Message:      func(m bridge.Message) error { rows++; return enc.Encode(m) },
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
}

func BenchmarkPurge200k(b *testing.B) {
	dir := b.TempDir()
	src := buildBig(b, filepath.Join(dir, "big.db"))
	var took time.Duration
	rows := 0
	for i := range b.N {
		b.StopTimer()
		path := filepath.Join(dir, fmt.Sprintf("purge-%d.db", i))
		if _, err := src.Backup(context.Background(), path, store.BackupOptions{}); err != nil {
			b.Fatal(err)
		}
		s, err := sqlite.Open(store.Config{Path: path}, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		d, err := s.PurgeClosed(context.Background(), time.Now().AddDate(0, -1, 0), store.DeleteOptions{})
		took += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		rows += d.Messages + d.Conversations + d.OutboxRows + d.AuditRows + d.Customers + d.Identities
		b.ReportMetric(float64(d.Messages), "messages")
		b.ReportMetric(float64(d.Batches), "batches")
		s.Close()
	}
	b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
}

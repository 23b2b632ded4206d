package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

func TestMigrateFreshIdempotentAndTooNew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := sqlite.Open(store.Config{Path: path}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "threadline migrate") {
		t.Errorf("fresh db CheckSchema = %v, want a hint to migrate", err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != sqlite.LatestVersion() {
		t.Errorf("applied %d migrations, want %d", len(applied), sqlite.LatestVersion())
	}
	again, err := s.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Errorf("second migrate applied %d (%v), want none", len(again), err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema after migrate: %v", err)
	}
	// Pretend a newer binary migrated this file.
	err = s.Write(ctx, func(tx bridge.Tx) error {
		return sqlite.ExecForTest(tx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future', 0)`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); !errors.Is(err, bridge.ErrSchemaTooNew) {
		t.Errorf("migrate on newer schema = %v, want ErrSchemaTooNew", err)
	}
	if err := s.CheckSchema(ctx); !errors.Is(err, bridge.ErrSchemaTooNew) || !strings.Contains(err.Error(), "999") {
		t.Errorf("CheckSchema on newer schema = %v", err)
	}
	s.Close()
}

func TestMigrationsAreNumberedAndEmbedded(t *testing.T) {
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Version != i+1 || !strings.HasPrefix(m.Name, fmt.Sprintf("%04d_", i+1)) {
			t.Errorf("migration %d is %+v", i, m)
		}
	}
}

func TestGroupCommitIsolatesFailures(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Write(ctx, func(tx bridge.Tx) error {
				c := bridge.Conversation{Customer: 0, Channel: "webchat", Address: fmt.Sprint(i), Status: bridge.StatusOpen,
					Priority: bridge.PriorityNormal, CreatedAt: time.Now(), UpdatedAt: time.Now()}
				cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: fmt.Sprint(i)}, time.Now())
				if err != nil {
					return err
				}
				c.Customer = cust
				if err := tx.CreateConversation(&c); err != nil {
					return err
				}
				if i%3 == 0 {
					return errors.New("fail on purpose")
				}
				if i%7 == 0 {
					panic("panic on purpose")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		switch {
		case i%3 == 0:
			if err == nil || !strings.Contains(err.Error(), "on purpose") {
				t.Errorf("write %d: %v, want its own failure", i, err)
			}
		case i%7 == 0:
			if err == nil || !strings.Contains(err.Error(), "panic") {
				t.Errorf("write %d: %v, want panic error", i, err)
			}
		default:
			want++
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	convs, err := s.ListConversations(ctx, store.ListFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != want {
		t.Errorf("%d conversations committed, want %d (failed writes must roll back alone)", len(convs), want)
	}
}

func TestWriteAfterCloseAndCancelledContext(t *testing.T) {
	s, err := sqlite.Open(store.Config{Path: filepath.Join(t.TempDir(), "c.db")}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Write(ctx, func(bridge.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write = %v", err)
	}
	s.Close()
	if err := s.Write(context.Background(), func(bridge.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("write after close = %v", err)
	}
}

func TestDuplicateExternalIDIsRefused(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	err := s.Write(ctx, func(tx bridge.Tx) error {
		cust, _ := tx.UpsertIdentity(bridge.Identity{Platform: "telegram", Address: "1"}, time.Now())
		c := bridge.Conversation{Customer: cust, Channel: "telegram", Address: "1", Status: bridge.StatusOpen, Priority: bridge.PriorityNormal}
		if err := tx.CreateConversation(&c); err != nil {
			return err
		}
		m := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, Body: "x", Platform: "telegram", ExternalID: "42"}
		if err := tx.InsertMessage(&m, 0); err != nil {
			return err
		}
		m2 := m
		if err := tx.InsertMessage(&m2, 0); !errors.Is(err, bridge.ErrDuplicate) {
			return fmt.Errorf("second insert = %v, want ErrDuplicate", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSearch(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	eng := engine.New(engine.Options{Store: s})
	eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "a", Text: "My invoice shows the wrong VAT number"})
	eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "b", Text: "Password reset does not arrive"})
	eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "c", Text: "Größe der Rechnung: falsch"})
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"invoice", 1}, {"INVOICE vat", 1}, {"password", 1}, {"invoice password", 0}, {`"unbalanced`, 0},
		{"rechnung", 1}, {"größe", 1}, {"wrong -vat", 1}, {"NEAR OR AND", 0},
	} {
		hits, err := s.Search(ctx, tc.q, 10)
		if err != nil {
			t.Errorf("search %q: %v", tc.q, err)
			continue
		}
		if len(hits) != tc.want {
			t.Errorf("search %q: %d hits, want %d", tc.q, len(hits), tc.want)
		}
	}
	if _, err := s.Search(ctx, `  "" `, 10); err == nil {
		t.Error("empty search should be an error")
	}
}

func TestCursorsAndEvents(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if v, err := s.Cursor(ctx, "telegram", "offset"); err != nil || v != "" {
		t.Fatalf("empty cursor = %q, %v", v, err)
	}
	s.SetCursor(ctx, "telegram", "offset", "10")
	s.SetCursor(ctx, "telegram", "offset", "11")
	if v, _ := s.Cursor(ctx, "telegram", "offset"); v != "11" {
		t.Errorf("cursor = %q", v)
	}
	fresh, _ := s.MarkEvent(ctx, "slack", "Ev1")
	again, _ := s.MarkEvent(ctx, "slack", "Ev1")
	if !fresh || again {
		t.Errorf("MarkEvent = %v then %v", fresh, again)
	}
}

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

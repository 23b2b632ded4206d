package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

func openMigrated(t *testing.T) *Store {
	t.Helper()
	s, err := Open(store.Config{Path: filepath.Join(t.TempDir(), "threadline.db")}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// openConversation creates an open conversation for a web chat visitor.
func openConversation(tx bridge.Tx, address string) (bridge.ConversationID, error) {
	now := time.Now()
	cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: address}, now)
	if err != nil {
		return 0, err
	}
	c := bridge.Conversation{Customer: cust, Channel: "webchat", Address: address, Status: bridge.StatusOpen,
		Priority: bridge.PriorityNormal, CreatedAt: now, UpdatedAt: now}
	err = tx.CreateConversation(&c)
	return c.ID, err
}

func insertBody(tx bridge.Tx, conv bridge.ConversationID, body string) (bridge.MessageID, error) {
	m := bridge.Message{Conversation: conv, Direction: bridge.DirCustomer, Author: "c", Body: body, Platform: "webchat", CreatedAt: time.Now()}
	err := tx.InsertMessage(&m, 0)
	return m.ID, err
}

// found is the ids of the messages a search for word finds.
func found(t *testing.T, s *Store, word string) []bridge.MessageID {
	t.Helper()
	hits, err := s.Search(context.Background(), word, 50)
	if err != nil {
		t.Fatal(err)
	}
	var ids []bridge.MessageID
	for _, h := range hits {
		ids = append(ids, h.Message)
	}
	slices.Sort(ids)
	return ids
}

// indexIntact runs FTS4's own check that the index holds exactly the
// terms of the rows it claims to index.
func indexIntact(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.w.Exec(`INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')`); err != nil {
		t.Fatalf("search index is corrupt: %v", err)
	}
}

// Schema v11 indexes new messages once per commit. A message inserted and
// then changed or deleted in the same transaction is not in the index yet:
// the triggers must leave the index alone for it (deleting terms an
// external-content FTS4 table never added corrupts it), and the commit
// indexes its final text. Rows indexed by earlier commits are kept in step
// as before.
func TestSearchIndexFollowsEditsAndDeletesInTheSameTransaction(t *testing.T) {
	s := openMigrated(t)
	ctx := context.Background()
	var conv bridge.ConversationID
	var edited, deleted, kept bridge.MessageID
	err := s.Write(ctx, func(tx bridge.Tx) error {
		var err error
		if conv, err = openConversation(tx, "v1"); err != nil {
			return err
		}
		if edited, err = insertBody(tx, conv, "alpha words"); err != nil {
			return err
		}
		if deleted, err = insertBody(tx, conv, "bravo words"); err != nil {
			return err
		}
		if kept, err = insertBody(tx, conv, "echo words"); err != nil {
			return err
		}
		if err := sqlstore.ExecForTest(tx, `UPDATE messages SET body = 'charlie words' WHERE id = ?`, edited); err != nil {
			return err
		}
		return sqlstore.ExecForTest(tx, `DELETE FROM messages WHERE id = ?`, deleted)
	})
	if err != nil {
		t.Fatal(err)
	}
	indexIntact(t, s)
	for word, want := range map[string][]bridge.MessageID{"alpha": nil, "bravo": nil, "charlie": {edited}, "echo": {kept}, "words": {edited, kept}} {
		if got := found(t, s, word); !slices.Equal(got, want) {
			t.Errorf("search %q after the first commit: %v, want %v", word, got, want)
		}
	}

	// Now indexed: an edit and a delete change the index at once, and a
	// new message in the same transaction is indexed at its commit.
	var later bridge.MessageID
	err = s.Write(ctx, func(tx bridge.Tx) error {
		if err := sqlstore.ExecForTest(tx, `UPDATE messages SET body = 'delta words' WHERE id = ?`, edited); err != nil {
			return err
		}
		if err := sqlstore.ExecForTest(tx, `DELETE FROM messages WHERE id = ?`, kept); err != nil {
			return err
		}
		var err error
		later, err = insertBody(tx, conv, "foxtrot words")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	indexIntact(t, s)
	for word, want := range map[string][]bridge.MessageID{"charlie": nil, "delta": {edited}, "echo": nil, "foxtrot": {later}, "words": {edited, later}} {
		if got := found(t, s, word); !slices.Equal(got, want) {
			t.Errorf("search %q after the second commit: %v, want %v", word, got, want)
		}
	}
}

// Group commit: writes that fail roll back alone (their messages never
// reach the index), the others' messages are searchable once Write
// returned, and the index stays exact.
func TestSearchIndexUnderGroupCommit(t *testing.T) {
	s := openMigrated(t)
	ctx := context.Background()
	const n = 60
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Write(ctx, func(tx bridge.Tx) error {
				conv, err := openConversation(tx, fmt.Sprint("g", i))
				if err != nil {
					return err
				}
				word := "kept"
				if i%4 == 0 {
					word = "dropped"
				}
				if _, err := insertBody(tx, conv, fmt.Sprintf("%s n%d", word, i)); err != nil {
					return err
				}
				if i%4 == 0 {
					return errors.New("fail on purpose")
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i%4 == 0) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	indexIntact(t, s)
	if got := found(t, s, "dropped"); len(got) != 0 {
		t.Errorf("messages of failed writes are searchable: %v", got)
	}
	if got := found(t, s, "kept"); len(got) != n-n/4 {
		t.Errorf("%d messages of successful writes are searchable, want %d", len(got), n-n/4)
	}
	commits, writes := s.WriteStats()
	t.Logf("%d writes in %d commits", writes, commits)
}

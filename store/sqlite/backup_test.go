package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// writers delivers customer messages through the engine until stopped and
// records the id of every message whose Deliver returned (was committed).
type writers struct {
	mu        sync.Mutex
	committed []bridge.MessageID
	changed   chan struct{} // signalled after each commit
	stop      chan struct{}
	wg        sync.WaitGroup
	errs      chan error
}

func startWriters(t *testing.T, e *engine.Engine, n int) *writers {
	w := &writers{changed: make(chan struct{}, 1), stop: make(chan struct{}), errs: make(chan error, n)}
	for g := range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-w.stop:
					return
				default:
				}
				res, err := e.Deliver(context.Background(), bridge.InboundMessage{
					Channel: "webchat", Address: fmt.Sprintf("w%d-%d", g, i%7), ExternalID: fmt.Sprintf("live-%d-%d", g, i),
					Name: "Load", Text: fmt.Sprintf("live message %d from writer %d zebra", i, g),
				})
				if err != nil {
					w.errs <- err
					return
				}
				w.mu.Lock()
				w.committed = append(w.committed, res.Message)
				w.mu.Unlock()
				select {
				case w.changed <- struct{}{}:
				default:
				}
			}
		}()
	}
	return w
}

func (w *writers) snapshot() []bridge.MessageID {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]bridge.MessageID(nil), w.committed...)
}

func (w *writers) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.committed)
}

// waitFor blocks until at least n messages are committed in total.
func (w *writers) waitFor(t *testing.T, n int) {
	for w.count() < n {
		select {
		case <-w.changed:
		case err := <-w.errs:
			t.Fatalf("writer: %v", err)
		}
	}
}

func (w *writers) halt(t *testing.T) {
	close(w.stop)
	w.wg.Wait()
	select {
	case err := <-w.errs:
		t.Fatalf("writer: %v", err)
	default:
	}
}

func fill(t *testing.T, e *engine.Engine, convs, perConv int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, convs)
	for c := range convs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perConv {
				_, err := e.Deliver(context.Background(), bridge.InboundMessage{
					Channel: "webchat", Address: fmt.Sprintf("fill-%d", c), ExternalID: fmt.Sprintf("fill-%d-%d", c, i),
					Name: fmt.Sprintf("Customer %d", c), Text: fmt.Sprintf("history line %d of conversation %d: %s", i, c, strings.Repeat("lorem ipsum ", 8)),
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_fk=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// checkConsistent runs SQLite's own checks on a database file.
func checkConsistent(t *testing.T, db *sql.DB) {
	t.Helper()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check = %q, %v", ok, err)
	}
	rows, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		rows.Scan(&table, &rowid, &parent, &fkid)
		t.Errorf("foreign_key_check: %s row %v points at a missing %s", table, rowid.Int64, parent)
	}
	rows.Close()
	// The full-text index must match the messages table.
	if _, err := db.Exec("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')"); err != nil {
		t.Errorf("fts integrity-check: %v", err)
	}
}

func TestBackupUnderLoadRestoresConsistent(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	e := engine.New(engine.Options{Store: s, Surfaces: []bridge.Platform{"console"}})
	fill(t, e, 20, 50) // ~1000 messages of history, a few hundred pages

	w := startWriters(t, e, 4)
	w.waitFor(t, 20)
	before := w.snapshot() // committed before the backup started
	dest := filepath.Join(t.TempDir(), "backup.db")
	var calls int
	var lastDone, lastTotal int64
	res, err := s.Backup(ctx, dest, store.BackupOptions{PagesPerStep: 8, Progress: func(done, total int64) {
		calls++
		lastDone, lastTotal = done, total
		if calls == 1 {
			// Make sure commits land while the copy is under way.
			w.waitFor(t, len(before)+20)
		}
	}})
	during := w.count() - len(before)
	w.halt(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup: %d pages in %d steps, %d commits landed during it", res.Pages, res.Steps, during)
	if res.Steps < 2 || calls != res.Steps || lastDone != lastTotal || lastTotal != res.Bytes {
		t.Errorf("progress: %d calls for %d steps, last %d/%d, result %d bytes", calls, res.Steps, lastDone, lastTotal, res.Bytes)
	}
	if res.SchemaVersion != sqlite.LatestVersion() || res.Messages < 1000+len(before) || res.Conversations < 20 {
		t.Errorf("result = %+v", res)
	}
	if during < 20 {
		t.Errorf("only %d commits during the backup", during)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), "*"))
	if len(leftovers) != 1 {
		t.Errorf("files next to the backup: %v (want only the backup: no temp, -wal or -shm)", leftovers)
	}

	// Restore: the copy opens as a Threadline database and is consistent.
	db := openRaw(t, dest)
	checkConsistent(t, db)
	have := map[bridge.MessageID]bool{}
	rows, err := db.Query("SELECT id FROM messages")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id bridge.MessageID
		rows.Scan(&id)
		have[id] = true
	}
	rows.Close()
	if len(have) != res.Messages {
		t.Errorf("backup has %d messages, result said %d", len(have), res.Messages)
	}
	for _, id := range before {
		if !have[id] {
			t.Fatalf("message %d was committed before the backup started but is not in it", id)
		}
	}
	db.Close()
	restored := storetest.OpenAt(t, dest)
	if err := restored.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
	hits, err := restored.Search(ctx, "zebra", 5)
	if err != nil || len(hits) == 0 {
		t.Errorf("search in the restored copy: %v, %v", hits, err)
	}
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	dir := t.TempDir()
	dest := filepath.Join(dir, "b.db")
	os.WriteFile(dest, []byte("precious"), 0o600)
	if _, err := s.Backup(ctx, dest, store.BackupOptions{}); !errors.Is(err, store.ErrBackupExists) {
		t.Fatalf("existing file: %v, want ErrBackupExists", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "precious" {
		t.Fatal("existing file was changed")
	}
	if _, err := s.Backup(ctx, s.Path(), store.BackupOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "live database") {
		t.Fatalf("backup onto the live database: %v", err)
	}
	if _, err := s.Backup(ctx, dir, store.BackupOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("backup onto a directory: %v", err)
	}
	os.WriteFile(dest+"-wal", []byte("stale"), 0o600)
	res, err := s.Backup(ctx, dest, store.BackupOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dest + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale -wal survived --force: %v", err)
	}
	if res.SchemaVersion != sqlite.LatestVersion() {
		t.Errorf("schema v%d", res.SchemaVersion)
	}
	checkConsistent(t, openRaw(t, dest))
	if _, err := s.Backup(ctx, filepath.Join(dir, "missing", "b.db"), store.BackupOptions{}); err == nil {
		t.Error("backup into a missing directory succeeded")
	}
}

package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// The WAL is copied back into the database by the checkpoint goroutine,
// not inside the writer's commits (whose callers would wait for it), and
// the next write after a checkpoint starts the WAL afresh: ten bursts of
// 200 commits, each followed by the checkpoint it triggered, leave a WAL
// of one or two bursts (a checkpoint still running when the next burst
// starts lets that burst append), where the writer alone (below its
// 10,000-page bound) would have kept all ten.
func TestWALIsCheckpointedBesideTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "threadline.db")
	s, err := Open(store.Config{Path: path}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if s.ckpt == nil {
		t.Fatal("no checkpoint goroutine")
	}
	var auto int
	if err := s.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != writerCheckpointPages {
		t.Fatalf("writer autocheckpoint %d (%v), want %d", auto, err, writerCheckpointPages)
	}
	for burst := range 10 {
		before := s.ckpt.runs.Load()
		for i := range 200 {
			err := s.Write(ctx, func(tx bridge.Tx) error {
				return tx.PutCursor("test", fmt.Sprint("k", i%50), fmt.Sprint(burst, i), time.Unix(0, 0))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// The writer went idle after the burst: a checkpoint of every
		// frame follows.
		waitFor(t, func() bool { return s.ckpt.runs.Load() > before && len(s.ckpt.nudge) == 0 })
		time.Sleep(50 * time.Millisecond)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	one := int64(200 * 3 * 4120) // 200 commits of a few pages
	if fi.Size() > 4*one {
		t.Errorf("WAL is %d bytes after ten bursts: not restarted (one burst is about %d)", fi.Size(), one)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/storetest"
)

// backup --force onto the live database's -wal (or -shm) destroyed
// acknowledged messages: every file of the live database is refused as a
// target, and the messages are still there afterwards.
func TestBackupRefusesTheLiveDatabaseAndItsCompanions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.db")
	st := storetest.OpenAt(t, path)
	ctx := context.Background()
	eng := engine.New(engine.Options{Store: st})
	res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Text: "my order is late"})
	if err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{path, path + "-wal", path + "-shm", path + "-journal",
		filepath.Join(filepath.Dir(path), ".", "live.db-wal"), strings.TrimSuffix(path, ".db") + ".db"} {
		_, err := st.Backup(ctx, dest, store.BackupOptions{Force: true})
		if err == nil || !strings.Contains(err.Error(), "live database") {
			t.Errorf("backup --force to %s: %v, want a refusal naming the live database", dest, err)
		}
	}
	if _, err := st.Message(ctx, res.Message); err != nil {
		t.Fatalf("the acknowledged message is gone: %v", err)
	}
	if _, err := st.Backup(ctx, path+".bak", store.BackupOptions{}); err != nil {
		t.Fatalf("a backup next to it: %v", err)
	}
}

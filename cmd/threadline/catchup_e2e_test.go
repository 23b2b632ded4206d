package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
)

// TestEndToEndSlackCatchUpAfterRestart: the daemon is stopped, staff answer
// in the Slack thread meanwhile (Slack has given up redelivering), and
// after the restart the answer reaches the web chat customer, once.
func TestEndToEndSlackCatchUpAfterRestart(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	fake.AddUser("U0ALICE", "Alice")
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := testConfig + slackYAML(fake)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, path)
	eventually(t, "socket mode connected", func() bool { return fake.Connected() == 1 })
	v := newVisitor(t, d.http)
	v.connect(d.http)
	v.say("Is my order shipped?", "c1")
	card := slackCard(t, d, fake, "C0SUPPORT1")
	eventually(t, "customer message in the thread", func() bool { return len(fake.Thread("C0SUPPORT1", card)) >= 1 })
	d.stop()
	eventually(t, "socket closed", func() bool { return fake.Connected() == 0 })

	fake.WriteUnheard("C0SUPPORT1", card, "U0ALICE", "Yes, it ships today.")

	d2 := startDaemon(t, path)
	v2 := &visitor{t: t, token: v.token}
	v2.connect(d2.http)
	eventually(t, "the answer written while stopped reaches the customer", func() bool {
		return slices.Contains(v2.staffTexts(), "Yes, it ships today.")
	})
	mark := func(d *daemon) string {
		v, _ := d.app.st.Cursor(context.Background(), "slack", "listening_until")
		return v
	}
	dbPath := d2.app.cfg.Store.Path
	d2.stop()
	// The mark as the stop left it (its last beat), read as another process would.
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var before string
	if err := db.QueryRow(`SELECT value FROM cursors WHERE adapter = 'slack' AND key = 'listening_until'`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	db.Close()
	time.Sleep(2 * time.Millisecond) // the mark has millisecond resolution
	d3 := startDaemon(t, path)
	eventually(t, "caught up again after another restart", func() bool { return mark(d3) != before })
	msgs, err := d3.app.st.Messages(context.Background(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Body == "Yes, it ships today." {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the answer is stored %d times, want 1", n)
	}
}

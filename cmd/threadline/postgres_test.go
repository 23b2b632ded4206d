package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/postgres/pgtest"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

// With store.path a PostgreSQL URL, the daemon serves from PostgreSQL and
// the operator's commands work on it; the password never shows, and
// backup says to use pg_dump.
func TestServeAndCommandsOnPostgreSQL(t *testing.T) {
	cluster, err := pgtest.Start()
	t.Cleanup(cluster.Stop)
	pgtest.Need(t, cluster, err)
	url := strings.Replace(cluster.NewDatabase(t), "postgres@", "postgres:s3cret@", 1)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := strings.Replace(testConfig, "path: threadline.db", "path: "+url, 1)
	cfg = strings.Replace(cfg, "admin:\n  listen: 127.0.0.1:0", "admin:\n  listen: "+freePort(t), 1)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	noSecret := func(what, s string) {
		t.Helper()
		if strings.Contains(s, "s3cret") {
			t.Errorf("%s shows the password:\n%s", what, s)
		}
	}

	code, out, errOut := runCLI(t, "--config", cfgPath, "check-config")
	noSecret("check-config", out+errOut)
	if code != 0 || !strings.Contains(out, "postgres://postgres@127.0.0.1") {
		t.Fatalf("check-config: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "--config", cfgPath, "migrate")
	noSecret("migrate", out+errOut)
	if code != 0 || !strings.Contains(out, "applied 0001_init") || !strings.Contains(out, "is at schema v2") {
		t.Fatalf("migrate: %d\n%s\n%s", code, out, errOut)
	}

	d := startDaemon(t, cfgPath)
	if desc := d.app.st.Describe(); desc.Backend != "postgres" {
		t.Fatalf("the daemon serves from %+v", desc)
	}
	ctx := context.Background()
	e := d.app.engine
	anna, err := e.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v-anna", Name: "Anna", Email: "anna@example.com", Text: "My invoice is wrong"})
	if err != nil {
		t.Fatal(err)
	}
	kim, err := e.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v-kim", Name: "Kim", Text: "Old question about shipping"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Close(ctx, engine.StaffContext{Conversation: kim.Conversation, Actor: bridge.Actor{ID: "console:bob", Name: "Bob"}, Surface: "console"}, "answered"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(0, 0, -400).UnixMilli()
	if err := d.app.st.Write(ctx, func(tx bridge.Tx) error {
		return sqlstore.ExecForTest(tx, `UPDATE conversations SET closed_at = ?1, updated_at = ?1 WHERE id = ?2`, old, kim.Conversation)
	}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"doctor"}, "schema v2 (current)"},
		{[]string{"stats", "--json"}, "\"created\""},
		{[]string{"export", "--format", "messages"}, "My invoice is wrong"},
		{[]string{"customer", "find", "anna@example.com"}, "webchat:v-anna"},
		{[]string{"retention", "run", "--older-than", "365d", "--dry-run"}, "Would delete 1 closed conversations"},
		{[]string{"retention", "run", "--older-than", "365d"}, "Deleted 1 closed conversations"},
	} {
		code, out, errOut := runCLI(t, append([]string{"--config", cfgPath}, tc.args...)...)
		noSecret(strings.Join(tc.args, " "), out+errOut)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want 0 and %q in\n%s\n%s", tc.args, code, tc.want, out, errOut)
		}
	}
	code, out, _ = runCLI(t, "--config", cfgPath, "customer", "find", "anna@example.com")
	id := ""
	if lines := strings.Split(out, "\n"); code == 0 && len(lines) > 1 && len(strings.Fields(lines[1])) > 0 {
		id = strings.Fields(lines[1])[0]
	}
	code, out, errOut = runCLIIn(t, id+"\n", "--config", cfgPath, "customer", "forget", id)
	if code != 0 || !strings.Contains(out, "deleted 1 conversations") {
		t.Errorf("customer forget %s: %d\n%s\n%s", id, code, out, errOut)
	}
	if _, err := d.app.st.Conversation(ctx, anna.Conversation); err == nil {
		t.Error("the forgotten conversation is still there")
	}

	code, out, errOut = runCLI(t, "--config", cfgPath, "backup", filepath.Join(dir, "b.dump"))
	noSecret("backup", out+errOut)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "pg_dump --format=custom") ||
		!strings.Contains(errOut, "postgres://postgres@127.0.0.1") {
		t.Errorf("backup: exit %d\n%s\n%s; want exit 1 and one line with the pg_dump command", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.dump")); !os.IsNotExist(err) {
		t.Errorf("backup left a file: %v", err)
	}
}

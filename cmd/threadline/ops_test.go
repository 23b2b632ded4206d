package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

func runCLIIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestOperationsAgainstRunningDaemon runs backup, export, customer and
// retention commands as separate "processes" (their own store handles)
// while the daemon serves the same database.
func TestOperationsAgainstRunningDaemon(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := strings.Replace(testConfig, "admin:\n  listen: 127.0.0.1:0", "admin:\n  listen: "+freePort(t), 1)
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	d := startDaemon(t, cfgPath)
	e := d.app.engine

	// Anna (two channels, one stored file) and Kim.
	attDir := filepath.Join(dir, "attachments", "telegram", "4242")
	os.MkdirAll(attDir, 0o750)
	annaFile := filepath.Join(attDir, "m1-1-passport.jpg")
	os.WriteFile(annaFile, []byte("jpeg"), 0o600)
	outside := filepath.Join(dir, "outside.txt")
	os.WriteFile(outside, []byte("keep"), 0o600)
	deliver := func(m bridge.InboundMessage) bridge.DeliverResult {
		t.Helper()
		res, err := e.Deliver(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a1 := deliver(bridge.InboundMessage{Channel: "webchat", Address: "v-anna", Name: "Anna", Email: "anna@example.com", Text: "My invoice is wrong"})
	deliver(bridge.InboundMessage{Channel: "telegram", Address: "4242", Name: "Anna", Email: "anna@example.com", Text: "here is my passport",
		Attachments: []bridge.Attachment{{Name: "passport.jpg", Path: annaFile}, {Name: "evil", Path: outside}}})
	k1 := deliver(bridge.InboundMessage{Channel: "webchat", Address: "v-kim", Name: "Kim", Text: "Old question about shipping"})
	deliver(bridge.InboundMessage{Channel: "webchat", Address: "v-lee", Name: "Lee", Text: "Still open"})
	kim := engine.StaffContext{Conversation: k1.Conversation, Actor: bridge.Actor{ID: "console:bob", Name: "Bob"}, Surface: "console"}
	if _, err := e.Close(ctx, kim, "answered"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(0, 0, -400).UnixMilli()
	if err := d.app.st.Write(ctx, func(tx bridge.Tx) error {
		return sqlite.ExecForTest(tx, `UPDATE conversations SET closed_at = ?1, updated_at = ?1 WHERE id = ?2`, old, k1.Conversation)
	}); err != nil {
		t.Fatal(err)
	}

	// Backup while serving.
	bak := filepath.Join(dir, "backup.db")
	code, out, errOut := runCLI(t, "--config", cfgPath, "backup", bak)
	if code != 0 || !strings.Contains(out, "integrity ok") || !strings.Contains(out, "3 customers") || !strings.Contains(errOut, "Backing up") {
		t.Errorf("backup: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "--config", cfgPath, "backup", bak); code != 1 || !strings.Contains(errOut, "--force") {
		t.Errorf("backup over a file: %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "--config", cfgPath, "backup", "--force", bak); code != 0 {
		t.Errorf("backup --force: %d", code)
	}

	// Export.
	code, out, errOut = runCLI(t, "--config", cfgPath, "export")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.Contains(errOut, "Exported 4 conversations") {
		t.Fatalf("export: %d %d lines\n%s\n%s", code, len(lines), out, errOut)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["id"].(float64) != float64(a1.Conversation) || len(first["messages"].([]any)) != 1 {
		t.Errorf("first line %v: %s", err, lines[0])
	}
	code, out, _ = runCLI(t, "--config", cfgPath, "export", "--format", "messages", "--status", "closed")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "Old question") {
		t.Errorf("export closed messages: %d\n%s", code, out)
	}
	md := filepath.Join(dir, "transcripts")
	if code, _, errOut := runCLI(t, "--config", cfgPath, "export", "--format", "markdown", "--out", md, "--conversation", "1"); code != 0 {
		t.Errorf("markdown: %d %s", code, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(md, "000001-my-invoice-is-wrong.md")); err != nil || !strings.Contains(string(b), "> My invoice is wrong") {
		t.Errorf("transcript: %v\n%s", err, b)
	}
	for _, bad := range [][]string{{"--status", "lost"}, {"--since", "yesterdayish"}, {"--format", "xml"}, {"--format", "markdown"}} {
		if code, _, _ := runCLI(t, append([]string{"--config", cfgPath, "export"}, bad...)...); code != 2 {
			t.Errorf("export %v: exit %d, want 2", bad, code)
		}
	}

	// Customers.
	code, out, _ = runCLI(t, "--config", cfgPath, "customer", "find", "anna@example.com")
	if code != 0 || !strings.Contains(out, "webchat:v-anna") || !strings.Contains(out, "telegram:4242") {
		t.Fatalf("find: %d\n%s", code, out)
	}
	anna := strings.Fields(strings.Split(out, "\n")[1])[0]
	code, out, _ = runCLI(t, "--config", cfgPath, "customer", "show", anna)
	if code != 0 || !strings.Contains(out, "2 conversations, 2 messages, 1 messages with stored files") {
		t.Errorf("show: %d\n%s", code, out)
	}
	code, _, errOut = runCLIIn(t, "no\n", "--config", cfgPath, "customer", "forget", anna)
	if code != 1 || !strings.Contains(errOut, "nothing was deleted") {
		t.Errorf("forget unconfirmed: %d %s", code, errOut)
	}
	code, out, errOut = runCLIIn(t, anna+"\n", "--config", cfgPath, "customer", "forget", anna)
	if code != 0 || !strings.Contains(out, "deleted 2 conversations, 2 messages, 2 identities, 1 attachment files") {
		t.Errorf("forget: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "outside the attachments directory") {
		t.Errorf("no warning about the file outside data_dir/attachments: %s", errOut)
	}
	if _, err := os.Stat(annaFile); !os.IsNotExist(err) {
		t.Errorf("attachment file still there: %v", err)
	}
	if _, err := os.Stat(attDir); !os.IsNotExist(err) {
		t.Errorf("empty attachment directory still there: %v", err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Error("a file outside the attachments directory was removed")
	}
	if code, out, _ := runCLI(t, "--config", cfgPath, "customer", "find", "anna@example.com"); code != 0 || !strings.Contains(out, "No customer") {
		t.Errorf("find after forget: %d %s", code, out)
	}
	if code, _, _ := runCLI(t, "--config", cfgPath, "customer", "show", "abc"); code != 2 {
		t.Errorf("show abc: %d", code)
	}
	// The daemon still works and Anna can come back as a new customer.
	if res := deliver(bridge.InboundMessage{Channel: "webchat", Address: "v-anna", Text: "hello again"}); res.Conversation == a1.Conversation || !res.Created {
		t.Errorf("after forget: %+v", res)
	}

	// Retention.
	if code, _, errOut := runCLI(t, "--config", cfgPath, "retention", "run"); code != 2 || !strings.Contains(errOut, "keep forever") {
		t.Errorf("retention without closed_after: %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, "--config", cfgPath, "retention", "run", "--older-than", "365d", "--dry-run")
	if code != 0 || !strings.Contains(out, "Would delete 1 closed conversations") || !strings.Contains(out, "1 customers") {
		t.Errorf("dry run: %d %s", code, out)
	}
	code, out, errOut = runCLI(t, "--config", cfgPath, "retention", "run", "--older-than", "365d")
	if code != 0 || !strings.Contains(out, "Deleted 1 closed conversations") || !strings.Contains(errOut, "Purging 100%") {
		t.Errorf("retention run: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "--config", cfgPath, "retention", "run", "--older-than", "365d"); code != 0 || !strings.Contains(out, "Nothing to delete") {
		t.Errorf("second run: %d %s", code, out)
	}

	// Health.
	if code, out, _ := runCLI(t, "healthcheck", "--url", d.http+"/healthz"); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("healthcheck: %d %s", code, out)
	}
	if code, _, _ := runCLI(t, "healthcheck", "--ready", "--url", d.http+"/readyz"); code != 0 {
		t.Errorf("healthcheck --ready: %d", code)
	}
	d.stop()
	if code, _, errOut := runCLI(t, "healthcheck", "--url", d.http+"/healthz", "--timeout", "2s"); code != 1 || !strings.Contains(errOut, "unhealthy") {
		t.Errorf("healthcheck on a stopped daemon: %d %s", code, errOut)
	}

	// The backup restores: it opens as a current database with the data.
	rst, err := sqlite.Open(store.Config{Path: bak}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rst.Close()
	if err := rst.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if c, err := rst.Conversation(ctx, a1.Conversation); err != nil || c.CustomerName != "Anna" {
		t.Errorf("restored conversation: %+v %v", c, err)
	}
}

func TestRetentionJobIsWired(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(testConfig+"retention:\n  closed_after: 30d\n  schedule: \"@daily\"\n"), 0o600)
	d := startDaemon(t, cfgPath)
	var banner bytes.Buffer
	d.app.banner(&banner)
	if !strings.Contains(banner.String(), "retention on   closed conversations untouched for 720h0m0s") {
		t.Errorf("banner:\n%s", banner.String())
	}
	found := false
	for _, j := range d.app.jobs {
		if j.name == "retention" && j.schedule == "@daily" {
			found = true
			if err := j.fn(context.Background()); err != nil {
				t.Errorf("retention job: %v", err)
			}
		}
	}
	if !found {
		t.Errorf("no retention job in %+v", d.app.jobs)
	}

	os.WriteFile(cfgPath, []byte(testConfig), 0o600)
	d.stop()
	d = startDaemon(t, cfgPath)
	banner.Reset()
	d.app.banner(&banner)
	if !strings.Contains(banner.String(), "retention off  closed conversations are kept forever") {
		t.Errorf("banner:\n%s", banner.String())
	}
}

func TestProgressPlainLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "Copying", "bytes", 0)
	for i := int64(0); i <= 100; i += 5 {
		p.Set(i<<20, 100<<20)
	}
	p.Done()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 11 || lines[0] != "Copying   0%  0 B / 100.0 MiB" || lines[10] != "Copying 100%  100.0 MiB / 100.0 MiB" {
		t.Errorf("lines:\n%s", b.String())
	}
	b.Reset()
	p = newProgress(&b, "Purging", "conversations", 3)
	for i := int64(1); i <= 3; i++ {
		p.Set(i, 0)
	}
	if got := b.String(); got != fmt.Sprintf("Purging  33%%  1 / 3 conversations\nPurging  67%%  2 / 3 conversations\nPurging 100%%  3 / 3 conversations\n") {
		t.Errorf("got %q", got)
	}
}

func TestContainerConfigIsValid(t *testing.T) {
	path := filepath.Join("packaging", "config.container.yaml")
	cfg, err := config.Load(path, config.MapEnv(map[string]string{"THREADLINE_LISTEN": "0.0.0.0:8080"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Path != "/var/lib/threadline/threadline.db" || cfg.HTTP.Listen != "0.0.0.0:8080" || cfg.Retention.ClosedAfter != 0 ||
		cfg.Webchat.DemoPage || !cfg.Webchat.Enabled || !cfg.Console.Enabled || cfg.Log.Format != "json" || cfg.Slack.Enabled() {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = config.Load(path, config.MapEnv(map[string]string{"THREADLINE_RETENTION": "365d", "THREADLINE_DEMO_PAGE": "true",
		"THREADLINE_DB": "/data/t.db", "THREADLINE_PUBLIC_URL": "https://support.example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention.ClosedAfter.D() != 365*24*time.Hour || !cfg.Webchat.DemoPage || cfg.Store.Path != "/data/t.db" || cfg.PublicURL != "https://support.example.com" {
		t.Errorf("from env: %+v", cfg)
	}
}

func TestOperationsHelp(t *testing.T) {
	for _, args := range [][]string{{"backup"}, {"export"}, {"retention", "run"}, {"customer", "find"}, {"customer", "show"},
		{"customer", "forget"}, {"healthcheck"}} {
		code, out, _ := runCLI(t, append(args, "--help")...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v --help: %d %q", args, code, out)
		}
	}
	code, out, _ := runCLI(t, "version")
	if code != 0 || !strings.Contains(out, "  go      go1.") || !strings.Contains(out, "commit") {
		t.Errorf("version: %d %q", code, out)
	}
}

package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != 0 || !strings.Contains(out, "threadline "+version) || !strings.Contains(out, "schema v") {
		t.Errorf("version: %d %q", code, out)
	}
	for _, cmd := range []string{"serve", "migrate", "check-config", "conversations", "watch", "say", "completion"} {
		code, out, _ := runCLI(t, cmd, "--help")
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: %d %q", cmd, code, out)
		}
	}
}

func TestCheckConfigExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("http:\n  listen: nope\n  lissten: 1\nwebchat:\n  enabled: maybe\n"), 0o600)
	code, _, errOut := runCLI(t, "--config", bad, "check-config")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{"bad.yaml:2: http.listen", "bad.yaml:3: http.lissten: unknown key", "bad.yaml:5:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code, _, _ := runCLI(t, "--config", bad, "serve"); code != 2 {
		t.Errorf("serve on bad config exit %d, want 2", code)
	}
	if code, _, errOut := runCLI(t, "--config", filepath.Join(dir, "missing.yaml"), "check-config"); code != 2 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing config: %d %s", code, errOut)
	}
	code, out, _ := runCLI(t, "--config", "../../config.yaml", "check-config")
	if code != 0 || !strings.Contains(out, "is valid") {
		t.Errorf("shipped config: %d %s", code, out)
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestCLIAgainstRunningDaemon(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := strings.Replace(testConfig, "admin:\n  listen: 127.0.0.1:0", "admin:\n  listen: "+freePort(t), 1)
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	if code, _, errOut := runCLI(t, "--config", cfgPath, "conversations", "list"); code != 1 || !strings.Contains(errOut, "no database") {
		t.Errorf("list before serve: %d %s", code, errOut)
	}
	d := startDaemon(t, cfgPath)
	v := newVisitor(t, d.http)
	v.say("I cannot log in", "x1")

	code, out, _ := runCLI(t, "--config", cfgPath, "conversations", "list")
	if code != 0 || !strings.Contains(out, "#1") || !strings.Contains(out, "I cannot log in") || !strings.Contains(out, "Anna") {
		t.Errorf("list: %d\n%s", code, out)
	}
	code, out, errOut := runCLI(t, "--config", cfgPath, "say", "--as", "Bob", "1", "!claim")
	if code != 0 || !strings.Contains(out, "You own #1 now") {
		t.Errorf("say !claim: %d %s %s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "--config", cfgPath, "say", "--as", "Bob", "#1", "Try", "resetting", "your", "password")
	if code != 0 || !strings.Contains(out, "Stored as message") {
		t.Errorf("say reply: %d %s", code, out)
	}
	code, _, errOut = runCLI(t, "--config", cfgPath, "say", "1", "!frobnicate")
	if code != 1 || !strings.Contains(errOut, "Unknown command !frobnicate") || !strings.Contains(errOut, "!claim") {
		t.Errorf("unknown command: %d %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "--config", cfgPath, "say", "99", "hello")
	if code != 1 || !strings.Contains(errOut, "no conversation #99") {
		t.Errorf("unknown conversation: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "--config", cfgPath, "say", "abc", "hello"); code != 2 || !strings.Contains(errOut, "not a conversation id") {
		t.Errorf("bad id: %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, "--config", cfgPath, "conversations", "show", "1")
	if code != 0 || !strings.Contains(out, "owned by Bob") || !strings.Contains(out, "Bob → customer: Try resetting your password") {
		t.Errorf("show: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "--config", cfgPath, "conversations", "search", "password")
	if code != 0 || !strings.Contains(out, "[password]") {
		t.Errorf("search: %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "--config", cfgPath, "conversations", "list", "--status", "closed"); code != 0 || !strings.Contains(out, "No conversations") {
		t.Errorf("closed list: %d %s", code, out)
	}
}

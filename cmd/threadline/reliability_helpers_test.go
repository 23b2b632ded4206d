package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
)

// logBuffer collects everything a daemon logs, so tests can look for
// lines or for secrets in them; a failing test prints it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func newLogBuffer(t *testing.T) *logBuffer {
	l := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", l.String())
		}
	})
	return l
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) contains(s string) bool { return strings.Contains(l.String(), s) }

// startDaemonEnv is startDaemon with environment variables and a log
// destination of the test's choice.
func startDaemonEnv(t *testing.T, cfgPath string, env map[string]string, logs io.Writer) *daemon {
	t.Helper()
	cfg, err := config.Load(cfgPath, config.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := buildApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{app: a, cancel: cancel, done: make(chan error, 1), http: "http://" + a.httpLn.Addr().String()}
	if tok, err := os.ReadFile(cfg.Admin.TokenFile); err == nil && a.adminLn != nil { // the console is on
		d.admin = &console.Client{BaseURL: "http://" + a.adminLn.Addr().String(), Token: strings.TrimSpace(string(tok))}
	}
	go func() { d.done <- a.run(ctx) }()
	t.Cleanup(d.stop)
	return d
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// chatPost posts a web chat message and returns the HTTP status.
func chatPost(t *testing.T, base, token, text, clientID string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"text": text, "client_id": clientID, "name": "Vera"})
	req, _ := http.NewRequest("POST", base+"/chat/api/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// getStatus returns a GET's status and body.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// slackThreadWith returns the thread whose replies contain text ("" if none).
func slackThreadWith(fake *fakeslack.Server, channel, text string) string {
	for _, m := range fake.Messages() {
		if m.Channel == channel && m.ThreadTS != "" && strings.Contains(m.Text, text) {
			return m.ThreadTS
		}
	}
	return ""
}

// slackCount counts thread replies in channel that contain text.
func slackCount(fake *fakeslack.Server, channel, text string) int {
	n := 0
	for _, m := range fake.Messages() {
		if m.Channel == channel && m.ThreadTS != "" && strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}

// ackedEventually sends a Socket Mode envelope until the daemon
// acknowledges it, as Slack redelivers unacknowledged envelopes.
func ackedEventually(t *testing.T, fake *fakeslack.Server, ev map[string]any) {
	t.Helper()
	adaptertest.Eventually(t, 30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := fake.Send(ctx, "events_api", ev)
		return err == nil
	}, "the envelope is acknowledged")
}

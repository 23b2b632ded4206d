package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// /readyz showed internal URLs and errors to anyone. The check lines go
// to this machine (no proxy in between) or to the metrics token only.
func TestReadyzDetailOnlyForLoopbackOrToken(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(strings.Replace(testConfig, "http:\n", "http:\n  metrics_token: s3cret-token-for-tests\n", 1)), 0o600)
	d := startDaemon(t, cfgPath)
	get := func(header map[string]string) string {
		req, _ := http.NewRequest("GET", d.http+"/readyz", nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if body := get(nil); !strings.Contains(body, "store: writable") {
		t.Errorf("loopback sees no detail:\n%s", body)
	}
	if body := get(map[string]string{"X-Forwarded-For": "203.0.113.9"}); strings.TrimSpace(body) != "ready" {
		t.Errorf("a forwarded request sees detail:\n%s", body)
	}
	if body := get(map[string]string{"X-Forwarded-For": "203.0.113.9", "Authorization": "bearer s3cret-token-for-tests"}); !strings.Contains(body, "store: writable") {
		t.Errorf("the token does not show the detail:\n%s", body)
	}
}

// Slow bodies and idle keep-alive connections were held forever.
func TestSlowBodiesAndIdleConnectionsAreCut(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(strings.Replace(testConfig, "http:\n", "http:\n  read_timeout: 500ms\n  idle_timeout: 500ms\n", 1)), 0o600)
	d := startDaemon(t, cfgPath)
	addr := strings.TrimPrefix(d.http, "http://")
	closedWithin := func(what string, send string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, send)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		start := time.Now()
		_, err = io.Copy(io.Discard, bufio.NewReader(c))
		if err != nil || time.Since(start) > 5*time.Second {
			t.Errorf("%s: connection still open after %s (%v)", what, time.Since(start).Round(time.Millisecond), err)
		}
	}
	closedWithin("a body that never comes", "POST /chat/api/session HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
	closedWithin("an idle keep-alive connection", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
}

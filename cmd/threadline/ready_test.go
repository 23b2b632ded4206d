package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
)

func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestReadyzReportsAdapterThatCannotConnect(t *testing.T) {
	fake := faketelegram.New("")
	defer fake.Close()
	dir := t.TempDir()
	// The token is refused: Telegram's Run fails and is restarted with backoff.
	path := writeTelegramConfig(t, dir, fake, "")
	cfg := strings.Replace(readFile(t, path), "bot_token: "+fake.Token(), "bot_token: 999:refused_refused_refused_token", 1)
	cfg = strings.Replace(cfg, "  listen: 127.0.0.1:0\nadmin:", "  listen: 127.0.0.1:0\n  ready_grace: 1ms\nadmin:", 1)
	writeFile(t, filepath.Dir(path), filepath.Base(path), cfg)
	d := startDaemon(t, path)
	var body string
	eventually(t, "readyz 503 naming telegram", func() bool {
		var code int
		code, body = readyz(t, d.http)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "FAIL telegram: not connected")
	})
	if !strings.HasPrefix(body, "not ready\n") || !strings.Contains(body, "ok   store: writable") ||
		!strings.Contains(body, "ok   console: connected") || !strings.Contains(body, "bot token") {
		t.Errorf("body:\n%s", body)
	}
	if strings.Contains(body, "999:refused_refused_refused_token") {
		t.Errorf("token in /readyz:\n%s", body)
	}
	m, _ := scrape(t, d.http, "")
	if v, ok := m[`threadline_adapter_connected{adapter="telegram"}`]; !ok || v != 0 {
		t.Errorf("adapter_connected telegram = %v, %v", v, ok)
	}
}

func TestReadyzWithinGraceAndConnected(t *testing.T) {
	fake := faketelegram.New("")
	defer fake.Close()
	d := startDaemon(t, writeTelegramConfig(t, t.TempDir(), fake, ""))
	eventually(t, "telegram connected", func() bool {
		code, body := readyz(t, d.http)
		return code == 200 && strings.Contains(body, "ok   telegram: connected (long polling)")
	})
	m, _ := scrape(t, d.http, "")
	if m[`threadline_adapter_connected{adapter="telegram"}`] != 1 {
		t.Errorf("adapter_connected telegram = %v", m[`threadline_adapter_connected{adapter="telegram"}`])
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadyzEveryAdapterConnected runs the daemon against every fake
// platform at once: each adapter reports its own connection.
func TestReadyzEveryAdapterConnected(t *testing.T) {
	r := newDoctorRig(t)
	d := startDaemon(t, r.config())
	var body string
	eventually(t, "every adapter connected", func() bool {
		var code int
		code, body = readyz(t, d.http)
		return code == 200 && strings.Count(body, ": connected (") == 6
	})
	for _, want := range []string{
		"ok   slack: connected (Socket Mode)",
		"ok   discord: connected (gateway)",
		"ok   telegram: connected (long polling)",
		"ok   email: connected (IMAP session, mailbox INBOX)",
		"ok   webchat: connected (running)",
		"ok   console: connected (running)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
	m, _ := scrape(t, d.http, "")
	for _, a := range []string{"slack", "discord", "telegram", "email", "webchat", "console"} {
		if m[`threadline_adapter_connected{adapter="`+a+`"}`] != 1 {
			t.Errorf("adapter_connected %s = %v", a, m[`threadline_adapter_connected{adapter="`+a+`"}`])
		}
	}
	// A dropped Discord gateway is reported until it is resumed.
	r.discord.DropGateway()
	eventually(t, "discord back", func() bool {
		_, body = readyz(t, d.http)
		return strings.Contains(body, "ok   discord: connected (gateway)")
	})
}

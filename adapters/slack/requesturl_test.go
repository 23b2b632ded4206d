package slack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The doctor's Request URL probe: a daemon with the same signing secret
// answers the signed challenge; one with another secret, a path that is
// not Threadline, and nothing listening are each told apart.
func TestProbeRequestURL(t *testing.T) {
	daemon := func(secret string) *httptest.Server {
		cfg := Config{BotToken: "xoxb-test", ChannelID: "C0SUPPORT1", SigningSecret: secret}
		cfg.Defaults()
		s, err := New(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler(nil))
		t.Cleanup(srv.Close)
		return srv
	}
	cfg := Config{BotToken: "xoxb-test", ChannelID: "C0SUPPORT1", SigningSecret: "right"}
	cfg.Defaults()
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if err := s.probeRequestURL(ctx, daemon("right").URL); err != nil {
		t.Errorf("same secret: %v", err)
	}
	if err := s.probeRequestURL(ctx, daemon("other").URL); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("other secret: %v, want a 401 naming the signing secret", err)
	}
	notUs := httptest.NewServer(http.NotFoundHandler())
	defer notUs.Close()
	if err := s.probeRequestURL(ctx, notUs.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("not Threadline: %v, want a 404", err)
	}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer echo.Close()
	if err := s.probeRequestURL(ctx, echo.URL); err == nil || !strings.Contains(err.Error(), "not the challenge") {
		t.Errorf("something else: %v", err)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	if err := s.probeRequestURL(ctx, gone.URL); !errors.Is(err, ErrRequestURLUnreachable) {
		t.Errorf("nothing listening: %v, want ErrRequestURLUnreachable", err)
	}
}

// Slack only sends to public HTTPS URLs; the shape is checked before any
// request is made.
func TestCheckRequestURLShape(t *testing.T) {
	cfg := Config{BotToken: "xoxb-test", ChannelID: "C0SUPPORT1", SigningSecret: "s"}
	cfg.Defaults()
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for url, want := range map[string]string{
		"http://support.example.com": "not https",
		"https://localhost:8443":     "local or private",
		"https://127.0.0.1":          "local or private",
		"https://10.1.2.3":           "local or private",
		"https://[::1]:8443":         "local or private",
	} {
		if err := s.CheckRequestURL(context.Background(), url); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", url, err, want)
		}
	}
}

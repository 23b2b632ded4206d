package whatsapp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The callback check doctor runs gets the challenge back from a daemon
// with the same verify token, and says what is wrong otherwise.
func TestTheCallbackCheckGetsTheChallengeBackFromTheDaemon(t *testing.T) {
	cfg := Config{Token: "t", PhoneNumberIDs: []string{"106540352242922"}, VerifyToken: "vt", AppSecret: "s"}
	cfg.Defaults()
	daemon, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(WebhookPath, daemon.Handler(nil))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	if err := daemon.probeCallback(ctx, srv.URL); err != nil {
		t.Errorf("same verify token: %v", err)
	}
	other := cfg
	other.VerifyToken = "xyzzy"
	doctor, _ := New(other, Options{})
	if err := doctor.probeCallback(ctx, srv.URL); err == nil || !strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), "xyzzy") {
		t.Errorf("other verify token: %v", err)
	}
	if err := doctor.probeCallback(ctx, srv.URL+"/elsewhere"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("wrong path: %v", err)
	}
	srv.Close()
	if err := doctor.probeCallback(ctx, srv.URL); !errors.Is(err, ErrCallbackUnreachable) || strings.Contains(err.Error(), "xyzzy") {
		t.Errorf("nothing there: %v", err)
	}
}

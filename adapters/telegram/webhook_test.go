package telegram_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/bridge"
)

const secret = "s3cret_Token-for-tests"

// webhookFixture runs the adapter in webhook mode behind a local HTTP server.
func webhookFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != telegram.WebhookPath {
			http.NotFound(w, r)
			return
		}
		h.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f := newFixture(t, func(c *telegram.Config, o *telegram.Options) {
		c.WebhookSecret = secret
		o.PublicURL = srv.URL
		o.MaxBodyBytes = 64 << 10
	})
	ad, _ := f.run(t, nil)
	h.Store(ad.Handler(f.in))
	hook := srv.URL + telegram.WebhookPath
	adaptertest.Eventually(t, 5*time.Second, func() bool { return f.fake.WebhookInfo().URL == hook }, "setWebhook")
	return f, hook
}

func TestWebhookReceivesUpdates(t *testing.T) {
	f, _ := webhookFixture(t)
	info := f.fake.WebhookInfo()
	if info.Secret != secret || strings.Join(info.AllowedUpdates, ",") != "message,edited_message,my_chat_member" {
		t.Errorf("webhook registered as %+v", info)
	}
	f.fake.SendText(anna, "via webhook")
	f.fake.SendText(anna, "/start")
	if m := f.in.waitFor(t, 1)[0]; m.Text != "via webhook" || m.ExternalID != "4242:1" {
		t.Errorf("delivered %+v", m)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return f.fake.Pending() == 0 && len(f.fake.Sent(anna.ID)) == 1 },
		"queue drained and /start greeted")
	if f.fake.Calls("getUpdates") != 0 || f.fake.Calls("deleteWebhook") != 0 {
		t.Error("webhook mode must not poll")
	}
}

func TestWebhookRefusesRequestsWithoutTheSecret(t *testing.T) {
	f, hook := webhookFixture(t)
	update := []byte(`{"update_id":1,"message":{"message_id":1,"from":{"id":66,"first_name":"Mallory"},"chat":{"id":66,"type":"private"},"date":1,"text":"forged"}}`)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		secret string
		body   []byte
		want   int
	}{
		{"no secret", "", update, http.StatusUnauthorized},
		{"wrong secret", "guess", update, http.StatusUnauthorized},
		{"secret prefix", secret[:5], update, http.StatusUnauthorized},
		{"oversized body", secret, []byte(`{"update_id":2,"x":"` + strings.Repeat("a", 70<<10) + `"}`), http.StatusRequestEntityTooLarge},
		{"malformed update is skipped", secret, []byte(`{"update_id":3,"message":[1,2,3]}`), http.StatusOK},
		{"not JSON at all is skipped", secret, []byte(`<xml/>`), http.StatusOK},
	} {
		status, err := f.fake.PostWebhook(ctx, hook, c.body, c.secret)
		if err != nil || status != c.want {
			t.Errorf("%s: status %d (%v), want %d", c.name, status, err, c.want)
		}
	}
	res, err := http.Get(hook)
	if err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET: %d", res.StatusCode)
		}
	}
	if n := len(f.in.delivered()); n != 0 {
		t.Errorf("%d messages stored from refused requests", n)
	}
	// A genuine request with the secret is stored.
	if status, _ := f.fake.PostWebhook(ctx, hook, update, secret); status != http.StatusOK {
		t.Errorf("genuine request: %d", status)
	}
	if n := len(f.in.delivered()); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}

func TestWebhookAnswersErrorUntilStored(t *testing.T) {
	f, _ := webhookFixture(t)
	fails := atomic.Int32{}
	fails.Store(2)
	f.in.fail = func(bridge.InboundMessage) error {
		if fails.Add(-1) >= 0 {
			return errors.New("disk full")
		}
		return nil
	}
	f.fake.SendText(anna, "retry me")
	f.in.waitFor(t, 1)
	adaptertest.Eventually(t, 5*time.Second, func() bool { return f.fake.Pending() == 0 }, "update confirmed")
	if f.fake.WebhookErrors() != 2 {
		t.Errorf("%d failed webhook deliveries, want 2", f.fake.WebhookErrors())
	}
}

func TestWebhookRedeliveryIsStoredOnce(t *testing.T) {
	f, hook := webhookFixture(t)
	update := []byte(`{"update_id":77,"message":{"message_id":5,"from":{"id":4242,"first_name":"Anna"},"chat":{"id":4242,"type":"private"},"date":1,"text":"hello once"}}`)
	for range 3 { // Telegram repeats an update whose 200 got lost
		if status, err := f.fake.PostWebhook(context.Background(), hook, update, secret); err != nil || status != http.StatusOK {
			t.Fatalf("status %d, %v", status, err)
		}
	}
	msgs := f.in.delivered()
	if len(msgs) != 1 {
		t.Fatalf("%d deliveries, want 1", len(msgs))
	}
	stored, _ := f.st.Messages(context.Background(), f.in.results()[0].Conversation, 0)
	if len(stored) != 1 {
		t.Errorf("%d messages stored, want 1", len(stored))
	}
}

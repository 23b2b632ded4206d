package telegram

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// runWebhook registers the webhook with the secret token and waits.
// The webhook stays registered across restarts: Telegram keeps updates
// while the daemon is down and delivers them when it is back.
func (a *Adapter) runWebhook(ctx context.Context) error {
	if err := a.SetWebhook(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram: setWebhook %s: %w", a.WebhookURL(), err)
	}
	a.log.Info("telegram: receiving by webhook", "url", a.WebhookURL())
	a.conn.Up("webhook " + a.WebhookURL())
	<-ctx.Done()
	return nil
}

// SecretHeader carries the webhook secret on Telegram's requests.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Handler serves POST /telegram/webhook. A request without the right
// secret token gets 401 and is not read; an update is answered 200 only
// after it is stored (any other answer makes Telegram retry it later).
func (a *Adapter) Handler(in bridge.Inbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get(SecretHeader)
		if !a.cfg.Webhook() || subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.WebhookSecret)) != 1 {
			a.log.Warn("telegram: webhook request without the right secret token refused", "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				a.log.Warn("telegram: webhook body too large; refused", "limit", a.opts.MaxBodyBytes)
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		// Finish storing an update even if Telegram hangs up meanwhile.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Minute)
		defer cancel()
		if err := a.handleUpdate(ctx, in, body); err != nil {
			a.log.Warn("telegram: webhook update not stored; Telegram will retry it", "err", err)
			http.Error(w, "not stored, retry later", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

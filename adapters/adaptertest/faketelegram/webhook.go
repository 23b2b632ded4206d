package faketelegram

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// WebhookRetry is how long the pusher waits after a webhook answer that
// was not 2xx before trying the same update again.
const WebhookRetry = 50 * time.Millisecond

// pushWebhooks delivers queued updates, oldest first, to the registered
// webhook with its secret token, as Telegram does: an update leaves the
// queue only when the webhook answered 2xx.
func (s *Server) pushWebhooks() {
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		s.mu.Lock()
		hook, ch := s.webhook, s.changed
		var next *queued
		if hook.URL != "" && len(s.queue) > 0 {
			q := s.queue[0]
			next = &q
		}
		s.mu.Unlock()
		if next == nil {
			select {
			case <-ch:
				continue
			case <-s.ctx.Done():
				return
			}
		}
		status, err := s.post(s.ctx, client, hook.URL, next.raw, hook.Secret)
		s.mu.Lock()
		if err == nil && status >= 200 && status < 300 {
			if len(s.queue) > 0 && s.queue[0].id == next.id {
				s.queue = s.queue[1:]
				s.notify()
			}
			s.mu.Unlock()
			continue
		}
		s.hookErrors++
		s.hookErrAt = time.Now()
		s.mu.Unlock()
		select {
		case <-time.After(WebhookRetry):
		case <-s.ctx.Done():
			return
		}
	}
}

func (s *Server) post(ctx context.Context, c *http.Client, url string, body []byte, secret string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// PostWebhook posts body to url once with the given secret header (none if
// empty), as a forged or a genuine Telegram request, and returns the status.
func (s *Server) PostWebhook(ctx context.Context, url string, body []byte, secret string) (int, error) {
	return s.post(ctx, http.DefaultClient, url, body, secret)
}

// WebhookErrors counts webhook deliveries that were not answered 2xx.
func (s *Server) WebhookErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hookErrors
}

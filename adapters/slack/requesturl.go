package slack

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/adapters/internal/httpx"
)

// Request URL check outcomes (`threadline doctor`, HTTP Events API mode).
var (
	// ErrRequestURLUnreachable: nothing answered at the public URL from
	// this machine (the daemon is not running, or the URL only resolves
	// outside). Not proof that Slack cannot reach it.
	ErrRequestURLUnreachable = errors.New("unreachable from here")
)

// CheckRequestURL sends what Slack sends when a Request URL is saved, a
// url_verification challenge signed with the configured signing secret, to
// publicURL/slack/events, and checks that the running daemon answered it.
// This proves the public URL (and any proxy in front) leads to Threadline
// and that the daemon there has this signing secret. Slack itself only
// sends to https:// URLs on the public internet; that is checked first.
func (s *Surface) CheckRequestURL(ctx context.Context, publicURL string) error {
	if err := httpx.CheckPublicURL(publicURL, "Slack", "Slack only sends events to HTTPS Request URLs"); err != nil {
		return err
	}
	return s.probeRequestURL(ctx, publicURL)
}

// probeRequestURL posts the signed challenge to publicURL/slack/events.
func (s *Surface) probeRequestURL(ctx context.Context, publicURL string) error {
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	challenge := hex.EncodeToString(nonce[:])
	body := fmt.Sprintf(`{"token":"doctor","challenge":%q,"type":"url_verification"}`, challenge)
	target := strings.TrimRight(publicURL, "/") + "/slack/events"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return err
	}
	stamp := strconv.FormatInt(s.now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(s.cfg.SigningSecret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w: %v", target, ErrRequestURLUnreachable, err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	switch {
	case res.StatusCode == http.StatusOK && strings.TrimSpace(string(got)) == challenge:
		return nil
	case res.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("POST %s: 401: the daemon there refused a request signed with this config's signing secret (it runs with another SLACK_SIGNING_SECRET, or its clock is more than 5 minutes off)", target)
	case res.StatusCode == http.StatusNotFound:
		return fmt.Errorf("POST %s: 404: something answers at public_url but not Threadline's /slack/events (is Slack on Socket Mode there, or does the proxy not pass /slack/*?)", target)
	case res.StatusCode == http.StatusOK:
		return fmt.Errorf("POST %s: 200 but not the challenge back: public_url leads to something other than Threadline", target)
	default:
		return fmt.Errorf("POST %s: HTTP %d", target, res.StatusCode)
	}
}

package whatsapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/threadlinehq/threadline/adapters/internal/httpx"
)

// PhoneNumber is what GET /{phone-number-id} tells about a business number.
type PhoneNumber struct {
	ID                 string `json:"id"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	VerifiedName       string `json:"verified_name"`
	QualityRating      string `json:"quality_rating"`
}

// PhoneNumber reads a configured business number: it checks the token and
// that the id belongs to it (`threadline doctor`, Run).
func (a *Adapter) PhoneNumber(ctx context.Context, id string) (PhoneNumber, error) {
	var p PhoneNumber
	err := a.api.get(ctx, "get phone number", id, url.Values{"fields": {"display_phone_number,verified_name,quality_rating"}}, &p)
	return p, err
}

// ErrCallbackUnreachable means nothing answered at the callback URL (the
// daemon is not running there, or the proxy does not pass the path).
var ErrCallbackUnreachable = errors.New("the callback URL did not answer")

// CheckCallbackURL checks the callback URL as Meta does when it is saved:
// it must be public https, and a GET with hub.mode=subscribe, the verify
// token and a fresh challenge must get the challenge back from the
// daemon behind publicURL.
func (a *Adapter) CheckCallbackURL(ctx context.Context, publicURL string) error {
	if err := httpx.CheckPublicURL(publicURL, "Meta", "Meta only sends webhooks to HTTPS callback URLs with a valid certificate"); err != nil {
		return err
	}
	return a.probeCallback(ctx, publicURL)
}

func (a *Adapter) probeCallback(ctx context.Context, publicURL string) error {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	challenge := hex.EncodeToString(nonce[:])
	target := strings.TrimRight(publicURL, "/") + WebhookPath
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {a.cfg.VerifyToken}, "hub.challenge": {challenge}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	res, err := a.api.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL carries the verify token
		}
		return fmt.Errorf("GET %s: %w: %v", target, ErrCallbackUnreachable, err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	switch {
	case res.StatusCode == http.StatusOK && strings.TrimSpace(string(got)) == challenge:
		return nil
	case res.StatusCode == http.StatusForbidden:
		return fmt.Errorf("GET %s: 403: the daemon there refused this config's verify token (it runs with another WHATSAPP_VERIFY_TOKEN)", target)
	case res.StatusCode == http.StatusNotFound:
		return fmt.Errorf("GET %s: 404: something answers at public_url but not Threadline's %s (is WhatsApp configured there, does the proxy pass the path?)", target, WebhookPath)
	case res.StatusCode == http.StatusOK:
		return fmt.Errorf("GET %s: 200 but not the challenge back: public_url leads to something other than Threadline", target)
	default:
		return fmt.Errorf("GET %s: HTTP %d", target, res.StatusCode)
	}
}

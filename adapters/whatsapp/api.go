package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/httpx"
	"github.com/threadlinehq/threadline/bridge"
)

// client speaks the Graph API over plain HTTP with the access token in the
// Authorization header (never in a URL, so errors cannot leak it).
type client struct {
	base  string // https://graph.facebook.com/v23.0
	token string
	http  *http.Client
	now   func() time.Time // reads Retry-After dates
}

// maxResponseBytes caps a Graph API answer (they are small JSON objects).
const maxResponseBytes = 1 << 20

// callTimeout bounds a call whose context has no deadline of its own.
const callTimeout = 2 * time.Minute

// APIError is a Graph API error answer ({"error": {...}}) or an HTTP error
// that was not one.
type APIError struct {
	Op         string // what was asked: "send message", "upload media", ...
	Status     int    // HTTP status
	Code       int    // error.code (131047, 130429, ...); 0 if the answer had none
	Subcode    int    // error.error_subcode
	Message    string // error.message
	Details    string // error.error_data.details: the most specific text
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("whatsapp %s: HTTP %d", e.Op, e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(", code %d", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Details != "" && !strings.Contains(e.Message, e.Details) {
		s += " (" + e.Details + ")"
	}
	return s
}

// graphError is the body of a Graph API error answer.
type graphError struct {
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

// postJSON posts body as JSON to {base}/{path} and decodes the answer into out.
func (c *client) postJSON(ctx context.Context, op, path string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("whatsapp %s: encode: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, op, out)
}

// get fetches {base}/{path}?query into out.
func (c *client) get(ctx context.Context, op, path string, query url.Values, out any) error {
	u := c.base + "/" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return c.do(req, op, out)
}

// upload sends a file to {phoneID}/media as multipart/form-data, streamed
// from disk with an exact Content-Length, and returns the media id.
func (c *client) upload(ctx context.Context, phoneID, path, name, mimeType string) (string, error) {
	const op = "upload media"
	f, err := os.Open(path)
	if err != nil {
		return "", bridge.Permanent(fmt.Errorf("whatsapp %s: attachment: %w", op, err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("whatsapp %s: attachment: %w", op, err)
	}
	form, err := httpx.NewFileForm([]httpx.Field{{Name: "messaging_product", Value: "whatsapp"}, {Name: "type", Value: mimeType}},
		"file", name, mimeType, f, st.Size())
	if err != nil {
		return "", err
	}
	req, err := form.Post(ctx, c.base+"/"+phoneID+"/media")
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := c.do(req, op, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("whatsapp %s: no media id in the answer", op)
	}
	return out.ID, nil
}

func (c *client) do(req *http.Request, op string, out any) error {
	if _, ok := req.Context().Deadline(); !ok {
		ctx, cancel := context.WithTimeout(req.Context(), callTimeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("whatsapp %s: %w", op, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("whatsapp %s: reading the answer: %w", op, err)
	}
	if len(raw) > maxResponseBytes {
		return fmt.Errorf("whatsapp %s: answer larger than %d bytes", op, maxResponseBytes)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return c.apiError(op, res, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("whatsapp %s: unexpected answer: %w", op, err)
	}
	return nil
}

func (c *client) apiError(op string, res *http.Response, raw []byte) *APIError {
	e := &APIError{Op: op, Status: res.StatusCode}
	var g graphError
	if json.Unmarshal(raw, &g) == nil && g.Error != nil {
		e.Code, e.Subcode, e.Message, e.Details = g.Error.Code, g.Error.Subcode, g.Error.Message, g.Error.ErrorData.Details
	} else {
		e.Message = httpx.Snippet(raw)
	}
	if ra := res.Header.Get("Retry-After"); ra != "" {
		e.RetryAfter = bridge.ParseRetryAfter(ra, c.now())
	}
	return e
}

// download copies a media file from its URL (as GET /{media-id} gave it)
// into w, at most max bytes; errTooLarge when it is bigger. The token goes
// along only over https or to the API's own host: the URL comes from an
// answer, and the token must not travel in clear text elsewhere.
func (c *client) download(ctx context.Context, rawURL string, max int64, w io.Writer) (int64, error) {
	const op = "download media"
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return 0, bridge.Permanent(fmt.Errorf("whatsapp %s: %q is not a download URL", op, rawURL))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	if base, err := url.Parse(c.base); u.Scheme == "https" || (err == nil && base.Host == u.Host) {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("whatsapp %s: %w", op, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return 0, c.apiError(op, res, b)
	}
	if res.ContentLength > max {
		return 0, errTooLarge
	}
	n, err := io.Copy(w, io.LimitReader(res.Body, max+1))
	if err != nil {
		return n, fmt.Errorf("whatsapp %s: %w", op, err)
	}
	if n > max {
		return n, errTooLarge
	}
	return n, nil
}

var errTooLarge = errors.New("file is larger than whatsapp.max_file_bytes")

// Cloud API error codes this adapter branches on (Meta's "WhatsApp error
// codes" page; docs/whatsapp.md lists them with their sources).
const (
	codeAPIUnknown        = 1      // API Unknown: invalid request or possible server error
	codeAPIService        = 2      // API Service: temporary downtime or overload
	codeAPITooMany        = 4      // application request limit reached
	codeAccessToken       = 190    // access token expired or invalid
	codeRateLimitBusiness = 80007  // WhatsApp Business Account rate limit
	codeThroughput        = 130429 // Cloud API message throughput reached
	codeSomethingWrong    = 131000 // something went wrong (try again)
	codeUndeliverable     = 131026 // message undeliverable
	codeNotAllowed        = 131030 // recipient not in the allowed list (test numbers)
	codeReengagement      = 131047 // more than 24 hours since the customer last wrote
	codePairRate          = 131056 // too many messages to the same recipient
	codeServiceUnavail    = 131016 // service unavailable
)

// classify turns a Cloud API failure into what the outbox needs: rate
// limits wait (Retry-After, else the limit's own pace), server trouble is
// retried, a refused token waits for the operator (transient: replies are
// not dead-lettered while WHATSAPP_TOKEN is being fixed), the closed
// 24-hour window and every other refusal are permanent, with the text
// staff see in the thread.
func (a *Adapter) classify(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	wait := func(d time.Duration) error {
		if ae.RetryAfter > 0 {
			d = ae.RetryAfter
		}
		return bridge.RetryAfter(d, err)
	}
	switch {
	case ae.Code == codePairRate:
		return wait(6 * time.Second) // one message every 6 seconds to one customer
	case ae.Code == codeRateLimitBusiness || ae.Code == codeAPITooMany:
		return wait(time.Minute)
	case ae.Code == codeThroughput || ae.Status == http.StatusTooManyRequests:
		return wait(time.Second)
	case ae.Code == codeReengagement:
		return bridge.Permanent(fmt.Errorf("%w: %s", err, a.windowAdvice()))
	case ae.Code == codeUndeliverable:
		return bridge.Permanent(fmt.Errorf("%w: the number may not be on WhatsApp, or the customer has not accepted WhatsApp's latest terms or uses an old version", err))
	case ae.Code == codeNotAllowed:
		return bridge.Permanent(fmt.Errorf("%w: a test number only writes to the numbers on its allowed list (app dashboard → WhatsApp → API Setup)", err))
	case ae.Code == codeAccessToken || ae.Status == http.StatusUnauthorized:
		return fmt.Errorf("%w (check WHATSAPP_TOKEN: it was refused or has expired)", err)
	case ae.Code == codeAPIUnknown || ae.Code == codeAPIService || ae.Code == codeSomethingWrong || ae.Code == codeServiceUnavail:
		return err
	case ae.Status >= 500 || ae.Status == http.StatusRequestTimeout:
		return err
	case ae.Status >= 400:
		return bridge.Permanent(err)
	}
	return err
}

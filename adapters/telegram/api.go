package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/httpx"
	"github.com/threadlinehq/threadline/bridge"
)

// client speaks the Bot API over plain HTTP: {api}/bot{token}/{method} for
// calls and {api}/file/bot{token}/{path} for downloads. The token is part
// of every URL, so every error leaving the client is scrubbed of it.
type client struct {
	base  string
	token string
	http  *http.Client
	now   func() time.Time // reads Retry-After dates
}

// maxResponseBytes caps a Bot API answer (100 updates of a busy bot fit easily).
const maxResponseBytes = 32 << 20

// APIError is a refusal from the Bot API (ok: false) or an HTTP error
// answer that was not a Bot API envelope.
type APIError struct {
	Method      string
	Code        int // error_code, or the HTTP status
	Description string
	RetryAfter  time.Duration // from parameters.retry_after on 429
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
}

func (c *client) methodURL(method string) string { return c.base + "/bot" + c.token + "/" + method }

// call posts params as JSON and decodes the result into out (if not nil).
func (c *client) call(ctx context.Context, method string, params any, out any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("telegram %s: encode: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.methodURL(method), bytes.NewReader(body))
	if err != nil {
		return c.scrub(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, method, out)
}

// upload sends a file as multipart/form-data (sendPhoto, sendDocument). The
// body streams from disk with an exact Content-Length.
func (c *client) upload(ctx context.Context, method string, fields map[string]string, field, path, name, mimeType string, out any) error {
	f, err := os.Open(path)
	if err != nil {
		return bridge.Permanent(fmt.Errorf("telegram %s: attachment: %w", method, err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("telegram %s: attachment: %w", method, err)
	}
	var form []httpx.Field
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		form = append(form, httpx.Field{Name: k, Value: fields[k]})
	}
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	body, err := httpx.NewFileForm(form, field, name, mimeType, f, st.Size())
	if err != nil {
		return err
	}
	req, err := body.Post(ctx, c.methodURL(method))
	if err != nil {
		return c.scrub(err)
	}
	return c.do(req, method, out)
}

// callTimeout bounds a call whose context has no deadline of its own, so a
// server that accepts and never answers cannot stall the adapter.
const callTimeout = 2 * time.Minute

func (c *client) do(req *http.Request, method string, out any) error {
	if _, ok := req.Context().Deadline(); !ok {
		ctx, cancel := context.WithTimeout(req.Context(), callTimeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, c.scrub(err))
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("telegram %s: reading answer: %w", method, c.scrub(err))
	}
	if len(raw) > maxResponseBytes {
		return fmt.Errorf("telegram %s: answer larger than %d bytes", method, maxResponseBytes)
	}
	var env apiResponse
	if jerr := json.Unmarshal(raw, &env); jerr != nil {
		if res.StatusCode != http.StatusOK {
			e := &APIError{Method: method, Code: res.StatusCode, Description: c.scrubString(httpx.Snippet(raw))}
			if ra := res.Header.Get("Retry-After"); ra != "" || e.Code == http.StatusTooManyRequests {
				e.RetryAfter = bridge.ParseRetryAfter(ra, c.now())
			}
			return e
		}
		return fmt.Errorf("telegram %s: answer is not Bot API JSON: %v", method, jerr)
	}
	if !env.OK {
		e := &APIError{Method: method, Code: env.ErrorCode, Description: c.scrubString(env.Description)}
		if e.Code == 0 {
			e.Code = res.StatusCode
		}
		if env.Parameters != nil && env.Parameters.RetryAfter > 0 {
			e.RetryAfter = time.Duration(env.Parameters.RetryAfter * float64(time.Second))
		}
		if e.Code == http.StatusTooManyRequests && e.RetryAfter <= 0 {
			e.RetryAfter = bridge.ParseRetryAfter(res.Header.Get("Retry-After"), c.now())
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("telegram %s: unexpected result: %w", method, err)
	}
	return nil
}

// download fetches a file by its file_path into w, at most max bytes; it
// reports errTooLarge when the file is bigger.
func (c *client) download(ctx context.Context, filePath string, max int64, w io.Writer) (int64, error) {
	u := c.base + "/file/bot" + c.token + "/" + strings.TrimLeft(filePath, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, c.scrub(err)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("telegram file download: %w", c.scrub(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return 0, &APIError{Method: "file download", Code: res.StatusCode, Description: c.scrubString(httpx.Snippet(b))}
	}
	if res.ContentLength > max {
		return 0, errTooLarge
	}
	n, err := io.Copy(w, io.LimitReader(res.Body, max+1))
	if err != nil {
		return n, fmt.Errorf("telegram file download: %w", c.scrub(err))
	}
	if n > max {
		return n, errTooLarge
	}
	return n, nil
}

var errTooLarge = errors.New("file is larger than telegram.max_file_bytes")

// scrub removes the token from an error (net/http puts the URL, and so the
// token, into its errors). Context errors stay matchable with errors.Is.
func (c *client) scrub(err error) error {
	if err == nil || c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		if inner != nil && strings.Contains(inner.Error(), c.token) {
			inner = errors.New(c.scrubString(inner.Error()))
		}
		return &url.Error{Op: ue.Op, URL: c.scrubString(ue.URL), Err: inner}
	}
	return errors.New(c.scrubString(err.Error()))
}

func (c *client) scrubString(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "<token>")
}

// classify turns a Bot API failure into what the outbox needs: 429 waits,
// 403 (blocked, deactivated) means the customer is unreachable, other 4xx
// are permanent. 401 and 404 mean the token itself was refused: that is a
// configuration problem, so replies wait (transient) instead of being
// dead-lettered while the operator fixes it.
func classify(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.Code == http.StatusTooManyRequests:
		d := ae.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		return bridge.RetryAfter(d, err)
	case ae.Code == http.StatusForbidden:
		return fmt.Errorf("%w: %s", bridge.ErrUnreachable, ae.Description)
	case ae.Code == http.StatusUnauthorized || ae.Code == http.StatusNotFound:
		return fmt.Errorf("%w (check TELEGRAM_BOT_TOKEN)", err)
	case ae.Code >= 400 && ae.Code < 500:
		return bridge.Permanent(err)
	}
	return err
}

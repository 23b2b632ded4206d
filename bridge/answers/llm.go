package answers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// The AI client: any OpenAI-compatible chat-completions endpoint (a local
// Ollama, llama.cpp or vLLM server, or a hosted API), spoken with plain
// net/http. One request, stream off, one answer; a timeout, an error or a
// rate limit comes back as an *LLMError that says what happened in words
// staff can act on. After a 429 the client refuses at once until the
// endpoint's Retry-After has passed, rather than piling requests on it.

// LLMOptions configure the client.
type LLMOptions struct {
	// URL is the API's base (http://localhost:11434/v1), or the full
	// .../chat/completions URL.
	URL    string
	Model  string
	APIKey string // sent as a bearer token when set
	// Timeout bounds one request, answer included (default 60s).
	Timeout time.Duration
	// MaxTokens caps the answer's length (default 800).
	MaxTokens int
	// Temperature of the sampling (default 0.2: drafts, not stories).
	Temperature float64
	HTTP        http.RoundTripper // nil: http.DefaultTransport
	Clock       bridge.Clock      // nil: the system clock
}

// LLM is a chat-completions client. It is safe for concurrent use.
type LLM struct {
	endpoint string
	opts     LLMOptions
	hc       *http.Client
	clock    bridge.Clock

	mu           sync.Mutex
	blockedUntil time.Time
}

// NewLLM builds a client; it fails on a URL that cannot work.
func NewLLM(o LLMOptions) (*LLM, error) {
	ep, err := ChatURL(o.URL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(o.Model) == "" {
		return nil, errors.New("answers.llm.model is required with answers.llm.url")
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = 800
	}
	if o.Temperature == 0 {
		o.Temperature = 0.2
	}
	rt := o.HTTP
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &LLM{endpoint: ep, opts: o, hc: &http.Client{Transport: rt}, clock: bridge.OrSystem(o.Clock)}, nil
}

// ChatURL is the chat-completions URL for a configured base: a URL that
// already ends in /chat/completions is kept, one ending in /v1 gets
// /chat/completions, any other gets /v1/chat/completions.
func ChatURL(base string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("answers.llm.url %q is not an http(s) URL (e.g. http://localhost:11434/v1 for Ollama)", base)
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
	case strings.HasSuffix(p, "/v1"):
		p += "/chat/completions"
	default:
		p += "/v1/chat/completions"
	}
	u.Path = p
	return u.String(), nil
}

// Model is the configured model name.
func (c *LLM) Model() string { return c.opts.Model }

// ChatMessage is one message of a conversation with the model.
type ChatMessage struct {
	Role    string `json:"role"` // system, user, assistant
	Content string `json:"content"`
}

// LLMError is a failed request, in words for staff.
type LLMError struct {
	Kind       string // "timeout", "rate_limited", "refused", "unavailable", "bad_answer"
	Status     int    // the HTTP status, if one came
	RetryAfter time.Duration
	Detail     string
}

func (e *LLMError) Error() string {
	switch e.Kind {
	case "timeout":
		return "the AI endpoint did not answer in time (" + e.Detail + "; answers.llm.timeout)"
	case "rate_limited":
		msg := "the AI endpoint is rate-limiting us"
		if e.RetryAfter > 0 {
			msg += fmt.Sprintf("; try again in %s", e.RetryAfter.Round(time.Second))
		}
		if e.Detail != "" {
			msg += " (" + e.Detail + ")"
		}
		return msg
	case "refused":
		return fmt.Sprintf("the AI endpoint refused the request (HTTP %d: %s)", e.Status, e.Detail)
	case "bad_answer":
		return "the AI endpoint's answer could not be read (" + e.Detail + ")"
	}
	if e.Status != 0 {
		return fmt.Sprintf("the AI endpoint failed (HTTP %d: %s)", e.Status, e.Detail)
	}
	return "the AI endpoint cannot be reached (" + e.Detail + ")"
}

// Complete sends the messages and returns the model's answer.
func (c *LLM) Complete(ctx context.Context, msgs []ChatMessage) (string, error) {
	now := c.clock.Now()
	c.mu.Lock()
	until := c.blockedUntil
	c.mu.Unlock()
	if now.Before(until) {
		return "", &LLMError{Kind: "rate_limited", RetryAfter: until.Sub(now), Detail: "waiting for the endpoint's Retry-After"}
	}
	body, err := json.Marshal(map[string]any{
		"model": c.opts.Model, "messages": msgs, "stream": false,
		"temperature": c.opts.Temperature, "max_tokens": c.opts.MaxTokens,
	})
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", &LLMError{Kind: "timeout", Detail: "no answer within " + c.opts.Timeout.String()}
		}
		return "", &LLMError{Kind: "unavailable", Detail: cleanNetError(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 2<<20))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", &LLMError{Kind: "timeout", Detail: "the answer did not finish within " + c.opts.Timeout.String()}
		}
		return "", &LLMError{Kind: "unavailable", Detail: cleanNetError(err)}
	}
	if resp.StatusCode != http.StatusOK {
		return "", c.statusError(resp, raw)
	}
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", &LLMError{Kind: "bad_answer", Detail: "not the chat-completions JSON: " + clip(err.Error(), 120)}
	}
	if len(out.Choices) == 0 || strings.TrimSpace(out.Choices[0].Message.Content) == "" {
		return "", &LLMError{Kind: "bad_answer", Detail: "an empty answer"}
	}
	return strings.TrimSpace(out.Choices[0].Message.Content), nil
}

// statusError reads an error answer: its message from the API's error
// body, and the wait a 429 asks for (which blocks the client meanwhile).
func (c *LLM) statusError(resp *http.Response, raw []byte) error {
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	detail := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &body) == nil && len(body.Error) > 0 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body.Error, &e) == nil && e.Message != "" {
			detail = e.Message
		} else if json.Unmarshal(body.Error, &detail) != nil {
			detail = string(body.Error)
		}
	}
	detail = clip(strings.Join(strings.Fields(detail), " "), 200)
	if detail == "" {
		detail = http.StatusText(resp.StatusCode)
	}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		wait := retryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
		if wait <= 0 {
			wait = 10 * time.Second
		}
		c.mu.Lock()
		c.blockedUntil = c.clock.Now().Add(wait)
		c.mu.Unlock()
		return &LLMError{Kind: "rate_limited", Status: s, RetryAfter: wait, Detail: detail}
	case s == http.StatusRequestTimeout || s == http.StatusGatewayTimeout:
		return &LLMError{Kind: "timeout", Status: s, Detail: detail}
	case s >= 400 && s < 500:
		return &LLMError{Kind: "refused", Status: s, Detail: detail}
	}
	return &LLMError{Kind: "unavailable", Status: resp.StatusCode, Detail: detail}
}

// retryAfter reads Retry-After: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(min(n, 3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(t.Sub(now), time.Hour)
	}
	return 0
}

// cleanNetError drops the request URL Go puts in a transport error (it
// may carry a key in its query).
func cleanNetError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return clip(err.Error(), 160)
}

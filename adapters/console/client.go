package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client talks to a running daemon's admin API.
type Client struct {
	BaseURL string // http://127.0.0.1:8081
	Token   string
	HTTP    *http.Client
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) request(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the threadline daemon at %s (is `threadline serve` running?): %w", c.BaseURL, err)
	}
	if res.StatusCode != http.StatusOK {
		defer res.Body.Close()
		var e struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&e)
		return nil, fmt.Errorf("daemon answered %s: %s", res.Status, e.Error)
	}
	return res, nil
}

// Say writes text into a conversation as if typed in its thread.
func (c *Client) Say(ctx context.Context, req SayRequest) (SayResponse, error) {
	res, err := c.request(ctx, "POST", "/v1/say", req)
	if err != nil {
		return SayResponse{}, err
	}
	defer res.Body.Close()
	var out SayResponse
	return out, json.NewDecoder(res.Body).Decode(&out)
}

// Typing tells the customer of a conversation that as is writing a reply.
func (c *Client) Typing(ctx context.Context, conv int64, as string) error {
	res, err := c.request(ctx, "POST", "/v1/typing", TypingRequest{Conversation: conv, As: as})
	if err != nil {
		return err
	}
	return res.Body.Close()
}

// Watch streams events to fn until the connection ends, ctx is cancelled
// or fn returns an error.
func (c *Client) Watch(ctx context.Context, fn func(Event) error) error {
	res, err := c.request(ctx, "GET", "/v1/watch", nil)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return fmt.Errorf("bad event from daemon: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return err
	}
	return ctx.Err()
}

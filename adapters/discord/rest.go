package discord

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/bridge"
)

// Discord JSON error codes the surface branches on.
const (
	codeUnknownChannel = 10003
	codeUnknownMessage = 10008
	codeUnknownWebhook = 10015
	codeThreadExists   = 160004 // "A thread has already been created for this message"
	codeMissingAccess  = 50001
	codeMissingPerms   = 50013
	codeThreadArchived = 50083
)

// rewriteTransport sends requests that discordgo addresses to its built-in
// API base (discordgo.EndpointAPI) to the configured base instead. The
// escaped path is kept as is, so reaction paths with emoji survive.
type rewriteTransport struct {
	from string // discordgo.EndpointAPI, with trailing slash
	to   string // configured base, with trailing slash
	next http.RoundTripper
}

func (t rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s := r.URL.String()
	if t.to == t.from || !strings.HasPrefix(s, t.from) {
		return t.next.RoundTrip(r)
	}
	u, err := url.Parse(t.to + s[len(t.from):])
	if err != nil {
		return nil, fmt.Errorf("rewriting Discord URL: %w", err)
	}
	r2 := r.Clone(r.Context())
	r2.URL, r2.Host = u, u.Host
	return t.next.RoundTrip(r2)
}

// idleConn fails a read that waits longer than timeout, so a gateway that
// goes silent (no heartbeat ACKs, no HELLO) is noticed and reconnected
// instead of hanging discordgo's Open forever.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c idleConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func dialIdle(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return idleConn{Conn: c, timeout: timeout}, nil
	}
}

// restCode extracts the HTTP status and Discord error code of a REST failure.
func restCode(err error) (status, code int, ok bool) {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		code := 0
		if re.Message != nil {
			code = re.Message.Code
		}
		return re.Response.StatusCode, code, true
	}
	return 0, 0, false
}

func hasCode(err error, codes ...int) bool {
	_, code, ok := restCode(err)
	if !ok {
		return false
	}
	for _, c := range codes {
		if code == c {
			return true
		}
	}
	return false
}

var secretPath = regexp.MustCompile(`/(webhooks|interactions)/([0-9]+)/[^/?]+`)

// redact hides webhook and interaction tokens, which travel in URL paths.
func redact(s string) string { return secretPath.ReplaceAllString(s, "/$1/$2/***") }

// classify turns a discordgo error into what the outbox understands:
// 429 -> bridge.RetryAfter, other 4xx -> bridge.Permanent, the rest
// transient. Messages never carry tokens.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		d := time.Second
		if rl.TooManyRequests != nil && rl.RetryAfter > 0 {
			d = rl.RetryAfter
		}
		return bridge.RetryAfter(d, fmt.Errorf("discord %s: rate limited", op))
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		msg, code := strings.TrimSpace(string(re.ResponseBody)), 0
		if re.Message != nil {
			msg, code = re.Message.Message, re.Message.Code
		}
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		e := fmt.Errorf("discord %s: HTTP %d: %s (code %d)", op, status, msg, code)
		switch {
		case code == codeMissingAccess || code == codeMissingPerms:
			e = fmt.Errorf("%w; check the bot's permissions on the staff channel (see docs/discord.md)", e)
		case status == http.StatusUnauthorized:
			e = fmt.Errorf("%w; Discord rejected the bot token (DISCORD_BOT_TOKEN)", e)
		}
		// 401: the token was refused, a configuration problem the operator
		// fixes; the row waits (transient) instead of being dead-lettered
		// meanwhile, as Telegram and email do.
		if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusUnauthorized {
			return bridge.Permanent(e)
		}
		return e
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("discord %s: %s", op, redact(ue.Err.Error()))
	}
	return fmt.Errorf("discord %s: %s", op, redact(err.Error()))
}

// classifyThread is classify for calls on a staff thread: an unknown
// channel means the thread was deleted, so the outbox opens a new one.
func classifyThread(op string, err error) error {
	if hasCode(err, codeUnknownChannel) {
		return fmt.Errorf("%w: discord %s: Unknown Channel", bridge.ErrThreadGone, op)
	}
	return classify(op, err)
}

// fatalGatewayError explains the gateway close codes no reconnect can fix
// (wrong token, disallowed intents); nil for everything else.
func fatalGatewayError(err error) error {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		if status, _, ok := restCode(err); ok && status == http.StatusUnauthorized {
			return errors.New("discord: Discord rejected the bot token (401); check DISCORD_BOT_TOKEN")
		}
		return nil
	}
	switch ce.Code {
	case 4004:
		return errors.New("discord: gateway authentication failed (4004); check DISCORD_BOT_TOKEN")
	case 4013:
		return errors.New("discord: gateway refused the intents (4013 invalid intents)")
	case 4014:
		return errors.New("discord: gateway refused the Message Content intent (4014 disallowed intents); enable \"Message Content Intent\" under Bot > Privileged Gateway Intents in the Discord developer portal")
	case 4010, 4011, 4012:
		return fmt.Errorf("discord: gateway closed with %d (%s)", ce.Code, ce.Text)
	}
	return nil
}

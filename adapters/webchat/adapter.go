package webchat

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Platform is the channel's name.
const Platform bridge.Platform = "webchat"

//go:embed static
var static embed.FS

// History is the read access the widget's history needs.
type History interface {
	CustomerMessages(ctx context.Context, channel bridge.Platform, address string, after bridge.MessageID, limit int) ([]bridge.Message, error)
}

// Options wires the adapter.
type Options struct {
	Key          []byte // signs visitor tokens (>= 32 bytes)
	History      History
	PublicURL    string // its origin may always use the API
	Log          *slog.Logger
	Now          func() time.Time
	MaxBodyBytes int64
}

// Adapter is the web chat channel.
type Adapter struct {
	cfg      Config
	opts     Options
	tokens   tokens
	perVisit *limiter
	perIP    *limiter
	sessions *limiter
	hub      *hub
	allowAll bool
	allowed  map[string]bool
	log      *slog.Logger
	now      func() time.Time
}

var _ bridge.CustomerChannel = (*Adapter)(nil)

// New builds the adapter. cfg must have had Defaults applied.
func New(cfg Config, o Options) (*Adapter, error) {
	if len(o.Key) < 32 {
		return nil, errors.New("webchat: token key must be at least 32 bytes")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	a := &Adapter{
		cfg: cfg, opts: o, log: o.Log, now: o.Now,
		tokens:   tokens{key: o.Key, maxAge: cfg.TokenMaxAge.D(), now: o.Now},
		perVisit: newLimiter(cfg.PerVisitorPerMinute),
		perIP:    newLimiter(cfg.PerIPPerMinute),
		sessions: newLimiter(cfg.PerIPPerMinute),
		hub:      newHub(),
		allowed:  make(map[string]bool),
	}
	for _, origin := range append([]string{o.PublicURL}, cfg.AllowedOrigins...) {
		if origin == "*" {
			a.allowAll = true
			continue
		}
		if u, err := url.Parse(origin); err == nil && u.Host != "" {
			a.allowed[strings.ToLower(u.Scheme+"://"+u.Host)] = true
		}
	}
	return a, nil
}

// Name is "webchat".
func (a *Adapter) Name() bridge.Platform { return Platform }

// Run waits for shutdown, then closes the visitors' connections. Messages
// arrive through Handler.
func (a *Adapter) Run(ctx context.Context, _ bridge.Inbox) error {
	<-ctx.Done()
	a.hub.closeAll()
	return nil
}

// Online reports how many connections a visitor has open.
func (a *Adapter) Online(visitor string) int { return a.hub.count(visitor) }

// Send pushes a staff reply to the visitor's open widgets. The reply is
// already stored, so a visitor who is offline sees it on their next visit:
// a send succeeds whether or not anyone is connected.
func (a *Adapter) Send(_ context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	wm := wireMessage{ID: int64(d.Message), Conversation: int64(d.Conversation), From: "staff", Author: d.Author,
		Text: d.Text, At: a.now().UTC(), Attachments: d.Attachments}
	frame, _ := json.Marshal(wsFrame{Type: "message", Message: &wm})
	a.hub.broadcast(d.Address, frame)
	return bridge.ExternalRef{Platform: Platform, ID: "m" + strconv.FormatInt(int64(d.Message), 10)}, nil
}

// wireMessage is a message as the widget sees it.
type wireMessage struct {
	ID           int64               `json:"id"`
	Conversation int64               `json:"conversation"`
	From         string              `json:"from"` // "customer" or "staff"
	Author       string              `json:"author,omitempty"`
	Text         string              `json:"text"`
	At           time.Time           `json:"at"`
	ClientID     string              `json:"client_id,omitempty"`
	Attachments  []bridge.Attachment `json:"attachments,omitempty"`
}

func toWire(m bridge.Message) wireMessage {
	w := wireMessage{ID: int64(m.ID), Conversation: int64(m.Conversation), Text: m.Body, At: m.CreatedAt.UTC(), Attachments: m.Attachments}
	if m.Direction == bridge.DirStaff {
		w.From, w.Author = "staff", m.Author
	} else {
		w.From = "customer"
	}
	return w
}

// apiError is an HTTP error with a clear message for the widget developer.
type apiError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *apiError) Error() string { return e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

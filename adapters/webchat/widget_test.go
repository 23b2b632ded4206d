package webchat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/store/storetest"
)

// routingFixture is newFixture with departments and when.to rules.
func routingFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.Open(t)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}, Directory: team.New(team.Options{
		Departments:       map[string]team.Department{"support": {}, "sales": {}, "billing": {}},
		DefaultDepartment: "support",
		Rules: []rules.Rule{
			{Name: "sales", When: rules.Match{Channels: []bridge.Platform{"webchat"}, To: []string{"sales"}}, Set: rules.Actions{Department: "sales"}},
			{Name: "billing", When: rules.Match{Channels: []bridge.Platform{"webchat"}, To: []string{"billing"}}, Set: rules.Actions{Department: "billing"}},
		},
	})})
	cfg := webchat.Config{Enabled: true}
	cfg.Defaults()
	clock := clocktest.New(time.Now())
	ad, err := webchat.New(cfg, webchat.Options{Key: key, MaxBodyBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.Init(bridge.Deps{Clock: clock, Store: st, Core: eng}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ad.Handler(eng))
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, ad: ad, st: st, eng: eng, now: clock}
}

func (f *fixture) conversationOf(t *testing.T, conv any) bridge.Conversation {
	t.Helper()
	id, _ := conv.(float64)
	c, err := f.st.Conversation(context.Background(), bridge.ConversationID(id))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wsSay authenticates on the WebSocket (with hello's extra fields and the
// URL query) and sends one message; it returns the ack or error frame.
func wsSay(t *testing.T, f *fixture, query string, hello map[string]any, msg map[string]any) map[string]any {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(f.srv.URL, "http")+"/chat/ws"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(hello)
	if fr := readFrame(t, c); fr["type"] != "ready" {
		return fr
	}
	msg["type"] = "message"
	c.WriteJSON(msg)
	for {
		if fr := readFrame(t, c); fr["type"] == "ack" || fr["type"] == "error" {
			return fr
		}
	}
}

// TestWidgetNameRoutes: the page's widget name reaches the engine as
// InboundMessage.To through the HTTP API and the WebSocket, routes the new
// conversation and is remembered as its entry point.
func TestWidgetNameRoutes(t *testing.T) {
	f := routingFixture(t)
	for _, tc := range []struct {
		name  string
		send  func(tok string) map[string]any // returns the stored message
		dept  string
		entry string
	}{
		{"HTTP body", func(tok string) map[string]any {
			r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "invoice?", "widget": " Billing "})
			if r.status != 202 {
				t.Fatalf("post: %d %v", r.status, r.body)
			}
			return r.body["message"].(map[string]any)
		}, "billing", "billing"},
		{"HTTP query", func(tok string) map[string]any {
			r := f.do(t, "POST", "/chat/api/messages?widget=sales", tok, "", map[string]any{"text": "a quote?"})
			if r.status != 202 {
				t.Fatalf("post: %d %v", r.status, r.body)
			}
			return r.body["message"].(map[string]any)
		}, "sales", "sales"},
		{"WebSocket hello", func(tok string) map[string]any {
			fr := wsSay(t, f, "", map[string]any{"type": "auth", "token": tok, "widget": "sales"}, map[string]any{"text": "pricing", "client_id": "w1"})
			if fr["type"] != "ack" {
				t.Fatalf("frame = %v", fr)
			}
			return fr["message"].(map[string]any)
		}, "sales", "sales"},
		{"WebSocket URL query", func(tok string) map[string]any {
			fr := wsSay(t, f, "?widget=billing", map[string]any{"type": "auth", "token": tok}, map[string]any{"text": "refund", "client_id": "w1"})
			if fr["type"] != "ack" {
				t.Fatalf("frame = %v", fr)
			}
			return fr["message"].(map[string]any)
		}, "billing", "billing"},
		{"WebSocket message frame names its own", func(tok string) map[string]any {
			fr := wsSay(t, f, "", map[string]any{"type": "auth", "token": tok, "widget": "sales"}, map[string]any{"text": "x", "client_id": "w1", "widget": "billing"})
			if fr["type"] != "ack" {
				t.Fatalf("frame = %v", fr)
			}
			return fr["message"].(map[string]any)
		}, "billing", "billing"},
		{"no widget", func(tok string) map[string]any {
			r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "hello"})
			return r.body["message"].(map[string]any)
		}, "support", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.send(f.session(t))
			c := f.conversationOf(t, m["conversation"])
			if c.Department != tc.dept || c.Entry != tc.entry {
				t.Errorf("department %q entry %q, want %q %q", c.Department, c.Entry, tc.dept, tc.entry)
			}
		})
	}
}

// TestBadWidgetNames: a widget name that is not 1-32 of a-z 0-9 - _ is
// refused with a clear error and stores nothing; it is no way around the
// visitor token.
func TestBadWidgetNames(t *testing.T) {
	f := routingFixture(t)
	tok := f.session(t)
	for _, w := range []string{"<b>sales</b>", "sales team", strings.Repeat("w", 33), "bil\u200bling", "../billing"} {
		r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "hi", "widget": w})
		if r.status != http.StatusBadRequest || r.body["code"] != "bad_widget" {
			t.Errorf("widget %q: %d %v", w, r.status, r.body)
		}
	}
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(f.srv.URL, "http")+"/chat/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "auth", "token": tok, "widget": "<script>"})
	if fr := readFrame(t, c); fr["type"] != "error" || fr["code"] != "bad_widget" {
		t.Errorf("bad widget in hello = %v", fr)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, 4400) {
		t.Errorf("close = %v, want 4400", err)
	}
	if fr := wsSay(t, f, "", map[string]any{"type": "auth", "token": tok}, map[string]any{"text": "x", "widget": "a b"}); fr["type"] != "error" || fr["code"] != "bad_widget" {
		t.Errorf("bad widget in a message frame = %v", fr)
	}
	// A widget name does not stand in for a token.
	if r := f.do(t, "POST", "/chat/api/messages?widget=sales", "", "", map[string]any{"text": "hi", "widget": "sales"}); r.status != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.status)
	}
	if cs, _ := f.st.OpenConversations(context.Background(), 10); len(cs) != 0 {
		t.Errorf("%d conversations stored", len(cs))
	}
}

package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

var key = []byte("0123456789abcdef0123456789abcdef")

type fixture struct {
	files string // Deps.AttachmentsDir
	srv   *httptest.Server
	ad    *webchat.Adapter
	st    *sqlite.Store
	eng   *engine.Engine
	now   *clocktest.Clock
	relay *bridge.LocalRelay // Deps.Relay: typing indicators travel it
}

func newFixture(t *testing.T, mutate func(*webchat.Config), options ...func(*webchat.Options)) *fixture {
	t.Helper()
	return fixtureWith(t, mutate, nil, options...)
}

// fixtureWith is newFixture with the engine's options (store and surfaces
// are set) changed by engineOpts.
func fixtureWith(t *testing.T, mutate func(*webchat.Config), engineOpts func(*engine.Options), options ...func(*webchat.Options)) *fixture {
	t.Helper()
	return fixtureOn(t, storetest.Open(t), mutate, engineOpts, options...)
}

// fixtureOn is fixtureWith on a store the caller opened.
func fixtureOn(t *testing.T, st *sqlite.Store, mutate func(*webchat.Config), engineOpts func(*engine.Options), options ...func(*webchat.Options)) *fixture {
	t.Helper()
	eo := engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}}
	if engineOpts != nil {
		engineOpts(&eo)
	}
	eng := engine.New(eo)
	cfg := webchat.Config{Enabled: true, DemoPage: true, AllowedOrigins: []string{"https://shop.example"}}
	if mutate != nil {
		mutate(&cfg)
	}
	cfg.Defaults()
	clock := clocktest.New(time.Now())
	o := webchat.Options{Key: key, PublicURL: "http://chat.example", MaxBodyBytes: 8 << 10}
	for _, fn := range options {
		fn(&o)
	}
	ad, err := webchat.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	relay := bridge.NewLocalRelay()
	if err := ad.Init(bridge.Deps{Clock: clock, Store: st, Core: eng, AttachmentsDir: files, Relay: relay}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ad.Handler(eng))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go ad.Run(ctx, eng)
	return &fixture{files: files, srv: srv, ad: ad, st: st, eng: eng, now: clock, relay: relay}
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
}

func (f *fixture) do(t *testing.T, method, path, token, origin string, body any) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := resp{status: res.StatusCode, header: res.Header}
	_ = json.NewDecoder(res.Body).Decode(&out.body)
	return out
}

func (f *fixture) session(t *testing.T) string {
	r := f.do(t, "POST", "/chat/api/session", "", "", nil)
	if r.status != 200 {
		t.Fatalf("session: %d %v", r.status, r.body)
	}
	return r.body["token"].(string)
}

func TestSessionPostAndHistory(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "  Hello there  ", "client_id": "c1", "name": "Anna"})
	if r.status != 202 {
		t.Fatalf("post: %d %v", r.status, r.body)
	}
	msg := r.body["message"].(map[string]any)
	if msg["text"] != "Hello there" || msg["from"] != "customer" {
		t.Errorf("message = %v", msg)
	}
	// Retrying the same client_id stores nothing new.
	r2 := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "Hello there", "client_id": "c1"})
	if r2.body["message"].(map[string]any)["id"] != msg["id"] {
		t.Errorf("retry got a new message: %v", r2.body)
	}
	conv := bridge.ConversationID(msg["conversation"].(float64))
	if _, err := f.eng.Note(context.Background(), engine.StaffContext{Conversation: conv, Actor: bridge.Actor{Name: "A"}}, "secret note", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Reply(context.Background(), engine.StaffContext{Conversation: conv, Actor: bridge.Actor{Name: "Alice"}}, "Hi Anna", nil); err != nil {
		t.Fatal(err)
	}
	h := f.do(t, "GET", "/chat/api/messages", tok, "", nil)
	ms := h.body["messages"].([]any)
	if len(ms) != 2 {
		t.Fatalf("history = %v (notes must not show)", ms)
	}
	if last := ms[1].(map[string]any); last["from"] != "staff" || last["author"] != "Alice" || last["text"] != "Hi Anna" {
		t.Errorf("staff message = %v", last)
	}
	// A renewed token keeps the visitor.
	r3 := f.do(t, "POST", "/chat/api/session", "", "", map[string]any{"token": tok})
	if r3.body["visitor"] == "" || !strings.HasPrefix(tok, "v1."+r3.body["visitor"].(string)+".") {
		t.Errorf("renewed session visitor %v for token %s", r3.body["visitor"], tok)
	}
	// Another visitor sees nothing of it.
	other := f.session(t)
	if h := f.do(t, "GET", "/chat/api/messages", other, "", nil); len(h.body["messages"].([]any)) != 0 {
		t.Errorf("other visitor sees %v", h.body)
	}
}

func TestHostileRequests(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	forged := tok[:len(tok)-4] + "AAAA"
	otherKey := strings.Replace(tok, ".", "x.", 0)
	for _, tc := range []struct {
		name, method, path, token, origin string
		body                              any
		status                            int
		code                              string
	}{
		{"no token", "POST", "/chat/api/messages", "", "", map[string]any{"text": "x"}, 401, "no_token"},
		{"forged token", "POST", "/chat/api/messages", forged, "", map[string]any{"text": "x"}, 401, "bad_token"},
		{"garbage token", "GET", "/chat/api/messages", "v1.abc.1.x", "", nil, 401, "bad_token"},
		{"tampered token", "GET", "/chat/api/messages", otherKey + "x", "", nil, 401, "bad_token"},
		{"bad json", "POST", "/chat/api/messages", tok, "", "{not json", 400, "bad_json"},
		{"deep json", "POST", "/chat/api/messages", tok, "", strings.Repeat("[", 5000), 400, "bad_json"},
		{"empty", "POST", "/chat/api/messages", tok, "", map[string]any{"text": "   "}, 400, "empty"},
		{"too long", "POST", "/chat/api/messages", tok, "", map[string]any{"text": strings.Repeat("é", 4001)}, 413, "too_long"},
		{"bad client id", "POST", "/chat/api/messages", tok, "", map[string]any{"text": "x", "client_id": "../../etc"}, 400, "bad_client_id"},
		{"oversized body", "POST", "/chat/api/messages", tok, "", map[string]any{"text": strings.Repeat("a", 9000)}, 413, "too_large"},
		{"wrong origin", "POST", "/chat/api/messages", tok, "https://evil.example", map[string]any{"text": "x"}, 403, "origin_not_allowed"},
		{"unknown endpoint", "GET", "/chat/api/nope", tok, "", nil, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.method, tc.path, tc.token, tc.origin, tc.body)
			if r.status != tc.status || r.body["code"] != tc.code || r.body["error"] == "" {
				t.Errorf("got %d %v, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	convs, _ := f.st.ListConversations(context.Background(), store.ListFilter{All: true})
	if len(convs) != 0 {
		t.Errorf("hostile requests stored %d conversations", len(convs))
	}
}

func TestMessageLengthLimitCountsCharacters(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) { c.MaxMessageChars = 10 })
	tok := f.session(t)
	if r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "ééééééééééé"}); r.status != 413 || r.body["code"] != "too_long" {
		t.Errorf("11 chars: %d %v", r.status, r.body)
	}
	if r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "éééééééééé"}); r.status != 202 {
		t.Errorf("10 chars: %d %v", r.status, r.body)
	}
}

func TestExpiredToken(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) { c.TokenMaxAge = bridge.Duration(time.Hour) })
	tok := f.session(t)
	f.now.Advance(2 * time.Hour)
	r := f.do(t, "GET", "/chat/api/messages", tok, "", nil)
	if r.status != 401 || r.body["code"] != "expired_token" {
		t.Errorf("expired: %d %v", r.status, r.body)
	}
}

func TestRateLimits(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) { c.PerVisitorPerMinute = 3; c.PerIPPerMinute = 5 })
	tok := f.session(t)
	for i := 0; i < 3; i++ {
		if r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "hi"}); r.status != 202 {
			t.Fatalf("message %d: %d", i, r.status)
		}
	}
	r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "hi"})
	if r.status != 429 || r.header.Get("Retry-After") == "" || r.body["code"] != "rate_limited" {
		t.Errorf("4th message: %d %v %v", r.status, r.header, r.body)
	}
	// Per IP: a second visitor from the same address gets two more.
	tok2 := f.session(t)
	ok := 0
	for i := 0; i < 4; i++ {
		if f.do(t, "POST", "/chat/api/messages", tok2, "", map[string]any{"text": "hi"}).status == 202 {
			ok++
		}
	}
	if ok != 2 {
		t.Errorf("second visitor sent %d, want 2 (IP limit 5)", ok)
	}
	f.now.Advance(time.Minute)
	if r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "hi"}); r.status != 202 {
		t.Errorf("after a minute: %d", r.status)
	}
}

func TestCORS(t *testing.T) {
	f := newFixture(t, nil)
	r := f.do(t, "OPTIONS", "/chat/api/messages", "", "https://shop.example", nil)
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	if r := f.do(t, "POST", "/chat/api/session", "", "http://chat.example", nil); r.status != 200 {
		t.Errorf("public_url origin: %d", r.status)
	}
}

func dialWS(t *testing.T, f *fixture, origin string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(f.srv.URL, "http")+"/chat/ws", h)
}

func readFrame(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m map[string]any
	if err := c.ReadJSON(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWebSocketLiveReplies(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	c, _, err := dialWS(t, f, "https://shop.example")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "auth", "token": tok})
	if fr := readFrame(t, c); fr["type"] != "ready" {
		t.Fatalf("first frame = %v", fr)
	}
	c.WriteJSON(map[string]any{"type": "message", "text": "over websocket", "client_id": "w1"})
	var ack map[string]any
	for ack == nil || ack["type"] != "ack" {
		ack = readFrame(t, c)
	}
	m := ack["message"].(map[string]any)
	if ack["client_id"] != "w1" || m["text"] != "over websocket" {
		t.Errorf("ack = %v", ack)
	}
	visitor := strings.Split(tok, ".")[1]
	if n := f.ad.Online(visitor); n != 1 {
		t.Errorf("online = %d", n)
	}
	_, err = f.ad.Send(context.Background(), bridge.Delivery{Conversation: bridge.ConversationID(m["conversation"].(float64)), Message: 99, Address: visitor, Author: "Bob", Text: "<b>not html</b>"})
	if err != nil {
		t.Fatal(err)
	}
	fr := readFrame(t, c)
	if fr["type"] != "message" || fr["message"].(map[string]any)["text"] != "<b>not html</b>" || fr["message"].(map[string]any)["author"] != "Bob" {
		t.Errorf("live reply = %v", fr)
	}
	c.WriteJSON(map[string]any{"type": "message", "text": ""})
	if fr := readFrame(t, c); fr["type"] != "error" || fr["code"] != "empty" {
		t.Errorf("empty message frame = %v", fr)
	}
}

func TestWebSocketRejectsBadAuthAndOrigin(t *testing.T) {
	f := newFixture(t, nil)
	if _, res, err := dialWS(t, f, "https://evil.example"); err == nil || res == nil || res.StatusCode != 403 {
		t.Errorf("evil origin dial: %v %v", err, res)
	}
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "auth", "token": "v1.AAAAAAAAAAAAAAAAAAAAAA.1.bad"})
	if fr := readFrame(t, c); fr["type"] != "error" || fr["code"] != "bad_token" {
		t.Errorf("bad auth frame = %v", fr)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, 4401) {
		t.Errorf("close = %v, want 4401", err)
	}
}

func TestWidgetAndDemoPage(t *testing.T) {
	f := newFixture(t, nil)
	res, err := http.Get(f.srv.URL + "/chat/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "javascript") || !bytes.Contains(b, []byte("textContent")) {
		t.Errorf("widget: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if bytes.Contains(b, []byte("innerHTML = m")) || bytes.Contains(b, []byte(".innerHTML=m")) {
		t.Error("widget renders messages as HTML")
	}
	res, _ = http.Get(f.srv.URL + "/")
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(b, []byte(`http://chat.example/chat/widget.js`)) || res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("demo: %d %s", res.StatusCode, b)
	}
}

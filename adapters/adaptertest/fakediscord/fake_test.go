package fakediscord_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
)

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

func dial(t *testing.T, f *fakediscord.Server) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(f.GatewayURL()+"/?v=9&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func read(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f frame
	if err := c.ReadJSON(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGatewayProtocol walks the opcodes a client sees: HELLO, IDENTIFY ->
// READY, HEARTBEAT -> ACK, dispatches with sequence numbers, and a RESUME
// that replays what was missed, then RESUMED.
func TestGatewayProtocol(t *testing.T) {
	f := fakediscord.New(fakediscord.Options{})
	defer f.Close()
	ch := f.AddTextChannel("general")
	c := dial(t, f)
	if h := read(t, c); h.Op != 10 || !strings.Contains(string(h.D), "heartbeat_interval") {
		t.Fatalf("first frame = %+v", h)
	}
	c.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": "Bot " + f.Token(), "intents": 1<<0 | 1<<9 | 1<<15}})
	ready := read(t, c)
	if ready.Op != 0 || *ready.T != "READY" || *ready.S != 1 {
		t.Fatalf("ready = %+v", ready)
	}
	var r struct {
		SessionID string `json:"session_id"`
	}
	json.Unmarshal(ready.D, &r)
	c.WriteJSON(map[string]any{"op": 1, "d": 1})
	if ack := read(t, c); ack.Op != 11 {
		t.Fatalf("heartbeat answer = %+v", ack)
	}
	f.InjectMessage(ch, fakediscord.Person{ID: "1", Username: "a"}, "one")
	if m := read(t, c); *m.T != "MESSAGE_CREATE" || *m.S != 2 || !strings.Contains(string(m.D), `"content":"one"`) {
		t.Fatalf("dispatch = %+v", m)
	}
	f.DropGateway()
	f.InjectMessage(ch, fakediscord.Person{ID: "1", Username: "a"}, "missed")
	c2 := dial(t, f)
	read(t, c2) // HELLO
	c2.WriteJSON(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + f.Token(), "session_id": r.SessionID, "seq": 2}})
	if m := read(t, c2); *m.T != "MESSAGE_CREATE" || *m.S != 3 || !strings.Contains(string(m.D), "missed") {
		t.Fatalf("replayed = %+v", m)
	}
	if m := read(t, c2); *m.T != "RESUMED" {
		t.Fatalf("after replay = %+v", m)
	}
	if i, res, ok := f.GatewayStats(); i != 1 || res != 1 || !ok {
		t.Errorf("stats = %d %d %v", i, res, ok)
	}
	if o := f.SessionOverlaps(); len(o) != 0 {
		t.Errorf("a resume after the drop recorded as overlapping: %q", o)
	}
	// A second bot identifying while this one holds its session is
	// recorded.
	c4 := dial(t, f)
	read(t, c4)
	c4.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": "Bot " + f.Token(), "intents": 1}})
	if m := read(t, c4); *m.T != "READY" {
		t.Fatalf("second identify = %+v", m)
	}
	if o := f.SessionOverlaps(); len(o) != 1 || !strings.Contains(o[0], "IDENTIFY") {
		t.Errorf("two sessions at once: overlaps %q, want one", o)
	}
	// A bad token is closed with 4004.
	c3 := dial(t, f)
	read(t, c3)
	c3.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": "Bot nope", "intents": 0}})
	_ = c3.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c3.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != fakediscord.CloseAuthenticationFailed {
		t.Errorf("bad token = %v", err)
	}
}

func TestRESTAuthAndErrors(t *testing.T) {
	f := fakediscord.New(fakediscord.Options{})
	defer f.Close()
	get := func(path, auth string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", f.APIURL()+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	if code, _ := get("/users/@me", ""); code != 401 {
		t.Errorf("no auth = %d", code)
	}
	if code, body := get("/channels/1", "Bot "+f.Token()); code != 404 || body["code"] != float64(fakediscord.CodeUnknownChannel) {
		t.Errorf("unknown channel = %d %v", code, body)
	}
	f.RateLimit("GET", "/users/@me", 1500*time.Millisecond)
	if code, body := get("/users/@me", "Bot "+f.Token()); code != 429 || body["retry_after"] != 1.5 {
		t.Errorf("rate limit = %d %v", code, body)
	}
	if code, body := get("/users/@me", "Bot "+f.Token()); code != 200 || body["bot"] != true {
		t.Errorf("after the fault = %d %v", code, body)
	}
}

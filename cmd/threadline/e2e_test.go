package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

const testConfig = `
http:
  listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
store:
  path: threadline.db
webchat:
  enabled: true
  demo_page: true
console:
  enabled: true
outbox:
  base_backoff: 50ms
  pacing:                      # tests do not exercise platform pacing here
    slack: {per_destination: 50, per_adapter: 200}
`

// daemon is one in-process run of the real wiring.
type daemon struct {
	app    *app
	cancel context.CancelFunc
	done   chan error
	http   string
	admin  *console.Client
}

func writeConfig(t *testing.T, dir string) string {
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startDaemon(t *testing.T, cfgPath string) *daemon {
	t.Helper()
	cfg, err := config.Load(cfgPath, config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	// The public URL follows the real port (config said :0).
	tok, err := os.ReadFile(cfg.Admin.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{app: a, cancel: cancel, done: make(chan error, 1), http: "http://" + a.httpLn.Addr().String(),
		admin: &console.Client{BaseURL: "http://" + a.adminLn.Addr().String(), Token: strings.TrimSpace(string(tok))}}
	go func() { d.done <- a.run(ctx) }()
	t.Cleanup(d.stop)
	return d
}

func (d *daemon) stop() {
	if d.cancel == nil {
		return
	}
	d.cancel()
	<-d.done
	d.cancel = nil
}

// visitor is a web chat customer speaking the widget's protocol.
type visitor struct {
	t     *testing.T
	base  string
	token string
	ws    *websocket.Conn
	mu    sync.Mutex
	seen  []map[string]any
}

func newVisitor(t *testing.T, base string) *visitor {
	v := &visitor{t: t, base: base}
	res, err := http.Post(base+"/chat/api/session", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s map[string]any
	json.NewDecoder(res.Body).Decode(&s)
	v.token = s["token"].(string)
	return v
}

func (v *visitor) connect(base string) {
	v.base = base
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/chat/ws", nil)
	if err != nil {
		v.t.Fatal(err)
	}
	v.ws = c
	c.WriteJSON(map[string]any{"type": "auth", "token": v.token})
	go func() {
		for {
			var f map[string]any
			if err := c.ReadJSON(&f); err != nil {
				return
			}
			if f["type"] == "message" {
				v.mu.Lock()
				v.seen = append(v.seen, f["message"].(map[string]any))
				v.mu.Unlock()
			}
		}
	}()
	v.t.Cleanup(func() { c.Close() })
}

func (v *visitor) say(text, clientID string) {
	body, _ := json.Marshal(map[string]any{"text": text, "client_id": clientID, "name": "Anna"})
	req, _ := http.NewRequest("POST", v.base+"/chat/api/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+v.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 202 {
		v.t.Fatalf("post: %s", res.Status)
	}
}

func (v *visitor) staffTexts() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, m := range v.seen {
		if m["from"] == "staff" {
			out = append(out, m["text"].(string))
		}
	}
	return out
}

// watcher collects the console watch stream.
type watcher struct {
	mu     sync.Mutex
	events []console.Event
}

func watch(t *testing.T, c *console.Client) *watcher {
	w := &watcher{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ready := make(chan struct{})
	go c.Watch(ctx, func(e console.Event) error {
		if e.Type == "hello" {
			close(ready)
		}
		w.mu.Lock()
		w.events = append(w.events, e)
		w.mu.Unlock()
		return nil
	})
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not connect")
	}
	return w
}

func (w *watcher) find(pred func(console.Event) bool) (console.Event, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if pred(e) {
			return e, true
		}
	}
	return console.Event{}, false
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEndToEndWebChatConsoleAndRestart(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir)
	ctx := context.Background()

	// Run 1: customer writes, staff sees it on the console and answers.
	d1 := startDaemon(t, cfgPath)
	w1 := watch(t, d1.admin)
	v := newVisitor(t, d1.http)
	v.connect(d1.http)
	v.say("Hello, my parcel never arrived", "c1")
	eventually(t, "customer message on the console", func() bool {
		_, ok := w1.find(func(e console.Event) bool { return e.Type == "post" && e.Text == "Hello, my parcel never arrived" })
		return ok
	})
	post, _ := w1.find(func(e console.Event) bool { return e.Type == "post" })
	conv := post.Conversation
	for _, text := range []string{"!claim", "// customer since 2019", "Sorry to hear that! Checking with the courier."} {
		res, err := d1.admin.Say(ctx, console.SayRequest{Conversation: conv, Text: text, As: "Alice"})
		if err != nil || res.Error {
			t.Fatalf("say %q: %+v %v", text, res, err)
		}
	}
	eventually(t, "staff reply in the browser", func() bool { return len(v.staffTexts()) == 1 })
	eventually(t, "delivery receipt on the console", func() bool {
		_, ok := w1.find(func(e console.Event) bool { return e.Type == "receipt" && e.OK })
		return ok
	})
	if got := v.staffTexts(); got[0] != "Sorry to hear that! Checking with the courier." {
		t.Errorf("customer saw %q", got)
	}
	d1.stop()

	// While the daemon is down, work is committed but not delivered, as if
	// it crashed right after the commits.
	cfg, _ := config.Load(cfgPath, config.MapEnv(nil))
	st, err := sqlite.Open(cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}})
	if _, err := eng.Reply(ctx, engine.StaffContext{Conversation: bridge.ConversationID(conv), Actor: bridge.Actor{ID: "console:Alice", Name: "Alice"}, Surface: "console"}, "Found it: it arrives tomorrow.", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: strings.Split(v.token, ".")[1], Text: "Thanks!", ExternalID: "offline-1"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Run 2: the outbox resumes; the conversation keeps its thread.
	d2 := startDaemon(t, cfgPath)
	v.connect(d2.http)
	eventually(t, "queued rows delivered after restart", func() bool {
		rows, _ := d2.app.st.OutboxRows(ctx, bridge.ConversationID(conv))
		for _, r := range rows {
			if r.State != "sent" {
				return false
			}
		}
		return len(rows) > 0
	})
	thread, err := d2.app.st.Thread(ctx, bridge.ConversationID(conv), "console")
	if err != nil || thread != bridge.ThreadRef(fmt.Sprint(conv)) {
		t.Errorf("console thread after restart = %q, %v", thread, err)
	}
	if prev, _ := d2.app.st.PreviousThread(ctx, bridge.ConversationID(conv), "console"); prev != "" {
		t.Errorf("restart replaced the thread (previous %q)", prev)
	}
	// The reply queued while down reaches the customer (live or in history).
	hist := func() []string {
		req, _ := http.NewRequest("GET", d2.http+"/chat/api/messages", nil)
		req.Header.Set("Authorization", "Bearer "+v.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var h struct{ Messages []map[string]any }
		json.NewDecoder(res.Body).Decode(&h)
		var out []string
		for _, m := range h.Messages {
			out = append(out, m["from"].(string)+":"+m["text"].(string))
		}
		return out
	}
	want := "customer:Hello, my parcel never arrived|staff:Sorry to hear that! Checking with the courier.|staff:Found it: it arrives tomorrow.|customer:Thanks!"
	if got := strings.Join(hist(), "|"); got != want {
		t.Errorf("customer history:\n got %s\nwant %s", got, want)
	}
	// The customer never saw the note.
	for _, s := range hist() {
		if strings.Contains(s, "2019") {
			t.Errorf("note leaked to the customer: %s", s)
		}
	}
}

func consoleSay(conv int64, text string) console.SayRequest {
	return console.SayRequest{Conversation: conv, Text: text, As: "tester"}
}

// slackCard waits for the one ticket card in a Slack channel and for its
// thread to be recorded in the store (right behind the post), so staff
// messages in the thread find their conversation; it returns the card's ts.
func slackCard(t *testing.T, d *daemon, fake *fakeslack.Server, channel string) string {
	t.Helper()
	var ts string
	eventually(t, "ticket card in "+channel+" posted and recorded", func() bool {
		ps := fake.Parents(channel)
		if len(ps) != 1 {
			return false
		}
		ts = ps[0].TS
		_, err := d.app.st.ConversationByThread(context.Background(), "slack", bridge.ThreadRef(channel+"/"+ts))
		return err == nil
	})
	return ts
}

package webchat

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/store/storetest"
)

// recordingInbox accepts every delivery and keeps the last one.
type recordingInbox struct {
	mu   sync.Mutex
	n    int
	last bridge.InboundMessage
}

func (r *recordingInbox) Deliver(_ context.Context, m bridge.InboundMessage) (bridge.DeliverResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.last = m
	return bridge.DeliverResult{Conversation: 1, Message: bridge.MessageID(r.n)}, nil
}

func (r *recordingInbox) take() (bridge.InboundMessage, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last, r.n
}

func fuzzAdapter(t testing.TB) *Adapter {
	cfg := Config{Enabled: true, PerVisitorPerMinute: 1 << 30, PerIPPerMinute: 1 << 30}
	cfg.Defaults()
	a, err := New(cfg, Options{Key: []byte("0123456789abcdef0123456789abcdef"), MaxBodyBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Init(bridge.Deps{Clock: clocktest.Monday(), Store: storetest.Open(t)}); err != nil {
		t.Fatal(err)
	}
	return a
}

// checkDelivered holds for everything the web chat hands to the engine.
func checkDelivered(t *testing.T, a *Adapter, m bridge.InboundMessage, visitor string) {
	t.Helper()
	switch {
	case !utf8.ValidString(m.Text) || !utf8.ValidString(m.Name) || !utf8.ValidString(m.Email):
		t.Fatalf("invalid UTF-8 delivered: %+v", m)
	case strings.TrimSpace(m.Text) == "" || m.Text != strings.TrimSpace(m.Text):
		t.Fatalf("untrimmed or empty text delivered: %q", m.Text)
	case utf8.RuneCountInString(m.Text) > a.cfg.MaxMessageChars:
		t.Fatalf("%d characters delivered, limit %d", utf8.RuneCountInString(m.Text), a.cfg.MaxMessageChars)
	case m.Address != visitor || m.Channel != Platform:
		t.Fatalf("delivered for %q on %q, want visitor %q", m.Address, m.Channel, visitor)
	case m.ExternalID != "" && !strings.HasPrefix(m.ExternalID, visitor+":"):
		t.Fatalf("external id %q not scoped to the visitor", m.ExternalID)
	case m.ExternalID != "" && !clientIDPattern.MatchString(strings.TrimPrefix(m.ExternalID, visitor+":")):
		t.Fatalf("client id in %q not validated", m.ExternalID)
	case len(m.To) > 2:
		t.Fatalf("to %q: more than a department and a widget", m.To)
	}
	for _, to := range m.To {
		if !rules.ValidWidgetName(to) {
			t.Fatalf("widget or department name %q not validated", to)
		}
	}
}

// FuzzFrame feeds WebSocket frames from an authenticated visitor.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"message","text":"Hello","client_id":"c1","name":"Anna","email":"a@example.com"}`,
		`{"type":"ping"}`,
		`{"type":"auth","token":"v1.x.1.y"}`,
		`{"type":"message","text":"   "}`,
		`{"type":"message","text":"caf\u00e9 \ud800","client_id":"../../x"}`,
		`{"type":"message","text":"x"} trailing`,
		`{"type":"message","text":"x","widget":"Billing"}`, `{"type":"message","text":"x","widget":"<b>"}`,
		`{"type":"typing"}`, `{"type":"read","id":3}`, `{"type":"read","id":-1}`, `{"type":"message","text":"x","department":"billing"}`,
		`[1,2,3]`, `"message"`, `{"type":null}`, ``,
	} {
		f.Add([]byte(s))
	}
	a := fuzzAdapter(f)
	in := &recordingInbox{}
	visitor := newVisitorID()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, before := in.take()
		out, ok := a.frame(context.Background(), in, visitor, "192.0.2.1", "", data)
		m, after := in.take()
		if !ok {
			if after != before {
				t.Fatal("a frame that is not JSON was delivered")
			}
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("answer does not marshal: %v", err)
		}
		switch out.Type {
		case "", "pong", "error": // "": typing and read frames are not answered
			if after != before {
				t.Fatalf("%s answer, but a message was delivered", out.Type)
			}
		case "ack":
			if after != before+1 || out.Message == nil {
				t.Fatalf("ack without exactly one delivery (%d → %d)", before, after)
			}
			checkDelivered(t, a, m, visitor)
		default:
			t.Fatalf("unexpected answer type %q", out.Type)
		}
	})
}

// FuzzPost feeds request bodies to POST /chat/api/messages.
func FuzzPost(f *testing.F) {
	for _, s := range []string{
		`{"text":"Hello","client_id":"c1","name":"Anna"}`,
		`{"text":"` + strings.Repeat("é", 4001) + `"}`,
		`{"text":"x","email":"` + strings.Repeat("a", 300) + `"}`,
		`{"text":"x","widget":"sales"}`, `{"text":"x","widget":"a b"}`, `{"text":"x","widget":"` + strings.Repeat("w", 33) + `"}`,
		`{"text":1}`, `{}`, `null`, `{"text":"a"}{"text":"b"}`, strings.Repeat("[", 5000),
	} {
		f.Add([]byte(s))
	}
	a := fuzzAdapter(f)
	in := &recordingInbox{}
	h := a.Handler(in)
	visitor := newVisitorID()
	token := a.tokens.issue(visitor)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, before := in.take()
		req := httptest.NewRequest("POST", "/chat/api/messages", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		m, after := in.take()
		switch {
		case w.Code == http.StatusAccepted:
			if after != before+1 {
				t.Fatalf("202 without a delivery")
			}
			checkDelivered(t, a, m, visitor)
		case w.Code >= 500:
			t.Fatalf("%d for %q", w.Code, body)
		case after != before:
			t.Fatalf("%d, but a message was delivered", w.Code)
		}
		var answer map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			t.Fatalf("answer is not JSON: %q", w.Body.String())
		}
	})
}

package fakemattermost_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemattermost"
)

func call(t *testing.T, s *fakemattermost.Server, token, method, path string, body any) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// The fake answers like Mattermost: AppError bodies, 401 without the
// token, posts only where the bot is a member, replies only under live
// roots of the same channel, and a posted event with the post as a JSON
// string to the bot's socket after the authentication challenge.
func TestFakeSpeaksTheDocumentedProtocol(t *testing.T) {
	s := fakemattermost.New(fakemattermost.Options{})
	defer s.Close()
	ch := s.AddChannel("support", true)
	other := s.AddChannel("other", false)
	if res, body := call(t, s, "", "GET", "/api/v4/users/me", nil); res.StatusCode != 401 || !strings.Contains(body, `"status_code":401`) {
		t.Errorf("no token: %d %s", res.StatusCode, body)
	}
	s.TakeViolations() // the call without a token was refused on purpose

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL(), "http")+"/api/v4/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"seq": 1, "action": "authentication_challenge", "data": map[string]string{"token": s.Token()}})
	read := func() map[string]any {
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := read(); m["status"] != "OK" || m["seq_reply"] != float64(1) {
		t.Errorf("challenge answer = %v", m)
	}
	if m := read(); m["event"] != "hello" {
		t.Errorf("greeting = %v", m)
	}

	res, body := call(t, s, s.Token(), "POST", "/api/v4/posts", map[string]any{"channel_id": ch, "message": "root"})
	if res.StatusCode != 201 {
		t.Fatalf("create post: %d %s", res.StatusCode, body)
	}
	var root map[string]any
	json.Unmarshal([]byte(body), &root)
	m := read()
	data, _ := m["data"].(map[string]any)
	postJSON, isString := data["post"].(string)
	if m["event"] != "posted" || !isString || !strings.Contains(postJSON, root["id"].(string)) {
		t.Errorf("posted event = %v", m)
	}
	if res, body := call(t, s, s.Token(), "POST", "/api/v4/posts", map[string]any{"channel_id": other, "message": "x"}); res.StatusCode != 403 {
		t.Errorf("post where the bot is no member: %d %s", res.StatusCode, body)
	}
	if res, body := call(t, s, s.Token(), "POST", "/api/v4/posts", map[string]any{"channel_id": ch, "message": "x", "root_id": fakemattermost.NewID()}); res.StatusCode != 400 ||
		!strings.Contains(body, "api.post.create_post.root_id.app_error") {
		t.Errorf("reply to a missing root: %d %s", res.StatusCode, body)
	}
	if res, _ := call(t, s, s.Token(), "POST", "/api/v4/posts/ephemeral", map[string]any{"user_id": s.BotID(), "post": map[string]any{"channel_id": ch, "message": "x"}}); res.StatusCode != 403 {
		t.Errorf("ephemeral by a bot that is no system admin: %d", res.StatusCode)
	}
	if v := s.TakeViolations(); len(v) != 0 {
		t.Errorf("well-formed calls refused: %v", v)
	}
}

// The contract check catches what Mattermost would refuse or could never
// route: buttons whose ids are not alphanumeric, missing fields, bad
// emoji names, the client config without format=old.
func TestFakeContractCatchesBadRequests(t *testing.T) {
	s := fakemattermost.New(fakemattermost.Options{})
	defer s.Close()
	ch := s.AddChannel("support", true)
	button := map[string]any{"id": "tl_claim", "name": "Claim", "integration": map[string]any{"url": "http://127.0.0.1/x"}}
	call(t, s, s.Token(), "POST", "/api/v4/posts", map[string]any{"channel_id": ch, "message": "x",
		"props": map[string]any{"attachments": []any{map[string]any{"actions": []any{button}}}}})
	call(t, s, s.Token(), "POST", "/api/v4/posts", map[string]any{"message": "x"})
	call(t, s, s.Token(), "POST", "/api/v4/reactions", map[string]any{"user_id": s.BotID(), "post_id": fakemattermost.NewID(), "emoji_name": ":tada:"})
	call(t, s, s.Token(), "GET", "/api/v4/config/client", nil)
	got := strings.Join(s.TakeViolations(), "\n")
	for _, want := range []string{`actions[0].id "tl_claim"`, "channel_id is required", `emoji_name ":tada:"`, "format=old is required"} {
		if !strings.Contains(got, want) {
			t.Errorf("violations lack %q:\n%s", want, got)
		}
	}
}

// 429s carry Mattermost's rate-limit headers.
func TestFakeRateLimitHeaders(t *testing.T) {
	s := fakemattermost.New(fakemattermost.Options{})
	defer s.Close()
	s.RateLimit("GET /api/v4/users/me", 1, 3)
	res, body := call(t, s, s.Token(), "GET", "/api/v4/users/me", nil)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "3" || res.Header.Get("X-Ratelimit-Reset") != "3" || strings.TrimSpace(body) != "limit exceeded" {
		t.Errorf("429: %d %v %q", res.StatusCode, res.Header, body)
	}
	if res, _ := call(t, s, s.Token(), "GET", "/api/v4/users/me", nil); res.StatusCode != 200 {
		t.Errorf("after the limit: %d", res.StatusCode)
	}
}

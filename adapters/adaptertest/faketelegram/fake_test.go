package faketelegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
)

type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func call(t *testing.T, s *faketelegram.Server, method string, params any) answer {
	t.Helper()
	body, _ := json.Marshal(params)
	res, err := http.Post(s.URL()+"/bot"+s.Token()+"/"+method, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a answer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	if !a.OK && a.ErrorCode != res.StatusCode {
		t.Errorf("error_code %d but HTTP %d", a.ErrorCode, res.StatusCode)
	}
	return a
}

func updateIDs(t *testing.T, a answer) []int64 {
	t.Helper()
	var ups []struct {
		UpdateID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(a.Result, &ups); err != nil {
		t.Fatalf("%v: %s", err, a.Result)
	}
	var ids []int64
	for _, u := range ups {
		ids = append(ids, u.UpdateID)
	}
	return ids
}

func TestOffsetConfirmsUpdates(t *testing.T) {
	s := faketelegram.New("")
	defer s.Close()
	c := faketelegram.Customer{ID: 1, FirstName: "A"}
	_, u1 := s.SendText(c, "one")
	_, u2 := s.SendText(c, "two")
	if ids := updateIDs(t, call(t, s, "getUpdates", map[string]any{})); len(ids) != 2 || ids[0] != u1 || ids[1] != u2 {
		t.Fatalf("ids %v", ids)
	}
	// Not confirmed yet: the same updates again.
	if ids := updateIDs(t, call(t, s, "getUpdates", map[string]any{"limit": 1})); len(ids) != 1 || ids[0] != u1 {
		t.Fatalf("ids %v", ids)
	}
	// offset = u2 confirms u1 only.
	if ids := updateIDs(t, call(t, s, "getUpdates", map[string]any{"offset": u2})); len(ids) != 1 || ids[0] != u2 {
		t.Fatalf("ids %v", ids)
	}
	if s.Pending() != 1 || s.Confirmed() != u2 {
		t.Errorf("pending %d confirmed %d", s.Pending(), s.Confirmed())
	}
}

func TestLongPollWakesAndNewerPollWins(t *testing.T) {
	s := faketelegram.New("")
	defer s.Close()
	answers := make(chan answer, 2)
	for range 2 {
		go func() { answers <- call(t, s, "getUpdates", map[string]any{"timeout": 10}) }()
	}
	// Two bots polling with one token: the older call ends with 409.
	select {
	case a := <-answers:
		if a.OK || a.ErrorCode != 409 {
			t.Errorf("older poll: %+v, want 409", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no poll ended")
	}
	if o := s.PollOverlaps(); len(o) != 1 {
		t.Errorf("overlapping polls recorded: %q, want one", o)
	}
	s.SendText(faketelegram.Customer{ID: 1, FirstName: "A"}, "wake up")
	select {
	case a := <-answers:
		if len(updateIDs(t, a)) != 1 {
			t.Errorf("newer poll %s", a.Result)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll not woken by a new update")
	}
}

func TestSendChecksHTMLAndLimits(t *testing.T) {
	s := faketelegram.New("")
	defer s.Close()
	c := faketelegram.Customer{ID: 5, FirstName: "A"}
	s.Customer(c)
	cases := []struct {
		text, mode string
		ok         bool
		desc       string
	}{
		{"<b>hi</b> &amp; bye", "HTML", true, ""},
		{"<b>hi", "HTML", false, "can't parse entities"},
		{"a < b", "HTML", false, "can't parse entities"},
		{"<script>x</script>", "HTML", false, "unsupported start tag"},
		{"fish & chips", "HTML", false, "can't parse entities"},
		{strings.Repeat("x", 4097), "", false, "message is too long"},
		{"   ", "", false, "message text is empty"},
	}
	for _, tc := range cases {
		a := call(t, s, "sendMessage", map[string]any{"chat_id": c.ID, "text": tc.text, "parse_mode": tc.mode})
		if a.OK != tc.ok || !strings.Contains(a.Description, tc.desc) {
			t.Errorf("%.20q: ok=%v %q", tc.text, a.OK, a.Description)
		}
	}
	if a := call(t, s, "sendMessage", map[string]any{"chat_id": 999, "text": "x"}); a.ErrorCode != 400 || a.Description != "Bad Request: chat not found" {
		t.Errorf("unknown chat: %+v", a)
	}
	s.Block(c.ID, true)
	if a := call(t, s, "sendMessage", map[string]any{"chat_id": c.ID, "text": "x"}); a.ErrorCode != 403 {
		t.Errorf("blocked: %+v", a)
	}
	s.FailNext("sendMessage", faketelegram.Fault{Status: 429, RetryAfter: 5})
	if a := call(t, s, "sendMessage", map[string]any{"chat_id": c.ID, "text": "x"}); a.ErrorCode != 429 || a.Parameters.RetryAfter != 5 {
		t.Errorf("fault: %+v", a)
	}
	if got := s.Sent(c.ID); len(got) != 1 || got[0].Text != "hi & bye" {
		t.Errorf("sent %+v", got)
	}
}

func TestGetFileAndDownload(t *testing.T) {
	s := faketelegram.New("")
	defer s.Close()
	f := s.AddFile([]byte("hello file"), "a.txt", "text/plain")
	a := call(t, s, "getFile", map[string]any{"file_id": f.ID})
	var info struct {
		FilePath string `json:"file_path"`
		FileSize int    `json:"file_size"`
	}
	json.Unmarshal(a.Result, &info)
	if info.FileSize != 10 || info.FilePath == "" {
		t.Fatalf("getFile %s", a.Result)
	}
	res, err := http.Get(s.URL() + "/file/bot" + s.Token() + "/" + info.FilePath)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "hello file" {
		t.Errorf("downloaded %q", b)
	}
	if a := call(t, s, "getFile", map[string]any{"file_id": "nope"}); a.OK {
		t.Error("unknown file_id accepted")
	}
}

func TestWebhookBlocksPolling(t *testing.T) {
	s := faketelegram.New("")
	defer s.Close()
	if a := call(t, s, "setWebhook", map[string]any{"url": "https://example.com/hook", "secret_token": "bad secret!"}); a.OK {
		t.Error("secret with a space accepted")
	}
	call(t, s, "setWebhook", map[string]any{"url": "https://example.com/hook", "secret_token": "ok_secret"})
	if a := call(t, s, "getUpdates", map[string]any{}); a.ErrorCode != 409 {
		t.Errorf("getUpdates with a webhook: %+v", a)
	}
	call(t, s, "deleteWebhook", map[string]any{})
	if a := call(t, s, "getUpdates", map[string]any{}); !a.OK {
		t.Errorf("after deleteWebhook: %+v", a)
	}
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	s := faketelegram.New("")
	defer s.Close()
	res, err := http.Post(s.URL()+"/bot1:wrong/getMe", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("status %d", res.StatusCode)
	}
}

// One poller's calls follow each other, and a call whose client gave up
// is gone: neither is an overlap.
func TestPollsOneAfterAnotherDoNotOverlap(t *testing.T) {
	s := faketelegram.New("")
	defer s.Close()
	for range 3 {
		call(t, s, "getUpdates", map[string]any{"timeout": 0})
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"/bot"+s.Token()+"/getUpdates", strings.NewReader(`{"timeout":10}`))
	req.Header.Set("Content-Type", "application/json")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	time.Sleep(200 * time.Millisecond) // the call waits
	cancel()
	<-done
	time.Sleep(100 * time.Millisecond) // the server sees the client gone
	call(t, s, "getUpdates", map[string]any{"timeout": 0})
	if o := s.PollOverlaps(); len(o) != 0 {
		t.Errorf("overlaps recorded for one poller: %q", o)
	}
}

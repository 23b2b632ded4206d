package mattermost

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func view() bridge.ConversationView {
	at := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	return bridge.ConversationView{Conversation: bridge.Conversation{ID: 42, CustomerName: "Anna @here", Channel: "webchat", Status: bridge.StatusOpen,
		Priority: bridge.PriorityNormal, MessageCount: 3, CreatedAt: at, Subject: "Login fails", Entry: "billing"},
		LastMessage: "It says [error](http://x) @all", Identity: "anna@example.com", Tags: []string{"vip"}}
}

// The card is a pure function of the view: golden files pin what staff see.
func TestCardGolden(t *testing.T) {
	claimed := view()
	claimed.Owner, claimed.OwnerName, claimed.Status = "mattermost:8d6kz1b3ktgejkn3r4q5jbrwhc", "Alice", bridge.StatusWaiting
	claimed.SLADue = time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	closed := view()
	closed.Status, closed.Priority = bridge.StatusClosed, bridge.PriorityUrgent
	for name, v := range map[string]bridge.ConversationView{"card_open": view(), "card_claimed": claimed, "card_closed": closed} {
		msg, props := renderCard(v, "https://threadline.example.com/mattermost/actions", signer("k"), name == "card_closed")
		got, err := json.MarshalIndent(map[string]any{"message": msg, "props": props}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if strings.TrimSpace(string(want)) != string(got) {
			t.Errorf("%s differs from %s (run with -update if intended):\n%s", name, path, got)
		}
	}
}

// A button's signature binds its action and conversation to the secret.
func TestButtonSignaturesBindActionAndConversation(t *testing.T) {
	k := signer("secret")
	sig := k.sign("claim", 42)
	if !k.verify("claim", 42, sig) {
		t.Error("own signature refused")
	}
	for _, bad := range []struct {
		k    signer
		act  string
		conv bridge.ConversationID
		sig  string
	}{{k, "close", 42, sig}, {k, "claim", 43, sig}, {signer("other"), "claim", 42, sig}, {k, "claim", 42, ""}, {signer(""), "claim", 42, signer("").sign("claim", 42)}} {
		if bad.k.verify(bad.act, bad.conv, bad.sig) {
			t.Errorf("verify(%q, %d) with key %q passed", bad.act, bad.conv, bad.k)
		}
	}
}

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"@channel hi":           "@\u200bchannel hi",
		"ping @all and @here":   "ping @\u200ball and @\u200bhere",
		"(@bob)":                "(@\u200bbob)",
		"anna@example.com":      "anna@example.com",
		"[x](http://e)":         `\[x](http://e)`,
		"![](http://pixel)":     `!\[](http://pixel)`,
		"<!channel> <http://e>": "<\u200b!channel> <\u200bhttp://e>",
		"1 < 2":                 "1 < 2",
	} {
		if got := neutralize(in); got != want {
			t.Errorf("neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		h    map[string]string
		want time.Duration
	}{
		{map[string]string{"Retry-After": "3", "X-Ratelimit-Reset": "9"}, 3 * time.Second},
		{map[string]string{"X-Ratelimit-Reset": "2"}, 2 * time.Second},
		{map[string]string{"X-Ratelimit-Reset": "nonsense"}, time.Second},
		{nil, time.Second},
	} {
		h := http.Header{}
		for k, v := range c.h {
			h.Set(k, v)
		}
		if got := retryAfter(h, now); got != c.want {
			t.Errorf("retryAfter(%v) = %v, want %v", c.h, got, c.want)
		}
	}
}

// API errors map to the outbox's classes: 401 waits for the operator,
// other 4xx are permanent, 5xx retried, a gone root is a gone thread.
func TestErrorClasses(t *testing.T) {
	e := func(status int, id string) error {
		return &APIError{Method: "POST", Path: "/posts", Status: status, ID: id}
	}
	if err := classify(e(401, "")); bridge.IsPermanent(err) || !strings.Contains(err.Error(), "MATTERMOST_BOT_TOKEN") {
		t.Errorf("401 = %v", err)
	}
	if err := classify(e(403, "")); !bridge.IsPermanent(err) {
		t.Errorf("403 = %v", err)
	}
	if err := classify(e(503, "")); bridge.IsPermanent(err) {
		t.Errorf("503 = %v", err)
	}
	for _, err := range []error{classifyThread(e(404, "")), classifyThread(e(400, "api.post.create_post.root_id.app_error"))} {
		if !strings.Contains(err.Error(), bridge.ErrThreadGone.Error()) {
			t.Errorf("gone root = %v", err)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	ok := Config{URL: "https://chat.example.com/", BotToken: "tok", ChannelID: "8d6kz1b3ktgejkn3r4q5jbrwhc"}
	ok.Defaults()
	if err := ok.Validate(); err != nil || !ok.Enabled() || ok.URL != "https://chat.example.com" || ok.SlashCommand != "/ticket" {
		t.Errorf("valid config: %+v %v", ok, err)
	}
	bad := Config{URL: "chat.example.com", BotToken: "a b", ChannelID: "town-square", Channels: map[string]string{"billing": "x"},
		SlashCommand: "ticket", CustomerNames: "maybe", SentReaction: ":tada:"}
	err := bad.Validate()
	for _, want := range []string{"url:", "bot_token:", "channel_id:", "channels.billing:", "slash_command:", "customer_names:", "sent_reaction:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors = %v, want %q", err, want)
		}
	}
	if (Config{URL: "https://x", BotToken: "t"}).OffReason() != "MATTERMOST_CHANNEL_ID not set" {
		t.Error("off reason")
	}
}

func TestStaffIDs(t *testing.T) {
	f := StaffIDs()
	if !f.Person.MatchString("mattermost:8d6kz1b3ktgejkn3r4q5jbrwhc") || f.Person.MatchString("mattermost:alice") {
		t.Errorf("person pattern %v", f.Person)
	}
	if id, ok := UserID("mattermost:8d6kz1b3ktgejkn3r4q5jbrwhc"); !ok || id != "8d6kz1b3ktgejkn3r4q5jbrwhc" {
		t.Error("UserID")
	}
	if _, ok := UserID("slack:U123"); ok {
		t.Error("UserID of a Slack id")
	}
}

func TestParseEvent(t *testing.T) {
	post := `{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaa","channel_id":"bbbbbbbbbbbbbbbbbbbbbbbbbb","root_id":"cccccccccccccccccccccccccc","user_id":"dddddddddddddddddddddddddd","message":"hi","create_at":5}`
	b, _ := json.Marshal(map[string]any{"event": "posted", "seq": 7, "data": map[string]any{"post": post, "channel_type": "O"},
		"broadcast": map[string]any{"channel_id": "bbbbbbbbbbbbbbbbbbbbbbbbbb"}})
	ev, err := parseEvent(b)
	if err != nil || ev.Kind != evPosted || ev.Seq != 7 || ev.Post.Message != "hi" || ev.Post.RootID != "cccccccccccccccccccccccccc" {
		t.Errorf("posted = %+v %v", ev, err)
	}
	ev, err = parseEvent([]byte(`{"status":"FAIL","seq_reply":1,"error":{"id":"x","message":"bad token"}}`))
	if err != nil || ev.Kind != evResponse || ev.Status != "FAIL" || !strings.Contains(ev.Error, "bad token") {
		t.Errorf("response = %+v %v", ev, err)
	}
	ev, err = parseEvent([]byte(`{"event":"typing","data":{},"seq":2}`))
	if err != nil || ev.Kind != "typing" || ev.Post != nil {
		t.Errorf("typing = %+v %v", ev, err)
	}
	for _, bad := range []string{`[]`, `{}`, `{"event":"posted","data":{}}`, `{"event":"posted","data":{"post":"{\"id\":\"x\"}"}}`, `{"event":"posted","data":{"post":7}}`} {
		if _, err := parseEvent([]byte(bad)); err == nil {
			t.Errorf("parseEvent(%s) accepted", bad)
		}
	}
}

// FuzzParseEvent: any frame is parsed or refused without panicking, and
// a parsed post event always carries a post with well-formed ids.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"event":"posted","data":{"post":"{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"channel_id\":\"bbbbbbbbbbbbbbbbbbbbbbbbbb\",\"message\":\"x\"}"},"seq":1}`))
	f.Add([]byte(`{"event":"hello","data":{"connection_id":"c","server_version":"10"},"seq":0}`))
	f.Add([]byte(`{"status":"OK","seq_reply":1}`))
	f.Add([]byte(`{"event":"post_deleted","data":{"post":{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaa","channel_id":"bbbbbbbbbbbbbbbbbbbbbbbbbb"}}}`))
	f.Add([]byte(`{"event":"posted","data":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := parseEvent(b)
		if err != nil {
			return
		}
		switch ev.Kind {
		case evPosted, evPostEdited, evPostDeleted:
			if ev.Post == nil || !IsID(ev.Post.ID) || !IsID(ev.Post.ChannelID) {
				t.Fatalf("post event without a well-formed post: %+v", ev)
			}
		case "":
			t.Fatal("parsed frame without a kind")
		}
	})
}

package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/storetest"
)

// FuzzHTTPEvents feeds correctly signed bodies to the HTTP Events API,
// interactivity and slash command endpoints of a surface wired to a real
// engine and store, with a conversation whose thread the payloads can
// name. Whatever the body, the handler answers without panicking and
// never with a 500.
func FuzzHTTPEvents(f *testing.F) {
	fake := fakeslack.New()
	f.Cleanup(fake.Close)
	fake.AddUser("U0ALICE", "Alice")
	st := storetest.Open(f)
	cfg := slack.Config{BotToken: fake.BotToken, ChannelID: channel, APIURL: fake.APIURL(), SigningSecret: fake.Secret}
	cfg.Defaults()
	surface := newSurface(f, cfg, slack.Options{})
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}})
	initSurface(f, surface, bridge.Deps{Store: st, Core: eng, AttachmentsDir: f.TempDir()})
	table, _ := commands.NewTable(commands.Core()...)
	h := surface.Handler(commands.NewHandler(eng, table, commands.DefaultSyntax(), nil))

	ctx := context.Background()
	res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: "hello"})
	if err != nil {
		f.Fatal(err)
	}
	const ts = "1700000000.000001"
	if err := st.Write(ctx, func(tx bridge.Tx) error {
		return tx.SetThread(res.Conversation, "slack", bridge.ThreadRef(channel+"/"+ts), time.Now())
	}); err != nil {
		f.Fatal(err)
	}

	message := func(text, sub string) []byte {
		inner := map[string]any{"type": "message", "channel": channel, "user": "U0ALICE", "text": text, "ts": "1700000001.000001", "thread_ts": ts}
		if sub != "" {
			inner["subtype"] = sub
			inner["message"] = map[string]any{"type": "message", "text": text, "ts": "1700000001.000001", "thread_ts": ts, "user": "U0ALICE"}
		}
		b, _ := json.Marshal(fake.Event(inner))
		return b
	}
	form := func(v url.Values) []byte { return []byte(v.Encode()) }
	click, _ := json.Marshal(fake.ButtonClick(channel, ts, "U0ALICE", "tl_claim", "1"))
	short, _ := json.Marshal(fake.Shortcut("tl_ticket", channel, "1700000001.000001", ts, "U0ALICE"))
	for _, s := range []struct {
		path uint8
		body []byte
	}{
		{0, message("Thanks, <@U0ALICE>! See <https://example.com|this>", "")},
		{0, message("!claim", "")},
		{0, message("// note &lt;b&gt;", "")},
		{0, message("edited", "message_changed")},
		{0, message("gone", "message_deleted")},
		{0, []byte(`{"type":"url_verification","challenge":"abc"}`)},
		{0, []byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","channel":"C1","user":"U0ALICE","text":"<@UBOT> hi","ts":"1.2"}}`)},
		{1, form(url.Values{"payload": {string(click)}})},
		{1, form(url.Values{"payload": {string(short)}})},
		{2, form(url.Values{"command": {"/ticket"}, "text": {"close 1 fixed"}, "user_id": {"U0ALICE"}, "channel_id": {channel}})},
		{2, form(url.Values{"command": {"/ticket"}, "text": {"list"}, "user_id": {"U0ALICE"}})},
	} {
		f.Add(s.path, s.body)
	}
	paths := []string{"/slack/events", "/slack/interactivity", "/slack/commands"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		ct := "application/x-www-form-urlencoded"
		if path == "/slack/events" {
			ct = "application/json"
		}
		req := fakeslack.SignedRequest("http://threadline.test"+path, ct, body, fake.Secret, time.Now())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s answered 500 for %q: %s", path, body, w.Body.String())
		}
	})
}

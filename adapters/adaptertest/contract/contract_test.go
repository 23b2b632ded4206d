package contract_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
)

func specs(t *testing.T) string { return contract.Need(t) }

// call is a request for a table: method, target, content type and body.
type call struct {
	name        string
	method      string
	target      string
	contentType string
	body        string
	header      map[string]string
	want        string // "" for a request the platform accepts, else part of a problem
}

func (c call) request() (*http.Request, []byte) {
	r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
	if c.contentType != "" {
		r.Header.Set("Content-Type", c.contentType)
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	return r, []byte(c.body)
}

func run(t *testing.T, c contract.Checker, calls []call) {
	t.Helper()
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			problems := c.Check(tc.request())
			got := strings.Join(problems, "\n")
			switch {
			case tc.want == "" && len(problems) > 0:
				t.Errorf("a request the platform accepts was refused:\n%s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("want a problem containing %q, got:\n%s", tc.want, got)
			}
		})
	}
}

const form = "application/x-www-form-urlencoded"

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestDescriptionsArePresentAndRead(t *testing.T) {
	dir := specs(t)
	for _, f := range []string{"slack/web-api.openapi.json", "discord/openapi.json", "telegram/bot-api.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%v", err)
		}
	}
	// Each checker reads its description on the first request.
	for name, c := range map[string]contract.Checker{
		"slack": contract.NewSlack(dir), "discord": contract.NewDiscord(dir), "telegram": contract.NewTelegram(dir),
	} {
		r := httptest.NewRequest("GET", "/", nil)
		for _, p := range c.Check(r, nil) {
			if strings.Contains(p, "cannot read") {
				t.Errorf("%s: %s", name, p)
			}
		}
	}
}

func TestSpecsDirOverrideMustExist(t *testing.T) {
	t.Setenv(contract.EnvDir, filepath.Join(t.TempDir(), "absent"))
	if _, err := contract.Dir(); err == nil {
		t.Fatal("a missing override was accepted")
	}
	dir := t.TempDir()
	t.Setenv(contract.EnvDir, dir)
	if got, err := contract.Dir(); err != nil || got != dir {
		t.Fatalf("Dir() = %q, %v; want the override %q", got, err, dir)
	}
}

func TestSlackRefusesWhatTheWebAPIRefuses(t *testing.T) {
	c := contract.NewSlack(specs(t))
	tok := bearer("xoxb-1")
	run(t, c, []call{
		{name: "a message passes", method: "POST", target: "/api/chat.postMessage", contentType: form, header: tok,
			body: url.Values{"channel": {"C1"}, "text": {"hi"}, "blocks": {`[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`},
				"unfurl_links": {"false"}}.Encode()},
		{name: "the token may be a parameter", method: "POST", target: "/api/auth.test", contentType: form, body: "token=xoxb-1"},
		{name: "query parameters count", method: "GET", target: "/api/conversations.replies?channel=C1&ts=1.2&limit=10", header: tok},
		{name: "unknown method", method: "POST", target: "/api/chat.postMesage", contentType: form, header: tok, body: "channel=C1",
			want: "chat.postMesage: no such method"},
		{name: "missing required parameter", method: "POST", target: "/api/chat.postMessage", contentType: form, header: tok, body: "text=hi",
			want: `required parameter "channel" is missing`},
		{name: "empty required parameter", method: "POST", target: "/api/reactions.add", contentType: form, header: tok,
			body: "channel=C1&timestamp=1.2&name=", want: `required parameter "name" is missing`},
		{name: "unknown parameter", method: "POST", target: "/api/chat.postMessage", contentType: form, header: tok,
			body: "channel=C1&text=hi&thread=1.2", want: `unknown parameter "thread"`},
		{name: "integer", method: "POST", target: "/api/conversations.replies", contentType: form, header: tok,
			body: "channel=C1&ts=1.2&limit=ten", want: `"ten" is not an integer`},
		{name: "number", method: "POST", target: "/api/conversations.history", contentType: form, header: tok,
			body: "channel=C1&oldest=yesterday", want: `"yesterday" is not a number`},
		{name: "boolean", method: "POST", target: "/api/chat.postMessage", contentType: form, header: tok,
			body: "channel=C1&text=x&unfurl_links=no", want: `"no" is not a boolean`},
		{name: "blocks must be JSON", method: "POST", target: "/api/chat.update", contentType: form, header: tok,
			body: "channel=C1&ts=1.2&blocks=" + url.QueryEscape(`[{"type":"section",}]`), want: `parameter "blocks": not JSON`},
		{name: "blocks are an array of typed blocks", method: "POST", target: "/api/chat.postMessage", contentType: form, header: tok,
			body: "channel=C1&blocks=" + url.QueryEscape(`[{"text":"no type"}]`), want: "block 0 has no type"},
		{name: "attachments are an array", method: "POST", target: "/api/chat.postEphemeral", contentType: form, header: tok,
			body: "channel=C1&user=U1&attachments=" + url.QueryEscape(`{"text":"x"}`), want: "want a JSON array"},
		{name: "no token", method: "POST", target: "/api/auth.test", contentType: form, want: "no token"},
		{name: "no JSON body for a read method", method: "POST", target: "/api/conversations.history", contentType: "application/json",
			header: tok, body: `{"channel":"C1"}`, want: "does not take a JSON body"},
		{name: "JSON body types", method: "POST", target: "/api/chat.postMessage", contentType: "application/json", header: tok,
			body: `{"channel":"C1","text":"x","unfurl_links":"maybe"}`, want: `"maybe" is not a boolean`},
		{name: "JSON body blocks may be an array", method: "POST", target: "/api/chat.postMessage", contentType: "application/json", header: tok,
			body: `{"channel":"C1","blocks":[{"type":"divider"}],"mrkdwn":true}`},
		// Methods newer than the description, from SlackNewer.
		{name: "socket mode URL", method: "POST", target: "/api/apps.connections.open", header: bearer("xapp-1")},
		{name: "socket mode token in the header only", method: "POST", target: "/api/apps.connections.open", contentType: form,
			body: "token=xapp-1", want: "must be sent in the Authorization header"},
		{name: "socket mode over POST only", method: "GET", target: "/api/apps.connections.open", header: bearer("xapp-1"),
			want: "must be called with POST"},
		{name: "upload URL", method: "POST", target: "/api/files.getUploadURLExternal", contentType: form, header: tok,
			body: "filename=a.png&length=12"},
		{name: "upload URL length", method: "POST", target: "/api/files.getUploadURLExternal", contentType: form, header: tok,
			body: "filename=a.png&length=twelve", want: `"twelve" is not an integer`},
		{name: "upload URL required", method: "POST", target: "/api/files.getUploadURLExternal", contentType: form, header: tok,
			body: "filename=a.png", want: `required parameter "length" is missing`},
		{name: "complete upload", method: "POST", target: "/api/files.completeUploadExternal", contentType: form, header: tok,
			body: url.Values{"files": {`[{"id":"F1","title":"a"}]`}, "channel_id": {"C1"}, "thread_ts": {"1.2"}}.Encode()},
		{name: "complete upload files", method: "POST", target: "/api/files.completeUploadExternal", contentType: form, header: tok,
			body: "channel_id=C1&files=F1", want: `parameter "files": not JSON`},
		{name: "newer parameter", method: "POST", target: "/api/conversations.history", contentType: form, header: tok,
			body: "channel=C1&include_all_metadata=false"},
	})
}

func TestDiscordRefusesWhatTheHTTPAPIRefuses(t *testing.T) {
	c := contract.NewDiscord(specs(t))
	const ch, msg = "/api/v9/channels/1100000000000000001", "/messages/1100000000000000002"
	const js = "application/json"
	run(t, c, []call{
		{name: "a message passes", method: "POST", target: ch + "/messages", contentType: js,
			body: `{"content":"hi","allowed_mentions":{"parse":[]},"components":[{"type":1,"components":[{"type":2,"style":1,"label":"Claim","custom_id":"claim"}]}]}`},
		{name: "v10 paths too", method: "GET", target: "/api/v10/users/@me"},
		{name: "a literal segment wins over a parameter", method: "GET", target: "/api/v9/users/@me"},
		{name: "escaped emoji in the path", method: "PUT", target: ch + msg + "/reactions/%E2%9C%85/@me"},
		{name: "a forum post passes", method: "POST", target: ch + "/threads", contentType: js,
			body: `{"name":"Ticket","applied_tags":["1100000000000000005"],"message":{"content":"hello"}}`},
		{name: "unknown route", method: "GET", target: "/api/v9/channels/1/messagez", want: "no such route"},
		{name: "unknown method on a route", method: "DELETE", target: "/api/v9/gateway", want: "the route takes GET, not DELETE"},
		{name: "path parameter schema", method: "GET", target: "/api/v9/channels/general", want: `does not match ^(0|[1-9][0-9]*)$`},
		{name: "unknown query parameter", method: "GET", target: ch + "/messages?limit=50&since=1", want: `unknown query parameter "since"`},
		{name: "query parameter type", method: "GET", target: ch + "/messages?limit=many", want: "query limit"},
		{name: "query parameter bound", method: "GET", target: ch + "/messages?limit=500", want: "above the maximum 100"},
		{name: "body type", method: "POST", target: ch + "/messages", contentType: js, body: `{"content":42}`,
			want: "body.content: 42 is an integer, want string or null"},
		{name: "body length", method: "POST", target: ch + "/messages", contentType: js,
			body: `{"content":"` + strings.Repeat("x", 4001) + `"}`, want: "4001 characters, at most 4000"},
		{name: "body nested union", method: "POST", target: ch + "/messages", contentType: js,
			body: `{"components":[{"type":1,"components":[{"type":2,"style":"blue","label":"x","custom_id":"c"}]}]}`,
			want: "body.components[0]"},
		{name: "body required member", method: "POST", target: ch + "/threads", contentType: js, body: `{"message":{"content":"x"}}`,
			want: `required member "name" is missing`},
		{name: "body unknown member", method: "PATCH", target: ch, contentType: js, body: `{"name":"x","applied_tag":["1"]}`,
			want: `member "applied_tag" is not in the description`},
		{name: "body zero-valued unknown member passes", method: "PATCH", target: ch, contentType: js, body: `{"name":"x","invitable":false}`},
		{name: "body not JSON", method: "POST", target: ch + "/messages", contentType: js, body: `{"content":`, want: "body is not JSON"},
		{name: "body required", method: "POST", target: ch + "/messages", contentType: js, want: "requires a body"},
		{name: "no body on a GET", method: "GET", target: ch, contentType: js, body: `{"x":1}`, want: "takes no body"},
		{name: "content type", method: "POST", target: ch + "/messages", contentType: "text/plain", body: "hi", want: "text/plain is not accepted"},
		{name: "ignored library member", method: "PATCH", target: ch + msg, contentType: js, body: `{"content":"x","ID":"1","Channel":"2"}`},
	})
	t.Run("multipart", func(t *testing.T) {
		mp := func(payload string, file string) call {
			var b bytes.Buffer
			w := multipart.NewWriter(&b)
			w.WriteField("payload_json", payload)
			fw, _ := w.CreateFormFile(file, "a.txt")
			fw.Write([]byte("data"))
			w.Close()
			return call{method: "POST", target: ch + "/messages", contentType: w.FormDataContentType(), body: b.String()}
		}
		ok, badJSON, badFile := mp(`{"content":"x","attachments":[{"id":"0","filename":"a.txt"}]}`, "files[0]"),
			mp(`{"content":["x"]}`, "files[0]"), mp(`{"content":"x"}`, "file")
		ok.name, badJSON.name, badFile.name = "passes", "payload_json", "file part name"
		badJSON.want, badFile.want = "payload_json.content", `file part "file"`
		run(t, c, []call{ok, badJSON, badFile})
	})
}

func TestTelegramRefusesWhatTheBotAPIRefuses(t *testing.T) {
	c := contract.NewTelegram(specs(t))
	const bot = "/bot123:abc/"
	const js = "application/json"
	run(t, c, []call{
		{name: "a message passes", method: "POST", target: bot + "sendMessage", contentType: js,
			body: `{"chat_id":5150,"text":"hi","parse_mode":"HTML","link_preview_options":{"is_disabled":true},
				"reply_markup":{"inline_keyboard":[[{"text":"Open","url":"https://example.com"}]]}}`},
		{name: "method names are case-insensitive", method: "POST", target: bot + "sendmessage", contentType: js, body: `{"chat_id":"@chan","text":"hi"}`},
		{name: "query parameters", method: "GET", target: bot + "getUpdates?offset=10&timeout=30&allowed_updates=" + url.QueryEscape(`["message"]`)},
		{name: "form parameters", method: "POST", target: bot + "sendMessage", contentType: form,
			body: url.Values{"chat_id": {"5150"}, "text": {"hi"}, "disable_notification": {"true"}, "reply_markup": {`{"force_reply":true}`}}.Encode()},
		{name: "unknown method", method: "POST", target: bot + "sendMesage", contentType: js, body: `{}`, want: "sendMesage: no such method"},
		{name: "missing required parameter", method: "POST", target: bot + "sendMessage", contentType: js, body: `{"chat_id":1}`,
			want: `required parameter "text" is missing`},
		{name: "unknown parameter", method: "POST", target: bot + "sendMessage", contentType: js, body: `{"chat_id":1,"text":"x","silent":true}`,
			want: `unknown parameter "silent"`},
		{name: "JSON types", method: "POST", target: bot + "getUpdates", contentType: js, body: `{"timeout":"30"}`,
			want: `timeout: "30" is a string, want an Integer`},
		{name: "Integer or String", method: "POST", target: bot + "sendMessage", contentType: js, body: `{"chat_id":true,"text":"x"}`,
			want: "(allowed: Integer or String)"},
		{name: "form Integer", method: "POST", target: bot + "getUpdates", contentType: form, body: "limit=ten", want: `"ten" is not an Integer`},
		{name: "form Boolean", method: "POST", target: bot + "deleteWebhook", contentType: form, body: "drop_pending_updates=yes",
			want: "is not a Boolean"},
		{name: "array element type", method: "POST", target: bot + "setWebhook", contentType: js,
			body: `{"url":"https://x","allowed_updates":["message",7]}`, want: "allowed_updates[1]: 7 is an integer, want a String"},
		{name: "serialized object not JSON", method: "POST", target: bot + "sendMessage", contentType: form,
			body: "chat_id=1&text=x&reply_markup=keyboard", want: "not JSON-serialized"},
		{name: "object field unknown", method: "POST", target: bot + "sendMessage", contentType: js,
			body: `{"chat_id":1,"text":"x","link_preview_options":{"disabled":true}}`, want: `LinkPreviewOptions has no field "disabled"`},
		{name: "object field required", method: "POST", target: bot + "sendMessage", contentType: js,
			body: `{"chat_id":1,"text":"x","reply_markup":{"inline_keyboard":[[{"url":"https://x"}]]}}`, want: `lacks its required field "text"`},
		{name: "subtype", method: "POST", target: bot + "setMyCommands", contentType: js,
			body: `{"commands":[{"command":"start","description":"Start"}],"scope":{"type":"chat","chat_id":5}}`},
		{name: "a union's kind is told by its discriminator", method: "POST", target: bot + "setMyCommands", contentType: js,
			body: `{"commands":[{"command":"start","description":"Start"}],"scope":{"type":"chat"}}`,
			want: `lacks its required field "chat_id"`},
		{name: "InputFile only takes a file", method: "POST", target: bot + "setWebhook", contentType: form,
			body: "url=https://x&certificate=cert.pem", want: `"cert.pem" is not an uploaded file`},
	})
	t.Run("multipart", func(t *testing.T) {
		mp := func(fields map[string]string, files ...string) call {
			var b bytes.Buffer
			w := multipart.NewWriter(&b)
			for k, v := range fields {
				w.WriteField(k, v)
			}
			for _, f := range files {
				fw, _ := w.CreateFormFile(f, "a.png")
				fw.Write([]byte("png"))
			}
			w.Close()
			return call{method: "POST", target: bot + "sendPhoto", contentType: w.FormDataContentType(), body: b.String()}
		}
		ok := mp(map[string]string{"chat_id": "1", "caption": "x"}, "photo")
		ok.name = "an upload passes"
		byID := mp(map[string]string{"chat_id": "1", "photo": "AgACAgIAAx"})
		byID.name = "a file_id passes"
		stray := mp(map[string]string{"chat_id": "1", "photo": "AgACAgIAAx"}, "extra")
		stray.name, stray.want = "a file nothing refers to", `file part "extra"`
		attached := mp(map[string]string{"chat_id": "1", "photo": "attach://pic"}, "pic")
		attached.name = "attach:// refers to a part"
		noPhoto := mp(map[string]string{"chat_id": "1"})
		noPhoto.name, noPhoto.want = "missing file", `required parameter "photo" is missing`
		wrongSlot := mp(map[string]string{"chat_id": "1", "photo": "x"}, "caption")
		wrongSlot.name, wrongSlot.want = "a file where text goes", "caption: an uploaded file, want String"
		run(t, c, []call{ok, byID, stray, attached, noPhoto, wrongSlot})
	})
}

// TestNewerListsOnlyWhatTheDescriptionLacks keeps the hand-checked lists
// honest: an entry the description covers (after it is updated) must go,
// and every entry names the page it was checked against.
func TestNewerListsOnlyWhatTheDescriptionLacks(t *testing.T) {
	dir := specs(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	readJSON(t, filepath.Join(dir, "slack", "web-api.openapi.json"), &doc)
	newer := contract.SlackNewer()
	for name, m := range newer.Methods {
		if _, ok := doc.Paths["/"+name]; ok {
			t.Errorf("slack %s is in the description now: drop it from SlackNewer", name)
		}
		if !strings.HasPrefix(m.Page, "https://api.slack.com/methods/"+name) {
			t.Errorf("slack %s: page %q is not the method's page", name, m.Page)
		}
	}
	for name, params := range newer.Params {
		ops, ok := doc.Paths["/"+name]
		if !ok {
			t.Errorf("slack %s: newer parameters for a method the description lacks (list the method instead)", name)
		}
		for _, op := range ops {
			for _, p := range op.Parameters {
				if _, dup := params[p.Name]; dup {
					t.Errorf("slack %s: parameter %s is in the description now: drop it from SlackNewer", name, p.Name)
				}
			}
		}
	}
	var dd struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	readJSON(t, filepath.Join(dir, "discord", "openapi.json"), &dd)
	ops := map[string]bool{}
	for _, item := range dd.Paths {
		for _, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
			}
			if json.Unmarshal(raw, &op) == nil && op.OperationID != "" {
				ops[op.OperationID] = true
			}
		}
	}
	for id := range contract.DiscordIgnored() {
		if !ops[id] {
			t.Errorf("discord: DiscordIgnored names operation %q, which the description lacks", id)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

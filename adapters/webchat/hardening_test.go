package webchat_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
)

// Staff files never reached web chat visitors, and the visitor API showed
// the file's server path and the Slack permalink. Now a visitor gets a
// short-lived link signed for them, and nothing internal.
func TestStaffFilesReachTheVisitorThroughSignedLinks(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	if r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "can you send the invoice?"}); r.status != 202 {
		t.Fatalf("post: %v", r.body)
	}
	conv := bridge.ConversationID(1)
	invoice := filepath.Join(f.files, "slack", "F1", "invoice.pdf")
	os.MkdirAll(filepath.Dir(invoice), 0o700)
	os.WriteFile(invoice, []byte("%PDF-1.4 invoice"), 0o600)
	page := filepath.Join(f.files, "slack", "F2", "page.html")
	os.MkdirAll(filepath.Dir(page), 0o700)
	os.WriteFile(page, []byte("<script>alert(1)</script>"), 0o600)
	sc := engine.StaffContext{Conversation: conv, Actor: bridge.Actor{ID: "slack:U1", Name: "Bob"}, Surface: "slack"}
	if _, err := f.eng.Reply(context.Background(), sc, "here you go", []bridge.Attachment{
		{Name: "invoice.pdf", MIME: "application/pdf", Size: 16, Path: invoice, URL: "https://acme.slack.com/files/U1/F1/invoice.pdf"},
		{Name: "page.html", MIME: "text/html", Path: page},
		{Name: "elsewhere.png", MIME: "image/png", URL: "https://acme.slack.com/files/U1/F3/elsewhere.png"},
		{Name: "outside.txt", MIME: "text/plain", Path: "/etc/hostname"},
	}); err != nil {
		t.Fatal(err)
	}
	r := f.do(t, "GET", "/chat/api/messages", tok, "", nil)
	raw, _ := json.Marshal(r.body)
	for _, leak := range []string{f.files, "slack.com", `"path"`} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("the visitor API shows %q: %s", leak, raw)
		}
	}
	msgs := r.body["messages"].([]any)
	atts := msgs[len(msgs)-1].(map[string]any)["attachments"].([]any)
	link := func(i int) string { u, _ := atts[i].(map[string]any)["url"].(string); return u }
	if link(0) == "" || link(1) == "" || link(2) != "" {
		t.Fatalf("links: %v", atts)
	}
	get := func(u string) (*http.Response, string) {
		p, _ := url.Parse(u)
		res, err := http.Get(f.srv.URL + p.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := get(link(0))
	if res.StatusCode != 200 || body != "%PDF-1.4 invoice" || res.Header.Get("Content-Type") != "application/pdf" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("invoice: %d %q %v", res.StatusCode, body, res.Header)
	}
	// HTML is downloaded, never shown on our origin.
	if res, _ := get(link(1)); res.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("html file served as %v", res.Header)
	}
	// A file outside the attachments directory is never served.
	if res, _ := get(link(3)); res.StatusCode != 404 {
		t.Errorf("a file outside the attachments directory: %d", res.StatusCode)
	}
	// Another visitor cannot use the link (it is signed for this one) ...
	other := strings.Split(f.session(t), ".")[1]
	mine := strings.Split(tok, ".")[1]
	if res, _ := get(strings.Replace(link(0), "v="+mine, "v="+other, 1)); res.StatusCode != 403 {
		t.Errorf("link used by another visitor: %d", res.StatusCode)
	}
	// ... nor change the file it names, and the link expires.
	if res, _ := get(strings.Replace(link(0), "/files/", "/files/9", 1)); res.StatusCode != 403 {
		t.Errorf("a changed link: %d", res.StatusCode)
	}
	f.now.Advance(2 * time.Hour)
	if res, _ := get(link(0)); res.StatusCode != 403 {
		t.Errorf("an expired link: %d", res.StatusCode)
	}
}

// With trust_proxy the limiter keyed on the leftmost X-Forwarded-For
// entry, which the client writes: each request could claim a new address.
func TestBehindAProxyTheClientCannotChooseItsAddress(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) { c.TrustProxy = true; c.PerIPPerMinute = 2 })
	tok := f.session(t)
	status := func(xff string) int {
		req, _ := http.NewRequest("POST", f.srv.URL+"/chat/api/messages", strings.NewReader(`{"text":"hi"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// The proxy appends the real address (203.0.113.7); the client made up the rest.
	for i, fake := range []string{"1.1.1.1", "2.2.2.2", "3.3.3.3"} {
		want := 202
		if i == 2 {
			want = 429
		}
		if got := status(fake + ", 203.0.113.7"); got != want {
			t.Errorf("request %d claiming %s: %d, want %d", i+1, fake, got, want)
		}
	}
}

func TestTrustedProxiesAreSkippedFromTheRight(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) {
		c.TrustProxy, c.TrustedProxies, c.PerIPPerMinute = true, []string{"127.0.0.1", "10.0.0.0/8"}, 1
	})
	tok := f.session(t)
	post := func(xff string) int {
		req, _ := http.NewRequest("POST", f.srv.URL+"/chat/api/messages", strings.NewReader(`{"text":"hi"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Forwarded-For", xff)
		res, _ := http.DefaultClient.Do(req)
		res.Body.Close()
		return res.StatusCode
	}
	if post("9.9.9.9, 198.51.100.4, 10.1.2.3") != 202 || post("8.8.8.8, 198.51.100.4, 10.9.9.9") != 429 {
		t.Error("the client behind two proxies (198.51.100.4) was not recognised in both requests")
	}
}

// A repeated client_id with other text answered 202 echoing the new text
// while the store kept the old one.
func TestARepeatedClientIDAnswersWithWhatWasStored(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "first text", "client_id": "c1"})
	r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "other text", "client_id": "c1"})
	if r.status != 202 || r.body["message"].(map[string]any)["text"] != "first text" {
		t.Errorf("repeat: %d %v", r.status, r.body)
	}
}

// One visitor token opened 500 WebSockets.
func TestAVisitorsConnectionsAreCapped(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) { c.MaxConnectionsPerVisitor = 3 })
	tok := f.session(t)
	var open []*websocket.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		c, _, err := dialWS(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		c.WriteJSON(map[string]any{"type": "auth", "token": tok})
		fr := readFrame(t, c)
		if i < 3 && fr["type"] != "ready" {
			t.Fatalf("connection %d: %v", i+1, fr)
		}
		if i == 3 && fr["code"] != "too_many_connections" {
			t.Fatalf("connection 4: %v, want too_many_connections", fr)
		}
	}
}

// A frame whose text is not a string closed the socket without a word.
func TestAFrameOfTheWrongTypeGetsAnErrorFrame(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "auth", "token": tok})
	readFrame(t, c)
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"message","text":42}`))
	if fr := readFrame(t, c); fr["type"] != "error" || fr["code"] != "bad_frame" || !strings.Contains(fr["error"].(string), "text must be a string") {
		t.Fatalf("frame = %v", fr)
	}
	c.WriteJSON(map[string]any{"type": "ping"})
	if fr := readFrame(t, c); fr["type"] != "pong" {
		t.Fatalf("the connection did not stay open: %v", fr)
	}
}

func TestProfileFieldsAreOneLineAndCountedInCharacters(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	for _, tc := range []struct {
		name, email string
		status      int
	}{
		{"Anna", "anna@example.com\r\nBcc: everyone@example.com", 400}, // header injection into replies
		{"Anna\nStaff", "", 400},
		{strings.Repeat("й", 150), "", 202}, // 150 characters, 300 bytes: allowed
		{strings.Repeat("й", 201), "", 400},
	} {
		r := f.do(t, "POST", "/chat/api/messages", tok, "", map[string]any{"text": "hi", "name": tc.name, "email": tc.email})
		if r.status != tc.status {
			t.Errorf("name %.20q email %q: %d %v, want %d", tc.name, tc.email, r.status, r.body, tc.status)
		}
	}
}

func TestNULCharactersAreNotStored(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	r := f.do(t, "POST", "/chat/api/messages", tok, "", `{"text":"a\u0000b"}`)
	if r.status != 202 {
		t.Fatalf("post: %v", r.body)
	}
	m, err := f.st.Message(context.Background(), bridge.MessageID(r.body["message"].(map[string]any)["id"].(float64)))
	if err != nil || m.Body != "ab" {
		t.Errorf("stored %q, %v", m.Body, err)
	}
}

func TestOriginMustMatchTheRequestsSchemeToo(t *testing.T) {
	f := newFixture(t, nil)
	host := strings.TrimPrefix(f.srv.URL, "http://")
	for origin, want := range map[string]int{"http://" + host: 200, "https://" + host: 403, "ftp://" + host: 403, "null": 403} {
		if r := f.do(t, "POST", "/chat/api/session", "", origin, nil); r.status != want {
			t.Errorf("origin %s: %d, want %d", origin, r.status, want)
		}
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	req, _ := http.NewRequest("GET", f.srv.URL+"/chat/api/messages", nil)
	req.Header.Set("Authorization", "bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("lower-case bearer: %d", res.StatusCode)
	}
}

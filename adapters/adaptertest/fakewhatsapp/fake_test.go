package fakewhatsapp_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakewhatsapp"
)

var ana = fakewhatsapp.Customer{WaID: "34600000001", Name: "Ana"}

func call(t *testing.T, s *fakewhatsapp.Server, method, path, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestTheContractCheckCatchesEachKindOfBadRequest(t *testing.T) {
	s := fakewhatsapp.New()
	defer s.Close()
	phone := "/" + fakewhatsapp.DefaultNumber.ID
	for _, tc := range []struct {
		name, method, path, ct, body, want string
	}{
		{"no messaging_product", "POST", phone + "/messages", "application/json", `{"to":"1234567","type":"text","text":{"body":"x"}}`, "messaging_product"},
		{"text too long", "POST", phone + "/messages", "application/json", `{"messaging_product":"whatsapp","to":"1234567","type":"text","text":{"body":"` + strings.Repeat("a", 4097) + `"}}`, "more than 4096"},
		{"unknown field", "POST", phone + "/messages", "application/json", `{"messaging_product":"whatsapp","to":"1234567","type":"text","text":{"body":"x"},"image":{"id":"1"}}`, `unexpected field "image"`},
		{"caption on audio", "POST", phone + "/messages", "application/json", `{"messaging_product":"whatsapp","to":"1234567","type":"audio","audio":{"id":"1","caption":"c"}}`, "no caption"},
		{"media with id and link", "POST", phone + "/messages", "application/json", `{"messaging_product":"whatsapp","to":"1234567","type":"image","image":{"id":"1","link":"https://x"}}`, "exactly one of id"},
		{"template without language", "POST", phone + "/messages", "application/json", `{"messaging_product":"whatsapp","to":"1234567","type":"template","template":{"name":"x"}}`, "language.code"},
		{"form-encoded", "POST", phone + "/messages", "application/x-www-form-urlencoded", `a=b`, "application/json"},
		{"upload without file", "POST", phone + "/media", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n--x--\r\n", "file is required"},
		{"not an endpoint", "DELETE", phone + "/messages", "", "", "not an endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call(t, s, tc.method, tc.path, tc.ct, []byte(tc.body))
			v := s.TakeViolations()
			if len(v) == 0 || !strings.Contains(strings.Join(v, "\n"), tc.want) {
				t.Errorf("violations %q, want one about %q", v, tc.want)
			}
		})
	}
}

func TestFreeFormMessagesNeedAnOpenWindowTemplatesDoNot(t *testing.T) {
	s := fakewhatsapp.New()
	defer s.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	s.SetWebhook(hook.URL)
	path := "/" + fakewhatsapp.DefaultNumber.ID + "/messages"
	text := []byte(`{"messaging_product":"whatsapp","recipient_type":"individual","to":"34600000001","type":"text","text":{"body":"hi"}}`)
	status, out := call(t, s, "POST", path, "application/json", text)
	if status != 400 || out["error"].(map[string]any)["code"].(float64) != 131047 {
		t.Errorf("before the customer wrote: %d %v", status, out)
	}
	s.SendTextAt(ana, time.Now().Add(-23*time.Hour), "hola")
	if status, _ := call(t, s, "POST", path, "application/json", text); status != 200 {
		t.Errorf("within 24 hours: %d", status)
	}
	s.SetNow(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if status, _ := call(t, s, "POST", path, "application/json", text); status != 400 {
		t.Errorf("after 25 hours: %d", status)
	}
	tpl := []byte(`{"messaging_product":"whatsapp","to":"34600000001","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`)
	if status, out := call(t, s, "POST", path, "application/json", tpl); status != 200 {
		t.Errorf("template: %d %v", status, out)
	}
	if n := len(s.Sent(ana.WaID)); n != 2 {
		t.Errorf("%d sent", n)
	}
}

func TestNotificationsAreSignedAndSentAgainUntilAnswered200(t *testing.T) {
	s := fakewhatsapp.New()
	defer s.Close()
	var mu sync.Mutex
	var got [][]byte
	fails := 2
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Hub-Signature-256") != fakewhatsapp.Sign(body, s.AppSecret()) {
			t.Error("unsigned notification")
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, body)
		if fails > 0 {
			fails--
			w.WriteHeader(503)
		}
	}))
	defer hook.Close()
	s.SetWebhook(hook.URL)
	s.SendText(ana, "hola")
	deadline := time.Now().Add(5 * time.Second)
	for s.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || !bytes.Equal(got[0], got[2]) || s.WebhookErrors() != 2 {
		t.Errorf("%d deliveries, %d errors", len(got), s.WebhookErrors())
	}
}

func TestUploadedMediaCanBeSentAndDownloaded(t *testing.T) {
	s := fakewhatsapp.New()
	defer s.Close()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("messaging_product", "whatsapp")
	mw.WriteField("type", "image/png")
	fw, _ := mw.CreateFormFile("file", "a.png")
	fw.Write([]byte("png"))
	mw.Close()
	status, out := call(t, s, "POST", "/"+fakewhatsapp.DefaultNumber.ID+"/media", mw.FormDataContentType(), body.Bytes())
	id, _ := out["id"].(string)
	if status != 200 || id == "" {
		t.Fatalf("upload: %d %v", status, out)
	}
	status, out = call(t, s, "GET", "/"+id, "", nil)
	if status != 200 || out["mime_type"] != "image/png" {
		t.Fatalf("retrieve: %d %v", status, out)
	}
	req, _ := http.NewRequest("GET", out["url"].(string), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("download without the token: %d", res.StatusCode)
	}
}

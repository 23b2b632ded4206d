package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
)

// pngBytes is a 1x1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

type upFile struct {
	name, ctype string
	data        []byte
}

// upload posts a multipart message with fields and files.
func (f *fixture) upload(t *testing.T, token string, fields map[string]string, files ...upFile) resp {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for _, fl := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+fl.name+`"`)
		if fl.ctype != "" {
			h.Set("Content-Type", fl.ctype)
		}
		w, _ := mw.CreatePart(h)
		w.Write(fl.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/chat/api/messages", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := resp{status: res.StatusCode, header: res.Header}
	_ = json.NewDecoder(res.Body).Decode(&out.body)
	return out
}

// keptFiles lists what lies in the attachments directory.
func (f *fixture) keptFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(f.files, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestVisitorFilesArePostedIntoTheStaffThread: a visitor's files are kept
// under the attachments directory under names of Threadline's own, typed
// by their content, delivered with the message to the staff thread, and
// shown back to the visitor through a signed link.
func TestVisitorFilesArePostedIntoTheStaffThread(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	r := f.upload(t, tok, map[string]string{"text": "the error, and my invoice", "client_id": "f1", "name": "Anna"},
		upFile{"../../etc/screen shot.png", "application/octet-stream", pngBytes},
		upFile{"C:\\Users\\anna\\invoice.pdf", "application/pdf", []byte("%PDF-1.4 invoice")})
	if r.status != 202 {
		t.Fatalf("upload: %d %v", r.status, r.body)
	}
	m := r.body["message"].(map[string]any)
	atts := m["attachments"].([]any)
	if m["text"] != "the error, and my invoice" || m["client_id"] != "f1" || len(atts) != 2 {
		t.Fatalf("message = %v", m)
	}
	shot := atts[0].(map[string]any)
	if shot["name"] != "screen shot.png" || shot["mime"] != "image/png" || shot["url"] == "" {
		t.Errorf("image = %v", shot)
	}
	// The visitor's own link serves the file.
	u, _ := url.Parse(shot["url"].(string))
	res, err := http.Get(f.srv.URL + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, pngBytes) || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("own file: %d %v", res.StatusCode, res.Header)
	}

	// What is stored is what the staff thread shows (the browser test
	// follows it to a surface).
	stored, err := f.st.Message(context.Background(), bridge.MessageID(m["id"].(float64)))
	if err != nil {
		t.Fatal(err)
	}
	pa := stored.Attachments
	if len(pa) != 2 || pa[0].Name != "screen shot.png" || pa[0].MIME != "image/png" || pa[1].MIME != "application/pdf" || pa[1].Name != "invoice.pdf" {
		t.Fatalf("staff see %+v", pa)
	}
	for _, a := range pa {
		base := filepath.Base(a.Path)
		if filepath.Dir(a.Path) != f.files || !strings.HasPrefix(base, "webchat-") || strings.Contains(base, "invoice") || strings.Contains(base, "shot") {
			t.Errorf("kept at %s; want webchat-<id> in %s, never the browser's name", a.Path, f.files)
		}
		if b, err := os.ReadFile(a.Path); err != nil || int64(len(b)) != a.Size {
			t.Errorf("%s: %d bytes kept, %v; size says %d", a.Name, len(b), err, a.Size)
		}
	}
}

// TestUploadsOutsideTheRulesKeepNothing: too large, a type not allowed
// (whatever the browser claims), too many files, files switched off: the
// answer says why and no file stays behind.
func TestUploadsOutsideTheRulesKeepNothing(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) {
		c.MaxFileBytes = 1000
		c.AllowedFileTypes = []string{"image/*", "application/pdf"}
	})
	tok := f.session(t)
	six := make([]upFile, 6)
	for i := range six {
		six[i] = upFile{"p.png", "image/png", pngBytes}
	}
	for _, tc := range []struct {
		name   string
		files  []upFile
		status int
		code   string
	}{
		{"too large", []upFile{{"big.pdf", "application/pdf", append([]byte("%PDF-1.4 "), make([]byte, 1200)...)}}, 413, "file_too_large"},
		{"html claiming to be an image", []upFile{{"cat.png", "image/png", []byte("<html><script>alert(1)</script></html>")}}, 415, "file_type"},
		{"a script", []upFile{{"run.sh", "text/x-sh", []byte("#!/bin/sh\nrm -rf /\n")}}, 415, "file_type"},
		{"one good, one bad", []upFile{{"p.png", "", pngBytes}, {"x.exe", "application/x-msdownload", []byte("MZ\x90\x00")}}, 415, "file_type"},
		{"too many", six, 413, "too_many_files"},
		{"empty file", []upFile{{"e.pdf", "application/pdf", nil}}, 415, "file_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.upload(t, tok, map[string]string{"text": "see attached"}, tc.files...)
			if r.status != tc.status || r.body["code"] != tc.code {
				t.Errorf("got %d %v, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	if kept := f.keptFiles(t); len(kept) != 0 {
		t.Errorf("refused uploads left %v", kept)
	}
	if ms, _ := f.st.CustomerMessages(context.Background(), webchat.Platform, strings.Split(tok, ".")[1], 0, 10); len(ms) != 0 {
		t.Errorf("refused uploads stored %d messages", len(ms))
	}
	// A file alone is a message; no text and no file is not.
	if r := f.upload(t, tok, nil, upFile{"p.png", "", pngBytes}); r.status != 202 {
		t.Errorf("a file without text: %d %v", r.status, r.body)
	}
	if r := f.upload(t, tok, map[string]string{"text": "  "}); r.status != 400 || r.body["code"] != "empty" {
		t.Errorf("nothing at all: %d %v", r.status, r.body)
	}

	off := newFixture(t, func(c *webchat.Config) { no := false; c.Files = &no })
	if r := off.upload(t, off.session(t), map[string]string{"text": "hi"}, upFile{"p.png", "", pngBytes}); r.status != 403 || r.body["code"] != "files_off" {
		t.Errorf("files off: %d %v", r.status, r.body)
	}
}

// TestARetriedUploadIsStoredOnce: the same client_id again (the answer was
// lost) stores neither a second message nor a second copy of the files.
func TestARetriedUploadIsStoredOnce(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	fields := map[string]string{"text": "screenshot", "client_id": "again"}
	first := f.upload(t, tok, fields, upFile{"s.png", "", pngBytes})
	second := f.upload(t, tok, fields, upFile{"s.png", "", pngBytes})
	if first.status != 202 || second.status != 202 {
		t.Fatalf("%d %d", first.status, second.status)
	}
	id := func(r resp) any { return r.body["message"].(map[string]any)["id"] }
	if id(first) != id(second) {
		t.Errorf("two messages: %v %v", id(first), id(second))
	}
	if kept := f.keptFiles(t); len(kept) != 1 {
		t.Errorf("kept %v, want one file", kept)
	}
}

// TestOnlyMessagesTakeLargeBodies: the upload limit applies to messages
// with files; a multipart body sent elsewhere keeps the small JSON limit.
func TestOnlyMessagesTakeLargeBodies(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.session(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("token", strings.Repeat("x", 20<<10))
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/chat/api/session", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 20 KiB multipart session request: %d, want 413", res.StatusCode)
	}
}

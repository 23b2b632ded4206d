package httpx

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFileFormStreamsFieldsThenTheFileWithAnExactLength(t *testing.T) {
	content := strings.Repeat("pdf bytes ", 1000)
	type got struct {
		length  int64
		chunked bool
		fields  []string
		name    string
		mime    string
		file    string
	}
	seen := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var g got
		g.length, g.chunked = r.ContentLength, len(r.TransferEncoding) > 0
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			t.Error(err)
			return
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(p)
			if p.FileName() != "" {
				g.name, g.mime, g.file = p.FileName(), p.Header.Get("Content-Type"), string(b)
				continue
			}
			g.fields = append(g.fields, p.FormName()+"="+string(b))
		}
		seen <- g
	}))
	defer srv.Close()

	form, err := NewFileForm([]Field{{"b", "2"}, {"a", "1"}}, "document", `Re"port.pdf`, "application/pdf", strings.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	req, err := form.Post(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	g := <-seen
	if g.chunked || g.length != form.Length {
		t.Errorf("length %d (chunked %v), want %d", g.length, g.chunked, form.Length)
	}
	if strings.Join(g.fields, "&") != "b=2&a=1" {
		t.Errorf("fields %v, want in the given order", g.fields)
	}
	if g.name != `Re"port.pdf` || g.mime != "application/pdf" || g.file != content {
		t.Errorf("file %q %q, %d bytes", g.name, g.mime, len(g.file))
	}
}

func TestCheckPublicURLWantsPublicHTTPS(t *testing.T) {
	for url, want := range map[string]string{
		"https://support.example.com": "",
		"support.example.com":         `public_url "support.example.com" is not a URL`,
		"http://support.example.com":  "public_url http://support.example.com is not https://: Acme only sends to HTTPS",
		"https://localhost:8080":      "public_url https://localhost:8080 is a local or private address: Acme cannot reach it",
		"https://192.168.1.5":         "public_url https://192.168.1.5 is a local or private address: Acme cannot reach it",
		"https://[::1]/":              "public_url https://[::1]/ is a local or private address: Acme cannot reach it",
		"https://169.254.169.254":     "public_url https://169.254.169.254 is a local or private address: Acme cannot reach it",
	} {
		err := CheckPublicURL(url, "Acme", "Acme only sends to HTTPS")
		if (err == nil) != (want == "") || (err != nil && err.Error() != want) {
			t.Errorf("%s: %v, want %q", url, err, want)
		}
	}
}

func TestSnippetShortensLongAnswers(t *testing.T) {
	if got := Snippet([]byte("  <html>bad gateway</html>\n")); got != "<html>bad gateway</html>" {
		t.Errorf("short: %q", got)
	}
	if got := Snippet([]byte(strings.Repeat("x", 300))); got != strings.Repeat("x", 200)+"..." {
		t.Errorf("long: %d bytes", len(got))
	}
}

// Package httpx holds the plain-HTTP pieces adapters that speak their
// platform's API without an SDK share: streamed file uploads, the short
// form of an error answer, and the check of a public URL a platform must
// reach.
package httpx

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// Field is one form field.
type Field struct{ Name, Value string }

// FileForm is a multipart/form-data body of fields followed by one file,
// streamed from the file's reader with an exact length (no buffering of
// the file, and no chunked encoding, which some APIs refuse).
type FileForm struct {
	Body        io.Reader
	Length      int64
	ContentType string
}

// NewFileForm builds the form: fields in order, then file (size bytes)
// as the part named field with filename name and Content-Type mimeType.
func NewFileForm(fields []Field, field, name, mimeType string, file io.Reader, size int64) (*FileForm, error) {
	var head, tail bytes.Buffer
	mw := multipart.NewWriter(&head)
	for _, f := range fields {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			return nil, err
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(field), quoteEscaper.Replace(name)))
	h.Set("Content-Type", mimeType)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, err
	}
	headLen := head.Len()
	if err := mw.Close(); err != nil {
		return nil, err
	}
	// Close wrote the final boundary; it goes after the file's bytes.
	tail.Write(head.Bytes()[headLen:])
	head.Truncate(headLen)
	return &FileForm{
		Body:        io.MultiReader(bytes.NewReader(head.Bytes()), file, bytes.NewReader(tail.Bytes())),
		Length:      int64(head.Len()) + size + int64(tail.Len()),
		ContentType: mw.FormDataContentType(),
	}, nil
}

// Post is a POST request of the form to rawURL.
func (f *FileForm) Post(ctx context.Context, rawURL string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, f.Body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = f.Length
	req.Header.Set("Content-Type", f.ContentType)
	return req, nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

// Snippet is the start of an answer's body for an error message: trimmed,
// at most 200 bytes and "...".
func Snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// CheckPublicURL checks what a platform (named as who, "Slack") needs of
// a URL it sends to, before anything is sent there: an https:// URL
// (httpsRule says why, in the platform's words) whose host is not
// localhost or a loopback, private or link-local address.
func CheckPublicURL(publicURL, who, httpsRule string) error {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("public_url %q is not a URL", publicURL)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("public_url %s is not https://: %s", publicURL, httpsRule)
	}
	if host := u.Hostname(); host == "localhost" || isPrivate(host) {
		return fmt.Errorf("public_url %s is a local or private address: %s cannot reach it", publicURL, who)
	}
	return nil
}

// isPrivate reports whether host is a loopback, private or link-local IP.
func isPrivate(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified())
}

package webchat

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// fileURLTTL is how long a file link handed to a visitor works. The widget
// loads images at once; a link clicked later comes fresh with the history.
const fileURLTTL = time.Hour

// wireAttachment is a file as the widget sees it: a name, a type and, for a
// file Threadline keeps, a short-lived link signed for this visitor. Where
// the file lies on the server, or links only staff can open (a Slack
// permalink), never leave the daemon.
type wireAttachment struct {
	Name string `json:"name"`
	MIME string `json:"mime,omitempty"`
	Size int64  `json:"size,omitempty"`
	URL  string `json:"url,omitempty"`
}

func (a *Adapter) wireAttachments(visitor string, msg bridge.MessageID, atts []bridge.Attachment) []wireAttachment {
	if len(atts) == 0 {
		return nil
	}
	exp := a.now().Add(fileURLTTL).Unix()
	out := make([]wireAttachment, 0, len(atts))
	for i, at := range atts {
		w := wireAttachment{Name: at.Name, MIME: at.MIME, Size: at.Size}
		if at.Path != "" {
			w.URL = a.opts.PublicURL + a.filePath(visitor, msg, i, exp)
		}
		out = append(out, w)
	}
	return out
}

// filePath is the signed path of attachment i of msg for visitor.
func (a *Adapter) filePath(visitor string, msg bridge.MessageID, i int, exp int64) string {
	return fmt.Sprintf("/chat/api/files/%d/%d?v=%s&exp=%d&sig=%s", msg, i, visitor, exp, a.tokens.mac(fileClaim(visitor, msg, i, exp)))
}

func fileClaim(visitor string, msg bridge.MessageID, i int, exp int64) string {
	return fmt.Sprintf("file.%s.%d.%d.%d", visitor, msg, i, exp)
}

// file serves an attachment to the visitor its link was signed for, while
// the link is fresh, and only from a conversation of that visitor.
func (a *Adapter) file(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	msg, err1 := strconv.ParseInt(r.PathValue("msg"), 10, 64)
	idx, err2 := strconv.Atoi(r.PathValue("i"))
	exp, err3 := strconv.ParseInt(q.Get("exp"), 10, 64)
	visitor := q.Get("v")
	if err := errors.Join(err1, err2, err3); err != nil || idx < 0 || len(visitor) != 22 {
		writeError(w, errorf(http.StatusBadRequest, "bad_link", "malformed file link"))
		return
	}
	if want := a.tokens.mac(fileClaim(visitor, bridge.MessageID(msg), idx, exp)); !equalMAC(q.Get("sig"), want) {
		writeError(w, errorf(http.StatusForbidden, "bad_link", "this file link is not valid"))
		return
	}
	if a.now().Unix() > exp {
		writeError(w, errorf(http.StatusForbidden, "expired_link", "this file link has expired; reopen the chat for a fresh one"))
		return
	}
	path, att, aerr := a.visitorFile(r, visitor, bridge.MessageID(msg), idx)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		writeError(w, errorf(http.StatusNotFound, "not_found", "the file is no longer kept"))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		writeError(w, errorf(http.StatusNotFound, "not_found", "the file is no longer kept"))
		return
	}
	h := w.Header()
	ctype, inline := servedType(att.MIME)
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": att.Name}))
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// visitorFile finds attachment i of msg when msg is a message the visitor
// may see (their own or a staff reply in their conversation) and the file
// is kept under the attachments directory.
func (a *Adapter) visitorFile(r *http.Request, visitor string, msg bridge.MessageID, i int) (string, bridge.Attachment, *apiError) {
	gone := errorf(http.StatusNotFound, "not_found", "no such file")
	m, err := a.store.Message(r.Context(), msg)
	if err != nil {
		return "", bridge.Attachment{}, gone
	}
	c, err := a.store.Conversation(r.Context(), m.Conversation)
	if err != nil || c.Channel != Platform || c.Address != visitor || (m.Direction != bridge.DirStaff && m.Direction != bridge.DirCustomer) {
		return "", bridge.Attachment{}, gone
	}
	if i >= len(m.Attachments) || m.Attachments[i].Path == "" || !within(a.attachments, m.Attachments[i].Path) {
		return "", bridge.Attachment{}, gone
	}
	return m.Attachments[i].Path, m.Attachments[i], nil
}

// within reports whether path lies inside dir. Links are followed first:
// replicas share one attachments directory, each perhaps through a link
// in its own data directory, and a file another replica stored is named
// by that replica's path (docs/replicas.md).
func within(dir, path string) bool {
	if dir == "" {
		return false
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// servedType is the Content-Type a file is served with and whether a
// browser may show it inline: images, PDFs, audio, video and plain text;
// everything else (HTML, SVG, scripts) downloads as octet-stream, so a
// file cannot run script on the daemon's origin.
func servedType(declared string) (string, bool) {
	t, _, err := mime.ParseMediaType(declared)
	if err != nil {
		return "application/octet-stream", false
	}
	switch {
	case t == "image/png", t == "image/jpeg", t == "image/gif", t == "image/webp":
		return t, true
	case t == "application/pdf", strings.HasPrefix(t, "audio/"), strings.HasPrefix(t, "video/"):
		return t, true
	case t == "text/plain":
		return "text/plain; charset=utf-8", true
	}
	return "application/octet-stream", false
}

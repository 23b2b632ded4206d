package webchat

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/bridge"
)

// maxFilesPerMessage caps the files of one message.
const maxFilesPerMessage = 5

// isMultipart: a message with files (multipart/form-data).
func isMultipart(r *http.Request) bool {
	t, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return t == "multipart/form-data"
}

// uploadLimit caps a whole multipart body: the files and the form fields.
func (a *Adapter) uploadLimit() int64 {
	return maxFilesPerMessage*a.cfg.MaxFileBytes + a.opts.MaxBodyBytes
}

// postFiles is POST /chat/api/messages as multipart/form-data: the text
// fields of a message (text, client_id, name, email, widget, department)
// and up to maxFilesPerMessage "file" parts. Each file is checked
// (webchat.max_file_bytes, webchat.allowed_file_types by its content),
// kept under the attachments directory under a name of its own and
// delivered with the message; nothing is kept when any part is refused.
func (a *Adapter) postFiles(w http.ResponseWriter, r *http.Request, in bridge.Inbox, visitor string) {
	if !a.filesOn() {
		writeError(w, errorf(http.StatusForbidden, "files_off", "this chat does not take files"))
		return
	}
	// Limit before reading: files are written to disk as they arrive.
	if aerr := a.limit(visitor, a.clientIP(r)); aerr != nil {
		writeError(w, aerr)
		return
	}
	req, atts, aerr := a.readParts(r)
	if aerr != nil {
		removeFiles(atts)
		writeError(w, aerr)
		return
	}
	if req.Widget == "" {
		req.Widget = r.URL.Query().Get("widget")
	}
	msg, aerr := a.check(req, len(atts) > 0)
	if aerr == nil && len(atts) == 0 && msg.text == "" {
		aerr = errorf(http.StatusBadRequest, "empty", "message has no text and no file")
	}
	if aerr != nil {
		removeFiles(atts)
		writeError(w, aerr)
		return
	}
	wm, dup, aerr := a.deliver(r.Context(), in, visitor, msg, atts)
	if aerr != nil || dup {
		removeFiles(atts) // not stored, or stored the first time with its own copies
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"message": wm})
}

// readParts reads the form fields and stores the files of a multipart body.
func (a *Adapter) readParts(r *http.Request) (sendRequest, []bridge.Attachment, *apiError) {
	var req sendRequest
	var atts []bridge.Attachment
	mr, err := r.MultipartReader()
	if err != nil {
		return req, nil, errorf(http.StatusBadRequest, "bad_body", "could not read the form: %v", err)
	}
	fields := map[string]*string{"text": &req.Text, "client_id": &req.ClientID, "name": &req.Name, "email": &req.Email,
		"widget": &req.Widget, "department": &req.Department}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return req, atts, nil
		}
		if err != nil {
			return req, atts, bodyError(err)
		}
		name := p.FormName()
		if p.FileName() == "" {
			dst, ok := fields[name]
			if !ok {
				p.Close()
				continue // an unknown field is ignored, like unknown JSON keys
			}
			b, err := io.ReadAll(io.LimitReader(p, a.opts.MaxBodyBytes+1))
			p.Close()
			if err != nil {
				return req, atts, bodyError(err)
			}
			if int64(len(b)) > a.opts.MaxBodyBytes {
				return req, atts, errorf(http.StatusRequestEntityTooLarge, "too_large", "field %s is larger than %d bytes", name, a.opts.MaxBodyBytes)
			}
			*dst = string(b)
			continue
		}
		if name != "file" {
			p.Close()
			return req, atts, errorf(http.StatusBadRequest, "bad_body", "files go in parts named file")
		}
		if len(atts) == maxFilesPerMessage {
			p.Close()
			return req, atts, errorf(http.StatusRequestEntityTooLarge, "too_many_files", "at most %d files per message", maxFilesPerMessage)
		}
		att, aerr := a.storeFile(p)
		p.Close()
		if aerr != nil {
			return req, atts, aerr
		}
		atts = append(atts, att)
	}
}

func bodyError(err error) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "request body is larger than %d bytes", mbe.Limit)
	}
	return errorf(http.StatusBadRequest, "bad_body", "could not read the form: %v", err)
}

// storeFile writes one file part under the attachments directory, named
// webchat-<random><ext> (never the name the browser sent), and describes
// it. Its type is what its first bytes say where they say something
// specific, else what the browser declared, else what its name suggests;
// the type must be allowed.
func (a *Adapter) storeFile(p *multipart.Part) (bridge.Attachment, *apiError) {
	name := cleanFileName(p.FileName())
	head := make([]byte, 512)
	n, err := io.ReadFull(p, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return bridge.Attachment{}, bodyError(err)
	}
	head = head[:n]
	typ := fileType(head, p.Header.Get("Content-Type"), name)
	if !fileTypeAllowed(a.cfg.AllowedFileTypes, typ) {
		return bridge.Attachment{}, errorf(http.StatusUnsupportedMediaType, "file_type", "%s: files of type %s cannot be sent here (allowed: %s)",
			name, typ, strings.Join(a.cfg.AllowedFileTypes, ", "))
	}
	if err := os.MkdirAll(a.attachments, 0o750); err != nil {
		a.log.Error("webchat: attachments directory", "err", err)
		return bridge.Attachment{}, errorf(http.StatusServiceUnavailable, "unavailable", "files cannot be kept right now; try again")
	}
	rnd := make([]byte, 12)
	_, _ = rand.Read(rnd)
	path := filepath.Join(a.attachments, "webchat-"+hex.EncodeToString(rnd)+extension(typ))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		a.log.Error("webchat: keeping a file", "err", err)
		return bridge.Attachment{}, errorf(http.StatusServiceUnavailable, "unavailable", "files cannot be kept right now; try again")
	}
	size, err := io.Copy(f, io.MultiReader(bytes.NewReader(head), io.LimitReader(p, a.cfg.MaxFileBytes+1-int64(len(head)))))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	att := bridge.Attachment{Name: name, MIME: typ, Size: size, Path: path}
	switch {
	case err != nil:
		os.Remove(path)
		return bridge.Attachment{}, bodyError(err)
	case size > a.cfg.MaxFileBytes:
		os.Remove(path)
		return bridge.Attachment{}, errorf(http.StatusRequestEntityTooLarge, "file_too_large", "%s is larger than %d bytes", name, a.cfg.MaxFileBytes)
	case size == 0:
		os.Remove(path)
		return bridge.Attachment{}, errorf(http.StatusBadRequest, "empty_file", "%s is empty", name)
	}
	return att, nil
}

// fileType decides a file's media type from its first bytes, the type the
// browser declared and its name, in that order of trust.
func fileType(head []byte, declared, name string) string {
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	if sniffed != "application/octet-stream" && sniffed != "text/plain" && sniffed != "application/zip" {
		return sniffed // the bytes say exactly what it is
	}
	for _, t := range []string{declared, mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))} {
		t, _, err := mime.ParseMediaType(t)
		if err != nil || t == "" || t == "application/octet-stream" {
			continue
		}
		// What the browser or the name claim must agree with the bytes:
		// text is text, a zip container (office files) is a zip.
		switch {
		case sniffed == "text/plain" && (strings.HasPrefix(t, "text/") || t == "application/json"):
			return t
		case sniffed == "application/zip" && (t == "application/zip" || strings.HasPrefix(t, "application/vnd.openxmlformats") ||
			strings.HasPrefix(t, "application/vnd.oasis")):
			return t
		case sniffed == "application/octet-stream" && !strings.HasPrefix(t, "text/") && !strings.HasPrefix(t, "image/"):
			return t // e.g. an old .doc, which has no signature the sniffer knows
		}
	}
	return sniffed
}

// extension is a file extension for a stored file of type t (helps people
// looking at the attachments directory; the name the visitor gave stays
// in the message).
func extension(t string) string {
	switch t {
	case "image/jpeg":
		return ".jpg"
	case "text/plain":
		return ".txt"
	}
	if exts, _ := mime.ExtensionsByType(t); len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// cleanFileName keeps the last path element of a browser's file name,
// one line, printable, at most 120 characters: it is shown to staff and
// sent as the download name, never used as a path.
func cleanFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(strings.Trim(name, "."))
	if r := []rune(name); len(r) > 120 {
		name = string(r[len(r)-120:])
	}
	if name == "" {
		name = "file"
	}
	return name
}

// removeFiles deletes files stored for a message that was not delivered.
func removeFiles(atts []bridge.Attachment) {
	for _, a := range atts {
		if a.Path != "" {
			_ = os.Remove(a.Path)
		}
	}
}

package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-message"

	"github.com/threadlinehq/threadline/bridge"
)

// outgoing is a reply ready to be written as MIME.
type outgoing struct {
	From       mail.Address
	ReplyTo    *mail.Address
	To         mail.Address
	Subject    string
	MessageID  string // with angle brackets
	InReplyTo  string
	References []string
	Date       time.Time
	Text       string
	HTML       string
	Files      []bridge.Attachment // with Path
}

// maxOutgoingAttachment caps one attachment we send.
const maxOutgoingAttachment = 25 << 20

// compose builds the reply for a delivery (headers from config, threading
// from the conversation's references).
func (a *Adapter) compose(d bridge.Delivery, messageID string) (outgoing, error) {
	to, err := mail.ParseAddress(d.Address)
	if err != nil || strings.ContainsAny(d.Address, "\r\n") {
		return outgoing{}, bridge.Permanent(fmt.Errorf("customer address %q is not an email address", oneLine(d.Address, 100)))
	}
	to.Name = oneLine(d.CustomerName, 200)
	if strings.EqualFold(to.Name, to.Address) {
		to.Name = ""
	}
	o := outgoing{
		From: a.from, To: *to, MessageID: messageID, Date: a.now(),
		Subject: replySubject(d.Subject),
	}
	if a.cfg.SubjectTokenOn() && subjectToken(o.Subject) == 0 {
		o.Subject += " [" + d.Conversation.String() + "]"
	}
	if a.cfg.PlusAddressing {
		base := a.replyBase()
		local, domain, _ := strings.Cut(base.Address, "@")
		o.ReplyTo = &mail.Address{Name: base.Name, Address: local + "+" + a.sign.plusToken(d.Conversation) + "@" + domain}
	} else if a.replyTo != nil {
		rt := *a.replyTo
		o.ReplyTo = &rt
	}
	o.thread(d.References)
	o.Text = strings.TrimSpace(strings.ReplaceAll(d.Text, "\r\n", "\n"))
	var links []string
	for _, att := range d.Attachments {
		switch {
		case att.Path != "":
			o.Files = append(o.Files, att)
		case att.URL != "":
			links = append(links, fmt.Sprintf("%s: %s", att.Name, att.URL))
		}
	}
	if len(links) > 0 {
		o.Text = strings.TrimSpace(o.Text + "\n\nAttachments:\n" + strings.Join(links, "\n"))
	}
	o.HTML = renderHTML(o.Text)
	return o, nil
}

// thread sets In-Reply-To and References from the ids exchanged so far,
// oldest first: Message-IDs only (not the ids we made up for mail that
// had none).
func (o *outgoing) thread(refs []string) {
	for _, r := range refs {
		if strings.HasPrefix(r, "<") && strings.HasSuffix(r, ">") && !strings.HasSuffix(r, syntheticSuffix+">") && !strings.ContainsAny(r, " \r\n") {
			o.References = append(o.References, r)
		}
	}
	if n := len(o.References); n > 0 {
		o.InReplyTo = o.References[n-1]
		// Keep the first (thread root) and the most recent ids (RFC 5322 3.6.4).
		if n > 20 {
			o.References = append([]string{o.References[0]}, o.References[n-19:]...)
		}
	}
}

// render writes o as a MIME message: multipart/alternative (text + HTML),
// inside multipart/mixed when there are attachments. Boundaries derive
// from the Message-ID, so the output is reproducible.
func (o outgoing) render() ([]byte, error) {
	boundary := func(kind string) string {
		sum := sha256.Sum256([]byte(kind + o.MessageID))
		return "tl-" + kind + "-" + hex.EncodeToString(sum[:12])
	}
	mixed := len(o.Files) > 0
	fields := [][2]string{
		{"Date", o.Date.Format(time.RFC1123Z)},
		{"From", formatAddress(o.From)},
		{"To", formatAddress(o.To)},
	}
	if o.ReplyTo != nil {
		fields = append(fields, [2]string{"Reply-To", formatAddress(*o.ReplyTo)})
	}
	fields = append(fields,
		[2]string{"Subject", mime.QEncoding.Encode("utf-8", oneLine(o.Subject, 900))},
		[2]string{"Message-Id", o.MessageID})
	if o.InReplyTo != "" {
		fields = append(fields, [2]string{"In-Reply-To", o.InReplyTo}, [2]string{"References", strings.Join(o.References, " ")})
	}
	// Ask Exchange not to send out-of-office replies to our replies.
	fields = append(fields, [2]string{"X-Auto-Response-Suppress", "OOF, AutoReply"}, [2]string{"X-Mailer", "Threadline"},
		[2]string{"MIME-Version", "1.0"})
	var h message.Header
	if mixed {
		h.SetContentType("multipart/mixed", map[string]string{"boundary": boundary("mixed")})
	} else {
		h.SetContentType("multipart/alternative", map[string]string{"boundary": boundary("alt")})
	}
	for i := len(fields) - 1; i >= 0; i-- { // Add prepends: add in reverse for a natural order
		h.Add(fields[i][0], fields[i][1])
	}
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	alt := w
	if mixed {
		var ah message.Header
		ah.SetContentType("multipart/alternative", map[string]string{"boundary": boundary("alt")})
		if alt, err = w.CreatePart(ah); err != nil {
			return nil, err
		}
	}
	for _, part := range []struct{ typ, body string }{{"text/plain", o.Text + "\n"}, {"text/html", o.HTML}} {
		var ph message.Header
		ph.SetContentType(part.typ, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := alt.CreatePart(ph)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(pw, part.body); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if mixed {
		if err := alt.Close(); err != nil {
			return nil, err
		}
		for _, f := range o.Files {
			if err := attachFile(w, f); err != nil {
				return nil, err
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func attachFile(w *message.Writer, f bridge.Attachment) error {
	fi, err := os.Stat(f.Path)
	if err != nil {
		return bridge.Permanent(fmt.Errorf("attachment %q: %w", f.Name, err))
	}
	if fi.Size() > maxOutgoingAttachment {
		return bridge.Permanent(fmt.Errorf("attachment %q is %s, over the %s limit for email", f.Name, formatSize(fi.Size()), formatSize(maxOutgoingAttachment)))
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return fmt.Errorf("attachment %q: %w", f.Name, err)
	}
	name := f.Name
	if name == "" {
		name = filepath.Base(f.Path)
	}
	name = SanitizeFilename(name, f.MIME)
	typ := f.MIME
	if typ == "" || strings.ContainsAny(typ, "\r\n;") {
		typ = "application/octet-stream"
	}
	var ph message.Header
	ph.SetContentType(typ, map[string]string{"name": name})
	ph.SetContentDisposition("attachment", map[string]string{"filename": name})
	ph.Set("Content-Transfer-Encoding", "base64")
	pw, err := w.CreatePart(ph)
	if err != nil {
		return err
	}
	if _, err := pw.Write(data); err != nil {
		return err
	}
	return pw.Close()
}

// formatAddress encodes a display name safely (no CR/LF can survive).
func formatAddress(a mail.Address) string {
	a.Name = oneLine(a.Name, 200)
	a.Address = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, a.Address)
	return a.String()
}

package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/adapters/internal/attempts"
	"github.com/threadlinehq/threadline/bridge"
)

// Bot API upload limits.
const (
	maxPhotoBytes    = 10 << 20
	maxDocumentBytes = 50 << 20
)

// part is one Bot API call of a reply.
type part struct {
	method string // sendMessage, sendPhoto, sendDocument
	html   string // text, or caption for files
	plain  string // the same without markup, for the fallback
	path   string
	name   string
	mime   string
}

// sendProgress remembers how far a reply got, so a retry after a 429 in
// the middle of a long reply does not repeat the parts already sent.
type sendProgress = attempts.Progress[int64]

// Send delivers a staff reply: its text as HTML messages of at most 4096
// characters (escaped, simple *bold*/_italic_/`code` converted), then its
// files. Failures are classified for the outbox (see classify).
func (a *Adapter) Send(ctx context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	chatID, err := strconv.ParseInt(d.Address, 10, 64)
	if err != nil || chatID == 0 {
		return bridge.ExternalRef{}, bridge.Permanent(fmt.Errorf("telegram: %q is not a chat id", d.Address))
	}
	parts := a.plan(d)
	if len(parts) == 0 {
		return bridge.ExternalRef{}, bridge.Permanent(errors.New("telegram: the reply has no text and no file to send"))
	}
	p := a.progress.Get(d.Message)
	err = p.Send(ctx, len(parts), func() bool { return a.sleep(ctx, a.opts.PartGap) }, func(i int) (int64, error) {
		return a.sendPart(ctx, chatID, parts[i])
	})
	if err != nil {
		cerr := classify(err)
		if bridge.IsPermanent(cerr) || errors.Is(cerr, bridge.ErrUnreachable) {
			a.progress.Delete(d.Message)
		} else {
			a.progress.Put(d.Message, p)
		}
		return bridge.ExternalRef{}, p.Stopped(cerr, len(parts))
	}
	a.progress.Delete(d.Message)
	return bridge.ExternalRef{Platform: Platform, ID: chatRef(chatID, p.First)}, nil
}

// plan turns a delivery into Bot API calls.
func (a *Adapter) plan(d bridge.Delivery) []part {
	header, plainHeader, headerLen := "", "", 0
	if name := strings.TrimSpace(d.Author); !a.cfg.AnonymousReplies && name != "" {
		if r := []rune(name); len(r) > 64 {
			name = string(r[:63]) + "…"
		}
		header, plainHeader = "<b>"+escapeHTML(name)+"</b>\n", name+"\n"
		headerLen = utf16Count(name) + 1
	}
	var files []part
	var lines []string
	for _, att := range d.Attachments {
		var size int64 = -1
		if att.Path != "" {
			if fi, err := os.Stat(att.Path); err == nil {
				size = fi.Size()
			}
		}
		switch {
		case size < 0 && att.URL != "":
			lines = append(lines, "📎 "+att.Name+": "+att.URL)
		case size < 0:
			lines = append(lines, "📎 "+att.Name+" (file not available)")
		case size > maxDocumentBytes:
			lines = append(lines, "📎 "+att.Name+" (too large to send on Telegram)")
		default:
			m := "sendDocument"
			if isPhoto(att.MIME) && size <= maxPhotoBytes {
				m = "sendPhoto"
			}
			files = append(files, part{method: m, path: att.Path, name: firstNonEmpty(att.Name, "file"), mime: att.MIME})
		}
	}
	text := strings.TrimSpace(d.Text)
	if len(lines) > 0 {
		text = strings.TrimSpace(text + "\n\n" + strings.Join(lines, "\n"))
	}
	// One file with a short text: a single message with a caption.
	if len(files) == 1 {
		if caps := formatReply(header, headerLen, text, maxCaptionLen); len(caps) <= 1 {
			f := files[0]
			if len(caps) == 1 {
				f.html, f.plain = caps[0], plainHeader+text
			} else if header != "" {
				f.html, f.plain = strings.TrimSuffix(header, "\n"), strings.TrimSuffix(plainHeader, "\n")
			}
			return []part{f}
		}
	}
	var parts []part
	for _, h := range formatReply(header, headerLen, text, maxTextLen) {
		parts = append(parts, part{method: "sendMessage", html: h, plain: plainText(h)})
	}
	if len(parts) == 0 && len(files) > 0 && header != "" {
		files[0].html, files[0].plain = strings.TrimSuffix(header, "\n"), strings.TrimSuffix(plainHeader, "\n")
	}
	return append(parts, files...)
}

func isPhoto(mime string) bool {
	switch strings.ToLower(mime) {
	case "image/jpeg", "image/jpg", "image/png", "image/webp":
		return true
	}
	return false
}

// plainText recovers the visible text of a rendered chunk (for the
// fallback when Telegram refuses the markup).
func plainText(html string) string {
	var b strings.Builder
	for i := 0; i < len(html); {
		switch {
		case html[i] == '<':
			j := strings.IndexByte(html[i:], '>')
			if j < 0 {
				b.WriteString(html[i:])
				return b.String()
			}
			i += j + 1
		case strings.HasPrefix(html[i:], "&lt;"):
			b.WriteByte('<')
			i += 4
		case strings.HasPrefix(html[i:], "&gt;"):
			b.WriteByte('>')
			i += 4
		case strings.HasPrefix(html[i:], "&amp;"):
			b.WriteByte('&')
			i += 5
		default:
			b.WriteByte(html[i])
			i++
		}
	}
	return b.String()
}

func (a *Adapter) sendPart(ctx context.Context, chatID int64, p part) (int64, error) {
	if p.method == "sendMessage" {
		id, err := a.sendMessage(ctx, chatID, p.html)
		if isEntityError(err) {
			a.log.Warn("telegram: Telegram refused the reply's formatting; sending it as plain text", "err", err)
			id, err = a.sendPlain(ctx, chatID, p.plain)
		}
		return id, err
	}
	fields := map[string]string{"chat_id": strconv.FormatInt(chatID, 10)}
	if p.html != "" {
		fields["caption"], fields["parse_mode"] = p.html, "HTML"
	}
	field := "document"
	if p.method == "sendPhoto" {
		field = "photo"
	}
	var m sentMessage
	err := a.api.upload(ctx, p.method, fields, field, p.path, p.name, p.mime, &m)
	if isEntityError(err) {
		delete(fields, "parse_mode")
		fields["caption"] = p.plain
		err = a.api.upload(ctx, p.method, fields, field, p.path, p.name, p.mime, &m)
	}
	return m.MessageID, err
}

func (a *Adapter) sendMessage(ctx context.Context, chatID int64, html string) (int64, error) {
	var m sentMessage
	err := a.api.call(ctx, "sendMessage", map[string]any{"chat_id": chatID, "text": html, "parse_mode": "HTML"}, &m)
	return m.MessageID, err
}

func (a *Adapter) sendPlain(ctx context.Context, chatID int64, text string) (int64, error) {
	var m sentMessage
	err := a.api.call(ctx, "sendMessage", map[string]any{"chat_id": chatID, "text": text}, &m)
	return m.MessageID, err
}

func isEntityError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == http.StatusBadRequest && containsFold(ae.Description, "can't parse entities")
}

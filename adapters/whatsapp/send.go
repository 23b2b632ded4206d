package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/attempts"
	"github.com/threadlinehq/threadline/bridge"
)

// WhatsApp's media types and size limits ("Supported media types").
const (
	maxImageBytes    = 5 << 20
	maxVideoBytes    = 16 << 20
	maxAudioBytes    = 16 << 20
	maxDocumentBytes = 100 << 20
)

// part is one message of a reply.
type part struct {
	kind     string // text, image, video, audio, document, template
	text     string // body, or the caption of a file
	path     string
	name     string
	mime     string
	template *bridge.TemplateMessage
}

// sendProgress remembers how far a reply got, so a retry after a 429 in
// the middle of a long reply does not repeat the parts already sent nor
// upload a file twice.
type sendProgress struct {
	attempts.Progress[string]
	media map[int]string // part index -> uploaded media id
}

// Send delivers a staff reply from the business number the customer wrote
// to: text in messages of at most 4096 characters, then each file
// uploaded and sent, or the template staff chose. A free-form reply more
// than 24 hours after the customer's last message is refused before
// anything is sent (WhatsApp would refuse it too): a permanent error whose
// text tells staff what to do. Failures are classified for the outbox.
func (a *Adapter) Send(ctx context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	phoneID, waID, ok := splitAddress(d.Address)
	if !ok {
		return bridge.ExternalRef{}, bridge.Permanent(fmt.Errorf("whatsapp: %q is not a WhatsApp address", d.Address))
	}
	if !a.phones[phoneID] {
		return bridge.ExternalRef{}, bridge.Permanent(fmt.Errorf("whatsapp: the customer wrote to phone number id %s, which is no longer in whatsapp.phone_number_ids", phoneID))
	}
	if d.Template == nil {
		if err := a.checkWindow(ctx, d); err != nil {
			return bridge.ExternalRef{}, err
		}
	}
	parts := a.plan(d)
	if len(parts) == 0 {
		return bridge.ExternalRef{}, bridge.Permanent(errors.New("whatsapp: the reply has no text and no file to send"))
	}
	p := a.progress.Get(d.Message)
	if p.media == nil {
		p.media = map[int]string{}
	}
	err := p.Send(ctx, len(parts), func() bool { return a.sleep(ctx, a.opts.PartGap) }, func(i int) (string, error) {
		return a.sendPart(ctx, phoneID, waID, parts[i], i, &p)
	})
	if err != nil {
		cerr := a.classify(err)
		if bridge.IsPermanent(cerr) {
			a.progress.Delete(d.Message)
		} else {
			a.progress.Put(d.Message, p)
		}
		return bridge.ExternalRef{}, p.Stopped(cerr, len(parts))
	}
	a.progress.Delete(d.Message)
	return bridge.ExternalRef{Platform: Platform, ID: p.First}, nil
}

// checkWindow refuses a free-form reply outside WhatsApp's 24-hour
// customer-service window. The window opens with the customer's last
// message to this business number (recorded as it arrived); a
// conversation from before that record existed falls back to the
// conversation's last customer message.
func (a *Adapter) checkWindow(ctx context.Context, d bridge.Delivery) error {
	last, err := a.lastCustomerMessage(ctx, d)
	if err != nil || last.IsZero() {
		return err // no record: WhatsApp decides (131047 is mapped like this)
	}
	age := a.now().Sub(last)
	if age <= Window {
		return nil
	}
	return bridge.Permanent(fmt.Errorf("not sent: outside WhatsApp's 24-hour customer-service window (the customer last wrote %s ago, %s): %s",
		roundAge(age), last.UTC().Format("2006-01-02 15:04 UTC"), a.windowAdvice()))
}

func (a *Adapter) lastCustomerMessage(ctx context.Context, d bridge.Delivery) (time.Time, error) {
	v, err := a.store.Cursor(ctx, string(Platform), windowKey(d.Address))
	if err != nil {
		return time.Time{}, err
	}
	if sec, err := strconv.ParseInt(v, 10, 64); err == nil && sec > 0 {
		return time.Unix(sec, 0), nil
	}
	c, err := a.store.Conversation(ctx, d.Conversation)
	if errors.Is(err, bridge.ErrNotFound) {
		return time.Time{}, nil
	}
	return c.LastCustomerAt, err
}

// windowAdvice is what staff can do once the window is closed.
func (a *Adapter) windowAdvice() string {
	return fmt.Sprintf("WhatsApp only delivers approved message templates now. Send one with %swa-template <name> [language] [parameters...], "+
		"or wait: the customer's next message opens the window again for 24 hours", a.prefix)
}

func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}

// plan turns a delivery into WhatsApp messages.
func (a *Adapter) plan(d bridge.Delivery) []part {
	if d.Template != nil {
		return []part{{kind: "template", template: d.Template}}
	}
	head := ""
	if !a.cfg.AnonymousReplies {
		head = header(d.Author)
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
		name := firstNonEmpty(att.Name, "file")
		switch kind := mediaKind(cleanMIME(att.MIME), size); {
		case size < 0 && att.URL != "":
			lines = append(lines, "📎 "+name+": "+att.URL)
		case size < 0:
			lines = append(lines, "📎 "+name+" (file not available)")
		case kind == "":
			lines = append(lines, "📎 "+name+" (too large to send on WhatsApp)")
		default:
			files = append(files, part{kind: kind, path: att.Path, name: name, mime: cleanMIME(att.MIME)})
		}
	}
	text := staffText(d.Text)
	if len(lines) > 0 {
		text = strings.TrimSpace(text + "\n\n" + strings.Join(lines, "\n"))
	}
	// One file that takes a caption and a short text: a single message.
	if len(files) == 1 && files[0].kind != "audio" && units(head)+units(text) <= maxCaptionLen {
		files[0].text = strings.TrimSuffix(head+text, "\n")
		return files
	}
	var parts []part
	for i, chunk := range splitText(text, maxTextLen, units(head)) {
		if i == 0 {
			chunk = head + chunk
		}
		parts = append(parts, part{kind: "text", text: chunk})
	}
	if len(parts) == 0 && len(files) > 0 && head != "" && files[0].kind != "audio" {
		files[0].text = strings.TrimSuffix(head, "\n")
	}
	return append(parts, files...)
}

// mediaKind is how WhatsApp takes a file of this type and size: as an
// image, video or audio message when it fits that type's limit, else as a
// document; "" when it is too large for any.
func mediaKind(mime string, size int64) string {
	switch {
	case (mime == "image/jpeg" || mime == "image/png") && size <= maxImageBytes:
		return "image"
	case (mime == "video/mp4" || mime == "video/3gpp") && size <= maxVideoBytes:
		return "video"
	case (mime == "audio/aac" || mime == "audio/amr" || mime == "audio/mpeg" || mime == "audio/mp4" || mime == "audio/ogg") && size <= maxAudioBytes:
		return "audio"
	case size <= maxDocumentBytes:
		return "document"
	}
	return ""
}

// sent is the answer to POST /{phone-number-id}/messages.
type sent struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// sendPart sends one message and returns its wamid.
func (a *Adapter) sendPart(ctx context.Context, phoneID, waID string, p part, i int, prog *sendProgress) (string, error) {
	body := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": waID, "type": p.kind}
	switch p.kind {
	case "text":
		body["text"] = map[string]any{"preview_url": a.cfg.LinkPreviews, "body": p.text}
	case "template":
		body["template"] = a.templateObject(*p.template)
	default:
		id := prog.media[i]
		if id == "" {
			var err error
			if id, err = a.api.upload(ctx, phoneID, p.path, p.name, p.mime); err != nil {
				return "", err
			}
			prog.media[i] = id
		}
		obj := map[string]any{"id": id}
		if p.text != "" && p.kind != "audio" {
			obj["caption"] = p.text
		}
		if p.kind == "document" {
			obj["filename"] = p.name
		}
		body[p.kind] = obj
	}
	var out sent
	if err := a.api.postJSON(ctx, "send message", phoneID+"/messages", body, &out); err != nil {
		return "", err
	}
	if len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return "", errors.New("whatsapp send message: no message id in the answer")
	}
	return out.Messages[0].ID, nil
}

// templateObject is the template part of a message: name, language and
// the body parameters as text.
func (a *Adapter) templateObject(t bridge.TemplateMessage) map[string]any {
	obj := map[string]any{"name": t.Name, "language": map[string]any{"code": firstNonEmpty(t.Language, a.cfg.TemplateLanguage)}}
	if len(t.Params) > 0 {
		params := make([]map[string]any, len(t.Params))
		for i, v := range t.Params {
			params[i] = map[string]any{"type": "text", "text": v}
		}
		obj["components"] = []map[string]any{{"type": "body", "parameters": params}}
	}
	return obj
}

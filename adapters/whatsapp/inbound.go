package whatsapp

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/attach"
	"github.com/threadlinehq/threadline/bridge"
)

// fileRef is a file attached to a customer message, before download.
type fileRef struct {
	MediaID string
	Name    string
	MIME    string
	Kind    string // image, video, audio, voice, document, sticker
}

// incoming is what one customer message of a webhook asks for: a message
// to deliver (with the files to fetch for it), or a reaction or system
// notice to note in the conversation it is about.
type incoming struct {
	Msg      bridge.InboundMessage
	Files    []fileRef
	PhoneID  string // the business number written to
	WaID     string // the customer
	Reaction *reactionNote
	System   string // a WhatsApp system message (the customer changed numbers)
}

// reactionNote is a customer's emoji reaction to an earlier message.
type reactionNote struct {
	Target string // the wamid reacted to
	Emoji  string
}

// address is how a WhatsApp customer is known to Threadline: the business
// number they wrote to and their WhatsApp id, so each number keeps its own
// conversations (and its own 24-hour windows) with the same person.
func address(phoneID, waID string) string { return phoneID + ":" + waID }

// splitAddress undoes address.
func splitAddress(addr string) (phoneID, waID string, ok bool) {
	phoneID, waID, ok = strings.Cut(addr, ":")
	if !ok || !phoneNumberID.MatchString(phoneID) || !isDigits(waID) {
		return "", "", false
	}
	return phoneID, waID, true
}

func isDigits(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

// readMessage turns one message of a webhook value into what to do with
// it; ok is false for messages Threadline ignores (request_welcome, a
// reaction being removed) and for messages without the ids it needs.
func readMessage(v value, m message) (in incoming, ok bool) {
	if m.ID == "" || !isDigits(m.From) || !phoneNumberID.MatchString(v.Metadata.PhoneNumberID) {
		return incoming{}, false
	}
	in = incoming{PhoneID: v.Metadata.PhoneNumberID, WaID: m.From}
	in.Msg = bridge.InboundMessage{
		Channel:    Platform,
		ExternalID: m.ID,
		Address:    address(v.Metadata.PhoneNumberID, m.From),
		Name:       profileName(v.Contacts, m.From),
		SentAt:     unixTime(m.Timestamp),
		To:         wayIn(v.Metadata),
	}
	var lines []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	label := ""
	file := func(md *media, kind, what string) {
		if md == nil || md.ID == "" {
			return
		}
		f := fileRef{MediaID: md.ID, MIME: cleanMIME(md.MIMEType), Kind: kind}
		f.Name = attach.SafeName(md.Filename)
		if md.Filename == "" {
			f.Name = kind + "-" + safeID(md.ID) + extension(f.MIME)
		}
		in.Files = append(in.Files, f)
		add(md.Caption)
		label = "[" + what + "]"
		if kind == "document" {
			label = "[document: " + f.Name + "]"
		}
	}
	switch m.Type {
	case "text":
		if m.Text != nil {
			add(m.Text.Body)
		}
	case "image":
		file(m.Image, "image", "photo")
	case "video":
		file(m.Video, "video", "video")
	case "audio":
		if m.Audio != nil && m.Audio.Voice {
			file(m.Audio, "voice", "voice message")
		} else {
			file(m.Audio, "audio", "audio")
		}
	case "document":
		file(m.Document, "document", "document")
	case "sticker":
		file(m.Sticker, "sticker", "sticker")
	case "location":
		if l := m.Location; l != nil {
			where := strings.TrimSpace(strings.Join(nonEmpty(l.Name, l.Address), ", "))
			if where != "" {
				where += " "
			}
			add(fmt.Sprintf("[location %s%.6f, %.6f] https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f",
				where, l.Latitude, l.Longitude, l.Latitude, l.Longitude))
		}
	case "contacts":
		for _, c := range m.Contacts {
			add(contactLine(c))
		}
	case "interactive":
		if i := m.Interactive; i != nil {
			switch {
			case i.ButtonReply != nil:
				add("[button] " + i.ButtonReply.Title)
			case i.ListReply != nil:
				add(strings.TrimSuffix("[list] "+i.ListReply.Title+" — "+i.ListReply.Description, " — "))
			}
		}
	case "button":
		if m.Button != nil {
			add("[button] " + firstNonEmpty(m.Button.Text, m.Button.Payload))
		}
	case "reaction":
		if m.Reaction == nil || m.Reaction.Emoji == "" || m.Reaction.MessageID == "" {
			return incoming{}, false // a reaction taken back: nothing to tell
		}
		in.Reaction = &reactionNote{Target: m.Reaction.MessageID, Emoji: m.Reaction.Emoji}
		return in, true
	case "system":
		if m.System == nil {
			return incoming{}, false
		}
		in.System = strings.TrimSpace(m.System.Body)
		if in.System == "" && m.System.NewWaID != "" {
			in.System = "The customer changed their WhatsApp number to +" + m.System.NewWaID
		}
		return in, in.System != ""
	case "request_welcome":
		return incoming{}, false // the customer opened the chat; they have not written yet
	}
	if len(lines) == 0 && label != "" {
		lines = append(lines, label) // surfaces that do not show files still see what arrived
	}
	if len(lines) == 0 {
		what := "[a kind of WhatsApp message Threadline cannot show: " + safeID(m.Type) + "]"
		if len(m.Errors) > 0 && m.Errors[0].Title != "" {
			what = "[a WhatsApp message Threadline cannot show: " + m.Errors[0].Title + "]"
		}
		lines = append(lines, what)
	}
	in.Msg.Text = strings.Join(lines, "\n")
	return in, true
}

// wayIn is the business number as routing rules and the card show it
// (+15550783881), then its phone number id.
func wayIn(md metadata) []string {
	var to []string
	if d := digitsOf(md.DisplayPhoneNumber); d != "" {
		to = append(to, "+"+d)
	}
	return append(to, md.PhoneNumberID)
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() > 15 {
		return ""
	}
	return b.String()
}

func profileName(cs []contact, waID string) string {
	for _, c := range cs {
		if c.WaID == waID {
			return strings.TrimSpace(c.Profile.Name)
		}
	}
	if len(cs) == 1 {
		return strings.TrimSpace(cs[0].Profile.Name)
	}
	return ""
}

func contactLine(c sharedCard) string {
	name := firstNonEmpty(c.Name.FormattedName, strings.TrimSpace(c.Name.FirstName+" "+c.Name.LastName))
	parts := []string{"[contact"}
	parts = append(parts, nonEmpty(name)...)
	for _, p := range c.Phones {
		parts = append(parts, nonEmpty(p.Phone)...)
	}
	for _, e := range c.Emails {
		parts = append(parts, nonEmpty(e.Email)...)
	}
	parts = append(parts, nonEmpty(c.Org.Company)...)
	return strings.Join(parts, " ") + "]"
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// unixTime reads a webhook timestamp (Unix seconds as a string); zero if
// it is missing or unreadable.
func unixTime(s string) time.Time {
	sec, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// cleanMIME drops parameters ("audio/ogg; codecs=opus" -> "audio/ogg").
func cleanMIME(m string) string {
	m, _, _ = strings.Cut(m, ";")
	m = strings.ToLower(strings.TrimSpace(m))
	if m == "" || len(m) > 100 || strings.ContainsAny(m, " \r\n\"") {
		return "application/octet-stream"
	}
	return m
}

func extension(mime string) string {
	switch mime {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/webp":
		return ".webp"
	case "video/mp4":
		return ".mp4"
	case "video/3gpp":
		return ".3gp"
	case "audio/ogg":
		return ".ogg"
	case "audio/mpeg":
		return ".mp3"
	case "audio/aac":
		return ".aac"
	case "audio/amr":
		return ".amr"
	case "audio/mp4":
		return ".m4a"
	case "application/pdf":
		return ".pdf"
	case "text/plain":
		return ".txt"
	}
	return ""
}

// safeID keeps an id usable in a file name.
func safeID(s string) string {
	s = attach.SafeName(s)
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return s
}

// statusNote is one status of a webhook as a receipt, or false when
// Threadline does not show it ("sent": the send itself said so already).
func statusNote(s status, window string) (bridge.ChannelReceipt, bool) {
	if s.ID == "" {
		return bridge.ChannelReceipt{}, false
	}
	r := bridge.ChannelReceipt{Channel: Platform, ExternalID: s.ID}
	switch s.Status {
	case "delivered":
		r.Status = bridge.ReceiptDelivered
	case "read":
		r.Status = bridge.ReceiptRead
	case "failed":
		r.Status = bridge.ReceiptFailed
		r.Error = "WhatsApp gave up delivering it"
		if len(s.Errors) > 0 {
			e := s.Errors[0]
			r.Error = describe(e)
			switch e.Code {
			case codeReengagement:
				r.Error += ": " + window
			case codeUndeliverable:
				r.Error += ": the number may not be on WhatsApp, or the customer has not accepted WhatsApp's latest terms or uses an old version"
			}
		}
	default:
		return bridge.ChannelReceipt{}, false
	}
	return r, true
}

func describe(e whatsError) string {
	text := firstNonEmpty(e.Title, e.Message, "error")
	if d := e.ErrorData.Details; d != "" && d != text {
		text += " (" + d + ")"
	}
	if e.Code != 0 {
		text = fmt.Sprintf("%s [code %d]", text, e.Code)
	}
	if len(text) > 500 {
		text = text[:500] + "…"
	}
	return text
}

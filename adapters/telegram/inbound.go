package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/attach"
	"github.com/threadlinehq/threadline/bridge"
)

// errMalformed marks an update that cannot be read; it is logged and skipped.
var errMalformed = errors.New("malformed update")

// fileRef is a file attached to a customer message, before download.
type fileRef struct {
	ID   string
	Name string
	MIME string
	Size int64  // as Telegram announced it; 0 if unknown
	Kind string // photo, document, voice, ...
}

// incoming is a customer message read from an update: the inbound message
// without its attachments, and the files to fetch for it.
type incoming struct {
	UpdateID int64
	Msg      bridge.InboundMessage
	Files    []fileRef
	ChatID   int64
	Start    bool // a /start command: answered with the greeting, not delivered
	// Reach is set for my_chat_member updates of private chats: "blocked"
	// when the user blocked the bot, "unblocked" when they allowed it again.
	Reach string
}

// parseUpdate decodes one update. An update whose JSON does not fit the
// Bot API's shapes is errMalformed (its id, if readable, is returned so
// the loop can move past it).
func parseUpdate(raw []byte) (update, error) {
	var u update
	if err := json.Unmarshal(raw, &u); err != nil {
		var id struct {
			UpdateID int64 `json:"update_id"`
		}
		_ = json.Unmarshal(raw, &id)
		return update{UpdateID: id.UpdateID}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	return u, nil
}

// readUpdate turns an update into a customer message. ok is false for
// updates Threadline ignores (other update kinds, groups and channels,
// messages from bots).
func readUpdate(u update, botUsername string) (in incoming, ok bool, err error) {
	if cm := u.MyChatMember; cm != nil && u.Message == nil && u.EditedMessage == nil {
		if cm.Chat.Type != "private" || cm.Chat.ID == 0 {
			return incoming{}, false, nil
		}
		in = incoming{UpdateID: u.UpdateID, ChatID: cm.Chat.ID}
		in.Msg.Address = strconv.FormatInt(cm.Chat.ID, 10)
		switch cm.NewChatMember.Status {
		case "kicked":
			in.Reach = "blocked"
		case "member":
			in.Reach = "unblocked"
		default:
			return incoming{}, false, nil
		}
		return in, true, nil
	}
	m, edit := u.Message, false
	if m == nil && u.EditedMessage != nil {
		m, edit = u.EditedMessage, true
	}
	if m == nil {
		return incoming{}, false, nil
	}
	if m.Chat.Type != "private" || m.From == nil || m.From.IsBot {
		return incoming{}, false, nil
	}
	if m.Chat.ID == 0 || m.MessageID == 0 {
		return incoming{}, false, fmt.Errorf("%w: message without chat id or message id", errMalformed)
	}
	chatID := m.Chat.ID
	in = incoming{UpdateID: u.UpdateID, ChatID: chatID}
	base := strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(m.MessageID, 10)
	name := strings.TrimSpace(m.From.FirstName + " " + m.From.LastName)
	in.Msg = bridge.InboundMessage{
		Channel:    Platform,
		ExternalID: base,
		Address:    strconv.FormatInt(chatID, 10),
		Name:       name,
		Username:   m.From.Username,
		SentAt:     unixTime(m.Date),
	}
	if botUsername != "" {
		// Which bot the customer wrote to, for routing rules (when.to).
		in.Msg.To = []string{"@" + strings.ToLower(botUsername)}
	}
	if !edit && isStart(m.Text, botUsername) {
		in.Start = true
		return in, true, nil
	}

	var lines []string
	if t := firstNonEmpty(m.Text, m.Caption); t != "" {
		lines = append(lines, t)
	}
	var label string
	switch {
	case len(m.Photo) > 0:
		p := largestPhoto(m.Photo)
		in.Files = append(in.Files, fileRef{ID: p.FileID, Name: "photo-" + safeID(p.FileUniqueID) + ".jpg", MIME: "image/jpeg", Size: p.FileSize, Kind: "photo"})
		label = "[photo]"
	case m.Sticker != nil:
		s := m.Sticker
		ext, mime := ".webp", "image/webp"
		switch {
		case s.IsAnimated:
			ext, mime = ".tgs", "application/x-tgsticker"
		case s.IsVideo:
			ext, mime = ".webm", "video/webm"
		}
		in.Files = append(in.Files, fileRef{ID: s.FileID, Name: "sticker-" + safeID(s.FileUniqueID) + ext, MIME: mime, Size: s.FileSize, Kind: "sticker"})
		label = strings.TrimSpace("[sticker " + s.Emoji + "]")
	default:
		for _, f := range []struct {
			meta       *fileMeta
			kind, ext  string
			mime, what string
		}{
			{m.Document, "document", "", "application/octet-stream", "document"},
			{m.Voice, "voice", ".ogg", "audio/ogg", "voice message"},
			{m.Audio, "audio", ".mp3", "audio/mpeg", "audio"},
			{m.Video, "video", ".mp4", "video/mp4", "video"},
			{m.VideoNote, "video_note", ".mp4", "video/mp4", "video message"},
			{m.Animation, "animation", ".mp4", "video/mp4", "GIF"},
		} {
			if f.meta == nil || f.meta.FileID == "" {
				continue
			}
			fr := fileRef{ID: f.meta.FileID, Name: f.meta.FileName, MIME: firstNonEmpty(f.meta.MIMEType, f.mime), Size: f.meta.FileSize, Kind: f.kind}
			if fr.Name == "" {
				fr.Name = f.kind + "-" + safeID(f.meta.FileUniqueID) + f.ext
			}
			in.Files = append(in.Files, fr)
			label = "[" + f.what
			if f.kind == "document" {
				label += ": " + fr.Name
			}
			if f.meta.Duration > 0 {
				label += fmt.Sprintf(" %d:%02d", f.meta.Duration/60, f.meta.Duration%60)
			}
			label += "]"
			break
		}
	}
	if m.Location != nil {
		lines = append(lines, fmt.Sprintf("[location %.6f, %.6f] https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f",
			m.Location.Latitude, m.Location.Longitude, m.Location.Latitude, m.Location.Longitude))
	}
	if m.Contact != nil {
		lines = append(lines, strings.TrimSpace(fmt.Sprintf("[contact %s %s %s]", m.Contact.FirstName, m.Contact.LastName, m.Contact.PhoneNumber)))
	}
	// Staff surfaces that do not show files still see what arrived.
	if len(lines) == 0 && label != "" {
		lines = append(lines, label)
	}
	if len(lines) == 0 {
		lines = append(lines, "[a kind of Telegram message Threadline cannot show]")
	}
	in.Msg.Text = strings.Join(lines, "\n")
	if edit {
		// A stable id per edit event: redelivery of the same update is
		// stored once, and two edits within one second stay two edits.
		in.Msg.EditOf = base
		in.Msg.ExternalID = base + ":edit:" + strconv.FormatInt(u.UpdateID, 10)
		in.Msg.Text = "✏️ edited: " + in.Msg.Text
		if m.EditDate > 0 {
			in.Msg.SentAt = unixTime(m.EditDate)
		}
	}
	return in, true, nil
}

// isStart recognises /start, /start payload and /start@ThisBot.
func isStart(text, botUsername string) bool {
	cmd, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	cmd, at, hasAt := strings.Cut(cmd, "@")
	if cmd != "/start" {
		return false
	}
	return !hasAt || botUsername == "" || strings.EqualFold(at, botUsername)
}

func largestPhoto(ps []photoSize) photoSize {
	best := ps[0]
	for _, p := range ps[1:] {
		if p.Width*p.Height > best.Width*best.Height || (p.Width*p.Height == best.Width*best.Height && p.FileSize > best.FileSize) {
			best = p
		}
	}
	return best
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func unixTime(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// safeID keeps a Telegram id usable in a file name.
func safeID(s string) string {
	s = attach.SafeName(s)
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" || s == "file" {
		return "file"
	}
	return s
}

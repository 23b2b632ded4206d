package faketelegram

import (
	"encoding/json"
	"fmt"
	"time"
)

// AddFile stores a file as if a customer had uploaded it and returns it
// (use its ID in hand-made updates).
func (s *Server) AddFile(data []byte, name, mime string) File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeFile(data, name, mime)
}

// storeFile keeps a file. Call with mu held.
func (s *Server) storeFile(data []byte, name, mime string) File {
	s.fileSeq++
	f := File{
		ID:       fmt.Sprintf("BQACAgIAAxkBAAI%06d", s.fileSeq),
		UniqueID: fmt.Sprintf("AgAD%06d", s.fileSeq),
		Name:     name, MIME: mime,
		Path: fmt.Sprintf("documents/file_%d%s", s.fileSeq, ext(name)),
		Data: append([]byte(nil), data...),
	}
	s.files[f.ID] = f
	return f
}

func ext(name string) string {
	for i := len(name) - 1; i >= 0 && i >= len(name)-6; i-- {
		if name[i] == '.' {
			return name[i:]
		}
	}
	return ""
}

func (c Customer) user() map[string]any {
	u := map[string]any{"id": c.ID, "is_bot": false, "first_name": c.FirstName, "language_code": "en"}
	if c.LastName != "" {
		u["last_name"] = c.LastName
	}
	if c.Username != "" {
		u["username"] = c.Username
	}
	return u
}

func (c Customer) chat() map[string]any {
	ch := map[string]any{"id": c.ID, "type": "private", "first_name": c.FirstName}
	if c.LastName != "" {
		ch["last_name"] = c.LastName
	}
	if c.Username != "" {
		ch["username"] = c.Username
	}
	return ch
}

// message pushes a new message from c with the given content fields and
// returns its message id and update id.
func (s *Server) message(c Customer, content map[string]any) (msgID, updateID int64) {
	s.mu.Lock()
	s.chats[c.ID] = c
	s.nextMsg[c.ID]++
	msgID = s.nextMsg[c.ID]
	s.mu.Unlock()
	m := map[string]any{"message_id": msgID, "from": c.user(), "chat": c.chat(), "date": time.Now().Unix()}
	for k, v := range content {
		m[k] = v
	}
	return msgID, s.PushUpdate(map[string]any{"message": m})
}

// SendText makes c write text to the bot.
func (s *Server) SendText(c Customer, text string) (msgID, updateID int64) {
	content := map[string]any{"text": text}
	if len(text) > 0 && text[0] == '/' {
		end := len(text)
		for i, r := range text {
			if r == ' ' {
				end = i
				break
			}
		}
		content["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": end}}
	}
	return s.message(c, content)
}

// SendPhoto makes c send a photo (Telegram offers it in two sizes).
func (s *Server) SendPhoto(c Customer, data []byte, caption string) (msgID, updateID int64) {
	big := s.AddFile(data, "photo.jpg", "image/jpeg")
	thumb := s.AddFile(data[:min(len(data), 64)], "thumb.jpg", "image/jpeg")
	content := map[string]any{"photo": []any{
		map[string]any{"file_id": thumb.ID, "file_unique_id": thumb.UniqueID, "width": 90, "height": 67, "file_size": len(thumb.Data)},
		map[string]any{"file_id": big.ID, "file_unique_id": big.UniqueID, "width": 1280, "height": 960, "file_size": len(big.Data)},
	}}
	if caption != "" {
		content["caption"] = caption
	}
	return s.message(c, content)
}

// SendDocument makes c send a file.
func (s *Server) SendDocument(c Customer, name, mime string, data []byte, caption string) (msgID, updateID int64) {
	f := s.AddFile(data, name, mime)
	content := map[string]any{"document": map[string]any{"file_id": f.ID, "file_unique_id": f.UniqueID,
		"file_name": name, "mime_type": mime, "file_size": len(data)}}
	if caption != "" {
		content["caption"] = caption
	}
	return s.message(c, content)
}

// SendVoice makes c send a voice message.
func (s *Server) SendVoice(c Customer, data []byte, seconds int) (msgID, updateID int64) {
	f := s.AddFile(data, "voice.ogg", "audio/ogg")
	return s.message(c, map[string]any{"voice": map[string]any{"file_id": f.ID, "file_unique_id": f.UniqueID,
		"duration": seconds, "mime_type": "audio/ogg", "file_size": len(data)}})
}

// SendSticker makes c send a (static) sticker.
func (s *Server) SendSticker(c Customer, emoji string, data []byte) (msgID, updateID int64) {
	f := s.AddFile(data, "sticker.webp", "image/webp")
	return s.message(c, map[string]any{"sticker": map[string]any{"file_id": f.ID, "file_unique_id": f.UniqueID,
		"type": "regular", "width": 512, "height": 512, "is_animated": false, "is_video": false,
		"emoji": emoji, "set_name": "FakeStickers", "file_size": len(data)}})
}

// EditText makes c edit an earlier text message.
func (s *Server) EditText(c Customer, msgID int64, text string) (updateID int64) {
	now := time.Now().Unix()
	return s.PushUpdate(map[string]any{"edited_message": map[string]any{
		"message_id": msgID, "from": c.user(), "chat": c.chat(), "date": now - 1, "edit_date": now, "text": text}})
}

// PushUpdate queues an update (a map or struct marshalled to JSON; its
// update_id is assigned) and returns the update id.
func (s *Server) PushUpdate(v any) int64 {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("faketelegram: update does not marshal: %v", err))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		panic("faketelegram: an update must be a JSON object")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate++
	id := s.nextUpdate
	m["update_id"] = json.RawMessage(fmt.Sprint(id))
	raw, _ = json.Marshal(m)
	s.queue = append(s.queue, queued{id: id, raw: raw})
	s.notify()
	return id
}

// PushRaw queues raw JSON as the next update, exactly as given (for
// malformed updates). If raw contains %d, the update id is formatted in.
func (s *Server) PushRaw(raw string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate++
	id := s.nextUpdate
	if containsVerb(raw) {
		raw = fmt.Sprintf(raw, id)
	}
	s.queue = append(s.queue, queued{id: id, raw: json.RawMessage(raw)})
	s.notify()
	return id
}

func containsVerb(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 'd' {
			return true
		}
	}
	return false
}

// Customer registers c as known to the bot (it has written before), so
// the bot may send to it without a pushed message.
func (s *Server) Customer(c Customer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[c.ID] = c
}

package fakewhatsapp

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// firstNumber is the number customers write to unless a test says another.
// Call with mu held.
func (s *Server) firstNumber() Number {
	if n, ok := s.numbers[DefaultNumber.ID]; ok {
		return n
	}
	best := Number{}
	for _, n := range s.numbers {
		if best.ID == "" || n.ID < best.ID {
			best = n
		}
	}
	return best
}

// Number returns a business number by id.
func (s *Server) Number(id string) Number {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.numbers[id]
}

// Write queues a notification with one customer message to number, sent
// at at (now if zero): msg holds the message's "type" and its type's
// object ({"type": "text", "text": {"body": "hi"}}); from, id and
// timestamp are filled in. It returns the message's wamid. The message
// opens (or extends) the customer-service window of the pair.
func (s *Server) Write(c Customer, to Number, at time.Time, msg map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if to.ID == "" {
		to = s.firstNumber()
	}
	if at.IsZero() {
		at = s.now()
	}
	id := s.nextID("wamid")
	msg["from"] = c.WaID
	msg["id"] = id
	msg["timestamp"] = strconv.FormatInt(at.Unix(), 10)
	s.known[c.WaID] = true
	if msg["type"] != "reaction" {
		key := to.ID + ":" + c.WaID
		if at.After(s.lastIn[key]) {
			s.lastIn[key] = at
		}
	}
	s.enqueue(to, map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]any{"name": c.Name}, "wa_id": c.WaID}},
		"messages": []any{msg},
	})
	return id
}

// SendText queues a text message from c to the first business number.
func (s *Server) SendText(c Customer, text string) string {
	return s.Write(c, Number{}, time.Time{}, map[string]any{"type": "text", "text": map[string]any{"body": text}})
}

// SendTextTo queues a text message from c to number.
func (s *Server) SendTextTo(c Customer, to Number, text string) string {
	return s.Write(c, to, time.Time{}, map[string]any{"type": "text", "text": map[string]any{"body": text}})
}

// SendTextAt queues a text message from c sent at at (a message from
// yesterday that reaches the daemon late).
func (s *Server) SendTextAt(c Customer, at time.Time, text string) string {
	return s.Write(c, Number{}, at, map[string]any{"type": "text", "text": map[string]any{"body": text}})
}

// SendMedia queues a media message (kind image, video, audio, document or
// sticker) whose file the fake stores for download; filename and caption
// may be empty (Meta sends them only for some kinds).
func (s *Server) SendMedia(c Customer, kind string, data []byte, mime, filename, caption string) string {
	s.mu.Lock()
	id := s.nextID("media")
	s.media[id] = Media{ID: id, MIME: mime, Name: filename, Data: data}
	s.mu.Unlock()
	sum := sha256.Sum256(data)
	obj := map[string]any{"id": id, "mime_type": mime, "sha256": base64.StdEncoding.EncodeToString(sum[:])}
	if caption != "" && kind != "audio" && kind != "sticker" {
		obj["caption"] = caption
	}
	if filename != "" && kind == "document" {
		obj["filename"] = filename
	}
	switch kind {
	case "audio":
		obj["voice"] = strings.HasPrefix(mime, "audio/ogg") // a voice note is OGG/Opus
	case "sticker":
		obj["animated"] = false
	}
	return s.Write(c, Number{}, time.Time{}, map[string]any{"type": kind, kind: obj})
}

// SendLocation queues a location message.
func (s *Server) SendLocation(c Customer, lat, lon float64, name, address string) string {
	loc := map[string]any{"latitude": lat, "longitude": lon}
	if name != "" {
		loc["name"] = name
	}
	if address != "" {
		loc["address"] = address
	}
	return s.Write(c, Number{}, time.Time{}, map[string]any{"type": "location", "location": loc})
}

// SendContact queues a shared contact card.
func (s *Server) SendContact(c Customer, formattedName, phone string) string {
	card := map[string]any{
		"name":   map[string]any{"formatted_name": formattedName, "first_name": formattedName},
		"phones": []any{map[string]any{"phone": phone, "type": "CELL"}},
	}
	return s.Write(c, Number{}, time.Time{}, map[string]any{"type": "contacts", "contacts": []any{card}})
}

// SendReaction queues the customer's reaction to message target ("" takes
// a reaction back).
func (s *Server) SendReaction(c Customer, target, emoji string) string {
	return s.Write(c, Number{}, time.Time{}, map[string]any{"type": "reaction", "reaction": map[string]any{"message_id": target, "emoji": emoji}})
}

// SendButtonReply queues the customer's tap on an interactive reply button.
func (s *Server) SendButtonReply(c Customer, buttonID, title string) string {
	return s.Write(c, Number{}, time.Time{}, map[string]any{"type": "interactive", "interactive": map[string]any{
		"type": "button_reply", "button_reply": map[string]any{"id": buttonID, "title": title},
	}})
}

// Status queues a status notification ("sent", "delivered", "read") for a
// message the business sent.
func (s *Server) Status(wamid, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status(wamid, status, nil)
}

// Failed queues a "failed" status for a message the business sent, with
// Meta's error object.
func (s *Server) Failed(wamid string, code int, title, details string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status(wamid, "failed", []any{map[string]any{"code": code, "title": title, "message": title,
		"error_data": map[string]any{"details": details}}})
}

// status queues a status. Call with mu held.
func (s *Server) status(wamid, status string, errs []any) {
	var m *Sent
	for i := range s.sent {
		if s.sent[i].ID == wamid {
			m = &s.sent[i]
		}
	}
	if m == nil {
		return
	}
	st := map[string]any{"id": wamid, "status": status, "timestamp": strconv.FormatInt(s.now().Unix(), 10), "recipient_id": m.To}
	if errs != nil {
		st["errors"] = errs
	}
	s.enqueue(s.numbers[m.PhoneID], map[string]any{"statuses": []any{st}})
}

// Raw queues a notification with one change whose value is value (the
// metadata of number is filled in): shapes the helpers do not build.
func (s *Server) Raw(number Number, value map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if number.ID == "" {
		number = s.firstNumber()
	}
	s.enqueue(number, value)
}

package faketelegram

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

type handler func(w http.ResponseWriter, r *http.Request, p params)

func (s *Server) methods() map[string]handler {
	return map[string]handler{
		"getMe":          s.getMe,
		"getUpdates":     s.getUpdates,
		"sendMessage":    s.sendMessage,
		"sendPhoto":      s.sendFile("sendPhoto", "photo"),
		"sendDocument":   s.sendFile("sendDocument", "document"),
		"getFile":        s.getFile,
		"setWebhook":     s.setWebhook,
		"deleteWebhook":  s.deleteWebhook,
		"getWebhookInfo": s.getWebhookInfo,
	}
}

func (s *Server) botUser() map[string]any {
	return map[string]any{"id": s.botID, "is_bot": true, "first_name": "Threadline Test", "username": s.BotUsername(),
		"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}
}

func (s *Server) getMe(w http.ResponseWriter, _ *http.Request, _ params) { writeOK(w, s.botUser()) }

// getUpdates follows Telegram: an offset confirms (and forgets) every
// update below it; a negative offset keeps only the last -offset updates;
// with nothing to return it waits up to timeout seconds; a newer call
// ends an older waiting one with 409 (and is recorded: PollOverlaps).
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p params) {
	offset, _ := p.int("offset")
	limit, ok := p.int("limit")
	if !ok || limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := p.int("timeout")
	allowed := p.list("allowed_updates")
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)

	s.mu.Lock()
	if s.webhook.URL != "" {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 0)
		return
	}
	for old, from := range s.polls {
		// A call whose client hung up does not count: it is gone.
		if old.Context().Err() == nil {
			s.overlaps = append(s.overlaps, fmt.Sprintf("%s getUpdates from %s while the one from %s was still waiting",
				time.Now().Format("15:04:05.000"), r.RemoteAddr, from))
		}
	}
	s.polls[r] = r.RemoteAddr
	defer func() {
		s.mu.Lock()
		delete(s.polls, r)
		s.mu.Unlock()
	}()
	s.pollGen++
	gen := s.pollGen
	switch {
	case offset > 0:
		s.confirm(offset)
	case offset < 0:
		if n := int(-offset); n < len(s.queue) {
			s.confirm(s.queue[len(s.queue)-n].id)
		}
	}
	s.notify()
	for {
		var out []json.RawMessage
		for _, q := range s.queue {
			if int64(len(out)) >= limit {
				break
			}
			if allowedUpdate(q.raw, allowed) {
				out = append(out, q.raw)
			}
		}
		if len(out) > 0 || !time.Now().Before(deadline) {
			s.mu.Unlock()
			if out == nil {
				out = []json.RawMessage{}
			}
			writeOK(w, out)
			return
		}
		ch := s.changed
		s.mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-ch:
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.ctx.Done():
			t.Stop()
			return
		}
		t.Stop()
		s.mu.Lock()
		if s.pollGen != gen {
			s.mu.Unlock()
			writeError(w, http.StatusConflict, defaultDescription(409, 0), 0)
			return
		}
	}
}

// confirm forgets updates below offset. Call with mu held.
func (s *Server) confirm(offset int64) {
	if offset > s.confirmed {
		s.confirmed = offset
	}
	i := 0
	for i < len(s.queue) && s.queue[i].id < offset {
		i++
	}
	s.queue = s.queue[i:]
}

func allowedUpdate(raw json.RawMessage, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return true // malformed updates are handed out as they are
	}
	for k := range m {
		for _, a := range allowed {
			if k == a {
				return true
			}
		}
	}
	return false
}

// checkChat answers false (and writes the error) if the bot may not write
// to the chat.
func (s *Server) checkChat(w http.ResponseWriter, p params) (int64, bool) {
	chatID, ok := p.int("chat_id")
	if !ok {
		writeError(w, http.StatusBadRequest, "Bad Request: chat_id is empty", 0)
		return 0, false
	}
	s.mu.Lock()
	_, known := s.chats[chatID]
	blocked := s.blocked[chatID]
	s.mu.Unlock()
	switch {
	case !known:
		writeError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return 0, false
	case blocked:
		writeError(w, http.StatusForbidden, "Forbidden: bot was blocked by the user", 0)
		return 0, false
	}
	return chatID, true
}

// render checks text against the parse mode and returns what the customer
// sees, or Telegram's error.
func render(text, mode string, limit int) (string, string) {
	shown := text
	switch strings.ToLower(mode) {
	case "":
	case "html":
		var err error
		if shown, err = ParseHTML(text); err != nil {
			return "", "Bad Request: can't parse entities: " + err.Error()
		}
	default:
		return "", "Bad Request: unsupported parse_mode " + mode + " in this fake (use HTML)"
	}
	if n := len(utf16.Encode([]rune(shown))); n > limit {
		if limit == 1024 {
			return "", "Bad Request: message caption is too long"
		}
		return "", "Bad Request: message is too long"
	}
	return shown, ""
}

func (s *Server) sendMessage(w http.ResponseWriter, _ *http.Request, p params) {
	chatID, ok := s.checkChat(w, p)
	if !ok {
		return
	}
	text := p.str("text")
	if strings.TrimSpace(text) == "" {
		writeError(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	}
	shown, errText := render(text, p.str("parse_mode"), 4096)
	if errText != "" {
		writeError(w, http.StatusBadRequest, errText, 0)
		return
	}
	if strings.TrimSpace(shown) == "" {
		writeError(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	}
	s.mu.Lock()
	m := s.record(Sent{Method: "sendMessage", ChatID: chatID, Text: shown, Raw: text, ParseMode: p.str("parse_mode")})
	s.mu.Unlock()
	writeOK(w, map[string]any{"message_id": m.MessageID, "from": s.botUser(), "chat": s.chatJSON(chatID),
		"date": m.At.Unix(), "text": shown})
}

func (s *Server) sendFile(method, field string) handler {
	return func(w http.ResponseWriter, _ *http.Request, p params) {
		chatID, ok := s.checkChat(w, p)
		if !ok {
			return
		}
		up, ok := p.files[field]
		if !ok {
			id := p.str(field)
			s.mu.Lock()
			f, known := s.files[id]
			s.mu.Unlock()
			if !known {
				writeError(w, http.StatusBadRequest, "Bad Request: wrong file identifier/HTTP URL specified", 0)
				return
			}
			up = upload{name: f.Name, mime: f.MIME, data: f.Data}
		}
		limit := 50 << 20
		if field == "photo" {
			limit = 10 << 20
		}
		if len(up.data) > limit {
			writeError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", 0)
			return
		}
		caption := p.str("caption")
		shown, errText := render(caption, p.str("parse_mode"), 1024)
		if errText != "" {
			writeError(w, http.StatusBadRequest, errText, 0)
			return
		}
		s.mu.Lock()
		f := s.storeFile(up.data, up.name, up.mime)
		m := s.record(Sent{Method: method, ChatID: chatID, Text: shown, Raw: caption, ParseMode: p.str("parse_mode"),
			FileName: up.name, FileMIME: up.mime, FileData: up.data})
		s.mu.Unlock()
		res := map[string]any{"message_id": m.MessageID, "from": s.botUser(), "chat": s.chatJSON(chatID), "date": m.At.Unix()}
		if caption != "" {
			res["caption"] = shown
		}
		if field == "photo" {
			res["photo"] = []any{map[string]any{"file_id": f.ID, "file_unique_id": f.UniqueID, "width": 800, "height": 600, "file_size": len(f.Data)}}
		} else {
			res["document"] = map[string]any{"file_id": f.ID, "file_unique_id": f.UniqueID, "file_name": f.Name, "mime_type": f.MIME, "file_size": len(f.Data)}
		}
		writeOK(w, res)
	}
}

// record stores a sent message and gives it the chat's next message id.
// Call with mu held.
func (s *Server) record(m Sent) Sent {
	s.nextMsg[m.ChatID]++
	m.MessageID = s.nextMsg[m.ChatID]
	m.At = time.Now()
	s.sent = append(s.sent, m)
	s.notify()
	return m
}

func (s *Server) chatJSON(chatID int64) map[string]any {
	s.mu.Lock()
	c := s.chats[chatID]
	s.mu.Unlock()
	m := map[string]any{"id": chatID, "type": "private", "first_name": c.FirstName}
	if c.LastName != "" {
		m["last_name"] = c.LastName
	}
	if c.Username != "" {
		m["username"] = c.Username
	}
	return m
}

func (s *Server) getFile(w http.ResponseWriter, _ *http.Request, p params) {
	id := p.str("file_id")
	s.mu.Lock()
	f, ok := s.files[id]
	s.mu.Unlock()
	switch {
	case !ok:
		writeError(w, http.StatusBadRequest, "Bad Request: invalid file_id", 0)
	case len(f.Data) > 20<<20:
		writeError(w, http.StatusBadRequest, "Bad Request: file is too big", 0)
	default:
		writeOK(w, map[string]any{"file_id": f.ID, "file_unique_id": f.UniqueID, "file_size": len(f.Data), "file_path": f.Path})
	}
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, token, path string) {
	if token != s.token {
		http.Error(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	s.calls["file"]++
	fault, faulted := s.takeFault("file")
	var found *File
	for _, f := range s.files {
		if f.Path == path {
			found = &f
			break
		}
	}
	s.mu.Unlock()
	if faulted && !fault.Pass {
		writeFault(w, r, fault)
		return
	}
	if found == nil {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(found.Data)))
	w.Write(found.Data)
}

var secretShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(w http.ResponseWriter, _ *http.Request, p params) {
	u := p.str("url")
	secret := p.str("secret_token")
	if secret != "" && !secretShape.MatchString(secret) {
		writeError(w, http.StatusBadRequest, "Bad Request: secret token contains unallowed characters", 0)
		return
	}
	if u != "" {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			writeError(w, http.StatusBadRequest, "Bad Request: bad webhook: invalid URL", 0)
			return
		}
	}
	s.mu.Lock()
	if p.bool("drop_pending_updates") {
		s.queue = nil
	}
	s.webhook = Webhook{URL: u, Secret: secret, AllowedUpdates: p.list("allowed_updates")}
	s.pollGen++ // a waiting getUpdates ends
	s.notify()
	s.mu.Unlock()
	desc := "Webhook was set"
	if u == "" {
		desc = "Webhook was deleted"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": true, "description": desc})
}

func (s *Server) deleteWebhook(w http.ResponseWriter, _ *http.Request, p params) {
	s.mu.Lock()
	had := s.webhook.URL != ""
	s.webhook = Webhook{}
	if p.bool("drop_pending_updates") {
		s.queue = nil
	}
	s.notify()
	s.mu.Unlock()
	desc := "Webhook is already deleted"
	if had {
		desc = "Webhook was deleted"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": true, "description": desc})
}

func (s *Server) getWebhookInfo(w http.ResponseWriter, _ *http.Request, _ params) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := map[string]any{"url": s.webhook.URL, "has_custom_certificate": false, "pending_update_count": len(s.queue)}
	if len(s.webhook.AllowedUpdates) > 0 {
		info["allowed_updates"] = s.webhook.AllowedUpdates
	}
	if s.hookErrors > 0 {
		info["last_error_message"] = "Wrong response from the webhook"
		info["last_error_date"] = s.hookErrAt.Unix()
	}
	if s.webhook.URL != "" {
		info["max_connections"] = 40
		info["ip_address"] = "127.0.0.1"
	}
	writeOK(w, info)
}

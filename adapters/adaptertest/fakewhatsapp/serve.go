package fakewhatsapp

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Meta's titles for the error codes the fake answers with ("WhatsApp
// error codes").
var titles = map[int]string{
	1:      "API Unknown",
	2:      "API Service",
	100:    "Invalid parameter",
	190:    "Invalid OAuth access token - Cannot parse access token",
	130429: "Rate limit hit",
	131000: "Something went wrong",
	131009: "Parameter value is not valid",
	131026: "Message Undeliverable",
	131047: "Re-engagement message",
	131051: "Unsupported message type",
	131053: "Media upload error",
	131056: "(Business Account, Consumer Account) pair rate limit hit",
	132000: "Number of parameters does not match the expected number of params",
	132001: "Template name does not exist in the translation",
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if id, ok := strings.CutPrefix(r.URL.Path, "/download/"); ok {
		s.serveDownload(w, r, id)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+Version+"/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		writeError(w, http.StatusUnauthorized, 190, "", "")
		return
	}
	id, sub, _ := strings.Cut(rest, "/")
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 200<<20))
	}
	op := ""
	switch {
	case r.Method == http.MethodPost && sub == "messages":
		op = "messages"
	case r.Method == http.MethodPost && sub == "media":
		op = "upload"
	case r.Method == http.MethodGet && sub == "":
		op = "retrieve"
		s.mu.Lock()
		if _, isPhone := s.numbers[id]; isPhone {
			op = "phone"
		}
		s.mu.Unlock()
	default:
		writeError(w, http.StatusBadRequest, 100, "Unsupported "+strings.ToLower(r.Method)+" request", "")
		return
	}
	s.mu.Lock()
	rec := Request{Method: r.Method, Path: "/" + rest}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		rec.Body = string(body)
	}
	s.requests = append(s.requests, rec)
	f, faulted := s.takeFault(op)
	s.mu.Unlock()
	if faulted && !f.Pass && !f.Lost {
		writeFault(w, f)
		return
	}
	answer := func(status int, v any) {
		if faulted && f.Lost {
			dropConnection(w)
			return
		}
		writeJSON(w, status, v)
	}
	switch op {
	case "messages":
		s.sendMessage(id, body, answer)
	case "upload":
		s.upload(r, id, body, answer)
	case "phone":
		s.mu.Lock()
		n := s.numbers[id]
		s.mu.Unlock()
		answer(http.StatusOK, map[string]any{"id": n.ID, "display_phone_number": n.Display, "verified_name": n.VerifiedName, "quality_rating": "GREEN"})
	case "retrieve":
		s.mu.Lock()
		m, ok := s.media[id]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusBadRequest, 100, fmt.Sprintf("Unsupported get request. Object with ID '%s' does not exist", id), "")
			return
		}
		answer(http.StatusOK, map[string]any{"messaging_product": "whatsapp", "url": s.srv.URL + "/download/" + id + "?ext=fake",
			"mime_type": m.MIME, "sha256": "fake", "file_size": len(m.Data), "id": id})
	}
}

// serveDownload serves a media file at the URL GET /{media-id} gave, to
// requests that carry the access token (as Meta's media URLs require).
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, id string) {
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		writeError(w, http.StatusUnauthorized, 190, "", "")
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: "/download/" + id})
	f, faulted := s.takeFault("download")
	m, ok := s.media[id]
	s.mu.Unlock()
	if faulted && !f.Pass {
		writeFault(w, f)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.MIME)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.Data)))
	w.Write(m.Data)
}

// sendMessage handles POST /{phone-number-id}/messages.
func (s *Server) sendMessage(phoneID string, body []byte, answer func(int, any)) {
	var req struct {
		To   string `json:"to"`
		Type string `json:"type"`
		Text *struct {
			PreviewURL bool   `json:"preview_url"`
			Body       string `json:"body"`
		} `json:"text"`
		Template *struct {
			Name     string `json:"name"`
			Language struct {
				Code string `json:"code"`
			} `json:"language"`
			Components []struct {
				Type       string `json:"type"`
				Parameters []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"parameters"`
			} `json:"components"`
		} `json:"template"`
		Image    *mediaRef `json:"image"`
		Video    *mediaRef `json:"video"`
		Audio    *mediaRef `json:"audio"`
		Document *mediaRef `json:"document"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		answer(http.StatusBadRequest, errorBody(100, "", "the request body is not JSON"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.numbers[phoneID]
	if !ok {
		answer(http.StatusBadRequest, errorBody(100, fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist", phoneID), ""))
		return
	}
	m := Sent{PhoneID: n.ID, To: req.To, Type: req.Type, At: s.now()}
	switch req.Type {
	case "text":
		if req.Text == nil || req.Text.Body == "" || utf8.RuneCountInString(req.Text.Body) > 4096 {
			answer(http.StatusBadRequest, errorBody(100, "", "text.body is required and at most 4096 characters"))
			return
		}
		m.Text, m.Preview = req.Text.Body, req.Text.PreviewURL
	case "template":
		t := req.Template
		if t == nil {
			answer(http.StatusBadRequest, errorBody(100, "", "template is required"))
			return
		}
		st := &SentTemplate{Name: t.Name, Language: t.Language.Code}
		for _, c := range t.Components {
			if c.Type == "body" {
				for _, p := range c.Parameters {
					st.Params = append(st.Params, p.Text)
				}
			}
		}
		tpl, ok := s.templates[t.Name+"/"+t.Language.Code]
		if !ok {
			answer(http.StatusNotFound, errorBody(132001, "", fmt.Sprintf("template name (%s) does not exist in %s", t.Name, t.Language.Code)))
			return
		}
		if len(st.Params) != tpl.Params {
			answer(http.StatusBadRequest, errorBody(132000, "", fmt.Sprintf("expected number of params (%d) does not match the received number of params (%d)", tpl.Params, len(st.Params))))
			return
		}
		m.Template = st
	case "image", "video", "audio", "document":
		ref := map[string]*mediaRef{"image": req.Image, "video": req.Video, "audio": req.Audio, "document": req.Document}[req.Type]
		if ref == nil {
			answer(http.StatusBadRequest, errorBody(100, "", req.Type+" is required"))
			return
		}
		md, ok := s.media[ref.ID]
		if !ok {
			answer(http.StatusBadRequest, errorBody(131053, "", "media id "+ref.ID+" was not uploaded"))
			return
		}
		m.Text, m.Media, m.Filename = ref.Caption, &md, ref.Filename
	default:
		answer(http.StatusBadRequest, errorBody(131051, "", "type "+req.Type))
		return
	}
	if req.Type != "template" {
		// Free-form messages only within 24 hours of the customer's last message.
		last, ok := s.lastIn[n.ID+":"+req.To]
		if !ok || s.now().Sub(last) > Window {
			answer(http.StatusBadRequest, errorBody(131047, "", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."))
			return
		}
	}
	m.ID = s.nextID("wamid")
	s.sent = append(s.sent, m)
	if !s.known[req.To] {
		// Meta accepts a message to a number that is not on WhatsApp and
		// reports the failure later, in a status.
		s.status(m.ID, "failed", []any{map[string]any{"code": 131026, "title": titles[131026], "message": titles[131026],
			"error_data": map[string]any{"details": "Message Undeliverable."}}})
	}
	answer(http.StatusOK, map[string]any{"messaging_product": "whatsapp",
		"contacts": []any{map[string]any{"input": req.To, "wa_id": req.To}},
		"messages": []any{map[string]any{"id": m.ID}}})
}

type mediaRef struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

// upload handles POST /{phone-number-id}/media (multipart/form-data).
func (s *Server) upload(r *http.Request, phoneID string, body []byte, answer func(int, any)) {
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	if err := r.ParseMultipartForm(200 << 20); err != nil {
		answer(http.StatusBadRequest, errorBody(100, "", "not multipart/form-data: "+err.Error()))
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		answer(http.StatusBadRequest, errorBody(100, "", "file is required"))
		return
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.numbers[phoneID]; !ok {
		answer(http.StatusBadRequest, errorBody(100, fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist", phoneID), ""))
		return
	}
	id := s.nextID("media")
	s.media[id] = Media{ID: id, MIME: r.FormValue("type"), Name: fh.Filename, Data: data}
	answer(http.StatusOK, map[string]any{"id": id})
}

func (s *Server) takeFault(op string) (Fault, bool) {
	q := s.faults[op]
	if len(q) == 0 {
		if s.faultFn != nil {
			if f := s.faultFn(op); f != nil {
				return *f, true
			}
		}
		return Fault{}, false
	}
	s.faults[op] = q[1:]
	return q[0], true
}

func writeFault(w http.ResponseWriter, f Fault) {
	if f.Drop {
		dropConnection(w)
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusBadRequest
		if f.Code == 130429 || f.Code == 131056 || f.Code == 4 || f.Code == 80007 {
			status = http.StatusTooManyRequests
		}
		if f.Code == 131000 || f.Code == 1 || f.Code == 2 {
			status = http.StatusInternalServerError
		}
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	code := f.Code
	if code == 0 {
		code = 131000
	}
	writeJSON(w, status, errorBody(code, f.Message, f.Details))
}

func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func errorBody(code int, message, details string) map[string]any {
	if message == "" {
		message = titles[code]
		if message == "" {
			message = "Error"
		}
		message = fmt.Sprintf("(#%d) %s", code, message)
	}
	e := map[string]any{"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AFakeTraceId"}
	if details != "" {
		e["error_data"] = map[string]any{"messaging_product": "whatsapp", "details": details}
	}
	return map[string]any{"error": e}
}

func writeError(w http.ResponseWriter, status, code int, message, details string) {
	writeJSON(w, status, errorBody(code, message, details))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

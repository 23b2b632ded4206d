package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"io/fs"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
)

// Handler serves the chat API, the WebSocket, the widget and (if enabled)
// the demo page. Customer messages go to in.
func (a *Adapter) Handler(in bridge.Inbox) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chat/api/session", a.cors(a.session))
	mux.HandleFunc("GET /chat/api/messages", a.cors(a.history))
	mux.HandleFunc("POST /chat/api/messages", a.cors(func(w http.ResponseWriter, r *http.Request) { a.post(w, r, in) }))
	mux.HandleFunc("POST /chat/api/read", a.cors(a.read))
	mux.HandleFunc("POST /chat/api/email", a.cors(a.email))
	mux.HandleFunc("GET /chat/api/articles", a.cors(a.articles))
	mux.HandleFunc("POST /chat/api/articles/feedback", a.cors(a.articleFeedback))
	mux.HandleFunc("OPTIONS /chat/api/", a.cors(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	mux.HandleFunc("GET /chat/api/files/{msg}/{i}", a.file)
	mux.HandleFunc("GET /chat/ws", func(w http.ResponseWriter, r *http.Request) { a.serveWS(w, r, in) })
	mux.HandleFunc("GET /chat/widget.js", a.widget)
	mux.HandleFunc("/chat/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "not_found", "no such web chat endpoint: %s %s", r.Method, r.URL.Path))
	})
	mux.HandleFunc("GET /chat/continue", a.continuePage)
	if a.cfg.DemoPage {
		mux.HandleFunc("GET /{$}", a.demo)
	}
	return mux
}

// originAllowed: no Origin (not a browser) or an allowed one.
func (a *Adapter) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || a.allowAll {
		return true
	}
	o := strings.ToLower(origin)
	if a.allowed[o] {
		return true
	}
	// Same origin as the request (the demo page served by this daemon,
	// reached under another name): same host and the request's own scheme.
	scheme, host, ok := strings.Cut(o, "://")
	return ok && scheme == a.requestScheme(r) && strings.EqualFold(host, r.Host)
}

// requestScheme is how the browser reached us: https over TLS, or when a
// trusted proxy says so.
func (a *Adapter) requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if a.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return "https"
	}
	return "http"
}

func (a *Adapter) cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.originAllowed(r) {
			writeError(w, errorf(http.StatusForbidden, "origin_not_allowed",
				"origin %s may not use this chat; add it to webchat.allowed_origins", r.Header.Get("Origin")))
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Max-Age", "600")
		}
		limit := a.opts.MaxBodyBytes
		if isMultipart(r) && r.URL.Path == "/chat/api/messages" {
			limit = a.uploadLimit() // postFiles streams the files to disk, each within max_file_bytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h(w, r)
	}
}

type sessionRequest struct {
	Token string `json:"token"`
	// Identity is Threadline.identify's claim from the host page.
	Identity *identityClaim `json:"identity"`
	// Resume is the tl_resume token of the link in an email of unseen
	// replies: the session is that visitor's.
	Resume string `json:"resume"`
}

type sessionResponse struct {
	Token      string `json:"token"`
	Visitor    string `json:"visitor"`
	Identified bool   `json:"identified,omitempty"` // the visitor is the verified identity's
	MaxChars   int    `json:"max_chars"`
	// Open: staff are in business hours; otherwise OpensAt says when they
	// are back. ExpectedWait is a usual first answer, in seconds.
	Open         bool       `json:"open"`
	OpensAt      *time.Time `json:"opens_at,omitempty"`
	ExpectedWait int64      `json:"expected_wait,omitempty"`
	// ReadUntil is the newest staff message the visitor has seen: the
	// widget counts newer ones as unread.
	ReadUntil int64 `json:"read_until"`
	// Resumed: the session is the one a resume link named.
	Resumed bool `json:"resumed,omitempty"`
	// InConversation: the visitor has a conversation that is not closed
	// (the widget offers articles only before one opens).
	InConversation bool `json:"in_conversation,omitempty"`
}

// session issues a visitor token, or renews a valid one (same visitor). An
// identity with a valid signature gets that identity's visitor, the same
// on every device.
func (a *Adapter) session(w http.ResponseWriter, r *http.Request) {
	var req sessionRequest
	if err := decodeJSON(r, &req, true); err != nil {
		writeError(w, err)
		return
	}
	visitor, identified := "", false
	if req.Identity != nil {
		v, aerr := a.identify(*req.Identity)
		if aerr != nil {
			if ok, wait := a.sessions.allow(a.clientIP(r), a.now()); !ok {
				aerr = rateLimited(wait, "too many new chat sessions from your address")
			}
			writeError(w, aerr)
			return
		}
		visitor, identified = v, true
	}
	resumed := false
	if visitor == "" && req.Resume != "" {
		// A link that no longer works (expired, mangled by a mail client)
		// opens the chat all the same, as this browser's visitor.
		if v, err := a.tokens.verifyResume(req.Resume); err == nil {
			visitor, resumed = v, true
		} else {
			a.log.Info("webchat: resume link refused", "err", err)
		}
	}
	if visitor == "" && req.Token != "" {
		if v, err := a.tokens.verify(req.Token); err == nil {
			visitor = v
		}
	}
	if visitor == "" {
		if ok, wait := a.sessions.allow(a.clientIP(r), a.now()); !ok {
			writeError(w, rateLimited(wait, "too many new chat sessions from your address"))
			return
		}
		visitor = newVisitorID()
	}
	resp := sessionResponse{Token: a.tokens.issue(visitor), Visitor: visitor, Identified: identified, MaxChars: a.cfg.MaxMessageChars, Open: true,
		Resumed: resumed}
	if a.opts.Availability != nil {
		av := a.opts.Availability(a.now())
		resp.Open, resp.ExpectedWait = av.Open, int64(av.ExpectedWait.Seconds())
		if !av.Open && !av.Opens.IsZero() {
			at := av.Opens.UTC()
			resp.OpensAt = &at
		}
	}
	if read, err := a.ReadUntil(r.Context(), visitor); err == nil {
		resp.ReadUntil = int64(read)
	}
	if a.articlesOn() {
		c, ok := a.currentConversation(r.Context(), visitor)
		resp.InConversation = ok && c.Status != bridge.StatusClosed
	}
	writeJSON(w, http.StatusOK, resp)
}

// visitor authenticates the request's bearer token.
func (a *Adapter) visitor(r *http.Request) (string, *apiError) {
	tok, ok := bridge.BearerToken(r.Header.Get("Authorization"))
	if !ok {
		return "", errorf(http.StatusUnauthorized, "no_token", "missing visitor token: send Authorization: Bearer <token> from POST /chat/api/session")
	}
	return a.checkToken(tok)
}

func (a *Adapter) checkToken(tok string) (string, *apiError) {
	v, err := a.tokens.verify(tok)
	switch {
	case errors.Is(err, ErrExpiredToken):
		return "", errorf(http.StatusUnauthorized, "expired_token", "visitor token expired; start a new session")
	case err != nil:
		return "", errorf(http.StatusUnauthorized, "bad_token", "invalid visitor token")
	}
	return v, nil
}

func (a *Adapter) history(w http.ResponseWriter, r *http.Request) {
	v, aerr := a.visitor(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var after int64
	if s := r.URL.Query().Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			writeError(w, errorf(http.StatusBadRequest, "bad_after", "after must be a message id"))
			return
		}
		after = n
	}
	ms, err := a.store.CustomerMessages(r.Context(), Platform, v, bridge.MessageID(after), 500)
	if err != nil {
		a.log.Error("webchat: history", "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "unavailable", "history is unavailable right now; try again"))
		return
	}
	out := make([]wireMessage, 0, len(ms))
	for _, m := range ms {
		out = append(out, a.toWire(v, m))
	}
	a.markSeen(r.Context(), out)
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

// read records what the visitor has seen: POST {"id": newest staff message shown}.
func (a *Adapter) read(w http.ResponseWriter, r *http.Request) {
	v, aerr := a.visitor(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		ID int64 `json:"id"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		writeError(w, err)
		return
	}
	if req.ID <= 0 {
		writeError(w, errorf(http.StatusBadRequest, "bad_id", "id must be a message id"))
		return
	}
	if err := a.markRead(r.Context(), v, req.ID); err != nil {
		a.log.Error("webchat: recording what a visitor read", "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "unavailable", "not recorded; try again"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// email records where the visitor wants the replies they miss: POST
// {"email"} (the widget's "get replies by email"). Their next messages
// carry the address too, so staff see it on the card.
func (a *Adapter) email(w http.ResponseWriter, r *http.Request) {
	v, aerr := a.visitor(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		writeError(w, err)
		return
	}
	addr := strings.TrimSpace(req.Email)
	if !utf8.ValidString(addr) || len(addr) > 200 || strings.ContainsFunc(addr, unicode.IsControl) || !plausibleEmail(addr) {
		writeError(w, errorf(http.StatusBadRequest, "bad_email", "email %q is not an email address", addr))
		return
	}
	if aerr := a.limit(v, a.clientIP(r)); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err := a.rememberEmail(r.Context(), v, addr); err != nil {
		a.log.Error("webchat: recording a visitor's email address", "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "unavailable", "not recorded; try again"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sendRequest is a customer message from the widget (HTTP body or WS frame).
type sendRequest struct {
	Text     string `json:"text"`
	ClientID string `json:"client_id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	// Widget names the widget the visitor writes from (data-widget on the
	// script tag), for routing rules: 1-32 of a-z 0-9 - _; "" for none.
	Widget string `json:"widget"`
	// Department is the pre-chat form's choice: the to of one of
	// prechat.departments, for routing rules like a widget name.
	Department string `json:"department"`
}

// widgetName checks a widget name from the page: trimmed, lower-cased,
// 1-32 letters, digits, - or _ ("" means the page named none).
func widgetName(s string) (string, *apiError) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s != "" && !rules.ValidWidgetName(s) {
		return "", errorf(http.StatusBadRequest, "bad_widget", "widget must be 1-32 letters, digits, - or _")
	}
	return s, nil
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (a *Adapter) post(w http.ResponseWriter, r *http.Request, in bridge.Inbox) {
	v, aerr := a.visitor(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if isMultipart(r) {
		a.postFiles(w, r, in, v)
		return
	}
	var req sendRequest
	if err := decodeJSON(r, &req, false); err != nil {
		writeError(w, err)
		return
	}
	if req.Widget == "" {
		req.Widget = r.URL.Query().Get("widget")
	}
	wm, aerr := a.accept(r.Context(), in, v, a.clientIP(r), req)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"message": wm})
}

// accept validates, rate-limits and delivers one customer message. It
// returns after the message is committed.
func (a *Adapter) accept(ctx context.Context, in bridge.Inbox, visitor, ip string, req sendRequest) (wireMessage, *apiError) {
	msg, aerr := a.check(req, false)
	if aerr != nil {
		return wireMessage{}, aerr
	}
	if aerr := a.limit(visitor, ip); aerr != nil {
		return wireMessage{}, aerr
	}
	wm, _, aerr := a.deliver(ctx, in, visitor, msg, nil)
	return wm, aerr
}

// checked is a customer message that passed check.
type checked struct {
	sendRequest
	text string
	to   []string
}

// check validates a message from the widget; withFiles allows empty text.
func (a *Adapter) check(req sendRequest, withFiles bool) (checked, *apiError) {
	text := strings.TrimSpace(req.Text)
	req.Name, req.Email = strings.TrimSpace(req.Name), strings.TrimSpace(req.Email)
	switch {
	case !utf8.ValidString(req.Text) || !utf8.ValidString(req.Name) || !utf8.ValidString(req.Email):
		return checked{}, errorf(http.StatusBadRequest, "bad_utf8", "text must be valid UTF-8")
	case text == "" && !withFiles:
		return checked{}, errorf(http.StatusBadRequest, "empty", "message text is empty")
	case utf8.RuneCountInString(text) > a.cfg.MaxMessageChars:
		return checked{}, errorf(http.StatusRequestEntityTooLarge, "too_long", "message is too long (%d characters, at most %d)", utf8.RuneCountInString(text), a.cfg.MaxMessageChars)
	case req.ClientID != "" && !clientIDPattern.MatchString(req.ClientID):
		return checked{}, errorf(http.StatusBadRequest, "bad_client_id", "client_id must be 1-64 letters, digits, - or _")
	case utf8.RuneCountInString(req.Name) > 200 || utf8.RuneCountInString(req.Email) > 200:
		return checked{}, errorf(http.StatusBadRequest, "bad_profile", "name and email must be under 200 characters")
	case strings.ContainsFunc(req.Name, unicode.IsControl) || strings.ContainsFunc(req.Email, unicode.IsControl):
		// A CR/LF in an email address could inject headers into the replies
		// sent to it; no control character belongs in a name or address.
		return checked{}, errorf(http.StatusBadRequest, "bad_profile", "name and email must be one line without control characters")
	case req.Email != "" && !plausibleEmail(req.Email):
		return checked{}, errorf(http.StatusBadRequest, "bad_email", "email %q is not an email address", req.Email)
	}
	widget, aerr := widgetName(req.Widget)
	if aerr != nil {
		return checked{}, aerr
	}
	dept, aerr := a.department(req.Department)
	if aerr != nil {
		return checked{}, aerr
	}
	var to []string
	for _, t := range []string{dept, widget} {
		if t != "" && !slices.Contains(to, t) {
			to = append(to, t)
		}
	}
	return checked{sendRequest: req, text: text, to: to}, nil
}

// department checks a pre-chat department choice: "" or one of the
// configured choices' to.
func (a *Adapter) department(s string) (string, *apiError) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	for _, d := range a.cfg.PreChat.Departments {
		if strings.ToLower(strings.TrimSpace(d.To)) == s {
			return s, nil
		}
	}
	return "", errorf(http.StatusBadRequest, "bad_department", "department %q is not one of the choices", s)
}

// plausibleEmail: one @ with something on both sides, no spaces.
func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@") && !strings.ContainsAny(s, " \t<>,;\"")
}

// limit applies the per-visitor and per-IP rate limits to one message.
func (a *Adapter) limit(visitor, ip string) *apiError {
	now := a.now()
	if ok, wait := a.perVisit.allow(visitor, now); !ok {
		return rateLimited(wait, "you are sending messages too fast")
	}
	if ok, wait := a.perIP.allow(ip, now); !ok {
		return rateLimited(wait, "too many messages from your address")
	}
	return nil
}

// prechatMissing names a field the pre-chat form requires that a
// visitor's first message lacks ("" when nothing is missing). Later
// messages are not held to it.
func (a *Adapter) prechatMissing(ctx context.Context, visitor string, m checked) string {
	p := a.cfg.PreChat
	need := (p.Name == FieldRequired && m.Name == "") || (p.Email == FieldRequired && m.Email == "") ||
		(len(p.Departments) > 0 && p.Department == FieldRequired && m.Department == "")
	if !need {
		return ""
	}
	if _, ok := a.currentConversation(ctx, visitor); ok {
		return ""
	}
	switch {
	case p.Name == FieldRequired && m.Name == "":
		return "name"
	case p.Email == FieldRequired && m.Email == "":
		return "email"
	}
	return "department"
}

// deliver hands a checked message (and its stored files) to the engine;
// dup reports a message that was stored before (the same client_id).
func (a *Adapter) deliver(ctx context.Context, in bridge.Inbox, visitor string, m checked, atts []bridge.Attachment) (wm wireMessage, dup bool, aerr *apiError) {
	if field := a.prechatMissing(ctx, visitor, m); field != "" {
		return wireMessage{}, false, errorf(http.StatusBadRequest, "prechat_required", "the chat needs your %s first", field)
	}
	now := a.now()
	ext := ""
	if m.ClientID != "" {
		ext = visitor + ":" + m.ClientID
	}
	res, err := in.Deliver(ctx, bridge.InboundMessage{Channel: Platform, ExternalID: ext, Address: visitor,
		Name: a.profileName(ctx, visitor, m.Name), Email: m.Email, Text: m.text, Attachments: atts, SentAt: now, To: m.to})
	if err != nil {
		var rej *bridge.RejectionError
		if errors.As(err, &rej) {
			return wireMessage{}, false, errorf(http.StatusBadRequest, "rejected", "%s", rej.Reason)
		}
		a.log.Error("webchat: deliver failed", "err", err)
		return wireMessage{}, false, errorf(http.StatusServiceUnavailable, "unavailable", "message not saved; please send it again")
	}
	a.convs.setCurrent(visitor, res.Conversation)
	if err := a.rememberEmail(ctx, visitor, m.Email); err != nil {
		// The message is stored; only replies by email miss the address
		// until the visitor's next message brings it again.
		a.log.Warn("webchat: recording the visitor's email address", "err", err)
	}
	wm = wireMessage{ID: int64(res.Message), Conversation: int64(res.Conversation), From: "customer", Text: m.text,
		At: now.UTC(), ClientID: m.ClientID, Attachments: a.wireAttachments(visitor, res.Message, atts)}
	if res.Duplicate {
		// The same client_id again: answer with what was stored the first
		// time, not with this request's text (it was not stored).
		stored, err := a.store.Message(ctx, res.Message)
		if err != nil {
			a.log.Error("webchat: reading a redelivered message", "err", err)
			return wireMessage{}, false, errorf(http.StatusServiceUnavailable, "unavailable", "message not confirmed; please send it again")
		}
		wm = a.toWire(visitor, stored)
		wm.ClientID = m.ClientID
	}
	if !res.Duplicate {
		frame, _ := json.Marshal(wsFrame{Type: "message", Message: &wm})
		a.push(ctx, visitor, frame) // the visitor's other tabs
	}
	return wm, res.Duplicate, nil
}

func rateLimited(wait time.Duration, msg string) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: msg + "; try again shortly", RetryAfter: wait}
}

// decodeJSON reads one JSON object; empty bodies are allowed if optional.
func decodeJSON(r *http.Request, v any, optional bool) *apiError {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "too_large", "request body is larger than %d bytes", mbe.Limit)
		}
		return errorf(http.StatusBadRequest, "bad_body", "could not read body: %v", err)
	}
	if optional && len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, "bad_json", "body is not valid JSON: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	writeJSON(w, e.Status, map[string]any{"error": e.Message, "code": e.Code})
}

func (a *Adapter) demo(w http.ResponseWriter, r *http.Request) {
	a.page(w, "static/demo.html", strings.NewReplacer("{{PUBLIC_URL}}", html.EscapeString(a.opts.PublicURL)))
}

// continuePage is the page the link in an email of unseen replies opens
// when webchat.resume_url is not set: the chat, open, and nothing else.
func (a *Adapter) continuePage(w http.ResponseWriter, r *http.Request) {
	title := a.cfg.Title
	if title == "" {
		title = "Chat"
	}
	a.page(w, "static/continue.html", strings.NewReplacer("{{TITLE}}", html.EscapeString(title)))
}

// page serves one of the daemon's own HTML pages with the widget on it.
func (a *Adapter) page(w http.ResponseWriter, name string, fill *strings.Replacer) {
	b, err := fs.ReadFile(static, name)
	if err != nil {
		http.Error(w, "page missing from build", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	_, _ = io.WriteString(w, fill.Replace(string(b)))
}

package webchat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/bridge"
)

// wsFrame is every WebSocket frame, both ways:
//
//	client -> server: {"type":"auth","token":...,"widget":...} first (widget
//	                  optional: the connection's widget name), then
//	                  {"type":"message","text":...,"client_id":...}, {"type":"ping"},
//	                  {"type":"typing"} (the visitor is writing; every few seconds
//	                  while they do) or {"type":"read","id":...} (the visitor saw
//	                  the staff messages up to id)
//	server -> client: {"type":"ready","visitor":...}, {"type":"message","message":{...},
//	                  "seen_until":id}, {"type":"ack","client_id":...,"message":{...}},
//	                  {"type":"typing","name":...} (staff are writing), {"type":"pong"},
//	                  {"type":"error","code":...,"error":...,"retry_after":seconds}
type wsFrame struct {
	Type       string       `json:"type"`
	Token      string       `json:"token,omitempty"`
	Visitor    string       `json:"visitor,omitempty"`
	Message    *wireMessage `json:"message,omitempty"`
	ClientID   string       `json:"client_id,omitempty"`
	Code       string       `json:"code,omitempty"`
	Error      string       `json:"error,omitempty"`
	RetryAfter float64      `json:"retry_after,omitempty"`
	Text       string       `json:"text,omitempty"`
	Name       string       `json:"name,omitempty"`
	Email      string       `json:"email,omitempty"`
	Widget     string       `json:"widget,omitempty"`
	Department string       `json:"department,omitempty"`
	ID         int64        `json:"id,omitempty"`
	// SeenUntil: staff saw the customer messages before this id.
	SeenUntil int64 `json:"seen_until,omitempty"`
}

const (
	wsAuthTimeout = 10 * time.Second
	wsPingEvery   = 30 * time.Second
	wsWriteWait   = 10 * time.Second
	wsSendBuffer  = 64
)

type client struct {
	visitor string
	send    chan []byte
	done    chan struct{}
	once    sync.Once
}

func (c *client) close() { c.once.Do(func() { close(c.done) }) }

// hub tracks each visitor's open connections.
type hub struct {
	mu    sync.Mutex
	conns map[string]map[*client]struct{}
}

func newHub() *hub { return &hub{conns: make(map[string]map[*client]struct{})} }

// add registers c unless its visitor has max connections open already.
func (h *hub) add(c *client, max int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.conns[c.visitor]) >= max {
		return false
	}
	if h.conns[c.visitor] == nil {
		h.conns[c.visitor] = make(map[*client]struct{})
	}
	h.conns[c.visitor][c] = struct{}{}
	return true
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns[c.visitor], c)
	if len(h.conns[c.visitor]) == 0 {
		delete(h.conns, c.visitor)
	}
}

func (h *hub) count(visitor string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns[visitor])
}

// broadcast queues frame for every connection of visitor; a connection too
// slow to keep up is closed (the widget reconnects and refetches history).
func (h *hub) broadcast(visitor string, frame []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns[visitor] {
		select {
		case c.send <- frame:
		default:
			c.close()
		}
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, cs := range h.conns {
		for c := range cs {
			c.close()
		}
	}
}

func (a *Adapter) serveWS(w http.ResponseWriter, r *http.Request, in bridge.Inbox) {
	up := websocket.Upgrader{
		ReadBufferSize: 4096, WriteBufferSize: 4096,
		CheckOrigin: a.originAllowed,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, errorf(status, "websocket", "%s", reason.Error()))
		},
	}
	if !a.originAllowed(r) {
		writeError(w, errorf(http.StatusForbidden, "origin_not_allowed",
			"origin %s may not use this chat; add it to webchat.allowed_origins", r.Header.Get("Origin")))
		return
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already answered
	}
	defer conn.Close()
	conn.SetReadLimit(a.opts.MaxBodyBytes)
	ip := a.clientIP(r)

	// The first frame must authenticate (tokens stay out of URLs and logs).
	_ = conn.SetReadDeadline(time.Now().Add(wsAuthTimeout))
	var auth wsFrame
	if err := conn.ReadJSON(&auth); err != nil || auth.Type != "auth" {
		writeClose(conn, 4400, wsFrame{Type: "error", Code: "auth_required", Error: `first frame must be {"type":"auth","token":...}`})
		return
	}
	visitor, aerr := a.checkToken(auth.Token)
	if aerr != nil {
		writeClose(conn, 4401, wsFrame{Type: "error", Code: aerr.Code, Error: aerr.Message})
		return
	}
	if auth.Widget == "" {
		auth.Widget = r.URL.Query().Get("widget")
	}
	widget, aerr := widgetName(auth.Widget)
	if aerr != nil {
		writeClose(conn, 4400, wsFrame{Type: "error", Code: aerr.Code, Error: aerr.Message})
		return
	}
	c := &client{visitor: visitor, send: make(chan []byte, wsSendBuffer), done: make(chan struct{})}
	if !a.hub.add(c, a.cfg.MaxConnectionsPerVisitor) {
		writeClose(conn, 4429, wsFrame{Type: "error", Code: "too_many_connections",
			Error: fmt.Sprintf("this visitor has %d chat connections open already; close a tab", a.cfg.MaxConnectionsPerVisitor)})
		return
	}
	defer a.hub.remove(c)
	defer c.close()

	go a.wsWriter(conn, c)
	ready, _ := json.Marshal(wsFrame{Type: "ready", Visitor: visitor})
	c.send <- ready

	_ = conn.SetReadDeadline(time.Now().Add(2 * wsPingEvery))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(2 * wsPingEvery)) })
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(2 * wsPingEvery))
		out, ok := a.frame(r.Context(), in, visitor, ip, widget, data)
		if !ok {
			return // not JSON: the connection is closed
		}
		if out.Type == "" {
			continue // nothing to answer
		}
		b, _ := json.Marshal(out)
		select {
		case c.send <- b:
		case <-c.done:
			return
		}
	}
}

// frame answers one frame from an authenticated visitor; ok is false when
// the frame is not JSON. widget is the connection's widget name (a
// message frame may name its own).
func (a *Adapter) frame(ctx context.Context, in bridge.Inbox, visitor, ip, widget string, data []byte) (out wsFrame, ok bool) {
	var f wsFrame
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// JSON, but a field of the wrong type: say so and keep the
			// connection (only what is not JSON at all closes it).
			return wsFrame{Type: "error", Code: "bad_frame", Error: fmt.Sprintf("%s must be a %s", te.Field, jsonKind(te.Type.Kind()))}, true
		}
		return wsFrame{}, false
	}
	switch f.Type {
	case "ping":
		out = wsFrame{Type: "pong"}
	case "message":
		if f.Widget == "" {
			f.Widget = widget
		}
		wm, aerr := a.accept(ctx, in, visitor, ip, sendRequest{Text: f.Text, ClientID: f.ClientID, Name: f.Name, Email: f.Email,
			Widget: f.Widget, Department: f.Department})
		if aerr != nil {
			out = wsFrame{Type: "error", ClientID: f.ClientID, Code: aerr.Code, Error: aerr.Message, RetryAfter: aerr.RetryAfter.Seconds()}
		} else {
			out = wsFrame{Type: "ack", ClientID: f.ClientID, Message: &wm}
		}
	case "typing":
		a.visitorTyping(ctx, visitor) // no answer
	case "read":
		if f.ID <= 0 {
			return wsFrame{Type: "error", Code: "bad_id", Error: "id must be a message id"}, true
		}
		if err := a.markRead(ctx, visitor, f.ID); err != nil {
			a.log.Warn("webchat: recording what a visitor read", "err", err)
		}
	default:
		out = wsFrame{Type: "error", Code: "bad_frame", Error: "unknown frame type " + f.Type}
	}
	return out, true
}

func (a *Adapter) wsWriter(conn *websocket.Conn, c *client) {
	ping := time.NewTicker(wsPingEvery)
	defer ping.Stop()
	defer conn.Close() // unblocks the reader
	for {
		select {
		case b := <-c.send:
			_ = conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
				c.close()
				return
			}
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				c.close()
				return
			}
		case <-c.done:
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second))
			return
		}
	}
}

func writeClose(conn *websocket.Conn, code int, f wsFrame) {
	_ = conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	_ = conn.WriteJSON(f)
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, f.Code), time.Now().Add(time.Second))
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Float64, reflect.Int, reflect.Int64:
		return "number"
	case reflect.Ptr, reflect.Struct:
		return "object"
	}
	return k.String()
}

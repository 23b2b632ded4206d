package fakemattermost

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The WebSocket at /api/v4/websocket: the client sends
// {"seq":1,"action":"authentication_challenge","data":{"token":...}}; the
// server answers {"status":"OK","seq_reply":1} (or "FAIL" with an error)
// and greets an authenticated connection with a hello event. Events then
// go to the connections of users who may see them, each with the
// connection's next sequence number; the server pings every PingInterval.

type wsHub struct {
	mu       sync.Mutex
	conns    map[*wsConn]bool
	auths    int
	refuse   bool
	upgrader websocket.Upgrader
}

type wsConn struct {
	c    *websocket.Conn
	mu   sync.Mutex // writes
	user string     // set once authenticated
	seq  int64
	done chan struct{}
}

func (h *wsHub) init() { h.conns = map[*wsConn]bool{} }

func (h *wsHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		c.c.Close()
	}
}

// DropSockets closes every WebSocket abruptly, as a network failure or a
// server restart would; clients must reconnect and catch up.
func (s *Server) DropSockets() { s.ws.closeAll() }

// RefuseSockets makes new WebSocket connections fail (503) while on, as
// a server that is down or restarting would.
func (s *Server) RefuseSockets(on bool) {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	s.ws.refuse = on
}

// Connected is the number of open, authenticated WebSockets.
func (s *Server) Connected() int {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	n := 0
	for c := range s.ws.conns {
		if c.user != "" {
			n++
		}
	}
	return n
}

// Authentications counts the WebSocket authentications that succeeded.
func (s *Server) Authentications() int {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	return s.ws.auths
}

func (c *wsConn) write(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.c.WriteJSON(v)
}

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	s.ws.mu.Lock()
	refuse := s.ws.refuse
	s.ws.mu.Unlock()
	if refuse {
		appError(w, http.StatusServiceUnavailable, "fake.refused", "Service Unavailable")
		return
	}
	c, err := s.ws.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn := &wsConn{c: c, done: make(chan struct{})}
	s.ws.mu.Lock()
	s.ws.conns[conn] = true
	s.ws.mu.Unlock()
	defer func() {
		close(conn.done)
		s.ws.mu.Lock()
		delete(s.ws.conns, conn)
		s.ws.mu.Unlock()
		c.Close()
	}()
	go s.pinger(conn)
	c.SetReadLimit(1 << 20)
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var req struct {
			Seq    int64           `json:"seq"`
			Action string          `json:"action"`
			Data   json.RawMessage `json:"data"`
		}
		if json.Unmarshal(data, &req) != nil || req.Action == "" {
			continue
		}
		if req.Action != "authentication_challenge" {
			if conn.user == "" {
				_ = conn.write(map[string]any{"status": "FAIL", "seq_reply": req.Seq, "error": map[string]any{
					"id": "api.web_socket_router.not_authenticated.app_error", "message": "Not authenticated. Please login again.", "status_code": 401}})
				continue
			}
			_ = conn.write(map[string]any{"status": "OK", "seq_reply": req.Seq})
			continue
		}
		var d struct {
			Token string `json:"token"`
		}
		_ = json.Unmarshal(req.Data, &d)
		if d.Token != s.opts.Token {
			_ = conn.write(map[string]any{"status": "FAIL", "seq_reply": req.Seq, "error": map[string]any{
				"id": "api.web_socket_router.bad_seq.app_error", "message": "Invalid or expired session, please login again.", "status_code": 401}})
			return
		}
		s.ws.mu.Lock()
		conn.user = s.bot.ID
		s.ws.auths++
		s.ws.mu.Unlock()
		_ = conn.write(map[string]any{"status": "OK", "seq_reply": req.Seq})
		_ = s.send(conn, "hello", map[string]any{"connection_id": NewID(), "server_version": "10.0.0.fake"},
			map[string]any{"omit_users": nil, "user_id": conn.user, "channel_id": "", "team_id": ""})
	}
}

// pinger pings the client every PingInterval until the connection ends.
func (s *Server) pinger(conn *wsConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-conn.done:
			return
		case <-t.C:
			conn.mu.Lock()
			err := conn.c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second))
			conn.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// send writes one event with the connection's next sequence number.
func (s *Server) send(conn *wsConn, event string, data, broadcast map[string]any) error {
	conn.mu.Lock()
	seq := conn.seq
	conn.seq++
	conn.mu.Unlock()
	return conn.write(map[string]any{"event": event, "data": data, "broadcast": broadcast, "seq": seq})
}

// broadcast sends a post event (posted, post_edited, post_deleted) to the
// sockets of the channel's members: data.post holds the post as a JSON string.
func (s *Server) broadcast(channel, event string, p Post) {
	b, _ := json.Marshal(p)
	s.mu.Lock()
	c := s.channels[channel]
	sender := ""
	if u, ok := s.users[p.UserID]; ok {
		sender = "@" + u.Username
	}
	s.mu.Unlock()
	data := map[string]any{"post": string(b)}
	if event == "posted" && c != nil {
		data["channel_type"], data["channel_name"], data["channel_display_name"] = c.Type, c.Name, c.DisplayName
		data["sender_name"], data["team_id"], data["set_online"] = sender, c.TeamID, true
	}
	if event == "post_deleted" {
		data["delete_by"] = p.UserID
	}
	s.broadcastData(channel, event, data)
}

func (s *Server) broadcastData(channel, event string, data map[string]any) {
	s.mu.Lock()
	members := s.members[channel]
	var to []string
	for u := range members {
		to = append(to, u)
	}
	s.mu.Unlock()
	s.ws.mu.Lock()
	var conns []*wsConn
	for c := range s.ws.conns {
		for _, u := range to {
			if c.user == u {
				conns = append(conns, c)
			}
		}
	}
	s.ws.mu.Unlock()
	for _, c := range conns {
		_ = s.send(c, event, data, map[string]any{"omit_users": nil, "user_id": "", "channel_id": channel, "team_id": ""})
	}
}

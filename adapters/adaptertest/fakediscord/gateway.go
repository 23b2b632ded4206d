package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
)

// Close codes Discord uses for fatal gateway errors.
const (
	CloseAuthenticationFailed = 4004
	CloseDisallowedIntents    = 4014
)

const (
	intentMessageContent     = 1 << 15
	intentGuildMessageTyping = 1 << 11
)

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

type session struct {
	id      string
	seq     int64
	intents int
	backlog []frame
	invalid bool
}

// gateway is the fake's WebSocket side. One mutex guards its state and
// every write, so sequence numbers go out in order.
type gateway struct {
	mu         sync.Mutex
	sessions   map[string]*session
	current    *session
	active     *websocket.Conn
	conns      map[*websocket.Conn]bool
	sessionOf  map[*websocket.Conn]string // open connections that identified or resumed → their address
	overlaps   []string                   // sessions started while another connection held one
	identifies int
	resumes    int
	intents    int
	lastClose  int
	readyCh    chan struct{} // closed and replaced on every READY/RESUMED
}

func (g *gateway) init() {
	g.sessions = map[string]*session{}
	g.conns = map[*websocket.Conn]bool{}
	g.sessionOf = map[*websocket.Conn]string{}
	g.readyCh = make(chan struct{})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	g := &s.gw
	g.mu.Lock()
	g.conns[c] = true
	g.write(c, opHello, map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()}, nil, "")
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.conns, c)
		delete(g.sessionOf, c)
		if g.active == c {
			g.active = nil
		}
		g.mu.Unlock()
		c.Close()
	}()
	var sess *session
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				g.mu.Lock()
				g.lastClose = ce.Code
				// A normal close ends the session: it cannot be resumed.
				if sess != nil && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
					sess.invalid = true
				}
				g.mu.Unlock()
			}
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			g.closeWith(c, 4002, "Error while decoding payload.")
			return
		}
		switch f.Op {
		case opHeartbeat:
			g.mu.Lock()
			g.write(c, opHeartbeatACK, nil, nil, "")
			g.mu.Unlock()
		case opIdentify:
			var id struct {
				Token   string `json:"token"`
				Intents int    `json:"intents"`
			}
			_ = json.Unmarshal(f.D, &id)
			if strings.TrimPrefix(id.Token, "Bot ") != s.opts.Token {
				g.closeWith(c, CloseAuthenticationFailed, "Authentication failed.")
				return
			}
			if id.Intents&intentMessageContent != 0 && s.opts.DenyMessageContent {
				g.closeWith(c, CloseDisallowedIntents, "Disallowed intent(s).")
				return
			}
			s.mu.Lock()
			sid := "sess-" + s.id()
			s.mu.Unlock()
			g.mu.Lock()
			sess = &session{id: sid, intents: id.Intents}
			g.sessions[sid] = sess
			g.current, g.active = sess, c
			g.started(c, r.RemoteAddr, "IDENTIFY")
			g.identifies++
			g.intents = id.Intents
			bot := s.bot
			g.dispatchLocked("READY", map[string]any{
				"v": 9, "user": bot, "session_id": sid, "resume_gateway_url": s.GatewayURL(), "shard": []int{0, 1},
				"guilds": []map[string]any{{"id": s.guildID, "unavailable": true}}, "private_channels": []any{},
				"application": map[string]any{"id": s.appID, "flags": 0},
			})
			g.signalReady()
			g.mu.Unlock()
		case opResume:
			var rs struct {
				Token     string `json:"token"`
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			_ = json.Unmarshal(f.D, &rs)
			g.mu.Lock()
			old := g.sessions[rs.SessionID]
			if old == nil || old.invalid || old != g.current || strings.TrimPrefix(rs.Token, "Bot ") != s.opts.Token {
				g.write(c, opInvalidSession, false, nil, "")
				g.mu.Unlock()
				continue
			}
			sess = old
			g.active = c
			g.started(c, r.RemoteAddr, "RESUME")
			g.resumes++
			for _, bf := range sess.backlog {
				if *bf.S > rs.Seq {
					_ = g.writeFrame(c, bf)
				}
			}
			g.dispatchLocked("RESUMED", map[string]any{})
			g.signalReady()
			g.mu.Unlock()
		}
	}
}

// started records that connection c (from addr) holds a session now, and
// an overlap if another open connection holds one too: two bots on one
// token at once. The caller holds g.mu.
func (g *gateway) started(c *websocket.Conn, addr, how string) {
	for other, from := range g.sessionOf {
		if other != c {
			g.overlaps = append(g.overlaps, fmt.Sprintf("%s %s from %s while the connection from %s held a session",
				time.Now().Format("15:04:05.000"), how, addr, from))
		}
	}
	g.sessionOf[c] = addr
}

// SessionOverlaps returns every IDENTIFY or RESUME made while another
// open connection held a session: two gateway sessions of one bot at
// once (Discord allows that only across shards).
func (s *Server) SessionOverlaps() []string {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.overlaps...)
}

func (g *gateway) signalReady() {
	close(g.readyCh)
	g.readyCh = make(chan struct{})
}

// write sends a frame; the caller holds g.mu.
func (g *gateway) write(c *websocket.Conn, op int, d any, seq *int64, t string) {
	raw, _ := json.Marshal(d)
	f := frame{Op: op, D: raw, S: seq}
	if t != "" {
		f.T = &t
	}
	_ = g.writeFrame(c, f)
}

func (g *gateway) writeFrame(c *websocket.Conn, f frame) error {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.WriteJSON(f)
}

func (g *gateway) closeWith(c *websocket.Conn, code int, text string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
}

// dispatch sends an event to the current session (buffered for resume when
// the socket is down). Events before the first IDENTIFY are dropped.
func (g *gateway) dispatch(t string, d any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dispatchLocked(t, d)
}

func (g *gateway) dispatchLocked(t string, d any) {
	sess := g.current
	if sess == nil {
		return
	}
	sess.seq++
	seq := sess.seq
	raw, _ := json.Marshal(d)
	f := frame{Op: opDispatch, D: raw, S: &seq, T: &t}
	sess.backlog = append(sess.backlog, f)
	if len(sess.backlog) > 2000 {
		sess.backlog = sess.backlog[len(sess.backlog)-2000:]
	}
	if g.active != nil {
		_ = g.writeFrame(g.active, f)
	}
}

// hasIntent reports whether the current session asked for intent.
func (g *gateway) hasIntent(intent int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.current != nil && g.current.intents&intent != 0
}

func (g *gateway) contentAllowed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.current == nil || g.current.intents&intentMessageContent != 0
}

func (g *gateway) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		c.UnderlyingConn().Close()
		delete(g.sessionOf, c)
	}
}

// DropGateway cuts the bot's gateway connection without a close frame, as a
// network failure would. The session stays resumable; events dispatched
// until the bot resumes are replayed then.
func (s *Server) DropGateway() {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.active != nil {
		g.active.UnderlyingConn().Close()
		delete(g.sessionOf, g.active) // gone now, whenever its reader notices
		g.active = nil
	}
}

// RequestReconnect sends op 7 RECONNECT on the live connection.
func (s *Server) RequestReconnect() {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.active != nil {
		g.write(g.active, opReconnect, nil, nil, "")
	}
}

// InvalidateSession makes the next RESUME fail with op 9, so the bot must
// IDENTIFY again.
func (s *Server) InvalidateSession() {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.current != nil {
		g.current.invalid = true
	}
}

// GatewayStats reports how often the bot identified and resumed, and
// whether it is connected now.
func (s *Server) GatewayStats() (identifies, resumes int, connected bool) {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.identifies, g.resumes, g.active != nil
}

// Intents returns the intents of the last IDENTIFY.
func (s *Server) Intents() int {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.intents
}

// LastCloseCode is the close code of the last close frame the bot sent.
func (s *Server) LastCloseCode() int {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastClose
}

// Ready returns a channel closed on the next READY or RESUMED.
func (s *Server) Ready() <-chan struct{} {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.readyCh
}

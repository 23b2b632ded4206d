package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/bridge"
)

// errAuth is a WebSocket authentication the server refused.
var errAuth = errors.New("mattermost: the WebSocket refused the bot token (MATTERMOST_BOT_TOKEN)")

// Run identifies the bot and listens on the WebSocket until ctx ends,
// handing staff posts in Threadline's threads to in. A dropped socket is
// reconnected with backoff; every new connection starts a catch-up of
// what was written while it was down (the socket replays nothing). Card
// buttons and /ticket arrive over HTTP (Handler). A refused token ends
// Run with an error that says so; the daemon restarts it with backoff.
func (s *Surface) Run(ctx context.Context, in bridge.StaffInbox) error {
	if s.store == nil {
		return errors.New("mattermost: Run before Init")
	}
	me, err := s.me(ctx)
	if err != nil {
		if statusOf(err) == http.StatusUnauthorized {
			return fmt.Errorf("mattermost: the bot token was refused (MATTERMOST_BOT_TOKEN): %w", err)
		}
		return fmt.Errorf("mattermost: checking the bot token: %w", err)
	}
	s.mu.Lock()
	s.botID, s.botName = me.ID, me.Username
	s.mu.Unlock()
	s.remember(me)
	s.decideNames(ctx)

	// Staff posts are handled one at a time, in order, whether they came
	// live or by catch-up: a post is then handled once even when both see it.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	w := newWorker()
	workDone := make(chan struct{})
	go func() { defer close(workDone); w.run(work) }()
	cuCtx, stopCatchUp := context.WithCancel(ctx)
	cuDone := make(chan struct{})
	go func() {
		defer close(cuDone)
		s.cu.Serve(cuCtx, func(ctx context.Context) error { return s.catchUp(ctx, in, w) })
	}()

	err = s.loop(ctx, in, w)

	stopCatchUp()
	<-cuDone
	w.close()
	// Let staff posts already received finish (they commit quickly).
	drain := s.clock.NewTimer(10 * time.Second)
	defer drain.Stop()
	select {
	case <-workDone:
	case <-drain.C():
		stopWork()
		<-workDone
	}
	return err
}

// decideNames settles how customer posts show the customer's name: with
// customer_names: auto, the username override when the server allows it.
func (s *Surface) decideNames(ctx context.Context) {
	if s.cfg.CustomerNames != NamesAuto {
		return
	}
	cc, err := s.clientConfig(ctx)
	on := err == nil && cc["EnablePostUsernameOverride"] == "true"
	switch {
	case err != nil:
		s.log.Warn("mattermost: cannot read the server's client config; customer messages are posted as the bot with the name in bold", "err", err)
	case on:
		s.log.Info("mattermost: customer messages are posted under the customer's name (EnablePostUsernameOverride is on)")
	default:
		s.log.Info("mattermost: the server does not allow username overrides (System Console → Integrations → Integration Management → Enable integrations to override usernames); customer messages are posted as the bot with the name in bold")
	}
	s.mu.Lock()
	s.override = on
	s.mu.Unlock()
}

// loop keeps a WebSocket connected until ctx ends.
func (s *Surface) loop(ctx context.Context, in bridge.StaffInbox, w *worker) error {
	backoff := s.o.ReconnectBackoff
	for {
		start := s.clock.Now()
		up, err := s.session(ctx, in, w)
		s.cu.Listening(false)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errAuth) {
			s.conn.Down("WebSocket refused the bot token")
			return err
		}
		if up && s.clock.Now().Sub(start) > time.Minute {
			backoff = s.o.ReconnectBackoff // it ran fine for a while
		}
		if err == nil {
			err = errors.New("the connection ended")
		}
		reason := "WebSocket lost"
		if !up {
			reason = "WebSocket connect failed"
		}
		s.log.Warn("mattermost: "+reason+"; reconnecting", "err", err, "in", backoff)
		s.conn.Down(reason + ": " + err.Error())
		if !bridge.Sleep(s.clock, backoff, ctx.Done()) {
			return nil
		}
		backoff = min(backoff*2, 2*time.Minute)
	}
}

// socketURL is the WebSocket's address: the server URL with ws(s).
func (s *Surface) socketURL() string {
	u := s.cfg.URL
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u + "/api/v4/websocket"
}

// session connects, answers the authentication challenge with the bot
// token and reads events until the connection fails or ctx ends; up says
// whether the server greeted it (hello).
func (s *Surface) session(ctx context.Context, in bridge.StaffInbox, w *worker) (up bool, err error) {
	d := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 15 * time.Second}
	c, res, err := d.DialContext(ctx, s.socketURL(), nil)
	if err != nil {
		if res != nil && res.StatusCode == http.StatusUnauthorized {
			return false, errAuth
		}
		return false, fmt.Errorf("dial %s: %w", s.socketURL(), redactErr(err, s.cfg.BotToken))
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	c.SetReadLimit(maxFrame)
	// Socket deadlines are wall-clock times by nature (net.Conn), not the
	// injected clock's.
	idle := s.o.IdleTimeout
	c.SetPingHandler(func(data string) error {
		_ = c.SetReadDeadline(time.Now().Add(idle))
		err := c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(10*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	_ = c.SetWriteDeadline(time.Now().Add(15 * time.Second))
	challenge := map[string]any{"seq": 1, "action": "authentication_challenge", "data": map[string]string{"token": s.cfg.BotToken}}
	if err := c.WriteJSON(challenge); err != nil {
		return false, fmt.Errorf("sending the authentication challenge: %w", err)
	}
	for {
		_ = c.SetReadDeadline(time.Now().Add(idle))
		_, data, err := c.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return up, nil
			}
			return up, err
		}
		ev, err := parseEvent(data)
		if err != nil {
			s.log.Debug("mattermost: unreadable WebSocket frame skipped", "err", err)
			continue
		}
		switch ev.Kind {
		case evResponse:
			if ev.SeqReply == 1 && ev.Status != "OK" {
				return up, fmt.Errorf("%w: %s", errAuth, ev.Error)
			}
		case evHello:
			if !up {
				up = true
				s.log.Info("mattermost: connected to the WebSocket", "server", ev.ServerVersion)
				s.conn.Up("WebSocket")
				// The socket replays nothing from before this connection.
				s.cu.Kick()
			}
		case evPosted, evPostEdited, evPostDeleted:
			if !w.submit(ctx, func(ctx context.Context) error { return s.handleEvent(ctx, in, ev) }, nil) {
				return up, nil
			}
		}
	}
}

// worker runs jobs one at a time, in the order they were submitted.
type worker struct {
	jobs chan job
}

type job struct {
	fn   func(context.Context) error
	done chan<- error // nil: nobody waits
}

func newWorker() *worker { return &worker{jobs: make(chan job, 64)} }

// submit queues fn; done (if not nil) receives its result. It reports
// false if ctx ended first.
func (w *worker) submit(ctx context.Context, fn func(context.Context) error, done chan<- error) bool {
	select {
	case w.jobs <- job{fn: fn, done: done}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *worker) run(ctx context.Context) {
	for j := range w.jobs {
		err := j.fn(ctx)
		if j.done != nil {
			j.done <- err
		}
	}
}

// close ends run once the queued jobs are done; nothing may be submitted after.
func (w *worker) close() { close(w.jobs) }

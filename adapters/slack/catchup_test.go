package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/storetest"
)

// TestCatchUpAfterStop: staff write in a thread while Threadline is stopped
// for longer than Slack redelivers events. On the next start the surface
// reads the thread and handles exactly the messages it missed: the reply
// reaches the customer, the command takes effect, the note is stored, and
// nothing handled before is handled again. A second restart finds nothing.
func TestCatchUpAfterStop(t *testing.T) {
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			socket := mode == "socket"
			fake, cfg := newWorkspace(t, socket)
			st := storetest.Open(t)
			cust := adaptertest.NewChannel("webchat")
			// The outbox posts through the first surface; each run builds a
			// new Surface on the same store, as a restarted daemon does.
			poster := newSurface(t, cfg, slack.Options{})
			ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{poster}, Channels: []bridge.CustomerChannel{cust},
				BaseBackoff: 20 * time.Millisecond, Pacing: map[bridge.Platform]bridge.Pacing{"slack": {}}})
			eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}, Notify: ob.Notify})
			initSurface(t, poster, bridge.Deps{Store: st, Core: eng})
			table, _ := commands.NewTable(commands.Core()...)
			handler := commands.NewHandler(eng, table, commands.DefaultSyntax(), nil)
			octx, ocancel := context.WithCancel(context.Background())
			odone := make(chan struct{})
			go func() { defer close(odone); ob.Run(octx) }()
			t.Cleanup(func() { ocancel(); <-odone })

			run := func() (stop func(), s *slack.Surface) {
				s = newSurface(t, cfg, slack.Options{})
				initSurface(t, s, bridge.Deps{Store: st, Core: eng})
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); s.Run(ctx, handler) }()
				if socket {
					adaptertest.Eventually(t, 5*time.Second, func() bool { return fake.Connected() == 1 }, "socket mode connected")
				}
				return func() {
					cancel()
					<-done
					adaptertest.Eventually(t, 5*time.Second, func() bool { return fake.Connected() == 0 }, "socket closed")
				}, s
			}
			listening := func() string {
				v, _ := st.Cursor(context.Background(), "slack", "listening_until")
				return v
			}
			live := func(s *slack.Surface, ev map[string]any) {
				t.Helper()
				if socket {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					if _, err := fake.Send(ctx, "events_api", ev); err != nil {
						t.Fatal(err)
					}
					return
				}
				body, _ := json.Marshal(ev)
				rec := httptest.NewRecorder()
				s.Handler(handler).ServeHTTP(rec, fakeslack.SignedRequest("/slack/events", "application/json", body, fake.Secret, time.Now()))
				if rec.Code != http.StatusOK {
					t.Fatalf("event: HTTP %d %s", rec.Code, rec.Body)
				}
			}

			// First start: nothing to catch up (no listening mark yet).
			stop, s := run()
			adaptertest.Eventually(t, 5*time.Second, func() bool { return listening() != "" }, "listening mark written")
			res, err := eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: "where is my parcel?"})
			if err != nil {
				t.Fatal(err)
			}
			card := cardRecorded(t, fake, st)
			ev, _ := fake.StaffMessage(channel, card, "U0ALICE", "Checking with the carrier.")
			live(s, ev)
			adaptertest.Eventually(t, 5*time.Second, func() bool { return len(cust.Deliveries()) == 1 }, "live reply delivered")
			stop()

			// Stopped: staff keep writing in the thread.
			fake.WriteUnheard(channel, card, "U0BOB", "!claim")
			fake.WriteUnheard(channel, card, "U0BOB", "It left the depot this morning.")
			fake.WriteUnheard(channel, card, "U0ALICE", "// carrier ticket 7781")
			fake.WriteUnheard("C0OTHER01", "1.1", "U0BOB", "not a Threadline thread")

			stop, _ = run()
			adaptertest.Eventually(t, 10*time.Second, func() bool { return len(cust.Deliveries()) == 2 }, "missed reply delivered")
			if d := cust.Deliveries()[1]; d.Text != "It left the depot this morning." || d.Author != "Bob" {
				t.Errorf("customer got %+v", d)
			}
			adaptertest.Eventually(t, 5*time.Second, func() bool {
				m, _ := fake.Message(channel, card)
				return strings.Contains(string(m.Blocks), `"*Owner*\nBob"`)
			}, "card shows Bob as owner")
			stop()

			// Once more: everything was handled, nothing happens twice.
			before := listening()
			time.Sleep(2 * time.Millisecond) // the mark has millisecond resolution
			stop, _ = run()
			adaptertest.Eventually(t, 5*time.Second, func() bool { return listening() != before }, "caught up again")
			stop()
			if n := len(cust.Deliveries()); n != 2 {
				t.Errorf("customer got %d messages, want 2", n)
			}
			audit, _ := st.AuditLog(context.Background(), res.Conversation)
			var who []string
			for _, a := range audit {
				who = append(who, a.Action+":"+string(a.Actor.ID))
			}
			if got := strings.Join(who, " "); got != "created:customer:v1 reply:slack:U0ALICE claim:slack:U0BOB reply:slack:U0BOB note:slack:U0ALICE" {
				t.Errorf("audit = %s", got)
			}
			var buf bytes.Buffer
			msgs, _ := st.Messages(context.Background(), res.Conversation, 0)
			for _, m := range msgs {
				buf.WriteString(string(m.Direction) + ":" + m.Body + "\n")
			}
			if strings.Count(buf.String(), "It left the depot") != 1 || strings.Count(buf.String(), "carrier ticket") != 1 {
				t.Errorf("messages:\n%s", buf.String())
			}
		})
	}
}

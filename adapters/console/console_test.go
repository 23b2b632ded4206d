package console_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/storetest"
)

type inbox struct{ got chan bridge.StaffMessage }

func (i inbox) HandleStaffMessage(_ context.Context, m bridge.StaffMessage) (bridge.Feedback, error) {
	i.got <- m
	if m.Text == "!bad" {
		return bridge.Feedback{Conversation: m.Conversation, Error: true, Text: "Unknown command"}, nil
	}
	return bridge.Feedback{Conversation: m.Conversation, Text: "ok"}, nil
}

func start(t *testing.T) (*console.Surface, *console.Client, inbox) {
	return startOn(t, bridge.NewLocalRelay())
}

// startOn is start with the surface on relay.
func startOn(t *testing.T, relay bridge.Relay) (*console.Surface, *console.Client, inbox) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := console.New(console.Options{Listener: ln, Token: "secret-token-0123456789abcdef0123", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(bridge.Deps{Clock: bridge.SystemClock(), Store: storetest.Open(t), Relay: relay}); err != nil {
		t.Fatal(err)
	}
	in := inbox{got: make(chan bridge.StaffMessage, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, in); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, &console.Client{BaseURL: "http://" + ln.Addr().String(), Token: "secret-token-0123456789abcdef0123"}, in
}

func TestAdminAPIRequiresToken(t *testing.T) {
	_, c, _ := start(t)
	bad := *c
	bad.Token = "wrong"
	_, err := bad.Say(context.Background(), console.SayRequest{Conversation: 1, Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token = %v", err)
	}
	if err := bad.Watch(context.Background(), func(console.Event) error { return nil }); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("watch with wrong token = %v", err)
	}
}

func TestSayAndWatch(t *testing.T) {
	s, c, in := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan console.Event, 10)
	go c.Watch(ctx, func(e console.Event) error { events <- e; return nil })
	if e := <-events; e.Type != "hello" || e.Text != "test" {
		t.Fatalf("first event = %+v", e)
	}
	res, err := c.Say(ctx, console.SayRequest{Conversation: 7, Text: "!claim", As: "alice"})
	if err != nil || res.Text != "ok" {
		t.Fatalf("say = %+v, %v", res, err)
	}
	m := <-in.got
	if m.Surface != "console" || m.Conversation != 7 || m.Actor.Name != "alice" || m.Actor.ID != "console:alice" || !strings.HasPrefix(m.ExternalID, "say-") {
		t.Errorf("staff message = %+v", m)
	}
	if res, _ := c.Say(ctx, console.SayRequest{Conversation: 7, Text: "!bad"}); !res.Error {
		t.Errorf("refusal not flagged: %+v", res)
	}
	// What the engine posts shows up in the stream.
	ref, _ := s.OpenThread(ctx, bridge.ConversationView{Conversation: bridge.Conversation{ID: 7, CustomerName: "Anna", Channel: "webchat", Status: "open", Priority: "normal", Entry: "billing"}})
	s.Post(ctx, ref, bridge.StaffPost{Message: 3, Direction: bridge.DirCustomer, Author: "Anna", Text: "hello\nsecond line", At: time.Now()})
	s.Receipt(ctx, ref, bridge.Receipt{Message: 4, OK: false, Error: "HTTP 403"})
	var lines []string
	for i := 0; i < 3; i++ {
		lines = append(lines, console.Format(<-events))
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{"#7 NEW conversation · Anna on webchat via widget billing · [open · normal · unclaimed]", "#7 Anna (customer): hello\n", "second line", "#7 ✗ reply 4 NOT delivered: HTTP 403"} {
		if !strings.Contains(got, want) {
			t.Errorf("watch output lacks %q:\n%s", want, got)
		}
	}
}

// TestTypingOnTheConsole: a customer typing shows once in a while in the
// watch stream; a console user typing a reply reaches the relay (and so
// the customer's web chat) under their name.
func TestTypingOnTheConsole(t *testing.T) {
	relay := bridge.NewLocalRelay()
	s, c, _ := startOn(t, relay)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan console.Event, 10)
	go c.Watch(ctx, func(e console.Event) error { events <- e; return nil })
	<-events // hello
	staff := make(chan bridge.Typing, 10)
	defer bridge.SubscribeTyping(relay, func(tp bridge.Typing) {
		if tp.Staff {
			staff <- tp
		}
	})()
	for range 3 {
		bridge.PublishTyping(ctx, relay, bridge.Typing{Conversation: 7, Name: "Visitor 12"})
	}
	ref, _ := s.OpenThread(ctx, bridge.ConversationView{Conversation: bridge.Conversation{ID: 7, CustomerName: "Visitor 12", Channel: "webchat"}})
	s.Post(ctx, ref, bridge.StaffPost{Message: 3, Direction: bridge.DirCustomer, Author: "Visitor 12", Text: "see the screenshot",
		Attachments: []bridge.Attachment{{Name: "error.png"}}, At: time.Now()})
	var lines []string
	for range 3 {
		lines = append(lines, console.Format(<-events))
	}
	got := strings.Join(lines, "\n")
	if !strings.Contains(got, "#7 Visitor 12 is typing…") || strings.Count(got, "typing") != 1 || !strings.Contains(got, "see the screenshot\n           📎 error.png") {
		t.Errorf("watch output:\n%s", got)
	}
	if err := c.Typing(ctx, 7, "alice"); err != nil {
		t.Fatal(err)
	}
	select {
	case tp := <-staff:
		if tp.Conversation != 7 || tp.Name != "alice" || tp.Surface != "console" {
			t.Errorf("typing = %+v", tp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("console typing did not reach the relay")
	}
}

package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

const channel = "C0STAFF01"

type rig struct {
	fake    *fakeslack.Server
	st      *sqlite.Store
	eng     *engine.Engine
	surface *slack.Surface
	handler *commands.Handler
	cust    *adaptertest.Channel
	cancel  context.CancelFunc
}

// newRig wires a real engine, outbox and command handler to the Slack
// surface talking to the fake. socket selects Socket Mode vs HTTP events.
func newRig(t *testing.T, socket bool) *rig {
	t.Helper()
	fake, cfg := newWorkspace(t, socket)
	st := storetest.Open(t)
	r := &rig{fake: fake, st: st, cust: adaptertest.NewChannel("webchat")}
	r.surface = newSurface(t, cfg, slack.Options{})
	ob := outbox.New(outbox.Options{Store: st, Surfaces: []bridge.StaffSurface{r.surface}, Channels: []bridge.CustomerChannel{r.cust},
		BaseBackoff: 20 * time.Millisecond, Pacing: map[bridge.Platform]bridge.Pacing{"slack": {}}})
	r.eng = engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"slack"}, Notify: ob.Notify})
	initSurface(t, r.surface, bridge.Deps{Store: st, Core: r.eng, AttachmentsDir: t.TempDir()})
	table, _ := commands.NewTable(commands.Core()...)
	r.handler = commands.NewHandler(r.eng, table, commands.DefaultSyntax(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	done := make(chan struct{}, 2)
	go func() { ob.Run(ctx); done <- struct{}{} }()
	go func() { r.surface.Run(ctx, r.handler); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	if socket {
		adaptertest.Eventually(t, 5*time.Second, func() bool { return fake.Connected() == 1 }, "socket mode connected")
	}
	return r
}

// newWorkspace starts the fake with Alice and Bob and returns the surface
// config for it (Socket Mode or HTTP events).
func newWorkspace(t *testing.T, socket bool) (*fakeslack.Server, slack.Config) {
	t.Helper()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	fake.AddUser("U0ALICE", "Alice")
	fake.AddUser("U0BOB", "Bob")
	cfg := slack.Config{BotToken: fake.BotToken, ChannelID: channel, APIURL: fake.APIURL(), SigningSecret: fake.Secret}
	if socket {
		cfg.AppToken = fake.AppToken
	}
	cfg.Defaults()
	return fake, cfg
}

// newSurface builds a surface from cfg (New alone: enough for API calls).
func newSurface(t testing.TB, cfg slack.Config, o slack.Options) *slack.Surface {
	t.Helper()
	s, err := slack.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// initSurface hands s what the daemon hands every adapter; the clock is
// the system's unless d names one.
func initSurface(t testing.TB, s *slack.Surface, d bridge.Deps) {
	t.Helper()
	if d.Clock == nil {
		d.Clock = bridge.SystemClock()
	}
	if err := s.Init(d); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) customer(t *testing.T, text string) bridge.DeliverResult {
	t.Helper()
	res, err := r.eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// card waits for the conversation's card and returns its ts.
func (r *rig) card(t *testing.T) string {
	t.Helper()
	return cardRecorded(t, r.fake, r.st)
}

// cardRecorded waits for the one ticket card in the staff channel and for
// its thread to be recorded in the store (right behind the post), so staff
// messages in the thread find their conversation; it returns the card's ts.
func cardRecorded(t *testing.T, fake *fakeslack.Server, st *sqlite.Store) string {
	t.Helper()
	var ts string
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		ps := fake.Parents(channel)
		if len(ps) != 1 {
			return false
		}
		ts = ps[0].TS
		_, err := st.ConversationByThread(context.Background(), "slack", bridge.ThreadRef(channel+"/"+ts))
		return err == nil
	}, "ticket card posted and recorded")
	return ts
}

func TestSurfacePostsCardAndEscapedThread(t *testing.T) {
	r := newRig(t, true)
	r.customer(t, "Help <!channel> <@U0ALICE> <https://evil.example|bank>")
	card := r.card(t)
	parent, _ := r.fake.Message(channel, card)
	if !strings.Contains(string(parent.Blocks), `"#1 · Anna (webchat)"`) || !strings.Contains(string(parent.Blocks), "tl_claim") {
		t.Errorf("card blocks = %s", parent.Blocks)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.fake.Thread(channel, card)) == 1 }, "customer message in thread")
	msg := r.fake.Thread(channel, card)[0]
	if strings.Contains(msg.Text, "<!channel>") || strings.Contains(msg.Text, "<@U0ALICE>") || strings.Contains(msg.Text, "<https") {
		t.Errorf("customer text can ping or spoof: %q", msg.Text)
	}
	if !strings.Contains(msg.Text, "&lt;!channel&gt;") {
		t.Errorf("customer text lost: %q", msg.Text)
	}
}

func TestStaffReplyCommandsButtonsAndReceipts(t *testing.T) {
	r := newRig(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conv := r.customer(t, "my invoice is wrong").Conversation
	card := r.card(t)

	// A plain reply in the thread goes to the customer, with a receipt.
	ev, ts := r.fake.StaffMessage(channel, card, "U0ALICE", "Sorry! Fixing it &amp; resending <https://x.example/inv|the invoice>")
	if _, err := r.fake.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.cust.Deliveries()) == 1 }, "reply delivered")
	d := r.cust.Deliveries()[0]
	if d.Text != "Sorry! Fixing it & resending the invoice (https://x.example/inv)" || d.Author != "Alice" {
		t.Errorf("customer got %+v", d)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.fake.Reactions(channel, ts)) == 1 }, "receipt reaction")
	if got := r.fake.Reactions(channel, ts); got[0] != "white_check_mark" {
		t.Errorf("reactions = %v", got)
	}
	// Slack retries the same event: stored once.
	if _, err := r.fake.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
	msgs, _ := r.st.Messages(ctx, conv, 0)
	staff := 0
	for _, m := range msgs {
		if m.Direction == bridge.DirStaff {
			staff++
		}
	}
	if staff != 1 {
		t.Errorf("%d staff messages after redelivery, want 1", staff)
	}

	// "@threadline claim" works like !claim; the card updates in place.
	ev, _ = r.fake.StaffMessage(channel, card, "U0BOB", "<@UBOT> claim")
	r.fake.Send(ctx, "events_api", ev)
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		m, _ := r.fake.Message(channel, card)
		return strings.Contains(string(m.Blocks), `"*Owner*\nBob"`)
	}, "card shows Bob as owner")
	if got := r.fake.Ephemerals("U0BOB"); len(got) != 1 || !strings.Contains(got[0].Text, "You own #1") {
		t.Errorf("feedback = %+v", got)
	}

	// Alice clicks Claim on the card: refused, explained only to her.
	r.fake.Send(ctx, "interactive", r.fake.ButtonClick(channel, card, "U0ALICE", "tl_claim", "1"))
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.fake.Ephemerals("U0ALICE")) == 1 }, "refusal")
	if e := r.fake.Ephemerals("U0ALICE")[0]; !strings.Contains(e.Text, "claimed by Bob") || e.ThreadTS != card {
		t.Errorf("refusal = %+v", e)
	}
	// A note never reaches the customer; an unknown command shows help only to its author.
	ev, _ = r.fake.StaffMessage(channel, card, "U0ALICE", "// VIP, be nice")
	r.fake.Send(ctx, "events_api", ev)
	ev, _ = r.fake.StaffMessage(channel, card, "U0ALICE", "!frobnicate")
	r.fake.Send(ctx, "events_api", ev)
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.fake.Ephemerals("U0ALICE")) == 2 }, "unknown command help")
	if e := r.fake.Ephemerals("U0ALICE")[1]; !strings.Contains(e.Text, "Unknown command !frobnicate") || !strings.Contains(e.Text, "!claim") {
		t.Errorf("help = %q", e.Text)
	}
	// The Close button closes and the card shows it.
	r.fake.Send(ctx, "interactive", r.fake.ButtonClick(channel, card, "U0BOB", "tl_close", "1"))
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		m, _ := r.fake.Message(channel, card)
		return strings.Contains(string(m.Blocks), "Closed") && strings.Contains(string(m.Blocks), "tl_reopen")
	}, "card shows closed with Reopen")
	if n := len(r.cust.Deliveries()); n != 1 {
		t.Errorf("customer got %d messages, want only the one reply", n)
	}
	audit, _ := r.st.AuditLog(ctx, conv)
	var who []string
	for _, a := range audit {
		who = append(who, a.Action+":"+string(a.Actor.ID))
	}
	if got := strings.Join(who, " "); got != "created:customer:v1 reply:slack:U0ALICE claim:slack:U0BOB note:slack:U0ALICE close:slack:U0BOB" {
		t.Errorf("audit = %s", got)
	}
}

func TestSlashCommandAndShortcut(t *testing.T) {
	r := newRig(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.customer(t, "hello")
	card := r.card(t)
	resp, err := r.fake.Send(ctx, "slash_commands", fakeslack.Slash("/ticket", "list", "U0ALICE", channel))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	json.Unmarshal(resp, &out)
	if out.ResponseType != "ephemeral" || !strings.Contains(out.Text, "#1 open") {
		t.Errorf("/ticket list = %s", resp)
	}
	resp, _ = r.fake.Send(ctx, "slash_commands", fakeslack.Slash("/ticket", "claim 1", "U0ALICE", channel))
	json.Unmarshal(resp, &out)
	if !strings.Contains(out.Text, "You own #1") {
		t.Errorf("/ticket claim 1 = %s", resp)
	}
	resp, _ = r.fake.Send(ctx, "slash_commands", fakeslack.Slash("/ticket", "frob", "U0ALICE", channel))
	json.Unmarshal(resp, &out)
	if !strings.Contains(out.Text, "Usage") {
		t.Errorf("/ticket frob = %s", resp)
	}
	// The message shortcut on a thread message shows the ticket with buttons, to that user only.
	r.fake.Send(ctx, "interactive", r.fake.Shortcut("ticket_actions", channel, "1700000000.999999", card, "U0BOB"))
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.fake.Ephemerals("U0BOB")) == 1 }, "shortcut answer")
	if e := r.fake.Ephemerals("U0BOB")[0]; !strings.Contains(string(e.Blocks), "tl_release") {
		t.Errorf("shortcut blocks = %s", e.Blocks)
	}
}

func TestRateLimitStormKeepsOrder(t *testing.T) {
	r := newRig(t, true)
	r.fake.RateLimit("chat.postMessage", 6, 0)
	conv := r.customer(t, "msg 0").Conversation
	for i := 1; i < 10; i++ {
		r.customer(t, "msg "+string(rune('0'+i)))
	}
	card := r.card(t)
	adaptertest.Eventually(t, 10*time.Second, func() bool { return len(r.fake.Thread(channel, card)) == 10 }, "all 10 messages posted")
	for i, m := range r.fake.Thread(channel, card) {
		if want := "*Anna*: msg " + string(rune('0'+i)); m.Text != want {
			t.Errorf("message %d = %q, want %q", i, m.Text, want)
		}
	}
	if n := r.fake.Calls("chat.postMessage"); n < 16 {
		t.Errorf("only %d postMessage calls; the 429s were not exercised", n)
	}
	// Outcomes are recorded right behind the sends.
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		rows, _ := r.st.OutboxRows(context.Background(), conv)
		for _, row := range rows {
			if row.State != "sent" {
				return false
			}
		}
		return len(rows) > 0
	}, "every row recorded as sent")
}

func TestDeletedCardOpensNewThreadAndEditsWarn(t *testing.T) {
	r := newRig(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.customer(t, "first")
	card := r.card(t)
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.fake.Thread(channel, card)) == 1 }, "first message")
	// Staff reply, then edit it in Slack: staff are told the customer has the original.
	ev, ts := r.fake.StaffMessage(channel, card, "U0ALICE", "answer")
	r.fake.Send(ctx, "events_api", ev)
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.cust.Deliveries()) == 1 }, "reply delivered")
	edit := r.fake.Event(map[string]any{"type": "message", "subtype": "message_changed", "channel": channel, "ts": r.fake.NextTS(),
		"message": map[string]any{"type": "message", "user": "U0ALICE", "text": "answer (edited)", "ts": ts, "thread_ts": card}})
	r.fake.Send(ctx, "events_api", edit)
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		th := r.fake.Thread(channel, card)
		return strings.Contains(th[len(th)-1].Text, "Edits are not sent")
	}, "edit warning")
	// Someone deletes the card: the conversation continues in a new, linked thread.
	r.fake.DeleteMessage(channel, card)
	del := r.fake.Event(map[string]any{"type": "message", "subtype": "message_deleted", "channel": channel, "ts": r.fake.NextTS(),
		"deleted_ts": card, "previous_message": map[string]any{"type": "message", "ts": card}})
	r.fake.Send(ctx, "events_api", del)
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.fake.Parents(channel)) == 2 }, "new card")
	newCard := r.fake.Parents(channel)[1]
	if !strings.Contains(string(newCard.Blocks), "an earlier thread") {
		t.Errorf("new card does not link the old thread: %s", newCard.Blocks)
	}
	r.customer(t, "second")
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		th := r.fake.Thread(channel, newCard.TS)
		return len(th) == 2 && th[1].Text == "*Anna*: second"
	}, "new messages go to the new thread")
	// Messages typed in the old thread still reach the conversation.
	ev, _ = r.fake.StaffMessage(channel, card, "U0ALICE", "!status")
	r.fake.Send(ctx, "events_api", ev)
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		e := r.fake.Ephemerals("U0ALICE")
		return len(e) > 0 && strings.Contains(e[len(e)-1].Text, "#1 ·")
	}, "status from the old thread")
}

func TestHTTPEventsSignatures(t *testing.T) {
	r := newRig(t, false)
	srv := httptest.NewServer(r.surface.Handler(r.handler))
	defer srv.Close()
	r.customer(t, "hi")
	card := r.card(t)
	ev, _ := r.fake.StaffMessage(channel, card, "U0ALICE", "hello from http")
	body, _ := json.Marshal(ev)
	now := time.Now()
	do := func(req *http.Request) int {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := do(fakeslack.SignedRequest(srv.URL+"/slack/events", "application/json", body, "wrong-secret", now)); code != 401 {
		t.Errorf("forged signature: %d", code)
	}
	if code := do(fakeslack.SignedRequest(srv.URL+"/slack/events", "application/json", body, r.fake.Secret, now.Add(-6*time.Minute))); code != 401 {
		t.Errorf("stale timestamp: %d", code)
	}
	unsigned, _ := http.NewRequest("POST", srv.URL+"/slack/events", bytes.NewReader(body))
	if code := do(unsigned); code != 401 {
		t.Errorf("unsigned: %d", code)
	}
	if n := len(r.cust.Deliveries()); n != 0 {
		t.Fatalf("rejected requests delivered %d messages", n)
	}
	for i := 0; i < 2; i++ { // the second is Slack's retry
		req := fakeslack.SignedRequest(srv.URL+"/slack/events", "application/json", body, r.fake.Secret, now)
		req.Header.Set("X-Slack-Retry-Num", "1")
		if code := do(req); code != 200 {
			t.Errorf("valid event: %d", code)
		}
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool { return len(r.cust.Deliveries()) == 1 }, "reply delivered once")
	time.Sleep(100 * time.Millisecond)
	if n := len(r.cust.Deliveries()); n != 1 {
		t.Errorf("retry delivered again: %d", n)
	}
	// url_verification
	res, _ := http.DefaultClient.Do(fakeslack.SignedRequest(srv.URL+"/slack/events", "application/json", []byte(`{"type":"url_verification","challenge":"abc123","token":"x"}`), r.fake.Secret, now))
	buf := new(bytes.Buffer)
	buf.ReadFrom(res.Body)
	res.Body.Close()
	if buf.String() != "abc123" {
		t.Errorf("challenge = %q", buf.String())
	}
	// Interactivity and slash commands are signed too.
	payload, _ := json.Marshal(r.fake.ButtonClick(channel, card, "U0BOB", "tl_claim", "1"))
	form := url.Values{"payload": {string(payload)}}.Encode()
	if code := do(fakeslack.SignedRequest(srv.URL+"/slack/interactivity", "application/x-www-form-urlencoded", []byte(form), "nope", now)); code != 401 {
		t.Errorf("forged interaction: %d", code)
	}
	if code := do(fakeslack.SignedRequest(srv.URL+"/slack/interactivity", "application/x-www-form-urlencoded", []byte(form), r.fake.Secret, now)); code != 200 {
		t.Errorf("interaction: %d", code)
	}
	c, _ := r.st.Conversation(context.Background(), 1)
	if c.OwnerName != "Bob" {
		t.Errorf("button over HTTP did not claim: %+v", c)
	}
	cmd := url.Values{"command": {"/ticket"}, "text": {"status 1"}, "user_id": {"U0ALICE"}, "channel_id": {channel}}.Encode()
	res, _ = http.DefaultClient.Do(fakeslack.SignedRequest(srv.URL+"/slack/commands", "application/x-www-form-urlencoded", []byte(cmd), r.fake.Secret, now))
	buf.Reset()
	buf.ReadFrom(res.Body)
	if !strings.Contains(buf.String(), "owned by Bob") {
		t.Errorf("/ticket status 1 over HTTP = %s", buf.String())
	}
}

func TestClassifiedErrors(t *testing.T) {
	r := newRig(t, true)
	ctx := context.Background()
	v := bridge.ConversationView{Conversation: bridge.Conversation{ID: 9, CustomerName: "X", Channel: "webchat", Status: "open", Priority: "normal"}}
	r.fake.FailNext("chat.postMessage", "channel_not_found")
	if _, err := r.surface.OpenThread(ctx, v); !bridge.IsPermanent(err) {
		t.Errorf("channel_not_found = %v, want permanent", err)
	}
	r.fake.RateLimit("chat.postMessage", 1, 3)
	_, err := r.surface.OpenThread(ctx, v)
	var rl *bridge.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("429 = %v", err)
	}
	r.fake.FailNext("chat.update", "message_not_found")
	if err := r.surface.UpdateCard(ctx, bridge.ThreadRef(channel+"/1.2"), v); !errors.Is(err, bridge.ErrThreadGone) {
		t.Errorf("message_not_found = %v", err)
	}
	for _, code := range []string{"invalid_auth", "token_revoked"} {
		r.fake.FailNext("chat.postMessage", code)
		if _, err := r.surface.Post(ctx, bridge.ThreadRef(channel+"/1.2"), bridge.StaffPost{Text: "x"}); err == nil || bridge.IsPermanent(err) {
			t.Errorf("%s = %v, want transient (the operator fixes the token; nothing is dead-lettered meanwhile)", code, err)
		}
	}
	r.fake.FailNext("chat.postMessage", "internal_error")
	if _, err := r.surface.Post(ctx, bridge.ThreadRef(channel+"/1.2"), bridge.StaffPost{Text: "x"}); err == nil || bridge.IsPermanent(err) {
		t.Errorf("internal_error = %v, want transient", err)
	}
}

// A card whose chat.postMessage got no clear answer may be posted or not.
// The retry looks in the channel's history first: it takes the card Slack
// posted when only the answer was lost, and posts one when the call never
// got through. Either way there is one card.
func TestOpenThreadAfterNoAnswer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakeslack.Fault
	}{
		{"posted, answer lost", fakeslack.Fault{Lost: true}},
		{"never posted", fakeslack.Fault{Drop: true}},
		{"server error", fakeslack.Fault{Status: 500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, cfg := newWorkspace(t, false)
			s := newSurface(t, cfg, slack.Options{})
			var once sync.Once
			fake.SetFaults(func(method string) *fakeslack.Fault {
				var f *fakeslack.Fault
				if method == "chat.postMessage" {
					once.Do(func() { f = &tc.fault })
				}
				return f
			})
			ctx := context.Background()
			v := func(id bridge.ConversationID) bridge.ConversationView {
				return bridge.ConversationView{Conversation: bridge.Conversation{ID: id, CustomerName: "Anna", Channel: "webchat", Status: "open", Priority: "normal"}}
			}
			tried := time.Now()
			if _, err := s.OpenThread(ctx, v(9)); err == nil {
				t.Fatal("no answer was not an error")
			}
			retry := v(9)
			retry.TriedSince = tried // as the outbox sets it on a retry
			ref, err := s.OpenThread(ctx, retry)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			var cards []string
			for _, m := range fake.Messages() {
				if m.Channel == channel && m.ThreadTS == "" {
					cards = append(cards, channel+"/"+m.TS)
				}
			}
			if len(cards) != 1 || cards[0] != string(ref) {
				t.Errorf("cards = %v, want one, %s", cards, ref)
			}
			// Another conversation is not mistaken for it.
			if other, err := s.OpenThread(ctx, v(10)); err != nil || other == ref {
				t.Errorf("another conversation: %s, %v", other, err)
			}
		})
	}
}

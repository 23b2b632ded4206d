package discord_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

const wait = 10 * time.Second

var (
	alice = fakediscord.Person{ID: "200000000000000001", Username: "alice", GlobalName: "Alice A.", Nick: "Alice"}
	bob   = fakediscord.Person{ID: "200000000000000002", Username: "bob", GlobalName: "Bob"}
)

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// harness is the real core (SQLite store, engine, outbox, command handler)
// with the Discord surface against the fake, a recording "slack" surface
// mirrored at the same time, and a recording web chat channel as the customer.
type harness struct {
	t       *testing.T
	fake    *fakediscord.Server
	channel string
	st      *sqlite.Store
	eng     *engine.Engine
	handler *commands.Handler
	surf    *discord.Surface
	slack   *adaptertest.Surface
	web     *adaptertest.Channel
	runErr  chan error
	forums  map[string]string // department → forum id
	files   string            // Deps.AttachmentsDir
	relay   *bridge.LocalRelay
}

type setup struct {
	text    bool // staff channel is a text channel, not a forum
	fake    fakediscord.Options
	config  func(*discord.Config)
	options func(*discord.Options)
	// workflow, when set, gives the engine a directory and the full command table.
	workflow *team.Options
	// departmentForums creates a forum per department and routes it there.
	departmentForums []string
	// clock is the daemon's clock the surface gets (default: the system's).
	clock bridge.Clock
	// answers adds the answers commands (!suggest ...) with their service.
	answers bool
}

func start(t *testing.T, s setup) *harness {
	t.Helper()
	fake := fakediscord.New(s.fake)
	t.Cleanup(fake.Close)
	ch := fake.AddForum("support", "Open", "Waiting", "Closed", "Urgent", "High", "billing", "vip")
	if s.text {
		ch = fake.AddTextChannel("support")
	}
	h := &harness{t: t, fake: fake, channel: ch, st: storetest.Open(t), runErr: make(chan error, 1)}
	cfg := discord.Config{BotToken: fake.Token(), ChannelID: ch, APIURL: fake.APIURL()}
	h.forums = map[string]string{}
	for _, dept := range s.departmentForums {
		if cfg.Channels == nil {
			cfg.Channels = map[string]string{}
		}
		h.forums[dept] = fake.AddForum(dept, "Open", "Waiting", "Closed")
		cfg.Channels[dept] = h.forums[dept]
	}
	if s.config != nil {
		s.config(&cfg)
	}
	opts := discord.Options{ReconnectBackoff: 50 * time.Millisecond}
	if s.options != nil {
		s.options(&opts)
	}
	surf, err := discord.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.surf = surf
	h.slack = adaptertest.NewSurface("slack")
	h.web = adaptertest.NewChannel("webchat")
	ob := outbox.New(outbox.Options{Store: h.st, Surfaces: []bridge.StaffSurface{surf, h.slack}, Channels: []bridge.CustomerChannel{h.web},
		Log: testLog(t).With("part", "outbox"), BaseBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, Pacing: map[bridge.Platform]bridge.Pacing{"discord": {}}})
	var dir *team.Directory
	cmds := commands.Core()
	if s.workflow != nil {
		wf := *s.workflow
		wf.StaffIDs = bridge.StaffIDForms{discord.StaffIDs()}
		dir = team.New(wf)
		cmds = append(cmds, commands.Workflow()...)
	}
	h.eng = engine.New(engine.Options{Store: h.st, Surfaces: []bridge.Platform{"discord", "slack"}, Notify: ob.Notify, Directory: dir})
	var hopts []commands.HandlerOption
	if s.answers {
		cmds = append(cmds, commands.Answers()...)
		hopts = append(hopts, commands.WithAnswers(answers.New(answers.Options{Store: h.st, Post: h.eng})))
	}
	table, err := commands.NewTable(cmds...)
	if err != nil {
		t.Fatal(err)
	}
	h.handler = commands.NewHandler(h.eng, table, commands.DefaultSyntax(), testLog(t), hopts...)
	clock := s.clock
	if clock == nil {
		clock = bridge.SystemClock()
	}
	h.files, h.relay = t.TempDir(), bridge.NewLocalRelay()
	if err := surf.Init(bridge.Deps{Log: testLog(t), Clock: clock, Store: h.st, Core: h.eng, AttachmentsDir: h.files, Relay: h.relay}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ob.Run(ctx) }()
	go func() { defer wg.Done(); h.runErr <- surf.Run(ctx, h.handler) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return h
}

func (h *harness) waitConnected() {
	h.t.Helper()
	adaptertest.Eventually(h.t, wait, func() bool { _, _, c := h.fake.GatewayStats(); return c }, "gateway connected")
	// The surface registers its commands right after READY.
	adaptertest.Eventually(h.t, wait, func() bool { return len(h.fake.Commands("")) > 0 || len(h.fake.Commands(h.fake.GuildID())) > 0 }, "commands registered")
}

// customer writes as a web chat visitor.
func (h *harness) customer(name, text string) bridge.ConversationID {
	h.t.Helper()
	res, err := h.eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "visitor-" + name, Name: name, Text: text})
	if err != nil {
		h.t.Fatal(err)
	}
	return res.Conversation
}

// thread waits for the conversation's thread and returns its id.
func (h *harness) thread(conv bridge.ConversationID) string {
	h.t.Helper()
	var ref bridge.ThreadRef
	adaptertest.Eventually(h.t, wait, func() bool {
		r, err := h.st.Thread(context.Background(), conv, "discord")
		ref = r
		return err == nil
	}, "thread of %s opened", conv)
	return string(ref)
}

// messages waits until channel has at least n messages and returns them.
func (h *harness) messages(channel string, n int) []fakediscord.Message {
	h.t.Helper()
	var ms []fakediscord.Message
	adaptertest.Eventually(h.t, wait, func() bool { ms = h.fake.Messages(channel); return len(ms) >= n }, "%d messages in %s", n, channel)
	return ms
}

func (h *harness) response(interaction string) fakediscord.Response {
	h.t.Helper()
	var rs []fakediscord.Response
	adaptertest.Eventually(h.t, wait, func() bool { rs = h.fake.Responses(interaction); return len(rs) > 0 && rs[len(rs)-1].Content != "" },
		"answer to interaction %s", interaction)
	return rs[len(rs)-1]
}

// embed decodes a message's first embed.
func embed(t *testing.T, m fakediscord.Message) map[string]any {
	t.Helper()
	if len(m.Embeds) == 0 {
		t.Fatalf("message %s has no embed", m.ID)
	}
	var e map[string]any
	if err := json.Unmarshal(m.Embeds[0], &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func field(e map[string]any, name string) string {
	fs, _ := e["fields"].([]any)
	for _, f := range fs {
		fm := f.(map[string]any)
		if fm["name"] == name {
			return fm["value"].(string)
		}
	}
	return ""
}

func buttons(t *testing.T, m fakediscord.Message) []string {
	t.Helper()
	var ids []string
	for _, row := range m.Components {
		var r struct {
			Components []struct {
				CustomID string `json:"custom_id"`
			} `json:"components"`
		}
		if err := json.Unmarshal(row, &r); err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Components {
			ids = append(ids, c.CustomID)
		}
	}
	return ids
}

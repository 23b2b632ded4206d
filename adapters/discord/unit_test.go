package discord

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestCardGolden(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	base := bridge.ConversationView{Conversation: bridge.Conversation{ID: 42, CustomerName: "Anna Smith", Channel: "webchat", Entry: "billing",
		Status: bridge.StatusOpen, Priority: bridge.PriorityNormal, CreatedAt: t0, UpdatedAt: t0, MessageCount: 1,
		Subject: "Invoice is wrong"}, LastMessage: "Hi, my invoice for March is wrong", Identity: "anna@example.com"}
	claimed := base
	claimed.Status, claimed.Priority, claimed.Department = bridge.StatusWaiting, bridge.PriorityHigh, "billing"
	claimed.Owner, claimed.OwnerName, claimed.FirstResponseAt, claimed.MessageCount = "discord:1", "Alice", t0.Add(4*time.Minute), 3
	closed := claimed
	closed.Status, closed.CloseReason, closed.ClosedAt = bridge.StatusClosed, "fixed in 2.3", t0.Add(time.Hour)
	closed.PreviousThread = "1100000000000000099"
	urgent := base
	urgent.Priority, urgent.Unreachable = bridge.PriorityUrgent, "HTTP 403: bot was blocked by the user"
	urgent.Subject, urgent.LastMessage = "", "line one\nline two"
	for name, v := range map[string]bridge.ConversationView{"card_open": base, "card_claimed": claimed, "card_closed": closed, "card_urgent": urgent} {
		t.Run(name, func(t *testing.T) {
			c := renderCard(v)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(struct {
				Title string `json:"thread_name"`
				card
			}{threadName(v), c}); err != nil {
				t.Fatal(err)
			}
			golden(t, name, buf.Bytes())
		})
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  []string
	}{
		{"", 10, []string{""}},
		{"short", 10, []string{"short"}},
		{"exactly10!", 10, []string{"exactly10!"}},
		{"hello world again", 11, []string{"hello world", "again"}},
		{"line one\nline two", 12, []string{"line one", "line two"}},
		{"abcdefghijklmnop", 5, []string{"abcde", "fghij", "klmno", "p"}},
		{"ééééééé", 3, []string{"ééé", "ééé", "é"}},
	} {
		if got := split(tc.in, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("split(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"", "a b c", strings.Repeat("x", 2100), strings.Repeat("word ", 500), "é\n\n\nü"} {
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 1 || limit > 3000 || !utf8.ValidString(s) {
			return
		}
		parts := split(s, limit)
		var joined strings.Builder
		for _, p := range parts {
			if utf8.RuneCountInString(p) > limit {
				t.Fatalf("part of %d > %d characters", utf8.RuneCountInString(p), limit)
			}
			joined.WriteString(p)
		}
		strip := func(x string) string { return strings.Map(func(r rune) rune { return keep(r) }, x) }
		if strip(joined.String()) != strip(s) {
			t.Fatalf("content changed: %q -> %q", s, parts)
		}
	})
}

func keep(r rune) rune {
	if r == ' ' || r == '\n' {
		return -1
	}
	return r
}

func TestWebhookUsername(t *testing.T) {
	for _, tc := range []struct{ name, origin, want string }{
		{"Anna", "webchat", "Anna (webchat)"},
		{"  Anna\nSmith ", "telegram", "Anna Smith (telegram)"},
		{"Discord Support", "email", "Support (email)"},
		{"disDISCORDcord", "", "Customer"},
		{"clyde", "webchat", "Customer (webchat)"},
		{"everyone", "webchat", "Customer (webchat)"},
		{"", "", "Customer"},
		{strings.Repeat("A", 100), "webchat", strings.Repeat("A", 69) + "… (webchat)"},
	} {
		if got := webhookUsername(tc.name, tc.origin); got != tc.want {
			t.Errorf("webhookUsername(%q, %q) = %q, want %q", tc.name, tc.origin, got, tc.want)
		}
	}
}

func FuzzWebhookUsername(f *testing.F) {
	for _, s := range []string{"Anna", "discord", "Clyde\x00", "DiScOrDiScOrD", "\u200b", "here"} {
		f.Add(s, "webchat")
	}
	f.Fuzz(func(t *testing.T, name, origin string) {
		got := webhookUsername(name, origin)
		n := utf8.RuneCountInString(got)
		if n < 1 || n > 80 || forbiddenName.MatchString(got) || !utf8.ValidString(got) || strings.TrimSpace(got) != got {
			t.Fatalf("webhookUsername(%q, %q) = %q", name, origin, got)
		}
		if strings.IndexFunc(got, func(r rune) bool { return r == '\n' || !unicode.IsPrint(r) && r != ' ' }) >= 0 {
			t.Fatalf("unprintable characters in %q", got)
		}
	})
}

func TestCommandText(t *testing.T) {
	for _, tc := range []struct{ prefix, name, arg, want string }{
		{"!", "claim", "", "!claim"},
		{"!", "close", "  fixed in 2.3 ", "!close fixed in 2.3"},
		{"/", "note", "she is VIP", "/note she is VIP"},
		{"!", "Status", "", "!status"},
	} {
		if got := commandText(tc.prefix, tc.name, tc.arg); got != tc.want {
			t.Errorf("commandText(%q, %q, %q) = %q, want %q", tc.prefix, tc.name, tc.arg, got, tc.want)
		}
	}
}

func TestInteractionCommand(t *testing.T) {
	var slash, btn, other discordgo.Interaction
	for raw, dst := range map[string]*discordgo.Interaction{
		`{"id":"1","type":2,"data":{"id":"9","name":"close","type":1,"options":[{"name":"reason","type":3,"value":"spam"}]}}`: &slash,
		`{"id":"2","type":3,"data":{"custom_id":"tl:claim","component_type":2}}`:                                              &btn,
		`{"id":"3","type":3,"data":{"custom_id":"someone-elses","component_type":2}}`:                                         &other,
	} {
		if err := json.Unmarshal([]byte(raw), dst); err != nil {
			t.Fatal(err)
		}
	}
	if n, a, ok := interactionCommand(&slash); !ok || n != "close" || a != "spam" {
		t.Errorf("slash = %q %q %v", n, a, ok)
	}
	if n, a, ok := interactionCommand(&btn); !ok || n != "claim" || a != "" {
		t.Errorf("button = %q %q %v", n, a, ok)
	}
	if _, _, ok := interactionCommand(&other); ok {
		t.Error("foreign button handled")
	}
}

func TestEscapeCustomer(t *testing.T) {
	if got := escapeCustomer("[click](http://evil) and [1]"); got != `\[click](http://evil) and \[1]` {
		t.Errorf("escapeCustomer = %q", got)
	}
	if got := escapeMarkdown("*Al_ice*\n"); got != `\*Al\_ice\*` {
		t.Errorf("escapeMarkdown = %q", got)
	}
}

func TestTags(t *testing.T) {
	avail := []discordgo.ForumTag{{ID: "1", Name: "Open"}, {ID: "2", Name: "waiting"}, {ID: "3", Name: "Closed"}, {ID: "4", Name: "🔥 Urgent"},
		{ID: "5", Name: "High"}, {ID: "6", Name: "billing"}, {ID: "7", Name: "vip"}}
	cfg := Config{Tags: map[string]string{"urgent": "🔥 urgent"}}
	v := bridge.ConversationView{Conversation: bridge.Conversation{Status: bridge.StatusOpen, Priority: bridge.PriorityUrgent, Department: "Billing"}}
	if got := cfg.wantedTags(avail, v); !slices.Equal(got, []string{"1", "4", "6"}) {
		t.Errorf("wanted = %v", got)
	}
	// vip was applied by hand and stays; the old status tag goes.
	v.Status, v.Priority = bridge.StatusWaiting, bridge.PriorityNormal
	if got := cfg.mergeTags(avail, []string{"1", "4", "7"}, v); !slices.Equal(got, []string{"2", "6", "7"}) {
		t.Errorf("merged = %v", got)
	}
	if got := cfg.missingTags(avail[:2]); !slices.Equal(got, []string{"closed", "🔥 urgent", "high"}) {
		t.Errorf("missing = %v", got)
	}
}

func TestConfig(t *testing.T) {
	env := map[string]string{"DISCORD_BOT_TOKEN": " tok ", "DISCORD_CHANNEL_ID": "123456789012345678", "DISCORD_API_URL": "http://127.0.0.1:9/api/v9/"}
	var c Config
	c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	c.Defaults()
	if c.BotToken != "tok" || c.ChannelID != "123456789012345678" || c.APIURL != "http://127.0.0.1:9/api/v9" || !c.Enabled() {
		t.Errorf("config = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	var off Config
	off.Defaults()
	if off.Enabled() || off.OffReason() != "DISCORD_BOT_TOKEN not set" || off.APIURL != "https://discord.com/api/v9" {
		t.Errorf("empty config = %+v (%s)", off, off.OffReason())
	}
	if err := off.Validate(); err != nil {
		t.Errorf("empty config must be valid (the surface is just off): %v", err)
	}
	bad := Config{BotToken: "tok", GuildID: "abc", APIURL: "ftp://x", StaffRoleIDs: []string{"x"}, WebhookName: "Discord Bot", Tags: map[string]string{"open": ""}}
	err := bad.Validate()
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *bridge.FieldError
		if errors.As(e, &fe) {
			fields = append(fields, fe.Field)
		}
	}
	slices.Sort(fields)
	if want := []string{"api_url", "guild_id", "staff_role_ids[0]", "tags.open", "webhook_name"}; !slices.Equal(fields, want) {
		t.Errorf("fields = %v, want %v", fields, want)
	}
}

func TestRedact(t *testing.T) {
	in := `Post "http://127.0.0.1:1/api/v9/webhooks/123/whtok-abc?wait=true&thread_id=5": EOF; /interactions/77/itok-9/callback`
	got := redact(in)
	if strings.Contains(got, "whtok-abc") || strings.Contains(got, "itok-9") || !strings.Contains(got, "/webhooks/123/***") {
		t.Errorf("redact = %q", got)
	}
}

func TestWithMentions(t *testing.T) {
	for _, tc := range []struct {
		ids         []bridge.StaffID
		text        string
		users       []string
		roles       []string
		parseEveryo bool
	}{
		{nil, "x", nil, nil, false},
		{[]bridge.StaffID{"discord:42"}, "x <@42>", []string{"42"}, nil, false},
		{[]bridge.StaffID{"discord:role:700"}, "x <@&700>", nil, []string{"700"}, false},
		{[]bridge.StaffID{"discord:role:700", "discord:42", bridge.MentionHere}, "x <@&700> <@42> @here", []string{"42"}, []string{"700"}, true},
		// Other surfaces' people and groups, and malformed ids, are left out.
		{[]bridge.StaffID{"slack:U1", "slack:group:S1", "console:bob", "discord:role:", "discord:"}, "x", nil, nil, false},
	} {
		text, am := withMentions("x", tc.ids)
		if text != tc.text || !slices.Equal(am.Users, tc.users) || !slices.Equal(am.Roles, tc.roles) ||
			(len(am.Parse) == 1) != tc.parseEveryo || am.Parse == nil {
			t.Errorf("withMentions(%v) = %q users %v roles %v parse %v", tc.ids, text, am.Users, am.Roles, am.Parse)
		}
	}
}

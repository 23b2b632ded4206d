package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

func setup(t *testing.T, extra ...commands.Command) (*commands.Handler, *sqlite.Store, bridge.ConversationID) {
	t.Helper()
	st := storetest.Open(t)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}})
	table, err := commands.NewTable(append(commands.Core(), extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Deliver(context.Background(), bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	return commands.NewHandler(eng, table, commands.DefaultSyntax(), nil), st, res.Conversation
}

func customerSends(t *testing.T, st *sqlite.Store, conv bridge.ConversationID) int {
	rows, err := st.OutboxRows(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Kind == bridge.KindCustomerSend {
			n++
		}
	}
	return n
}

var (
	alice = bridge.Actor{ID: "console:alice", Name: "Alice"}
	bob   = bridge.Actor{ID: "console:bob", Name: "Bob"}
)

func TestHandlerTable(t *testing.T) {
	for _, tc := range []struct {
		text      string
		wantErr   bool
		wantText  string // substring of feedback
		wantSends int    // customer sends caused
		wantState bridge.Status
		wantOwner string
	}{
		{text: "Hi Anna, checking now", wantSends: 1, wantState: bridge.StatusWaiting},
		{text: "// she is on the old plan", wantState: bridge.StatusOpen},
		{text: "!note she is on the old plan", wantState: bridge.StatusOpen},
		{text: "!note", wantErr: true, wantText: "Usage: !note <text>", wantState: bridge.StatusOpen},
		{text: "!claim", wantText: "You own #1 now", wantState: bridge.StatusOpen, wantOwner: "Alice"},
		{text: "!take", wantText: "You own #1 now", wantState: bridge.StatusOpen, wantOwner: "Alice"},
		{text: "!claim now please", wantErr: true, wantText: "Usage: !claim", wantState: bridge.StatusOpen},
		{text: "!release", wantErr: true, wantText: "not claimed", wantState: bridge.StatusOpen},
		{text: "!close fixed in 2.3", wantText: "closed", wantState: bridge.StatusClosed},
		{text: "!reopen", wantErr: true, wantText: "not closed", wantState: bridge.StatusOpen},
		{text: "!status", wantText: "#1 · open · normal priority · unclaimed", wantState: bridge.StatusOpen},
		{text: "!frobnicate", wantErr: true, wantText: "Unknown command !frobnicate. Nothing was sent to the customer.", wantState: bridge.StatusOpen},
		{text: "!help", wantText: "!claim", wantState: bridge.StatusOpen},
		{text: "!list", wantText: "1 open conversation(s):\n#1 open · normal · unclaimed · Anna on webchat", wantState: bridge.StatusOpen},
		{text: "!list 0", wantErr: true, wantText: "number from 1 to 100", wantState: bridge.StatusOpen},
		{text: "!!claim is what I'd type", wantSends: 1, wantState: bridge.StatusWaiting},
	} {
		t.Run(tc.text, func(t *testing.T) {
			h, st, conv := setup(t)
			fb, err := h.HandleStaffMessage(context.Background(), bridge.StaffMessage{Surface: "console", Conversation: conv, Actor: alice, Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if fb.Error != tc.wantErr || !strings.Contains(fb.Text, tc.wantText) {
				t.Errorf("feedback = %+v, want error=%v containing %q", fb, tc.wantErr, tc.wantText)
			}
			if n := customerSends(t, st, conv); n != tc.wantSends {
				t.Errorf("%d customer sends, want %d", n, tc.wantSends)
			}
			c, _ := st.Conversation(context.Background(), conv)
			if c.Status != tc.wantState || c.OwnerName != tc.wantOwner {
				t.Errorf("state %s owner %q, want %s %q", c.Status, c.OwnerName, tc.wantState, tc.wantOwner)
			}
		})
	}
}

func TestHandlerSequenceAndAudit(t *testing.T) {
	h, st, conv := setup(t)
	ctx := context.Background()
	say := func(text string) bridge.Feedback {
		fb, err := h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "console", Conversation: conv, Actor: alice, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return fb
	}
	say("!claim")
	say("!close")
	if fb := say("are you there?"); !fb.Error || !strings.Contains(fb.Text, "closed") {
		t.Errorf("reply to closed = %+v", fb)
	}
	say("!reopen")
	say("!release")
	log, _ := st.AuditLog(ctx, conv)
	var got []string
	for _, a := range log {
		got = append(got, a.Action)
	}
	if strings.Join(got, ",") != "created,claim,close,reopen,release" {
		t.Errorf("audit = %v", got)
	}
}

func TestHandlerUnknownThreadAndPermission(t *testing.T) {
	lead := commands.Command{Name: "purge", Help: "lead only", Permission: bridge.RoleLead,
		Run: func(context.Context, *commands.Invocation) (string, error) { return "purged", nil }}
	h, _, conv := setup(t, lead)
	ctx := context.Background()
	_, err := h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "slack", Thread: "nope", Actor: alice, Text: "hello"})
	if !errors.Is(err, bridge.ErrUnknownConversation) {
		t.Errorf("unknown thread = %v", err)
	}
	fb, err := h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "slack", Thread: "nope", Actor: alice, Text: "!help"})
	if err != nil || !strings.Contains(fb.Text, "!claim") {
		t.Errorf("!help outside a thread = %+v, %v", fb, err)
	}
	fb, _ = h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "console", Conversation: conv, Actor: alice, Text: "!purge"})
	if !fb.Error || !strings.Contains(fb.Text, "needs the lead role") {
		t.Errorf("agent running lead command = %+v", fb)
	}
	boss := alice
	boss.Role = bridge.RoleLead
	fb, _ = h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "console", Conversation: conv, Actor: boss, Text: "!purge"})
	if fb.Error || fb.Text != "purged" {
		t.Errorf("lead running lead command = %+v", fb)
	}
	fb, _ = h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "console", Conversation: 999, Actor: alice, Text: "!claim"})
	if !fb.Error || !strings.Contains(fb.Text, "no conversation #999") {
		t.Errorf("unknown id = %+v", fb)
	}
}

func TestTableRejectsDuplicates(t *testing.T) {
	_, err := commands.NewTable(append(commands.Core(), commands.Command{Name: "take", Run: func(context.Context, *commands.Invocation) (string, error) { return "", nil }})...)
	if err == nil || !strings.Contains(err.Error(), `"take"`) {
		t.Errorf("duplicate alias = %v", err)
	}
}

func TestHelpIsGeneratedFromTable(t *testing.T) {
	table, _ := commands.NewTable(commands.Core()...)
	help := table.Help(commands.DefaultSyntax())
	for _, c := range table.Commands() {
		if !strings.Contains(help, c.Usage("!")) || !strings.Contains(help, c.Help) {
			t.Errorf("help lacks %s", c.Name)
		}
	}
	if !strings.Contains(help, `"//"`) {
		t.Error("help does not mention the note prefix")
	}
}

// TestStatusShowsEntryPoint: !status says where the customer wrote to.
func TestStatusShowsEntryPoint(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for entry, want := range map[string]string{
		"sales@example.com": "Customer: Dana on email via sales@example.com\n",
		"billing":           "Customer: Dana on email via widget billing\n",
		"@acme_bot":         "Customer: Dana on email via @acme_bot\n",
		"":                  "Customer: Dana on email\n",
	} {
		v := bridge.ConversationView{Conversation: bridge.Conversation{ID: 3, CustomerName: "Dana", Channel: "email", Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, Entry: entry, CreatedAt: now}}
		if got := commands.FormatStatus(v, now); !strings.Contains(got, want) {
			t.Errorf("entry %q: status\n%s\nlacks %q", entry, got, want)
		}
	}
}

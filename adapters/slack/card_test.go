package slack

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from golden file:\n%s", name, got)
	}
}

func TestCardGolden(t *testing.T) {
	base := bridge.ConversationView{Conversation: bridge.Conversation{ID: 42, CustomerName: "Anna <!channel>", Channel: "webchat", Entry: "billing",
		Subject: "My order #123 is late", Status: bridge.StatusOpen, Priority: bridge.PriorityNormal,
		CreatedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), MessageCount: 1}, LastMessage: "My order #123 is late", Identity: "anna@example.com"}
	claimed := base
	claimed.Status, claimed.Owner, claimed.OwnerName, claimed.Priority, claimed.Department = bridge.StatusWaiting, "slack:U1", "Alice", bridge.PriorityUrgent, "billing"
	claimed.LastMessage, claimed.MessageCount = "Any news? <@U999>", 3
	claimed.Tags, claimed.EscalatedTo = []string{"vip", "refund"}, "engineering"
	claimed.SnoozedUntil = time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	claimed.SLADue = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	closed := base
	closed.Status, closed.Unreachable = bridge.StatusClosed, "bot was blocked by the user"
	for name, tc := range map[string]struct {
		v    bridge.ConversationView
		prev string
	}{
		"card_open":    {base, ""},
		"card_claimed": {claimed, "https://fake.slack.com/archives/C1/p1700000000000001"},
		"card_closed":  {closed, ""},
	} {
		b, err := json.MarshalIndent(cardBlocks(tc.v, tc.prev), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name, append(b, '\n'))
	}
}

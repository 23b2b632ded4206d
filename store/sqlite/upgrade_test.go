package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// upgradeStep is what a database at one schema version holds: rows written
// with that version's SQL, and checks that they read back after upgrading
// to the latest version. Every migration needs an entry (empty when it only
// adds indexes), so a new migration cannot skip the upgrade test.
type upgradeStep struct {
	insert []string
	check  func(t *testing.T, s *sqlite.Store)
	// onlyBefore, when set, limits the step to databases built at an
	// earlier version: its rows are in a shape a later migration converts.
	onlyBefore int
}

var upgradeSteps = map[int]upgradeStep{
	1: {
		insert: []string{
			`INSERT INTO customers (id, name, email, unreachable, created_at) VALUES (1, 'Ann', 'ann@example.com', '', 1000)`,
			`INSERT INTO customer_identities (platform, address, customer_id, display_name, username, email, created_at, updated_at)
				VALUES ('webchat', 'v-ann', 1, 'Ann', '', 'ann@example.com', 1000, 1000)`,
			`INSERT INTO conversations (id, customer_id, channel, address, subject, status, priority, department, owner, owner_name,
				created_at, updated_at, first_response_at, last_customer_at, last_staff_at, closed_at, close_reason)
				VALUES (1, 1, 'webchat', 'v-ann', 'Login', 'closed', 'high', 'support', 'console:bob', 'Bob', 1000, 5000, 2000, 3000, 2000, 5000, 'solved')`,
			`INSERT INTO messages (id, conversation_id, direction, author_id, author, body, attachments, platform, external_id, edit_of, created_at) VALUES
				(1, 1, 'customer', 'customer:v-ann', 'Ann', 'I cannot log in quokka', '[{"name":"shot.png","path":"attachments/shot.png"}]', 'webchat', 'w1', NULL, 1000),
				(2, 1, 'staff', 'console:bob', 'Bob', 'Try again', '', 'console', NULL, NULL, 2000),
				(3, 1, 'customer', 'customer:v-ann', 'Ann', 'I cannot log in at all quokka', '', 'webchat', 'w1-edit', 1, 3000)`,
			`INSERT INTO message_refs (platform, external_id, message_id) VALUES ('console', 'c-2', 2)`,
			`INSERT INTO threads (surface, thread_ref, conversation_id, active, created_at) VALUES ('console', 't-1', 1, 1, 1000), ('console', 't-0', 1, 0, 900)`,
			`INSERT INTO outbox (conversation_id, target, kind, message_id, payload, state, attempts, next_attempt_at, created_at, done_at) VALUES
				(1, 'console', 'staff_post', 1, '', 'sent', 1, 0, 1000, 1000),
				(1, 'webchat', 'customer_send', 2, '', 'dead', 12, 0, 2000, 2500),
				(1, 'console', 'card', NULL, '', 'pending', 0, 9000, 5000, NULL)`,
			`INSERT INTO audit_log (conversation_id, actor, actor_name, action, detail, at) VALUES (1, 'console:bob', 'Bob', 'close', 'solved', 5000)`,
			`INSERT INTO cursors (adapter, key, value, updated_at) VALUES ('telegram', 'offset', '42', 1000)`,
			`INSERT INTO seen_events (source, event_id, at) VALUES ('slack', 'Ev1', 1000)`,
		},
		check: func(t *testing.T, s *sqlite.Store) {
			ctx := context.Background()
			c, err := s.Conversation(ctx, 1)
			if err != nil || c.Status != bridge.StatusClosed || c.Subject != "Login" || c.OwnerName != "Bob" ||
				c.CustomerName != "Ann" || !c.ClosedAt.Equal(time.UnixMilli(5000)) || c.Priority != bridge.PriorityHigh {
				t.Errorf("conversation = %+v, %v", c, err)
			}
			ms, err := s.Messages(ctx, 1, 0)
			if err != nil || len(ms) < 3 || ms[0].Body != "I cannot log in quokka" || len(ms[0].Attachments) != 1 ||
				ms[0].Attachments[0].Path != "attachments/shot.png" {
				t.Errorf("messages = %+v, %v", ms, err)
			}
			if hits, err := s.Search(ctx, "quokka", 10); err != nil || len(hits) != 2 {
				t.Errorf("search = %+v, %v", hits, err)
			}
			if m, err := s.MessageByExternal(ctx, "console", "c-2"); err != nil || m.ID != 2 {
				t.Errorf("message by ref = %+v, %v", m, err)
			}
			if ref, err := s.Thread(ctx, 1, "console"); err != nil || ref != "t-1" {
				t.Errorf("thread = %q, %v", ref, err)
			}
			if id, err := s.ConversationByThread(ctx, "console", "t-0"); err != nil || id != 1 {
				t.Errorf("old thread = %v, %v", id, err)
			}
			if rows, err := s.OutboxRows(ctx, 1); err != nil || len(rows) < 3 || rows[1].State != "dead" {
				t.Errorf("outbox = %+v, %v", rows, err)
			}
			if a, err := s.AuditLog(ctx, 1); err != nil || len(a) < 1 || a[0].Action != "close" {
				t.Errorf("audit = %+v, %v", a, err)
			}
			if v, err := s.Cursor(ctx, "telegram", "offset"); err != nil || v != "42" {
				t.Errorf("cursor = %q, %v", v, err)
			}
			if seen, err := s.SeenEvent(ctx, "slack", "Ev1"); err != nil || !seen {
				t.Errorf("seen event = %v, %v", seen, err)
			}
			if ids, err := s.CustomerIdentities(ctx, 1); err != nil || len(ids) != 1 || ids[0].Email != "ann@example.com" {
				t.Errorf("identities = %+v, %v", ids, err)
			}
		},
	},
	2: {
		insert: []string{
			`INSERT INTO conversation_tags (conversation_id, tag, added_at) VALUES (1, 'vip', 1000)`,
			`INSERT INTO staff (id, name, last_seen) VALUES ('console:bob', 'Bob', 1000)`,
			`INSERT INTO templates (name, body, created_by, created_at) VALUES ('hello', 'Hi {{customer}}', 'console:bob', 1000)`,
			`UPDATE conversations SET claimed_at = 1500, escalated_to = 'billing', escalated_at = 1600, priority_before_escalation = 'normal' WHERE id = 1`,
			`INSERT INTO messages (id, conversation_id, direction, body, created_at, mentions) VALUES (4, 1, 'system', 'Escalated to billing', 1600, '["console:bob"]')`,
		},
		check: func(t *testing.T, s *sqlite.Store) {
			ctx := context.Background()
			v, err := s.ConversationView(ctx, 1)
			if err != nil || !slices.Equal(v.Tags, []string{"vip"}) || v.EscalatedTo != "billing" || v.PriorityBeforeEscalation != "normal" {
				t.Errorf("view = %+v, %v", v, err)
			}
			if m, err := s.Message(ctx, 4); err != nil || !slices.Equal(m.Mentions, []bridge.StaffID{"console:bob"}) {
				t.Errorf("mentions = %+v, %v", m, err)
			}
			if staff, err := s.KnownStaff(ctx); err != nil || staff["console:bob"] != "Bob" {
				t.Errorf("staff = %v, %v", staff, err)
			}
			if tpl, err := s.Templates(ctx); err != nil || tpl["hello"] == "" {
				t.Errorf("templates = %v, %v", tpl, err)
			}
		},
	},
	3: {
		insert: []string{
			`UPDATE conversations SET sla_policy = 'normal', sla_first_met = 1, sla_resolution_met = 0, sla_next_met = 2, csat_asked_at = 5000 WHERE id = 1`,
			`INSERT INTO csat (conversation_id, score, raw, at) VALUES (1, 5, '5', 6000)`,
		},
		check: func(t *testing.T, s *sqlite.Store) {
			c, err := s.Conversation(context.Background(), 1)
			if err != nil || c.SLA.Policy != "normal" || c.SLA.FirstMet == nil || !*c.SLA.FirstMet || c.SLA.ResolvedMet == nil ||
				*c.SLA.ResolvedMet || c.SLA.NextMet != 2 || c.CSATAskedAt.IsZero() {
				t.Errorf("sla = %+v, %v", c.SLA, err)
			}
		},
	},
	4: {
		insert: []string{`UPDATE conversations SET sla_due = 7000 WHERE id = 1`},
		check: func(t *testing.T, s *sqlite.Store) {
			if c, err := s.Conversation(context.Background(), 1); err != nil || !c.SLADue.Equal(time.UnixMilli(7000)) {
				t.Errorf("sla_due = %v, %v", c.SLADue, err)
			}
		},
	},
	5: {
		// Pending outbox rows in the v5 shape: every row in a lane has its
		// own due time. Migration 6 makes only the head of each lane due and
		// migration 8 fills in the pacing destination.
		onlyBefore: 6,
		insert: []string{`INSERT INTO outbox (id, conversation_id, target, kind, message_id, payload, state, attempts, next_attempt_at, created_at) VALUES
			(4, 1, 'console', 'staff_post', 3, '', 'pending', 0, 9500, 5100),
			(5, 1, 'console', 'card', NULL, '', 'pending', 0, 9600, 5200),
			(6, 1, 'webchat', 'customer_send', 2, '', 'pending', 0, 9700, 5300)`},
		check: func(t *testing.T, s *sqlite.Store) {
			due, err := s.DueOutbox(context.Background(), time.UnixMilli(1<<40), 10, nil)
			var got []string
			for _, it := range due {
				got = append(got, fmt.Sprintf("%d:%s", it.ID, it.Dest))
			}
			// Row 3 (from step 1) heads the console lane; 4 and 5 wait behind it.
			if err != nil || strings.Join(got, " ") != "3:support 6:v-ann" {
				t.Errorf("due after upgrade = %v, %v (want the lane heads 3 and 6 with their destinations)", got, err)
			}
		},
	},
	6:  {}, // data conversion, checked by step 5
	7:  {}, // indexes only
	8:  {}, // data conversion, checked by step 5
	9:  {}, // indexes only
	10: {}, // a new column with a default; older conversations have no entry point
	11: {}, // triggers only: new messages are indexed at commit (checked after the upgrade below)
}

// TestUpgradeFromEveryVersion builds a database at every earlier schema
// version, fills it with rows of that version, upgrades it to the latest
// and checks that everything reads back, the engine works on it, and the
// file is consistent.
func TestUpgradeFromEveryVersion(t *testing.T) {
	latest := sqlite.LatestVersion()
	for v := 1; v <= latest; v++ {
		if _, ok := upgradeSteps[v]; !ok {
			t.Fatalf("migration %d has no entry in upgradeSteps (upgrade_test.go): add the rows it makes possible, or an empty entry if it only adds indexes", v)
		}
	}
	for from := 0; from < latest; from++ {
		t.Run(fmt.Sprintf("from_v%d", from), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "old.db")
			s, err := sqlite.Open(store.Config{Path: path}, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if applied, err := s.MigrateTo(ctx, from); err != nil || len(applied) != from {
				t.Fatalf("build v%d: applied %d, %v", from, len(applied), err)
			}
			if v, _ := s.SchemaVersion(ctx); v != from {
				t.Fatalf("built v%d, database says v%d", from, v)
			}
			for v := 1; v <= from; v++ {
				if ob := upgradeSteps[v].onlyBefore; ob != 0 && from >= ob {
					continue
				}
				for _, q := range upgradeSteps[v].insert {
					if err := s.Write(ctx, func(tx bridge.Tx) error { return sqlite.ExecForTest(tx, q) }); err != nil {
						t.Fatalf("v%d fixture: %v\n%s", v, err, q)
					}
				}
			}
			applied, err := s.Migrate(ctx)
			if err != nil {
				t.Fatalf("upgrade from v%d: %v", from, err)
			}
			if len(applied) != latest-from || applied[0].Version != from+1 {
				t.Errorf("upgrade from v%d applied %+v", from, applied)
			}
			if err := s.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
			for v := 1; v <= from; v++ {
				if ob := upgradeSteps[v].onlyBefore; ob != 0 && from >= ob {
					continue
				}
				if c := upgradeSteps[v].check; c != nil {
					c(t, s)
				}
			}
			// The engine works on the upgraded file.
			e := engine.New(engine.Options{Store: s, Surfaces: []bridge.Platform{"console"}})
			res, err := e.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v-ann", Text: "after the upgrade", ExternalID: "w-new"})
			if err != nil {
				t.Fatal(err)
			}
			if from >= 1 && res.Conversation == 1 {
				t.Errorf("a message long after the close joined the closed conversation")
			}
			if hits, err := s.Search(ctx, "upgrade", 10); err != nil || len(hits) != 1 || hits[0].Message != res.Message {
				t.Errorf("search for the message written after the upgrade = %+v, %v", hits, err)
			}
			checkConsistent(t, openRaw(t, path))
			// Deleting works on upgraded data (foreign keys, triggers).
			cust, _ := s.Conversation(ctx, res.Conversation)
			if _, err := s.ForgetCustomer(ctx, cust.Customer, bridge.SystemActor(), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			checkConsistent(t, openRaw(t, path))
		})
	}
}

func TestMigrateToIsForwardOnly(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(store.Config{Path: filepath.Join(t.TempDir(), "f.db")}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if applied, err := s.MigrateTo(ctx, 1); err != nil || len(applied) != 0 {
		t.Errorf("MigrateTo(1) on a latest database applied %d, %v", len(applied), err)
	}
	if v, _ := s.SchemaVersion(ctx); v != sqlite.LatestVersion() {
		t.Errorf("version went to %d", v)
	}
}

package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// clock is a settable engine clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type opsFixture struct {
	t     *testing.T
	s     *sqlite.Store
	e     *engine.Engine
	clock *clock
	now   time.Time
	dir   string
}

func newOpsFixture(t *testing.T) *opsFixture {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f := &opsFixture{t: t, s: storetest.Open(t), clock: &clock{t: now}, now: now, dir: t.TempDir()}
	f.e = engine.New(engine.Options{Store: f.s, Surfaces: []bridge.Platform{"console"}, Clock: clocktest.Func(f.clock.now)})
	return f
}

var staff = bridge.Actor{ID: "console:bob", Name: "Bob", Role: bridge.RoleLead}

// conversation writes n customer messages (every third with a stored
// attachment) and a staff reply on channel/address at time at, with a
// thread, a tag, a message ref and an audit trail, and closes it if closed.
func (f *opsFixture) conversation(channel, address, email, word string, n int, at time.Time, closed bool) (bridge.ConversationID, []string) {
	t, ctx := f.t, context.Background()
	t.Helper()
	f.clock.set(at)
	defer f.clock.set(f.now)
	var conv bridge.ConversationID
	var files []string
	for i := range n {
		m := bridge.InboundMessage{Channel: bridge.Platform(channel), Address: address, Email: email, Name: "Name of " + address,
			ExternalID: fmt.Sprintf("%s-%s-%d", channel, address, i), Text: fmt.Sprintf("%s message %d from %s", word, i, address)}
		if i%3 == 0 {
			p := filepath.Join(f.dir, fmt.Sprintf("%s-%d.txt", address, i))
			files = append(files, p)
			m.Attachments = []bridge.Attachment{{Name: "file.txt", Path: p, Size: 4}}
		}
		res, err := f.e.Deliver(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		conv = res.Conversation
	}
	sc := engine.StaffContext{Conversation: conv, Actor: staff, Surface: "console"}
	reply, err := f.e.Reply(ctx, sc, "We are on it, "+address, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = f.s.Write(ctx, func(tx bridge.Tx) error {
		if err := tx.SetThread(conv, "console", bridge.ThreadRef("thread-"+address), at); err != nil {
			return err
		}
		if _, err := tx.AddTag(conv, "billing", at); err != nil {
			return err
		}
		items, err := f.s.OutboxRows(ctx, conv)
		if err != nil || len(items) == 0 {
			return fmt.Errorf("outbox rows: %v %v", items, err)
		}
		return tx.MarkSent(items[0].ID, bridge.ExternalRef{Platform: "console", ID: "ref-" + address}, reply, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	if closed {
		if _, err := f.e.Close(ctx, sc, "solved"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Write(ctx, func(tx bridge.Tx) error {
			_, err := tx.RecordCSAT(conv, 5, "5", at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return conv, files
}

func (f *opsFixture) gone(conv bridge.ConversationID) bool {
	_, err := f.s.Conversation(context.Background(), conv)
	if err != nil && !errors.Is(err, bridge.ErrNotFound) {
		f.t.Fatal(err)
	}
	return errors.Is(err, bridge.ErrNotFound)
}

func (f *opsFixture) consistent() {
	f.t.Helper()
	checkConsistent(f.t, openRaw(f.t, f.s.Path()))
}

func TestRetentionPurgesOnlyOldClosedConversations(t *testing.T) {
	ctx := context.Background()
	f := newOpsFixture(t)
	old, recent := f.now.AddDate(0, 0, -100), f.now.AddDate(0, 0, -10)
	a, aFiles := f.conversation("webchat", "x-web", "x@example.com", "kumquat", 30, old, true) // customer X
	b, bFiles := f.conversation("telegram", "x-tg", "x@example.com", "kumquat", 2, old, true)  // X again (same email)
	c, _ := f.conversation("webchat", "x-web2", "x@example.com", "papaya", 2, old, false)      // X, still open
	d, _ := f.conversation("webchat", "z-web", "", "papaya", 3, recent, true)                  // closed recently
	e, eFiles := f.conversation("webchat", "y-web", "", "kumquat", 4, old, true)               // customer Y, all old
	ya, _ := f.s.Conversation(ctx, e)
	xa, _ := f.s.Conversation(ctx, a)
	if hits, _ := f.s.Search(ctx, "kumquat", 100); len(hits) == 0 {
		t.Fatal("fixture: search finds nothing")
	}

	// A message in the kept conversation edits one in a purged conversation.
	aMsgs, _ := f.s.Messages(ctx, a, 1)
	cMsgs, _ := f.s.Messages(ctx, c, 1)
	if err := f.s.Write(ctx, func(tx bridge.Tx) error {
		return sqlite.ExecForTest(tx, `UPDATE messages SET edit_of = ? WHERE id = ?`, aMsgs[0].ID, cMsgs[0].ID)
	}); err != nil {
		t.Fatal(err)
	}

	cutoff := f.now.AddDate(0, 0, -90)
	p, err := f.s.PreviewPurge(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	// a: 30 customer + reply + close notice; b: 2+2; e: 4+2.
	if p.Conversations != 3 || p.Customers != 1 || p.Messages < 30+2+4+3 {
		t.Errorf("preview = %+v", p)
	}
	var files []string
	var progress []store.Deleted
	got, err := f.s.PurgeClosed(ctx, cutoff, store.DeleteOptions{Batch: 7,
		Progress: func(d store.Deleted) { progress = append(progress, d) },
		Files:    func(paths []string) { files = append(files, paths...) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("purged %+v", got)
	if got.Conversations != 3 || got.Messages != p.Messages || got.Customers != 1 || got.Identities != 1 {
		t.Errorf("purged %+v, preview %+v", got, p)
	}
	if got.Batches < p.Messages/7 || len(progress) != got.Batches {
		t.Errorf("%d batches, %d progress calls for %d messages in batches of 7", got.Batches, len(progress), p.Messages)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Messages < progress[i-1].Messages {
			t.Errorf("progress went backwards: %+v", progress)
		}
	}
	want := slices.Concat(aFiles, bFiles, eFiles)
	slices.Sort(want)
	slices.Sort(files)
	if !slices.Equal(files, want) {
		t.Errorf("attachment files = %v, want %v", files, want)
	}
	for _, conv := range []bridge.ConversationID{a, b, e} {
		if !f.gone(conv) {
			t.Errorf("%s survived", conv)
		}
		if rows, _ := f.s.OutboxRows(ctx, conv); len(rows) != 0 {
			t.Errorf("%s: %d outbox rows left", conv, len(rows))
		}
		if audit, _ := f.s.AuditLog(ctx, conv); len(audit) != 0 {
			t.Errorf("%s: audit rows left", conv)
		}
	}
	for _, conv := range []bridge.ConversationID{c, d} {
		if f.gone(conv) {
			t.Errorf("%s was purged", conv)
		}
		if ms, _ := f.s.Messages(ctx, conv, 0); len(ms) < 3 {
			t.Errorf("%s lost messages: %d left", conv, len(ms))
		}
	}
	if hits, _ := f.s.Search(ctx, "kumquat", 100); len(hits) != 0 {
		t.Errorf("search still finds purged text: %+v", hits)
	}
	if hits, _ := f.s.Search(ctx, "papaya", 100); len(hits) == 0 {
		t.Error("search lost kept text")
	}
	if _, err := f.s.Customer(ctx, ya.Customer); !errors.Is(err, bridge.ErrNotFound) {
		t.Errorf("customer Y (no conversations left) = %v", err)
	}
	if _, err := f.s.Customer(ctx, xa.Customer); err != nil {
		t.Errorf("customer X (open conversation left) = %v", err)
	}
	if ids, _ := f.s.CustomerIdentities(ctx, xa.Customer); len(ids) != 3 {
		t.Errorf("customer X identities = %+v", ids)
	}
	audit, err := f.s.LatestAudit(ctx, "retention_purged", 5)
	if err != nil || len(audit) != 1 || !strings.Contains(audit[0].Detail, "3 conversations") {
		t.Errorf("retention audit = %+v, %v", audit, err)
	}
	f.consistent()

	again, err := f.s.PurgeClosed(ctx, cutoff, store.DeleteOptions{})
	if err != nil || again.Conversations != 0 {
		t.Errorf("second purge = %+v, %v", again, err)
	}
}

func TestForgetCustomerWhileOthersWrite(t *testing.T) {
	ctx := context.Background()
	f := newOpsFixture(t)
	old := f.now.AddDate(0, 0, -3)
	p1, files1 := f.conversation("webchat", "p-web", "pat@example.com", "secret", 25, old, true)
	p2, files2 := f.conversation("telegram", "p-tg", "pat@example.com", "secret", 7, f.now, false)
	q1, _ := f.conversation("webchat", "q-web", "quinn@example.com", "public", 5, f.now, false)
	conv, _ := f.s.Conversation(ctx, p1)
	pat := conv.Customer
	if c2, _ := f.s.Conversation(ctx, p2); c2.Customer != pat {
		t.Fatal("fixture: the email did not link both identities to one customer")
	}
	found, err := f.s.FindCustomers(ctx, "PAT@example.com")
	if err != nil || len(found) != 1 || found[0].ID != pat {
		t.Fatalf("find by email = %+v, %v", found, err)
	}
	if found, _ := f.s.FindCustomers(ctx, "NAME OF P-WEB"); len(found) != 1 || found[0].ID != pat {
		t.Errorf("find by name = %+v", found)
	}
	if found, _ := f.s.FindCustomers(ctx, "p-tg"); len(found) != 1 || found[0].ID != pat {
		t.Errorf("find by address = %+v", found)
	}
	fp, err := f.s.CustomerFootprint(ctx, pat)
	if err != nil || fp.Conversations != 2 || fp.Identities != 2 || fp.Files != 9+3 {
		t.Errorf("footprint = %+v, %v", fp, err)
	}

	// Someone else keeps writing the whole time.
	w := startWriters(t, f.e, 2)
	w.waitFor(t, 5)
	var files []string
	calls := 0
	got, err := f.s.ForgetCustomer(ctx, pat, bridge.Actor{ID: "cli", Name: "threadline customer forget"}, store.DeleteOptions{
		Batch: 10,
		Files: func(paths []string) { files = append(files, paths...) },
		Progress: func(store.Deleted) {
			calls++
			if calls == 1 {
				// Pat writes again in the middle of it: that goes too.
				if _, err := f.e.Deliver(ctx, bridge.InboundMessage{Channel: "telegram", Address: "p-tg", ExternalID: "late", Text: "secret late"}); err != nil {
					t.Error(err)
				}
				w.waitFor(t, w.count()+5)
			}
		}})
	w.halt(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forgot %+v; %d messages written by others meanwhile", got, w.count())
	if got.Conversations != 2 || got.Messages < fp.Messages+1 || got.Identities != 2 || got.Customers != 1 || got.Batches < 4 {
		t.Errorf("forget = %+v (footprint %+v)", got, fp)
	}
	want := append(append([]string{}, files1...), files2...)
	slices.Sort(want)
	slices.Sort(files)
	if !slices.Equal(files, want) {
		t.Errorf("files = %v, want %v", files, want)
	}
	if _, err := f.s.Customer(ctx, pat); !errors.Is(err, bridge.ErrNotFound) {
		t.Errorf("customer = %v", err)
	}
	if !f.gone(p1) || !f.gone(p2) {
		t.Error("conversations survived")
	}
	if ids, _ := f.s.CustomerIdentities(ctx, pat); len(ids) != 0 {
		t.Errorf("identities survived: %+v", ids)
	}
	if found, _ := f.s.FindCustomers(ctx, "pat@example.com"); len(found) != 0 {
		t.Errorf("still found: %+v", found)
	}
	if hits, _ := f.s.Search(ctx, "secret", 100); len(hits) != 0 {
		t.Errorf("search finds forgotten text: %+v", hits)
	}
	// Others untouched: the fixture customer and every concurrent message.
	if ms, _ := f.s.Messages(ctx, q1, 0); len(ms) != 5+1 {
		t.Errorf("quinn's conversation has %d messages", len(ms))
	}
	for _, id := range w.snapshot() {
		if _, err := f.s.Message(ctx, id); err != nil {
			t.Fatalf("concurrent message %d: %v", id, err)
		}
	}
	audit, err := f.s.LatestAudit(ctx, "customer_forgotten", 5)
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit = %+v, %v", audit, err)
	}
	d := audit[0].Detail
	if !strings.Contains(d, fmt.Sprintf("customer %d:", pat)) || !strings.Contains(d, "2 conversations") ||
		strings.Contains(d, "pat") || strings.Contains(d, "p-tg") {
		t.Errorf("audit detail %q: want id and counts, no personal data", d)
	}
	f.consistent()

	if _, err := f.s.ForgetCustomer(ctx, pat, staff, store.DeleteOptions{}); !errors.Is(err, bridge.ErrNotFound) {
		t.Errorf("forget again = %v, want ErrNotFound", err)
	}
}

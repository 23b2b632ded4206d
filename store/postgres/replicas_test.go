package postgres

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

var t0 = time.Date(2031, 3, 3, 9, 0, 0, 0, time.UTC)

// replicas opens n handles on one fresh, migrated database, as n
// Threadline processes would.
func replicas(t *testing.T, n int) []*Store {
	url := database(t)
	out := []*Store{openPG(t, url, store.Options{}, true)}
	for len(out) < n {
		out = append(out, openPG(t, url, store.Options{}, false))
	}
	return out
}

func openConversation(t *testing.T, s *Store, address string) bridge.Conversation {
	t.Helper()
	var c bridge.Conversation
	err := s.Write(t.Context(), func(tx bridge.Tx) error {
		cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: address}, t0)
		if err != nil {
			return err
		}
		c = bridge.Conversation{Customer: cust, Channel: "webchat", Address: address, Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: t0, UpdatedAt: t0}
		return tx.CreateConversation(&c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func logRetries(t *testing.T, handles []*Store) {
	var all RetryStats
	for _, s := range handles {
		st := s.RetryStats()
		all.Writes, all.Retries, all.GaveUp, all.Most = all.Writes+st.Writes, all.Retries+st.Retries, all.GaveUp+st.GaveUp, max(all.Most, st.Most)
	}
	t.Logf("%d writes committed, %d retries (%.0f per 1000 writes), at most %d attempts, %d gave up",
		all.Writes, all.Retries, 1000*float64(all.Retries)/float64(max(all.Writes, 1)), all.Most, all.GaveUp)
}

// Two replicas doing read-modify-write on one conversation and queueing on
// its lanes at the same time keep every guarantee: no update is lost, each
// write sees all earlier ones, a lane has one due head and keeps the order
// the writes committed in.
func TestTwoReplicasWritingOneConversationKeepEveryGuarantee(t *testing.T) {
	handles := replicas(t, 2)
	conv := openConversation(t, handles[0], "busy")
	const perHandle, writes = 6, 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*perHandle)
	start := make(chan struct{})
	for h, s := range handles {
		for g := range perHandle {
			wg.Go(func() {
				<-start
				for range writes {
					err := s.Write(t.Context(), func(tx bridge.Tx) error {
						c, err := tx.Conversation(conv.ID)
						if err != nil {
							return err
						}
						n := c.SLA.NextMet // the counter
						tags, err := tx.Tags(conv.ID)
						if err != nil {
							return err
						}
						if len(tags) != n {
							return fmt.Errorf("counter %d but %d tags: another write is interleaved", n, len(tags))
						}
						if added, err := tx.AddTag(conv.ID, fmt.Sprintf("n%03d", n), t0); err != nil || !added {
							return fmt.Errorf("tag n%03d: added %v, %v (another write used the same count)", n, added, err)
						}
						c.SLA.NextMet = n + 1
						c.Subject = fmt.Sprintf("replica %d goroutine %d wrote %d", h, g, n)
						if err := tx.UpdateConversation(c); err != nil {
							return err
						}
						for _, target := range []bridge.Platform{"slack", "discord"} {
							if err := tx.Enqueue(bridge.OutboxRow{Conversation: conv.ID, Target: target, Kind: bridge.KindNotice,
								Payload: strconv.Itoa(n)}, t0); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	logRetries(t, handles)
	const total = 2 * perHandle * writes
	a, b := handles[0], handles[1]
	for _, s := range handles {
		c, err := s.Conversation(t.Context(), conv.ID)
		if err != nil || c.SLA.NextMet != total {
			t.Fatalf("counter = %d, %v after %d increments: updates were lost", c.SLA.NextMet, err, total)
		}
	}
	rows, err := a.OutboxRows(t.Context(), conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	lanes := map[bridge.Platform][]store.OutboxRow{}
	for _, r := range rows {
		lanes[r.Target] = append(lanes[r.Target], r)
	}
	for target, lane := range lanes {
		if len(lane) != total {
			t.Fatalf("%s lane holds %d rows, want %d", target, len(lane), total)
		}
		for i, r := range lane {
			if r.Payload != strconv.Itoa(i) {
				t.Fatalf("%s lane row %d carries %q: out of the order the writes saw", target, i, r.Payload)
			}
		}
	}
	// Drain both lanes through alternating replicas: one head each, in order.
	for i := range total {
		s := handles[i%2]
		due, err := s.DueOutbox(t.Context(), t0, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 2 || due[0].Payload != strconv.Itoa(i) || due[1].Payload != strconv.Itoa(i) || due[0].Target == due[1].Target {
			t.Fatalf("step %d: due %+v, want one head per lane carrying %d", i, due, i)
		}
		for _, d := range due {
			if err := b.Write(t.Context(), func(tx bridge.Tx) error { return tx.MarkSent(d.ID, bridge.ExternalRef{}, 0, t0) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if next, err := a.NextOutboxDue(t.Context()); err != nil || !next.IsZero() {
		t.Errorf("NextOutboxDue after draining = %v, %v", next, err)
	}
	if problems, err := a.QuickCheck(t.Context()); err != nil || len(problems) != 0 {
		t.Errorf("QuickCheck = %v, %v", problems, err)
	}
}

// deliverFrom has senders customers per replica write in each times at
// once (a staff reply after every fifth message), pausing pause between
// messages, and checks that every message was stored once.
func deliverFrom(t *testing.T, handles []*Store, senders, each int, pause time.Duration) {
	t.Helper()
	for _, s := range handles {
		s.retries = retryStats{}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(handles)*senders)
	start := make(chan struct{})
	var convs sync.Map
	for h, s := range handles {
		eng := engine.New(engine.Options{Store: s, Surfaces: []bridge.Platform{"console"}, Clock: clocktest.New(t0)})
		for g := range senders {
			wg.Go(func() {
				<-start
				addr := fmt.Sprintf("visitor-%d-%d-%d", h, g, pause)
				for i := range each {
					res, err := eng.Deliver(t.Context(), bridge.InboundMessage{Channel: "webchat", Address: addr, Text: fmt.Sprintf("message %d", i)})
					if err != nil {
						errs <- err
						return
					}
					convs.Store(res.Conversation, true)
					if i%5 == 4 {
						sc := engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: "console:alice", Name: "Alice"}, Surface: "console"}
						if _, err := eng.Reply(t.Context(), sc, "on it", nil); err != nil {
							errs <- err
							return
						}
					}
					time.Sleep(pause)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	logRetries(t, handles)
	n := 0
	convs.Range(func(k, _ any) bool {
		n++
		ms, err := handles[0].Messages(t.Context(), k.(bridge.ConversationID), 0)
		if err != nil || len(ms) != each+each/5 {
			t.Errorf("conversation %v has %d messages, %v; want %d", k, len(ms), err, each+each/5)
		}
		return true
	})
	if n != len(handles)*senders {
		t.Errorf("%d conversations, want %d", n, len(handles)*senders)
	}
}

// The everyday load: two replicas delivering customer messages into many
// conversations at once (and staff replying) lose nothing.
func TestTwoReplicasDeliveringToManyConversations(t *testing.T) {
	deliverFrom(t, replicas(t, 2), 8, 20, 0)
}

// On a database with history the rate of retries depends on how many
// writes overlap, not on the size: new rows go to the last page of each id
// index, which every write also reads (its conversation is a recent one).
func TestTwoReplicasOnADatabaseWithHistory(t *testing.T) {
	handles := replicas(t, 2)
	err := handles[0].Write(t.Context(), func(tx bridge.Tx) error {
		for _, q := range []string{
			`INSERT INTO customers (name, email, created_at) SELECT 'c' || i, '', 0 FROM generate_series(1, 5000) i`,
			`INSERT INTO customer_identities (platform, address, customer_id, created_at, updated_at) SELECT 'webchat', 'old-' || id, id, 0, 0 FROM customers`,
			`INSERT INTO conversations (customer_id, channel, address, status, created_at, updated_at) SELECT id, 'webchat', 'old-' || id, 'closed', 0, 0 FROM customers`,
			`INSERT INTO messages (conversation_id, direction, body, created_at) SELECT (i % 5000) + 1, 'customer', 'old message ' || i, 0 FROM generate_series(1, 25000) i`,
			`INSERT INTO outbox (conversation_id, target, kind, state, next_attempt_at, created_at) SELECT conversation_id, 'console', 'card', 'sent', 0, 0 FROM messages`,
		} {
			if err := sqlstore.ExecForTest(tx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handles[0].w.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	t.Run("all at once", func(t *testing.T) { deliverFrom(t, handles, 8, 20, 0) })
	t.Run("paced", func(t *testing.T) { deliverFrom(t, handles, 4, 20, 20*time.Millisecond) })
}

// One replica drains a lane while the other keeps queueing on it: the
// worker never sees two heads, never finds the lane stuck, and gets each
// producer's rows in order.
func TestOneReplicaDrainsALaneAnotherFills(t *testing.T) {
	handles := replicas(t, 2)
	producer, worker := handles[0], handles[1]
	conv := openConversation(t, producer, "drain")
	const producers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				err := producer.Write(t.Context(), func(tx bridge.Tx) error {
					return tx.Enqueue(bridge.OutboxRow{Conversation: conv.ID, Target: "console", Kind: bridge.KindNotice,
						Payload: fmt.Sprintf("%d/%d", p, i)}, t0)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	next := make([]int, producers)
	got := 0
	for got < producers*each {
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		due, err := worker.DueOutbox(t.Context(), t0, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(due) > 1:
			t.Fatalf("%d heads due on one lane", len(due))
		case len(due) == 0 && finished:
			t.Fatalf("lane stuck after %d of %d rows", got, producers*each)
		case len(due) == 0:
			time.Sleep(time.Millisecond)
			continue
		}
		var p, i int
		if _, err := fmt.Sscanf(due[0].Payload, "%d/%d", &p, &i); err != nil {
			t.Fatal(err)
		}
		if i != next[p] {
			t.Fatalf("producer %d's row %d came before its row %d", p, i, next[p])
		}
		next[p]++
		got++
		if err := worker.Write(t.Context(), func(tx bridge.Tx) error { return tx.MarkSent(due[0].ID, bridge.ExternalRef{}, 0, t0) }); err != nil {
			t.Fatal(err)
		}
	}
	logRetries(t, handles)
}

// The same platform message delivered to two replicas at once (a webhook
// retried to another instance) is stored once; the other delivery is a
// duplicate, not an error.
func TestTheSameMessageDeliveredToTwoReplicasIsStoredOnce(t *testing.T) {
	handles := replicas(t, 2)
	var engines []*engine.Engine
	for _, s := range handles {
		engines = append(engines, engine.New(engine.Options{Store: s, Surfaces: []bridge.Platform{"console"}, Clock: clocktest.New(t0)}))
	}
	const messages = 20
	for i := range messages {
		results := make([]bridge.DeliverResult, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for h, eng := range engines {
			wg.Go(func() {
				results[h], errs[h] = eng.Deliver(t.Context(), bridge.InboundMessage{Channel: "telegram", Address: "42",
					ExternalID: fmt.Sprintf("42:%d", i), Text: fmt.Sprintf("hello %d", i)})
			})
		}
		wg.Wait()
		for h, err := range errs {
			if err != nil {
				t.Fatalf("message %d, replica %d: %v", i, h, err)
			}
		}
		if results[0].Message != results[1].Message || results[0].Duplicate == results[1].Duplicate {
			t.Fatalf("message %d: %+v and %+v; want one stored, one duplicate of it", i, results[0], results[1])
		}
	}
	convs, err := handles[0].ListConversations(t.Context(), store.ListFilter{All: true})
	if err != nil || len(convs) != 1 || convs[0].MessageCount != messages {
		t.Fatalf("conversations = %+v, %v; want one with %d messages", convs, err, messages)
	}
	logRetries(t, handles)
}

// A write whose insert meets a duplicate platform id gets ErrDuplicate and
// goes on: what it wrote before and after the refusal commits (in
// PostgreSQL a failed statement would have aborted the transaction).
func TestAWriteGoesOnAfterADuplicate(t *testing.T) {
	s := replicas(t, 1)[0]
	conv := openConversation(t, s, "dup")
	err := s.Write(t.Context(), func(tx bridge.Tx) error {
		for i, ext := range []string{"a", "a", "b", "a", "c"} {
			m := bridge.Message{Conversation: conv.ID, Direction: bridge.DirCustomer, Body: strconv.Itoa(i), Platform: "telegram",
				ExternalID: ext, CreatedAt: t0}
			err := tx.InsertMessage(&m, 0)
			if dup := errors.Is(err, bridge.ErrDuplicate); dup != (i == 1 || i == 3) || (err != nil && !dup) {
				return fmt.Errorf("insert %d (%s): %v", i, ext, err)
			}
			if _, err := tx.AddTag(conv.ID, "t"+strconv.Itoa(i), t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := s.Messages(t.Context(), conv.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range ms {
		bodies = append(bodies, m.Body)
	}
	if !slices.Equal(bodies, []string{"0", "2", "4"}) {
		t.Errorf("messages = %v", bodies)
	}
	if v, err := s.ConversationView(t.Context(), conv.ID); err != nil || len(v.Tags) != 5 {
		t.Errorf("tags = %v, %v: the write did not go on after the duplicates", v.Tags, err)
	}
}

// Replicas that start together on an empty database migrate it once: one
// applies every migration, the others wait for it and apply none.
func TestMigrationsFromSeveralHandlesAtOnceRunOnce(t *testing.T) {
	url := database(t)
	const n = 4
	var handles []*Store
	for range n {
		handles = append(handles, openPG(t, url, store.Options{}, false))
	}
	applied := make([][]store.Migration, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range handles {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = s.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("handle %d: %v", i, errs[i])
		}
		if len(applied[i]) != 0 && len(applied[i]) != LatestVersion() {
			t.Errorf("handle %d applied %d of %d migrations", i, len(applied[i]), LatestVersion())
		}
		total += len(applied[i])
	}
	if total != LatestVersion() {
		t.Errorf("%d migrations applied in all, want %d (each once)", total, LatestVersion())
	}
	var rows int
	if err := handles[0].r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != LatestVersion() {
		t.Errorf("schema_migrations holds %d rows, %v", rows, err)
	}
	for i, s := range handles {
		if err := s.CheckSchema(t.Context()); err != nil {
			t.Errorf("handle %d: %v", i, err)
		}
	}
}

// Backup names PostgreSQL and gives the pg_dump command for the database,
// without the password; Describe shows no password either.
func TestBackupSaysToUsePgDumpWithoutThePassword(t *testing.T) {
	url := strings.Replace(database(t), "postgres@", "postgres:s3cret@", 1)
	s := openPG(t, url, store.Options{}, true)
	_, err := s.Backup(t.Context(), "/backups/thread line.dump", store.BackupOptions{})
	var unsupported *store.BackupUnsupportedError
	if !errors.As(err, &unsupported) {
		t.Fatalf("Backup = %v, want a *store.BackupUnsupportedError", err)
	}
	msg := err.Error()
	for _, want := range []string{"PostgreSQL", "pg_dump", "'/backups/thread line.dump'", Redact(url)} {
		if !strings.Contains(msg, want) {
			t.Errorf("Backup error %q does not contain %q", msg, want)
		}
	}
	d := s.Describe()
	if strings.Contains(msg, "s3cret") || strings.Contains(d.Location, "s3cret") {
		t.Errorf("the password shows: %q, %+v", msg, d)
	}
	if d.Backend != "postgres" || !strings.HasPrefix(d.Durability, "synchronous_commit=") {
		t.Errorf("Describe = %+v", d)
	}
	if got := Redact("postgresql://u:p@h/db?sslmode=require&password=p"); got != "postgresql://u@h/db?sslmode=require" {
		t.Errorf("Redact = %q", got)
	}
}

// Opening an unreachable server fails at once, naming the URL without
// its password; a write the server refuses for its own reasons (a
// read-only transaction, as on a standby) is a storage failure.
func TestServerFailuresAreStorageFailures(t *testing.T) {
	_, err := Open(store.Config{Path: "postgres://u:s3cret@127.0.0.1:1/db?connect_timeout=2"}, store.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "postgres://u@127.0.0.1:1/db") {
		t.Fatalf("Open of an unreachable server = %v", err)
	}
	s := replicas(t, 1)[0]
	err = s.Write(t.Context(), func(tx bridge.Tx) error {
		if err := sqlstore.ExecForTest(tx, `SET TRANSACTION READ ONLY`); err != nil {
			return err
		}
		return tx.PutCursor("x", "y", "z", t0)
	})
	if err == nil {
		t.Fatal("a write in a read-only transaction succeeded")
	}
	if last, _ := s.LastError(); last == nil {
		t.Errorf("LastError after a read-only refusal = nil (the write failed with %v)", err)
	}
	if st := s.CommitStats(); st.Failures != 1 {
		t.Errorf("CommitStats = %+v", st)
	}
}

func TestRebindNumbersPlaceholdersAsSQLiteDoes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`a = ?1 AND b = ?2 AND c = ?1`, `a = $1 AND b = $2 AND c = $1`},
		{`a = ?2 AND b = ?`, `a = $2 AND b = $3`},
		{`a = '?' AND b = ? AND c = 'it''s ?' AND "we?ird" = ?`, `a = '?' AND b = $1 AND c = 'it''s ?' AND "we?ird" = $2`},
		{"a = ? -- what?\nAND b = ? /* ?1 */", "a = $1 -- what?\nAND b = $2 /* ?1 */"},
		{`x IN (?,?,?)`, `x IN ($1,$2,$3)`},
		{`?12`, `$12`},
		{`'unterminated ?`, `'unterminated ?`},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSearchSnippetMarksTheWords(t *testing.T) {
	s := replicas(t, 1)[0]
	conv := openConversation(t, s, "v")
	err := s.Write(t.Context(), func(tx bridge.Tx) error {
		m := bridge.Message{Conversation: conv.ID, Direction: bridge.DirCustomer, Body: "My Invoice shows the wrong VAT number", CreatedAt: t0}
		return tx.InsertMessage(&m, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Operators are punctuation: the words are invoice, vat and x.
	for q, want := range map[string]int{"invoice & vat": 1, "invoice | x\x00": 0, "!vat": 1, "vat <-> invoice": 1} {
		if hits, err := s.Search(t.Context(), q, 10); err != nil || len(hits) != want {
			t.Errorf("search %q: %d hits, %v; want %d", q, len(hits), err, want)
		}
	}
	hits, err := s.Search(t.Context(), "vat INVOICE", 10)
	if err != nil || len(hits) != 1 || !strings.Contains(hits[0].Snippet, "[Invoice]") || !strings.Contains(hits[0].Snippet, "[VAT]") {
		t.Fatalf("hits = %+v, %v", hits, err)
	}
}

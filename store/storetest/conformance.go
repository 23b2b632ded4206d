package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
)

// Backend says how to get fresh, migrated stores of one backend. Run checks
// it against the store contract (bridge.Store and store.DB).
type Backend struct {
	// Name is what Describe().Backend says ("sqlite", "postgres").
	Name string
	// Open returns a new, empty, migrated store that uses o, closed when
	// the test ends. Required.
	Open func(t testing.TB, o store.Options) store.DB

	// The hooks below do what the suite cannot do through store.DB. A nil
	// hook skips the subtests that need it, saying so.

	// Reopen opens a second, independent handle on db's database, as
	// another process would (closed when the test ends); db stays open.
	Reopen func(t testing.TB, db store.DB, o store.Options) store.DB
	// MakeSchemaNewer makes db's schema look as if a newer release had
	// migrated it (a version past LatestVersion).
	MakeSchemaNewer func(t testing.TB, db store.DB)
	// OpenBackup opens the file Backup wrote at path, without migrating
	// it. Nil means the backend does not copy itself: Backup must then
	// fail with an error that names the backend and says what to use.
	OpenBackup func(t testing.TB, path string) store.DB
}

// Run runs the conformance suite: one subtest per rule, grouped by role.
// Every subtest gets a store of its own from b.Open.
func Run(t *testing.T, b Backend) {
	if b.Open == nil {
		t.Fatal("storetest: Backend.Open is required")
	}
	for _, g := range suite() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) { c.run(newEnv(t, b)) })
			}
		})
	}
}

type group struct {
	name  string
	cases []testCase
}

type testCase struct {
	name string
	run  func(e *env)
}

func suite() []group {
	return []group{
		{"Contract", contractCases()},
		{"Conversations", conversationCases()},
		{"Messages", messageCases()},
		{"AnswerReader", answerCases()},
		{"CustomerTx", customerTxCases()},
		{"Threads", threadCases()},
		{"Staff", staffCases()},
		{"Schedule", scheduleCases()},
		{"Outbox", outboxCases()},
		{"Cursors", cursorCases()},
		{"AdapterState", adapterStateCases()},
		{"Schema", schemaCases()},
		{"Health", healthCases()},
		{"Views", viewCases()},
		{"Customers", customerCases()},
		{"Retention", retentionCases()},
		{"Exporter", exportCases()},
		{"Reports", reportCases()},
		{"Backuper", backupCases()},
		{"Describe", describeCases()},
	}
}

// Callers' times are in 2031 and the store's own clock (store.Options.Clock,
// for its bookkeeping) is in 2033: a backend that stamps a write with its
// own clock, or with time.Now, stores a time nobody passed and is caught.
var (
	callerStart = time.Date(2031, 3, 3, 9, 0, 0, 0, time.UTC) // a Monday morning
	storeStart  = time.Date(2033, 7, 1, 12, 0, 0, 0, time.UTC)
)

// env is one subtest's store with the clocks and engine around it.
type env struct {
	t   *testing.T
	b   Backend
	db  store.DB
	ctx context.Context
	// clock is the callers' clock: the engine's, and where the times
	// tests pass to writes come from.
	clock *clocktest.Clock
	// storeClock is the store's own clock (store.Options.Clock).
	storeClock *clocktest.Clock
	eng        *engine.Engine
}

func newEnv(t *testing.T, b Backend) *env {
	e := &env{t: t, b: b, ctx: context.Background(), storeClock: clocktest.New(storeStart)}
	e.db = b.Open(t, e.options())
	e.restartClock(callerStart)
	return e
}

// restartClock sets the callers' clock, and the engine that runs on it,
// to t (which may be before the clock's time).
func (e *env) restartClock(t time.Time) {
	e.clock = clocktest.New(t)
	e.eng = engine.New(engine.Options{Store: e.db, Surfaces: []bridge.Platform{"console"}, Clock: e.clock})
}

func (e *env) options() store.Options { return store.Options{Clock: e.storeClock} }

// now is the callers' clock; at is a time d after the start of the callers' clock.
func (e *env) now() time.Time               { return e.clock.Now() }
func (e *env) at(d time.Duration) time.Time { return callerStart.Add(d) }

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// write runs fn in a write and fails the test if it fails.
func (e *env) write(fn func(tx bridge.Tx) error) {
	e.t.Helper()
	e.must(e.db.Write(e.ctx, fn))
}

// needs skips the subtest when the backend did not provide a hook.
func (e *env) needs(hook any, name string) {
	e.t.Helper()
	if reflect.ValueOf(hook).IsNil() {
		e.t.Skipf("Backend.%s is nil: %s cannot run this subtest", name, e.b.Name)
	}
}

// open creates a customer on channel/address and a conversation of theirs
// at the callers' clock; change, if set, adjusts the conversation first.
func (e *env) open(channel bridge.Platform, address string, change func(c *bridge.Conversation)) bridge.Conversation {
	e.t.Helper()
	var c bridge.Conversation
	e.write(func(tx bridge.Tx) error {
		now := e.now()
		cust, err := tx.UpsertIdentity(bridge.Identity{Platform: channel, Address: address, Name: "Name of " + address}, now)
		if err != nil {
			return err
		}
		c = bridge.Conversation{Customer: cust, Channel: channel, Address: address, Status: bridge.StatusOpen,
			Priority: bridge.PriorityNormal, CreatedAt: now, UpdatedAt: now}
		if change != nil {
			change(&c)
		}
		return tx.CreateConversation(&c)
	})
	return c
}

// update reads conv in a write, lets change adjust it and stores it.
func (e *env) update(conv bridge.ConversationID, change func(c *bridge.Conversation)) {
	e.t.Helper()
	e.write(func(tx bridge.Tx) error {
		c, err := tx.Conversation(conv)
		if err != nil {
			return err
		}
		change(&c)
		return tx.UpdateConversation(c)
	})
}

// message stores a message in conv at the callers' clock.
func (e *env) message(conv bridge.ConversationID, dir bridge.Direction, body string, change func(m *bridge.Message)) bridge.Message {
	e.t.Helper()
	m := bridge.Message{Conversation: conv, Direction: dir, Author: "Author", Body: body, CreatedAt: e.now()}
	if change != nil {
		change(&m)
	}
	e.write(func(tx bridge.Tx) error { return tx.InsertMessage(&m, 0) })
	return m
}

// deliver hands a customer message to the engine.
func (e *env) deliver(m bridge.InboundMessage) bridge.DeliverResult {
	e.t.Helper()
	res, err := e.eng.Deliver(e.ctx, m)
	e.must(err)
	return res
}

var (
	alice = bridge.Actor{ID: "console:alice", Name: "Alice", Role: bridge.RoleLead}
	bob   = bridge.Actor{ID: "console:bob", Name: "Bob"}
)

func staffCtx(conv bridge.ConversationID, a bridge.Actor) engine.StaffContext {
	return engine.StaffContext{Conversation: conv, Actor: a, Surface: "console"}
}

// errBoom is what failing write functions return.
var errBoom = errors.New("storetest: this write fails on purpose")

// wantNotFound fails unless err is bridge.ErrNotFound.
func (e *env) wantNotFound(what string, err error) {
	e.t.Helper()
	if !errors.Is(err, bridge.ErrNotFound) {
		e.t.Errorf("%s: %v, want bridge.ErrNotFound", what, err)
	}
}

// equal compares values read back with what was written, every time.Time
// in either taken in UTC (backends may return another location).
func (e *env) equal(what string, got, want any) bool {
	e.t.Helper()
	if g, w := inUTC(got), inUTC(want); !reflect.DeepEqual(g, w) {
		e.t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
		return false
	}
	return true
}

// inUTC returns a copy of v with every time.Time in it (in nested
// structs, slices and pointers) converted to UTC.
func inUTC(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(deepCopy(reflect.ValueOf(v)))
	toUTC(rv)
	return rv.Interface()
}

// deepCopy copies slices and pointers so toUTC does not change the caller's values.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	}
	return v
}

var timeType = reflect.TypeOf(time.Time{})

func toUTC(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() {
				v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
			}
			return
		}
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				toUTC(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			toUTC(v.Index(i))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			toUTC(v.Elem())
		}
	}
}

// sameTime fails unless got is the instant want.
func (e *env) sameTime(what string, got, want time.Time) {
	e.t.Helper()
	if !got.Equal(want) {
		e.t.Errorf("%s = %s, want %s", what, got.UTC().Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano))
	}
}

// sorted returns a sorted copy.
func sorted[S ~[]E, E ~string](s S) S {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// outboxIDs lists the ids of items.
func outboxIDs(items []bridge.OutboxItem) []bridge.OutboxID {
	out := make([]bridge.OutboxID, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// due lists the due lane heads of conv at now.
func (e *env) due(conv bridge.ConversationID, now time.Time) []bridge.OutboxItem {
	e.t.Helper()
	items, err := e.db.DueOutbox(e.ctx, now, 10000, nil)
	e.must(err)
	var out []bridge.OutboxItem
	for _, it := range items {
		if it.Conversation == conv {
			out = append(out, it)
		}
	}
	return out
}

// enqueue queues rows in one write at now and returns their ids in order.
func (e *env) enqueue(now time.Time, rows ...bridge.OutboxRow) []bridge.OutboxID {
	e.t.Helper()
	var convs []bridge.ConversationID
	for _, r := range rows {
		if !slices.Contains(convs, r.Conversation) {
			convs = append(convs, r.Conversation)
		}
	}
	before := map[bridge.OutboxID]bool{}
	for _, c := range convs {
		for _, r := range e.outboxRows(c) {
			before[r.ID] = true
		}
	}
	e.write(func(tx bridge.Tx) error {
		for _, r := range rows {
			if err := tx.Enqueue(r, now); err != nil {
				return err
			}
		}
		return nil
	})
	var ids []bridge.OutboxID
	for _, c := range convs {
		for _, r := range e.outboxRows(c) {
			if !before[r.ID] {
				ids = append(ids, r.ID)
			}
		}
	}
	slices.Sort(ids)
	if len(ids) != len(rows) {
		e.t.Fatalf("queued %d rows, found %d new ones", len(rows), len(ids))
	}
	return ids
}

func (e *env) outboxRows(conv bridge.ConversationID) []store.OutboxRow {
	e.t.Helper()
	rows, err := e.db.OutboxRows(e.ctx, conv)
	e.must(err)
	return rows
}

func (e *env) markSent(id bridge.OutboxID, ref bridge.ExternalRef, msg bridge.MessageID, now time.Time) {
	e.t.Helper()
	e.write(func(tx bridge.Tx) error { return tx.MarkSent(id, ref, msg, now) })
}

func (e *env) conversation(id bridge.ConversationID) bridge.Conversation {
	e.t.Helper()
	c, err := e.db.Conversation(e.ctx, id)
	e.must(err)
	return c
}

func (e *env) messages(conv bridge.ConversationID) []bridge.Message {
	e.t.Helper()
	ms, err := e.db.Messages(e.ctx, conv, 0)
	e.must(err)
	return ms
}

func (e *env) gone(conv bridge.ConversationID) bool {
	e.t.Helper()
	_, err := e.db.Conversation(e.ctx, conv)
	if err != nil && !errors.Is(err, bridge.ErrNotFound) {
		e.t.Fatal(err)
	}
	return err != nil
}

func bodies(ms []bridge.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Body
	}
	return out
}

func convIDs(cs []bridge.Conversation) []bridge.ConversationID {
	out := make([]bridge.ConversationID, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func sortedIDs(ids ...bridge.ConversationID) []bridge.ConversationID {
	slices.Sort(ids)
	return ids
}

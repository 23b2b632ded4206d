package sqlite_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/storetest"
)

// TestThreadsActiveSince: open and waiting conversations always count,
// closed ones only when they changed since the catch-up point, inactive
// threads and other surfaces never.
func TestThreadsActiveSince(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	since := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		status  bridge.Status
		updated time.Time
		surface bridge.Platform
		ref     bridge.ThreadRef
		active  bool
	}{
		{bridge.StatusOpen, since.Add(-100 * time.Hour), "slack", "C1/1.1", true},
		{bridge.StatusWaiting, since.Add(-100 * time.Hour), "slack", "C1/2.2", true},
		{bridge.StatusClosed, since.Add(time.Minute), "slack", "C1/3.3", true},
		{bridge.StatusClosed, since.Add(-time.Minute), "slack", "C1/4.4", true},
		{bridge.StatusOpen, since, "slack", "C1/5.5", false},
		{bridge.StatusOpen, since, "discord", "999", true},
	} {
		err := s.Write(ctx, func(tx bridge.Tx) error {
			cust, err := tx.UpsertIdentity(bridge.Identity{Platform: "webchat", Address: string(rune('a' + i))}, since)
			if err != nil {
				return err
			}
			conv := bridge.Conversation{Customer: cust, Channel: "webchat", Address: string(rune('a' + i)), Status: c.status,
				Priority: bridge.PriorityNormal, CreatedAt: c.updated, UpdatedAt: c.updated}
			if err := tx.CreateConversation(&conv); err != nil {
				return err
			}
			if err := tx.SetThread(conv.ID, c.surface, c.ref, since); err != nil {
				return err
			}
			if !c.active {
				return tx.DeactivateThread(conv.ID, c.surface, c.ref, since)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ThreadsActiveSince(ctx, "slack", since)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []bridge.ThreadRef{"C1/1.1", "C1/2.2", "C1/3.3"}; !slices.Equal(got, want) {
		t.Errorf("threads = %v, want %v", got, want)
	}
}

// TestPruneEvents forgets only event ids older than the cut-off, in batches.
func TestPruneEvents(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	for i := range 25 {
		if _, err := s.MarkEvent(ctx, "slack", "old"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	cut := time.Now().Add(time.Millisecond)
	time.Sleep(2 * time.Millisecond) // ids are stamped with millisecond resolution
	if _, err := s.MarkEvent(ctx, "slack", "new"); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneEvents(ctx, cut, 10)
	if err != nil || n != 25 {
		t.Fatalf("pruned %d, %v; want 25", n, err)
	}
	if seen, _ := s.SeenEvent(ctx, "slack", "new"); !seen {
		t.Error("the new event id was pruned")
	}
	if seen, _ := s.SeenEvent(ctx, "slack", "olda"); seen {
		t.Error("an old event id survived")
	}
}

package attempts

import (
	"context"
	"errors"
	"strconv"
	"testing"
)

func TestTriesCountFailuresUntilDone(t *testing.T) {
	var tr Tries[string]
	tr.Failed("a")
	tr.Failed("a")
	tr.Failed("b")
	if tr.Count("a") != 2 || tr.Count("b") != 1 || tr.Count("c") != 0 {
		t.Fatalf("counts %d %d %d", tr.Count("a"), tr.Count("b"), tr.Count("c"))
	}
	tr.Done("a")
	if tr.Count("a") != 0 {
		t.Error("done id still counted")
	}
}

func TestMemoForgetsEverythingPastItsCapacity(t *testing.T) {
	var m Memo[int, string]
	for i := 0; i <= capacity; i++ {
		m.Put(i, strconv.Itoa(i))
	}
	if m.Get(0) != "0" || m.Get(capacity) != strconv.Itoa(capacity) {
		t.Fatal("lost an entry before the capacity was passed")
	}
	m.Put(-1, "new")
	if m.Get(0) != "" || m.Get(-1) != "new" {
		t.Errorf("after passing the capacity: old %q, new %q", m.Get(0), m.Get(-1))
	}
}

func TestProgressResumesWhereTheLastAttemptStopped(t *testing.T) {
	ctx := context.Background()
	var sent []int
	refused := errors.New("429")
	var p Progress[string]
	err := p.Send(ctx, 4, func() bool { return true }, func(i int) (string, error) {
		if i == 2 {
			return "", refused
		}
		sent = append(sent, i)
		return "id" + strconv.Itoa(i), nil
	})
	if !errors.Is(err, refused) || p.Done != 2 || p.First != "id0" {
		t.Fatalf("first attempt: %v, %+v", err, p)
	}
	if got := p.Stopped(err, 4).Error(); got != "429 (stopped at part 3 of 4; the earlier parts were sent)" {
		t.Errorf("stopped: %q", got)
	}
	err = p.Send(ctx, 4, func() bool { return true }, func(i int) (string, error) {
		sent = append(sent, i)
		return "id" + strconv.Itoa(i), nil
	})
	if err != nil || p.Done != 4 || p.First != "id0" {
		t.Fatalf("second attempt: %v, %+v", err, p)
	}
	if len(sent) != 4 || sent[2] != 2 || sent[3] != 3 {
		t.Errorf("parts sent %v, want each once", sent)
	}
}

func TestProgressStopsWhenThePauseIsCut(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var p Progress[int]
	err := p.Send(ctx, 3, func() bool { return false }, func(i int) (int, error) { return i + 10, nil })
	if !errors.Is(err, context.Canceled) || p.Done != 1 || p.First != 10 {
		t.Errorf("%v, %+v", err, p)
	}
	var fresh Progress[int]
	if err := fresh.Stopped(errors.New("x"), 3); err.Error() != "x" {
		t.Errorf("nothing sent yet: %q", err)
	}
}

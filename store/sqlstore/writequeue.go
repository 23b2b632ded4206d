package sqlstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// WriteReq is one Write waiting for a backend's committer.
type WriteReq struct {
	Ctx   context.Context
	Fn    func(bridge.Tx) error
	Probe bool // Ping: writes nothing
	done  chan error
}

// Reply hands the write's outcome to its caller (once).
func (r *WriteReq) Reply(err error) { r.done <- err }

// WriteQueue hands Writes to a backend's committer goroutine, which takes
// them in batches (group commit): the writes that arrived while it was
// busy are taken all at once, up to a limit, and share a transaction.
type WriteQueue struct {
	reqs chan *WriteReq
	stop chan struct{}
	max  int
	once sync.Once
}

// NewWriteQueue returns a queue whose batches hold at most maxBatch writes.
func NewWriteQueue(maxBatch int) *WriteQueue {
	return &WriteQueue{reqs: make(chan *WriteReq), stop: make(chan struct{}), max: max(1, maxBatch)}
}

// Submit queues fn and returns its outcome once a committer replied. It
// gives up only before a committer took the write: when ctx ends, or with
// store.ErrClosed after Close.
func (q *WriteQueue) Submit(ctx context.Context, fn func(bridge.Tx) error, probe bool) error {
	req := &WriteReq{Ctx: ctx, Fn: fn, Probe: probe, done: make(chan error, 1)}
	select {
	case q.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-q.stop:
		return store.ErrClosed
	}
	return <-req.done
}

// Next waits for a write and returns it with the writes already waiting
// behind it, up to the limit. idle, if not nil, runs first when no write
// is waiting. ok is false once the queue is closed.
func (q *WriteQueue) Next(idle func()) (batch []*WriteReq, ok bool) {
	var first *WriteReq
	select {
	case first = <-q.reqs:
	default:
		if idle != nil {
			idle()
		}
		select {
		case first = <-q.reqs:
		case <-q.stop:
			return nil, false
		}
	}
	batch = append(batch, first)
	for len(batch) < q.max {
		select {
		case r := <-q.reqs:
			batch = append(batch, r)
		default:
			return batch, true
		}
	}
	return batch, true
}

// Stopped is closed by Close.
func (q *WriteQueue) Stopped() <-chan struct{} { return q.stop }

// Close makes Submit fail with store.ErrClosed and Next report the end;
// it reports whether this call closed the queue. It does not wait for the
// committer.
func (q *WriteQueue) Close() (first bool) {
	q.once.Do(func() { close(q.stop); first = true })
	return first
}

// RunWrite calls fn, turning a panic into an error so one bad caller
// cannot take the committer (and every other writer) down.
func RunWrite(fn func(bridge.Tx) error, tx bridge.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}

package bridge

import (
	"context"
	"sync"
)

// Relay carries live events between the replicas of one deployment: what a
// replica publishes on a topic, every replica (itself included) receives,
// in order per publisher. It is live only and best effort: a replica that
// is down or reconnecting misses events, so it is used for pushes whose
// truth is in the store (a visitor's widget refetches its history when it
// reconnects). A single process uses LocalRelay; replicas on PostgreSQL
// use LISTEN/NOTIFY.
type Relay interface {
	// Publish sends payload on topic to every subscriber of every replica.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe calls fn for every payload published on topic until the
	// returned cancel is called. fn must not block for long.
	Subscribe(topic string, fn func(payload []byte)) (cancel func())
}

// LocalRelay is the Relay of a single process: Publish calls this
// process's subscribers directly.
type LocalRelay struct {
	mu   sync.RWMutex
	next int
	subs map[string]map[int]func([]byte)
}

// NewLocalRelay makes an empty relay.
func NewLocalRelay() *LocalRelay { return &LocalRelay{subs: map[string]map[int]func([]byte){}} }

// Publish calls every subscriber of topic.
func (r *LocalRelay) Publish(_ context.Context, topic string, payload []byte) error {
	r.Deliver(topic, payload)
	return nil
}

// Deliver hands payload to this process's subscribers of topic (a relay
// between processes calls it for what it received).
func (r *LocalRelay) Deliver(topic string, payload []byte) {
	r.mu.RLock()
	fns := make([]func([]byte), 0, len(r.subs[topic]))
	for _, fn := range r.subs[topic] {
		fns = append(fns, fn)
	}
	r.mu.RUnlock()
	for _, fn := range fns {
		fn(payload)
	}
}

// Subscribe registers fn for topic.
func (r *LocalRelay) Subscribe(topic string, fn func([]byte)) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.subs[topic] == nil {
		r.subs[topic] = map[int]func([]byte){}
	}
	r.next++
	id := r.next
	r.subs[topic][id] = fn
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.subs[topic], id)
	}
}

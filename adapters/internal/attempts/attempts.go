// Package attempts is what a channel adapter remembers between attempts
// at the same work: how often an incoming message failed (the platform
// sends it again), and how far a reply of several parts got (the outbox
// retries it), so no part is sent twice.
package attempts

import (
	"context"
	"fmt"
	"sync"
)

// capacity bounds a Memo: ids that never come back (given up upstream,
// or succeeding elsewhere) must not make it grow without end.
const capacity = 10000

// Memo is a map safe for concurrent use that forgets everything when it
// holds more than capacity entries (forgetting costs a repeated try, not
// correctness). The zero value is ready to use.
type Memo[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

// Get is k's value (the zero value when none).
func (m *Memo[K, V]) Get(k K) V {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[k]
}

// Put sets k's value.
func (m *Memo[K, V]) Put(k K, v V) {
	m.Update(k, func(V) V { return v })
}

// Update sets k's value to f of its value, under the lock.
func (m *Memo[K, V]) Update(k K, f func(V) V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[K]V)
	}
	if len(m.m) > capacity {
		clear(m.m)
	}
	m.m[k] = f(m.m[k])
}

// Delete forgets k.
func (m *Memo[K, V]) Delete(k K) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, k)
}

// Tries counts the failed attempts at each incoming id. The zero value
// is ready to use.
type Tries[K comparable] struct{ m Memo[K, int] }

// Count is how often id failed so far.
func (t *Tries[K]) Count(id K) int { return t.m.Get(id) }

// Failed counts one more failure of id.
func (t *Tries[K]) Failed(id K) { t.m.Update(id, func(n int) int { return n + 1 }) }

// Done forgets id (handled).
func (t *Tries[K]) Done(id K) { t.m.Delete(id) }

// Progress is how far a reply of several parts got: the parts before
// Done were sent, First is the platform's id of the first part.
type Progress[ID any] struct {
	Done  int
	First ID
}

// Send sends the parts from Done to n-1 in order, pausing between two
// of them (pause false: ctx ended, its error is returned), and records
// each part sent. It stops at send's first error and returns it.
func (p *Progress[ID]) Send(ctx context.Context, n int, pause func() bool, send func(i int) (ID, error)) error {
	start := p.Done
	for i := start; i < n; i++ {
		if i > start && !pause() {
			return ctx.Err()
		}
		id, err := send(i)
		if err != nil {
			return err
		}
		if i == 0 {
			p.First = id
		}
		p.Done = i + 1
	}
	return nil
}

// Stopped is err, saying where a reply of n parts stopped when some of
// its parts were sent already.
func (p *Progress[ID]) Stopped(err error, n int) error {
	if p.Done > 0 {
		return fmt.Errorf("%w (stopped at part %d of %d; the earlier parts were sent)", err, p.Done+1, n)
	}
	return err
}

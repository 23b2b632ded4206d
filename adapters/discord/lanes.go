package discord

import (
	"context"
	"sync"
)

// lanes runs jobs in order per key (a Discord channel, i.e. a thread) and
// in parallel across keys. Submitting never blocks, so the gateway reader
// is never held up. A lane's goroutine exits when its queue is empty.
type lanes struct {
	mu     sync.Mutex
	queues map[string][]func(context.Context)
	wg     sync.WaitGroup
}

func newLanes() *lanes { return &lanes{queues: map[string][]func(context.Context){}} }

func (l *lanes) submit(ctx context.Context, key string, job func(context.Context)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q, running := l.queues[key]
	l.queues[key] = append(q, job)
	if running {
		return
	}
	l.wg.Add(1)
	go l.run(ctx, key)
}

func (l *lanes) run(ctx context.Context, key string) {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		q := l.queues[key]
		if len(q) == 0 {
			delete(l.queues, key)
			l.mu.Unlock()
			return
		}
		job := q[0]
		q[0] = nil
		l.queues[key] = q[1:]
		l.mu.Unlock()
		job(ctx)
	}
}

// wait waits for every lane to drain.
func (l *lanes) wait() { l.wg.Wait() }

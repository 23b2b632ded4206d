package live

import (
	"context"
	"log/slog"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Supervise runs fn until ctx ends, restarting it with exponential backoff
// (1s doubling to max) when it returns early or panics. Adapters report
// failures by returning; they never exit the process.
func Supervise(ctx context.Context, clock bridge.Clock, name string, log *slog.Logger, maxBackoff time.Duration, fn func(context.Context) error) {
	clock = bridge.OrSystem(clock)
	backoff := time.Second
	for {
		start := clock.Now()
		err := runSafely(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		if clock.Now().Sub(start) > 2*maxBackoff {
			backoff = time.Second // it ran fine for a while; start over
		}
		log.Error("adapter stopped; restarting", "adapter", name, "err", err, "in", backoff)
		if !bridge.Sleep(clock, backoff, ctx.Done()) {
			return
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

func runSafely(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return fn(ctx)
}

type panicError struct{ v any }

func (p panicError) Error() string { return "panic: " + fmtAny(p.v) }

func fmtAny(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "non-error panic value"
}

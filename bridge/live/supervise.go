package live

import (
	"context"
	"log/slog"
	"time"
)

// Supervise runs fn until ctx ends, restarting it with exponential backoff
// (1s doubling to max) when it returns early or panics. Adapters report
// failures by returning; they never exit the process.
func Supervise(ctx context.Context, name string, log *slog.Logger, maxBackoff time.Duration, fn func(context.Context) error) {
	backoff := time.Second
	for {
		start := time.Now()
		err := runSafely(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 2*maxBackoff {
			backoff = time.Second // it ran fine for a while; start over
		}
		log.Error("adapter stopped; restarting", "adapter", name, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
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

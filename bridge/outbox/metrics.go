package outbox

import (
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// OutboxMetrics receives what the outbox counts: deliveries, retries, dead
// letters and rate-limit waits. The outbox calls it right after the
// matching commit, on its hot path, so implementations must be cheap and
// never block. A nil OutboxMetrics counts nothing.
type Metrics interface {
	// Delivered: an outbox row reached its target (a staff post, a customer
	// send, a card update, a receipt...).
	Delivered(target bridge.Platform, kind bridge.OutboxKind)
	// Retried: an attempt failed with a transient error and was rescheduled.
	Retried(target bridge.Platform, kind bridge.OutboxKind)
	// DeadLettered: a row failed permanently (or ran out of attempts).
	DeadLettered(target bridge.Platform, kind bridge.OutboxKind)
	// RateLimited: the platform answered 429 and asked to wait (platform
	// true), or Threadline's own pacer held a row back (platform false).
	RateLimited(target bridge.Platform, wait time.Duration, platform bool)
}

type noOutboxMetrics struct{}

func (noOutboxMetrics) Delivered(bridge.Platform, bridge.OutboxKind)     {}
func (noOutboxMetrics) Retried(bridge.Platform, bridge.OutboxKind)       {}
func (noOutboxMetrics) DeadLettered(bridge.Platform, bridge.OutboxKind)  {}
func (noOutboxMetrics) RateLimited(bridge.Platform, time.Duration, bool) {}

func orNoOutboxMetrics(m Metrics) Metrics {
	if m == nil {
		return noOutboxMetrics{}
	}
	return m
}

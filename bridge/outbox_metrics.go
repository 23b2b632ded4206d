package bridge

import "time"

// OutboxMetrics receives what the outbox counts: deliveries, retries, dead
// letters and rate-limit waits. The outbox calls it right after the
// matching commit, on its hot path, so implementations must be cheap and
// never block. A nil OutboxMetrics counts nothing.
type OutboxMetrics interface {
	// Delivered: an outbox row reached its target (a staff post, a customer
	// send, a card update, a receipt...).
	Delivered(target Platform, kind OutboxKind)
	// Retried: an attempt failed with a transient error and was rescheduled.
	Retried(target Platform, kind OutboxKind)
	// DeadLettered: a row failed permanently (or ran out of attempts).
	DeadLettered(target Platform, kind OutboxKind)
	// RateLimited: the platform answered 429 and asked to wait (platform
	// true), or Threadline's own pacer held a row back (platform false).
	RateLimited(target Platform, wait time.Duration, platform bool)
}

type noOutboxMetrics struct{}

func (noOutboxMetrics) Delivered(Platform, OutboxKind)            {}
func (noOutboxMetrics) Retried(Platform, OutboxKind)              {}
func (noOutboxMetrics) DeadLettered(Platform, OutboxKind)         {}
func (noOutboxMetrics) RateLimited(Platform, time.Duration, bool) {}

func orNoOutboxMetrics(m OutboxMetrics) OutboxMetrics {
	if m == nil {
		return noOutboxMetrics{}
	}
	return m
}

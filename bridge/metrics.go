package bridge

import "time"

// Metrics receives the events operators count: messages in and out,
// retries, dead letters, rate-limit waits and SLA nags. The engine and the
// outbox call it right after the matching commit, on their hot paths, so
// implementations must be cheap (a counter increment) and never block.
// Gauges that are cheap to read from the database (queue depth, open
// conversations) are not pushed here; a metrics implementation reads them
// from the store when it is scraped. A nil Metrics counts nothing.
type Metrics interface {
	// MessageIn: a new message was stored (redeliveries are not counted).
	// adapter is the customer channel (direction customer) or the staff
	// surface it was written on (directions staff and note).
	MessageIn(adapter Platform, dir Direction)
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
	// SLANag: an SLA nag was posted; step is warning, breach or repeat,
	// clock is first, next or resolution.
	SLANag(step NagStep, clock string)
}

// noMetrics is the default: it counts nothing.
type noMetrics struct{}

func (noMetrics) MessageIn(Platform, Direction)             {}
func (noMetrics) Delivered(Platform, OutboxKind)            {}
func (noMetrics) Retried(Platform, OutboxKind)              {}
func (noMetrics) DeadLettered(Platform, OutboxKind)         {}
func (noMetrics) RateLimited(Platform, time.Duration, bool) {}
func (noMetrics) SLANag(NagStep, string)                    {}

func orNoMetrics(m Metrics) Metrics {
	if m == nil {
		return noMetrics{}
	}
	return m
}

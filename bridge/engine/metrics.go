package engine

import (
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/sla"
)

// EngineMetrics receives what the engine counts: messages in and SLA nags.
// The engine calls it right after the matching commit, on its hot path, so
// implementations must be cheap (a counter increment) and never block.
// Gauges that are cheap to read from the database (queue depth, open
// conversations) are not pushed here; a metrics implementation reads them
// from the store when it is scraped. A nil EngineMetrics counts nothing.
type Metrics interface {
	// MessageIn: a new message was stored (redeliveries are not counted).
	// adapter is the customer channel (direction customer) or the staff
	// surface it was written on (directions staff and note).
	MessageIn(adapter bridge.Platform, dir bridge.Direction)
	// SLANag: an SLA nag was posted; step is warning, breach or repeat,
	// clock is first, next or resolution.
	SLANag(step sla.NagStep, clock string)
}

type noEngineMetrics struct{}

func (noEngineMetrics) MessageIn(bridge.Platform, bridge.Direction) {}
func (noEngineMetrics) SLANag(sla.NagStep, string)                  {}

func orNoEngineMetrics(m Metrics) Metrics {
	if m == nil {
		return noEngineMetrics{}
	}
	return m
}

package config

import (
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/outbox"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
)

// The domain packages take parsed values; these build them from a loaded
// (validated) config. Values that failed validation cannot reach here.

// TeamOptions are the staff directory's: the workflow section, with the
// staff id forms of every surface.
func (c *Config) TeamOptions() team.Options {
	return c.Workflow.options(c.StaffIDs(), c.SLA.calendars())
}

// SLAOptions are the SLA resolver's: the sla section with its calendars built.
func (c *Config) SLAOptions() sla.Options {
	return c.SLA.options(c.SLA.calendars())
}

// OutboxOptions are the outbox's tuning (outbox section); the caller adds
// the store, the adapters and the clock.
func (c *Config) OutboxOptions() outbox.Options { return c.Outbox.options() }

// EngineConfig is the engine's conversation rules (conversations section).
func (c *Config) EngineConfig() engine.Config {
	prio, _ := bridge.ParsePriority(c.Conversations.DefaultPriority)
	return engine.Config{ReopenWindow: c.Conversations.ReopenWindow.D(), DefaultPriority: prio,
		MaxMessageBytes: c.Conversations.MaxMessageBytes}
}

// Notes are things about this config that work differently from what
// one might expect (Workflow.Notes).
func (c *Config) Notes() []string { return c.Workflow.Notes(c.StaffIDs()) }
